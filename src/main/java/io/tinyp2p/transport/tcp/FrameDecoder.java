package io.tinyp2p.transport.tcp;

import io.vertx.core.buffer.Buffer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Splits a byte stream into the frames of the libp2p Noise transport: a 2-byte big-endian
 * length, then that many bytes. The 16-bit length bounds every frame to 65535 bytes, so no
 * input can make it allocate more than the bytes it was given.
 */
final class FrameDecoder {
  private final Consumer<Buffer> frames;
  private Buffer pending;
  private boolean pendingOwned; // pending is our own copy (it may grow), not a slice of input

  FrameDecoder(Consumer<Buffer> frames) {
    this.frames = frames;
  }

  /**
   * Feeds bytes; calls the consumer once per complete frame. After each frame {@code stop} may
   * end the run (the connection closed, or its share of the event loop is used up): what is
   * left stays here, and the next call, with more bytes or none, goes on from it. At least one
   * complete frame is taken per call, so every call makes progress.
   */
  void onData(Buffer data, BooleanSupplier stop) {
    Buffer buf = take(data);
    int pos = 0;
    int len = buf.length();
    boolean stopped = false;
    while (!stopped && len - pos >= 2) {
      int frameLength = buf.getUnsignedShort(pos);
      if (len - pos - 2 < frameLength) {
        break;
      }
      frames.accept(buf.slice(pos + 2, pos + 2 + frameLength));
      pos += 2 + frameLength;
      stopped = stop.getAsBoolean();
    }
    if (pos < len) {
      if (stopped) {
        pending = buf.slice(pos, len); // whole frames wait: no copy
        pendingOwned = false;
      } else {
        // Keep the partial frame; copy so the (possibly large) packet it came in can go.
        pending = Buffer.buffer(Math.max(len - pos, 256)).appendBuffer(buf, pos, len - pos);
        pendingOwned = true;
      }
    }
  }

  /** Keeps bytes for a later {@link #onData} without looking at them. */
  void append(Buffer data) {
    if (data.length() > 0) {
      pending = pending == null ? data.copy() : take(data); // take() returns our own buffer here
      pendingOwned = true;
    }
  }

  /** What is pending followed by {@code data}, as one buffer; nothing is pending after it. */
  private Buffer take(Buffer data) {
    Buffer buf;
    if (pending == null) {
      buf = data;
    } else if (data.length() == 0) {
      buf = pending;
    } else if (pendingOwned) {
      buf = pending.appendBuffer(data);
    } else {
      buf = Buffer.buffer(pending.length() + data.length()).appendBuffer(pending).appendBuffer(data);
    }
    pending = null;
    return buf;
  }

  int buffered() {
    return pending == null ? 0 : pending.length();
  }
}
