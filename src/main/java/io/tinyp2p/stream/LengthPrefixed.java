package io.tinyp2p.stream;

import io.tinyp2p.util.Varint;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * uvarint-length-prefixed messages, the framing of Identify, Kademlia, Gossipsub and
 * request-response. The decoder checks each length against its limit before it buffers
 * anything of the message, and it holds only the bytes that arrived (never the declared
 * length up front), so a peer cannot make it allocate more than it sent, nor more than the
 * limit. Bytes are copied at most once into the buffer of an unfinished message; complete
 * messages are handed out as slices.
 */
public final class LengthPrefixed {
  private final int maxLength;
  private final Consumer<Buffer> messages;
  private Buffer partial; // the bytes of an unfinished message (its length prefix included)
  private boolean failed;
  private long completed;

  /** Thrown for a malformed or over-long length prefix, or a message past its deadline. */
  public static final class FrameException extends Exception {
    /** What went wrong. */
    /** What went wrong: ENDED is a stream that ended before any byte of the message, TRUNCATED one that ended within it. */
    public enum Kind { MALFORMED, TOO_LARGE, TIMEOUT, ENDED, TRUNCATED }

    private final Kind kind;

    public FrameException(String message) {
      this(message, Kind.ENDED);
    }

    FrameException(String message, Kind kind) {
      super(message, null, false, false);
      this.kind = kind;
    }

    public Kind kind() {
      return kind;
    }

    /** Whether the message did not complete within its deadline (rather than being malformed). */
    public boolean isTimeout() {
      return kind == Kind.TIMEOUT;
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
    if (failed || data.length() == 0) {
      return;
    }
    Buffer buf;
    if (partial == null) {
      buf = data;
    } else {
      partial.appendBuffer(data); // grows by doubling: at most twice what arrived
      buf = partial;
    }
    int pos = 0;
    int len = buf.length();
    while (pos < len) {
      long length;
      try {
        length = Varint.decode(buf, pos);
      } catch (Varint.VarintException e) {
        fail();
        throw new FrameException("bad length prefix: " + e.getMessage(), FrameException.Kind.MALFORMED);
      }
      if (length == Varint.NEED_MORE) {
        break;
      }
      if (length > maxLength) {
        fail();
        throw new FrameException("message of " + length + " bytes exceeds the limit of " + maxLength,
            FrameException.Kind.TOO_LARGE);
      }
      int start = pos + Varint.encodedLength(length);
      if (len - start < length) {
        break;
      }
      pos = start + (int) length;
      completed++;
      messages.accept(buf.slice(start, pos));
      if (failed) {
        return; // the consumer gave up on the stream
      }
    }
    if (pos == len) {
      partial = null;
    } else if (buf != partial || pos > 0) {
      // keep only the unfinished message, in a buffer of its own (the slices handed out above
      // keep the old one unchanged)
      partial = Buffer.buffer(Math.max(len - pos, 64)).appendBuffer(buf, pos, len - pos);
    }
  }

  private void fail() {
    failed = true;
    partial = null;
  }

  /** Stops decoding: later bytes are ignored and the partial message is released. */
  public void stop() {
    fail();
  }

  /** Whether a message has been started but not finished. */
  public boolean hasPartial() {
    return partial != null;
  }

  /** Bytes held of the unfinished message. */
  public int buffered() {
    return partial == null ? 0 : partial.length();
  }

  /**
   * Reads messages from a stream until it ends. Each message must complete within
   * {@code deadline} of its first byte; an idle stream between messages has no deadline. On a
   * malformed or over-long message, or one past its deadline, the stream is reset and
   * {@code failed} hears why (once); the stream's end is left to the caller's end handler.
   */
  public static void read(P2pStream stream, Vertx vertx, int maxLength, Duration deadline,
      Consumer<Buffer> onMessage, Consumer<FrameException> failed) {
    new DeadlineReader(stream, vertx, maxLength, deadline, onMessage, failed).start();
  }

  /**
   * Reads exactly one message from a stream, then stops reading (the stream's handler is
   * cleared). Fails if the stream ends, resets, sends garbage or does not complete the message
   * within {@code deadline} of its first byte; the stream is reset on garbage and on timeout.
   */
  public static Future<Buffer> readOne(P2pStream stream, Vertx vertx, int maxLength, Duration deadline) {
    Promise<Buffer> promise = Promise.promise();
    DeadlineReader reader = new DeadlineReader(stream, vertx, maxLength, deadline, msg -> {
      if (!promise.future().isComplete()) {
        stream.handler(null); // first: what completing runs may read the next message with a handler of its own
        promise.complete(msg);
      }
    }, promise::tryFail);
    reader.start();
    stream.endHandler(v -> promise.tryFail(reader.decoder.hasPartial()
        ? new FrameException("stream ended within a message", FrameException.Kind.TRUNCATED)
        : new FrameException("stream ended before a complete message")));
    stream.exceptionHandler(e -> promise.tryFail(e));
    stream.closeHandler(v -> promise.tryFail(new FrameException("stream closed before a complete message")));
    promise.future().onComplete(ar -> reader.decoder.stop());
    return promise.future();
  }

  /** The message that opened a stream, and the bytes that followed it (empty when none). */
  public record First(Buffer message, Buffer rest) {}

  /**
   * Reads the one message that opens a stream or socket and keeps what came after it (a relayed
   * connection, a daemon client's stream bytes may share a chunk with it): once it has arrived
   * the stream is paused and its handler cleared. Fails with a {@link FrameException}: MALFORMED
   * or TOO_LARGE for garbage (a bad prefix, a length over {@code maxLength}), ENDED when the
   * stream ends or fails first, TIMEOUT when the message is not complete within {@code deadline}.
   * Nothing of the message is buffered beyond what arrived.
   */
  public static Future<First> readFirst(ReadStream<Buffer> in, Vertx vertx, int maxLength, Duration deadline) {
    Promise<First> promise = Promise.promise();
    Buffer[] acc = {Buffer.buffer()};
    long timer = vertx.setTimer(Math.max(1, deadline.toMillis()), t -> promise.tryFail(new FrameException(
        "no complete message within " + deadline.toMillis() + " ms", FrameException.Kind.TIMEOUT)));
    in.handler(data -> {
      if (promise.future().isComplete()) {
        return;
      }
      Buffer buf = acc[0].appendBuffer(data);
      long length;
      try {
        length = Varint.decode(buf, 0);
      } catch (Varint.VarintException e) {
        promise.tryFail(new FrameException("bad length prefix: " + e.getMessage(), FrameException.Kind.MALFORMED));
        return;
      }
      if (length > maxLength) {
        promise.tryFail(new FrameException("message of " + length + " bytes exceeds the limit of " + maxLength,
            FrameException.Kind.TOO_LARGE));
        return;
      }
      int start = Varint.encodedLength(length);
      if (length != Varint.NEED_MORE && buf.length() - start >= length) {
        int end = start + (int) length;
        in.pause();
        in.handler(null);
        promise.tryComplete(new First(buf.slice(start, end), buf.slice(end, buf.length())));
      }
    });
    in.endHandler(v -> promise.tryFail(new FrameException("ended before a complete message")));
    in.exceptionHandler(e -> promise.tryFail(new FrameException("failed before a complete message: " + e.getMessage())));
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /**
   * What an answer function of {@link #serve} returns for a request that is fine but has no
   * reply (Kademlia's ADD_PROVIDER): nothing is written and the stream is read on. Compared by
   * identity.
   */
  public static final Buffer NO_REPLY = Buffer.buffer(new byte[0]);

  /**
   * The inbound server of the request-response protocols that answer on the same stream
   * (Kademlia): reads messages until the stream ends, each within {@code deadline} of its first
   * byte, and writes {@code answer}'s reply to each as one message ({@link #NO_REPLY}: none). A null reply means the
   * request was not acceptable: the stream is reset (the answer function says why). A peer that
   * asks without reading the replies fills our write queue and is then no longer read. Our write
   * side ends when the peer's does. Malformed, over-long or late messages reset the stream and
   * {@code failed} hears why, once.
   */
  public static void serve(P2pStream stream, Vertx vertx, int maxLength, Duration deadline,
      java.util.function.Function<Buffer, Buffer> answer, Consumer<FrameException> failed) {
    read(stream, vertx, maxLength, deadline, request -> {
      Buffer reply = answer.apply(request);
      if (reply == NO_REPLY) {
        return;
      }
      if (reply == null) {
        stream.reset();
        return;
      }
      stream.write(frame(reply));
      stream.pauseWhileWriteQueueFull();
    }, failed);
    stream.endHandler(v -> stream.end());
  }

  /** A decoder on a stream, with a deadline per message that starts at its first byte. */
  private static final class DeadlineReader {
    private final P2pStream stream;
    private final Vertx vertx;
    private final long deadlineMillis;
    private final Consumer<FrameException> failed;
    private final LengthPrefixed decoder;
    private long partialSince; // when the unfinished message began; 0 when none
    private long timer = -1;

    DeadlineReader(P2pStream stream, Vertx vertx, int maxLength, Duration deadline,
        Consumer<Buffer> onMessage, Consumer<FrameException> failed) {
      this.stream = stream;
      this.vertx = vertx;
      this.deadlineMillis = Math.max(1, deadline.toMillis());
      this.failed = failed;
      this.decoder = new LengthPrefixed(maxLength, onMessage);
    }

    void start() {
      stream.handler(this::onData);
    }

    private void onData(Buffer data) {
      long before = decoder.completed;
      try {
        decoder.onData(data);
      } catch (FrameException e) {
        abort(e);
        return;
      }
      if (!decoder.hasPartial()) {
        partialSince = 0;
      } else if (partialSince == 0 || decoder.completed != before) {
        // a new message began in this chunk (a message that completes in one chunk costs no timer)
        partialSince = System.currentTimeMillis();
        if (timer < 0) {
          timer = vertx.setTimer(deadlineMillis, t -> onTimer());
        }
      }
    }

    private void onTimer() {
      timer = -1;
      if (partialSince == 0 || stream.isClosed()) {
        return;
      }
      long elapsed = System.currentTimeMillis() - partialSince;
      if (elapsed < deadlineMillis) {
        timer = vertx.setTimer(deadlineMillis - elapsed, t -> onTimer());
        return;
      }
      abort(new FrameException("message not complete within " + deadlineMillis + " ms of its first byte ("
          + decoder.buffered() + " bytes arrived)", FrameException.Kind.TIMEOUT));
    }

    private void abort(FrameException e) {
      decoder.stop();
      partialSince = 0;
      failed.accept(e); // first: the reset below ends the stream, and the cause is this, not the end
      stream.reset();
    }
  }
}
