package io.tinyp2p.swarm;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Splits a byte stream into the frames of the libp2p Noise transport: a 2-byte big-endian
 * length, then that many bytes. The 16-bit length bounds every frame to 65535 bytes, so no
 * input can make it allocate more.
 */
final class FrameDecoder {
  private final Consumer<Buffer> frames;
  private Buffer pending;

  FrameDecoder(Consumer<Buffer> frames) {
    this.frames = frames;
  }

  /**
   * Feeds bytes; calls the consumer once per complete frame. The consumer may stop the flow
   * by returning with {@code stopped} set (the connection closed), checked between frames.
   */
  void onData(Buffer data, java.util.function.BooleanSupplier stopped) {
    Buffer buf = pending == null ? data : pending.appendBuffer(data);
    pending = null;
    int pos = 0;
    int len = buf.length();
    while (len - pos >= 2 && !stopped.getAsBoolean()) {
      int frameLength = buf.getUnsignedShort(pos);
      if (len - pos - 2 < frameLength) {
        break;
      }
      frames.accept(buf.slice(pos + 2, pos + 2 + frameLength));
      pos += 2 + frameLength;
    }
    if (pos < len && !stopped.getAsBoolean()) {
      // Keep the partial frame; copy so the (possibly large) packet it came in can go.
      pending = Buffer.buffer(Math.max(len - pos, 256)).appendBuffer(buf, pos, len - pos);
    }
  }

  int buffered() {
    return pending == null ? 0 : pending.length();
  }
}
