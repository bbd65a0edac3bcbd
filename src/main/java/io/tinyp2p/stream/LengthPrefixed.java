package io.tinyp2p.stream;

import io.tinyp2p.util.Varint;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * uvarint-length-prefixed messages, the framing of Identify, Kademlia, Gossipsub and
 * request-response. The decoder checks each length against its limit before it buffers the
 * message, so a peer cannot make it allocate more than the limit.
 */
public final class LengthPrefixed {
  private final int maxLength;
  private final Consumer<Buffer> messages;
  private Buffer pending;
  private boolean failed;

  /** Thrown for a malformed or over-long length prefix. */
  public static final class FrameException extends Exception {
    public FrameException(String message) {
      super(message, null, false, false);
    }
  }

  public LengthPrefixed(int maxLength, Consumer<Buffer> messages) {
    this.maxLength = maxLength;
    this.messages = messages;
  }

  /** Encodes one message. */
  public static Buffer frame(byte[] payload) {
    Buffer b = Buffer.buffer(payload.length + Varint.encodedLength(payload.length));
    return Varint.append(b, payload.length).appendBytes(payload);
  }

  public static Buffer frame(Buffer payload) {
    Buffer b = Buffer.buffer(payload.length() + Varint.encodedLength(payload.length()));
    return Varint.append(b, payload.length()).appendBuffer(payload);
  }

  /** Feeds bytes; calls the consumer for each complete message. */
  public void onData(Buffer data) throws FrameException {
    if (failed) {
      return;
    }
    Buffer buf = pending == null || pending.length() == 0 ? data : pending.appendBuffer(data);
    int pos = 0;
    while (pos < buf.length()) {
      long length;
      try {
        length = Varint.decode(buf, pos);
      } catch (Varint.VarintException e) {
        failed = true;
        throw new FrameException("bad length prefix: " + e.getMessage());
      }
      if (length == Varint.NEED_MORE) {
        break;
      }
      if (length > maxLength) {
        failed = true;
        throw new FrameException("message of " + length + " bytes exceeds the limit of " + maxLength);
      }
      int start = pos + Varint.encodedLength(length);
      if (buf.length() - start < length) {
        break;
      }
      pos = start + (int) length;
      messages.accept(buf.getBuffer(start, pos));
    }
    pending = pos == buf.length() ? null : buf.getBuffer(pos, buf.length());
  }

  /** Whether a message has been started but not finished. */
  public boolean hasPartial() {
    return pending != null && pending.length() > 0;
  }

  /**
   * Reads exactly one message from a stream, then stops reading (the stream's handler is
   * cleared). Fails if the stream ends, resets or sends garbage first; the stream is reset on
   * garbage.
   */
  public static Future<Buffer> readOne(P2pStream stream, int maxLength) {
    Promise<Buffer> promise = Promise.promise();
    LengthPrefixed decoder = new LengthPrefixed(maxLength, msg -> {
      if (promise.tryComplete(msg)) {
        stream.handler(null);
      }
    });
    stream.handler(data -> {
      try {
        decoder.onData(data);
      } catch (FrameException e) {
        stream.reset();
        promise.tryFail(e);
      }
    });
    stream.endHandler(v -> promise.tryFail(new FrameException("stream ended before a complete message")));
    stream.exceptionHandler(e -> promise.tryFail(e));
    stream.closeHandler(v -> promise.tryFail(new FrameException("stream closed before a complete message")));
    return promise.future();
  }
}
