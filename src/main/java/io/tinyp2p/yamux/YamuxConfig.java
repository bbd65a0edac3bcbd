package io.tinyp2p.yamux;

/**
 * Yamux limits.
 *
 * @param maxStreams open streams per session (both directions); an inbound SYN beyond it is
 *     answered with RST, an outbound open fails
 * @param maxUnackedInbound inbound streams that may be opened but not yet accepted by the
 *     application (the spec's backlog of 256)
 * @param receiveWindow bytes a stream may have in flight towards us; at least the spec's
 *     initial 256 KiB, larger values are announced with the first window update
 * @param maxFrameData largest data frame we send; sized so a frame plus its 12-byte header
 *     fits one Noise message
 * @param writeQueueMax default {@code setWriteQueueMaxSize} of a stream: bytes queued beyond
 *     the peer's window before {@code writeQueueFull()} turns true
 * @param maxQueuedBytes hard cap on bytes queued in all streams of the session together;
 *     writes beyond it fail (an application that ignores writeQueueFull meets it)
 */
public record YamuxConfig(int maxStreams, int maxUnackedInbound, int receiveWindow,
    int maxFrameData, int writeQueueMax, long maxQueuedBytes) {

  public static final int INITIAL_WINDOW = 256 * 1024;

  public YamuxConfig {
    if (maxStreams < 1) {
      throw new IllegalArgumentException("maxStreams must be at least 1");
    }
    if (receiveWindow < INITIAL_WINDOW) {
      throw new IllegalArgumentException("receiveWindow must be at least 256 KiB");
    }
    if (maxFrameData < 1024) {
      throw new IllegalArgumentException("maxFrameData must be at least 1024");
    }
  }

  public static YamuxConfig defaults() {
    return new YamuxConfig(1024, 256, INITIAL_WINDOW, 65535 - 16 - 12, 1024 * 1024, 64L << 20);
  }

  public YamuxConfig withReceiveWindow(int window) {
    return new YamuxConfig(maxStreams, maxUnackedInbound, window, maxFrameData, writeQueueMax, maxQueuedBytes);
  }

  public YamuxConfig withMaxQueuedBytes(long max) {
    return new YamuxConfig(maxStreams, maxUnackedInbound, receiveWindow, maxFrameData, writeQueueMax, max);
  }

  public YamuxConfig withMaxStreams(int max) {
    return new YamuxConfig(max, maxUnackedInbound, receiveWindow, maxFrameData, writeQueueMax, maxQueuedBytes);
  }
}
