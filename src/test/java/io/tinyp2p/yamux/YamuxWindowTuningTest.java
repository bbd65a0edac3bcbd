package io.tinyp2p.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Figures;
import io.vertx.core.buffer.Buffer;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

/**
 * Receive-window auto-tuning over a simulated link: a delay each way and a bandwidth, driven by
 * a simulated clock, so the figures are the protocol's and not this machine's. A window-bound
 * transfer grows its window toward the bandwidth-delay product; a reader that does not keep up
 * gets no growth; the session's budget bounds the growth of all its streams.
 */
class YamuxWindowTuningTest {
  static final long MS = 1_000_000L;

  /** A frame on the wire: when it arrives, and at which end. */
  record InFlight(long at, long seq, YamuxSession to, Buffer frame) {}

  /** Two sessions joined by a link of {@code oneWay} delay and {@code bytesPerSecond}, each way. */
  static final class Link {
    final long oneWay;
    final double nanosPerByte;
    long now;
    long seq;
    final PriorityQueue<InFlight> wire = new PriorityQueue<>((x, y) -> x.at != y.at ? Long.compare(x.at, y.at)
        : Long.compare(x.seq, y.seq));
    final long[] freeAt = new long[2]; // when each direction's sender has put its last byte on the wire
    final YamuxSession a;
    final YamuxSession b;
    final java.util.List<YamuxStream> accepted = new java.util.ArrayList<>();

    Link(long oneWay, long bytesPerSecond, YamuxConfig config) {
      this.oneWay = oneWay;
      this.nanosPerByte = 1e9 / bytesPerSecond;
      YamuxSession[] ends = new YamuxSession[2];
      a = new YamuxSession(true, config, f -> send(0, ends[1], f), listener());
      b = new YamuxSession(false, config, f -> send(1, ends[0], f), listener());
      ends[0] = a;
      ends[1] = b;
      a.clock(() -> now);
      b.clock(() -> now);
    }

    private YamuxSession.Listener listener() {
      return new YamuxSession.Listener() {
        @Override
        public void inboundStream(YamuxStream stream) {
          accepted.add(stream);
        }

        @Override
        public void closed(Throwable error) {
        }
      };
    }

    private void send(int direction, YamuxSession to, Buffer frame) {
      long start = Math.max(now, freeAt[direction]);
      freeAt[direction] = start + (long) (frame.length() * nanosPerByte);
      wire.add(new InFlight(freeAt[direction] + oneWay, seq++, to, frame.copy()));
    }

    /** Delivers what arrives up to {@code time}; the clock is then at {@code time}. */
    void runUntil(long time) {
      while (!wire.isEmpty() && wire.peek().at() <= time) {
        InFlight f = wire.poll();
        now = f.at;
        f.to.onData(f.frame);
      }
      now = time;
    }

    /** Delivers frames in arrival order, the clock following, until {@code done} or the wire is empty. */
    void run(java.util.function.BooleanSupplier done) {
      while (!done.getAsBoolean() && !wire.isEmpty()) {
        InFlight f = wire.poll();
        now = f.at;
        f.to.onData(f.frame);
      }
    }
  }

  /** Sends {@code total} bytes from a to b on one stream; returns the simulated seconds it took. */
  static double transfer(Link link, long total, YamuxStream[] receiving) throws Exception {
    YamuxStream out = link.a.openStream();
    long[] received = {0};
    long[] written = {0};
    Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
    Runnable[] fill = new Runnable[1];
    fill[0] = () -> {
      while (written[0] < total && !out.writeQueueFull()) {
        out.write(chunk);
        written[0] += chunk.length();
      }
      if (written[0] < total) {
        out.drainHandler(v -> fill[0].run());
      }
    };
    fill[0].run();
    link.run(() -> !link.accepted.isEmpty());
    YamuxStream in = link.accepted.get(0);
    receiving[0] = in;
    in.handler(data -> received[0] += data.length());
    long start = link.now;
    link.run(() -> received[0] >= total);
    assertEquals(total, received[0], "bytes received");
    return (link.now - start) / 1e9;
  }

  @Test
  void aWindowBoundTransferGrowsItsWindowTowardTheBandwidthDelayProduct() throws Exception {
    long bandwidth = 100_000_000; // 100 MB/s, 20 ms round trip: a BDP of 2 MB
    long total = 64L << 20;
    YamuxStream[] tunedStream = new YamuxStream[1];
    Link tuned = new Link(10 * MS, bandwidth, YamuxConfig.defaults());
    double tunedSeconds = transfer(tuned, total, tunedStream);
    YamuxStream[] fixedStream = new YamuxStream[1];
    Link fixed = new Link(10 * MS, bandwidth, YamuxConfig.defaults()
        .withWindowTuning(YamuxConfig.INITIAL_WINDOW, 0));
    double fixedSeconds = transfer(fixed, total, fixedStream);

    double tunedRate = total / tunedSeconds / bandwidth;
    double fixedRate = total / fixedSeconds / bandwidth;
    Figures.report(String.format("yamux window tuning: 64 MiB over 100 MB/s with a 20 ms round trip: "
            + "tuned %.2f s (%.0f %% of the link, window grew to %d KiB, rtt %.1f ms), fixed 256 KiB window %.2f s (%.0f %%)",
        tunedSeconds, 100 * tunedRate, tunedStream[0].receiveWindow() >> 10, tuned.b.rttNanos() / 1e6,
        fixedSeconds, 100 * fixedRate));
    assertEquals(YamuxConfig.INITIAL_WINDOW, fixedStream[0].receiveWindow(), "tuning off: the window stays");
    assertTrue(fixedRate < 0.2, "a 256 KiB window fills about an eighth of a 2 MB BDP: " + fixedRate);
    assertTrue(tunedStream[0].receiveWindow() >= 2_000_000, "tuned window " + tunedStream[0].receiveWindow());
    assertTrue(tunedStream[0].receiveWindow() <= YamuxConfig.MAX_TUNED_WINDOW);
    assertTrue(tunedRate > 0.7, "tuned transfer used " + tunedRate + " of the link");
    assertTrue(tuned.b.rttNanos() >= 20 * MS, "rtt " + tuned.b.rttNanos());
  }

  @Test
  void aReaderThatDoesNotKeepUpGetsNoGrowth() throws Exception {
    Link link = new Link(10 * MS, 100_000_000, YamuxConfig.defaults());
    YamuxStream out = link.a.openStream();
    Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
    for (int i = 0; i < 64; i++) { // 4 MiB queued at the sender
      out.write(chunk);
    }
    link.run(() -> !link.accepted.isEmpty());
    YamuxStream in = link.accepted.get(0);
    long[] received = {0};
    // the reader takes one chunk per simulated 50 ms: the window is never what limits it
    in.pause();
    in.handler(data -> received[0] += data.length());
    for (int i = 0; i < 10_000 && received[0] < 4L << 20; i++) {
      link.runUntil(link.now + 50 * MS);
      in.fetch(1);
    }
    assertEquals(4L << 20, received[0]);
    assertEquals(YamuxConfig.INITIAL_WINDOW, in.receiveWindow(), "a slow reader's window");
    assertEquals(0, link.b.windowGrowth());
  }

  @Test
  void theSessionBudgetBoundsTheGrowthOfAllStreams() throws Exception {
    long budget = 1L << 20;
    Link link = new Link(10 * MS, 100_000_000, YamuxConfig.defaults().withWindowTuning(16 << 20, budget));
    YamuxStream[] first = new YamuxStream[1];
    transfer(link, 32L << 20, first);
    assertEquals(budget, link.b.windowGrowth(), "growth handed out");
    assertEquals(YamuxConfig.INITIAL_WINDOW + budget, first[0].receiveWindow());
    first[0].reset();
    link.run(() -> false);
    assertEquals(0, link.b.windowGrowth(), "a closed stream returns its growth to the budget");
  }

  @Test
  void aBudgetSharedBySessionsBoundsThemTogether() throws Exception {
    java.util.concurrent.atomic.AtomicLong shared = new java.util.concurrent.atomic.AtomicLong(768 << 10);
    Link first = new Link(10 * MS, 100_000_000, YamuxConfig.defaults());
    Link second = new Link(10 * MS, 100_000_000, YamuxConfig.defaults());
    first.b.sharedWindowBudget(shared);
    second.b.sharedWindowBudget(shared);
    YamuxStream[] one = new YamuxStream[1];
    YamuxStream[] two = new YamuxStream[1];
    transfer(first, 16L << 20, one);
    transfer(second, 16L << 20, two);
    assertEquals(768 << 10, first.b.windowGrowth() + second.b.windowGrowth(), "growth of both sessions");
    assertEquals(0, shared.get());
    one[0].reset();
    first.run(() -> false);
    assertEquals(first.b.windowGrowth(), 0);
    assertEquals(768 << 10, shared.get() + second.b.windowGrowth(), "what the closed stream had is back");
  }
}
