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
 * @param maxReceiveWindow how far a stream's receive window may grow: a stream whose reader
 *     keeps up and whose half window arrives within two round trips is limited by the window,
 *     not the reader, and has it doubled (receive-window auto-tuning, toward the path's
 *     bandwidth-delay product); {@code receiveWindow} turns the tuning off
 * @param windowBudget bytes all streams of a session may have grown their windows by, together:
 *     what a peer can make the session buffer beyond {@code receiveWindow} per stream
 */
public record YamuxConfig(int maxStreams, int maxUnackedInbound, int receiveWindow,
    int maxFrameData, int writeQueueMax, long maxQueuedBytes, int maxReceiveWindow, long windowBudget) {

  /** Default cap of an auto-tuned stream window: a 16 MiB window fills 1.3 Gbit/s at 100 ms. */
  public static final int MAX_TUNED_WINDOW = 16 << 20;
  /** Default budget of the windows' growth in one session. */
  public static final long WINDOW_BUDGET = 32L << 20;

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
    if (maxReceiveWindow < receiveWindow) {
      throw new IllegalArgumentException("maxReceiveWindow must be at least receiveWindow");
    }
    if (windowBudget < 0) {
      throw new IllegalArgumentException("windowBudget must not be negative");
    }
  }

  public static YamuxConfig defaults() {
    return new YamuxConfig(1024, 256, INITIAL_WINDOW, 65535 - 16 - 12, 1024 * 1024, 64L << 20,
        MAX_TUNED_WINDOW, WINDOW_BUDGET);
  }

  /** The initial receive window; the tuning's cap is raised to it if below. */
  public YamuxConfig withReceiveWindow(int window) {
    return new YamuxConfig(maxStreams, maxUnackedInbound, window, maxFrameData, writeQueueMax, maxQueuedBytes,
        Math.max(window, maxReceiveWindow), windowBudget);
  }

  public YamuxConfig withMaxQueuedBytes(long max) {
    return new YamuxConfig(maxStreams, maxUnackedInbound, receiveWindow, maxFrameData, writeQueueMax, max,
        maxReceiveWindow, windowBudget);
  }

  public YamuxConfig withMaxStreams(int max) {
    return new YamuxConfig(max, maxUnackedInbound, receiveWindow, maxFrameData, writeQueueMax, maxQueuedBytes,
        maxReceiveWindow, windowBudget);
  }

  /** Window auto-tuning up to {@code max} per stream within {@code budget} per session; {@code max =
   * receiveWindow} turns it off. */
  public YamuxConfig withWindowTuning(int max, long budget) {
    return new YamuxConfig(maxStreams, maxUnackedInbound, receiveWindow, maxFrameData, writeQueueMax, maxQueuedBytes,
        max, budget);
  }
}
