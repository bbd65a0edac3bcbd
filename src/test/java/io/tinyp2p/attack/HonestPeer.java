package io.tinyp2p.attack;

import io.tinyp2p.TestNode;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The honest peer: an in-JVM node connected to the node under attack that pings it every
 * 50 ms on a wall-clock schedule (a slow answer does not delay the next ping) and records
 * each round trip, from the tick to the answer, under the phase current at the tick. A ping
 * not answered within {@link #PING_TIMEOUT} is a failure.
 *
 * <p>Its Kademlia is stopped: it runs no lookups of its own, so it never dials addresses a
 * hostile peer planted in the node (see {@link #start}).
 */
final class HonestPeer implements AutoCloseable {
  static final Duration PING_INTERVAL = Duration.ofMillis(50);
  static final Duration PING_TIMEOUT = Duration.ofSeconds(2);
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  /**
   * One scheduled ping: its phase, when it started and ended (System.nanoTime()), and the round
   * trip in ms once it ended (NaN: it failed).
   */
  private record Sample(String phase, long start, CompletableFuture<Long> end, CompletableFuture<Double> millis) {}

  /** The test's own probes (a full GC of the node): [start, end] in System.nanoTime(). */
  private final ConcurrentLinkedQueue<long[]> probes = new ConcurrentLinkedQueue<>();

  /** Ping figures of one phase. */
  record Stats(int count, int failures, double p50, double p99, double max, double maxAt) {
    /** {@code maxAt}: when the slowest ping started, in seconds into its phase. */
    static Stats of(List<Double> millis, int failures, double maxAt) {
      int n = millis.size() + failures;
      double[] all = new double[n];
      for (int i = 0; i < millis.size(); i++) {
        all[i] = millis.get(i);
      }
      Arrays.fill(all, millis.size(), n, Double.POSITIVE_INFINITY); // a failure is slower than any answer
      Arrays.sort(all);
      return new Stats(n, failures, pct(all, 0.50), pct(all, 0.99), n == 0 ? Double.NaN : all[n - 1], maxAt);
    }

    private static double pct(double[] sorted, double q) {
      return sorted.length == 0 ? Double.NaN : sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    @Override
    public String toString() {
      String at = Double.isNaN(maxAt) ? "" : String.format(" at +%.1f s", maxAt);
      return String.format("p99 %s (p50 %s, max %s%s, %d/%d failed)", ms(p99), ms(p50), ms(max), at, failures, count);
    }

    static String ms(double v) {
      return Double.isInfinite(v) ? "∞" : String.format("%.1f ms", v);
    }
  }

  /** System.nanoTime() to epoch nanoseconds, for -Dattack.samples=true (every ping, to match with a JFR recording). */
  static final long OFFSET = System.currentTimeMillis() * 1_000_000 - System.nanoTime();
  private final TestNode node;
  private final Multiaddr target;
  private final Supplier<String> phase;
  private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "honest-pinger");
    t.setDaemon(true);
    return t;
  });

  private HonestPeer(TestNode node, Multiaddr target, Supplier<String> phase) {
    this.node = node;
    this.target = target;
    this.phase = phase;
  }

  /** Deploys an honest node, connects it to {@code target} and starts pinging. */
  static HonestPeer start(Vertx vertx, Multiaddr target, Supplier<String> phase) {
    TestNode node = peer(vertx);
    TestNode.join(ping(node, target));
    HonestPeer honest = new HonestPeer(node, target, phase);
    honest.ticker.scheduleAtFixedRate(honest::tick, 0, PING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    return honest;
  }

  /** An in-JVM node with a fresh identity whose Kademlia runs no lookups. */
  static TestNode peer(Vertx vertx) {
    TestNode node = TestNode.start(vertx, new JsonObject().put("busPrefix", "honest-" + PREFIXES.incrementAndGet()));
    node.onLoop(s -> {
      node.verticle().node().kademlia().stop();
      return Future.succeededFuture();
    });
    return node;
  }

  /** Dials {@code target} (or reuses the connection) and pings it once. */
  static CompletableFuture<Duration> ping(TestNode from, Multiaddr target) {
    CompletableFuture<Duration> result = new CompletableFuture<>();
    from.verticle().swarm().context().runOnContext(v -> from.verticle().swarm().dial(target)
        .compose(c -> from.verticle().node().ping().ping(c))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            result.complete(ar.result());
          } else {
            result.completeExceptionally(ar.cause());
          }
        }));
    return result.orTimeout(PING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void tick() {
    long start = System.nanoTime();
    CompletableFuture<Long> end = new CompletableFuture<>();
    samples.add(new Sample(phase.get(), start, end, ping(node, target).handle((rtt, e) -> {
      long now = System.nanoTime();
      end.complete(now);
      return e != null ? Double.NaN : (now - start) / 1e6;
    })));
  }

  /**
   * Runs one of the test's own probes; pings that were under way while it ran are left out of
   * every phase (a full GC the test asked for stalls the node, and that is nobody's attack).
   */
  <T> T probe(java.util.function.Supplier<T> probe) {
    long start = System.nanoTime();
    try {
      return probe.get();
    } finally {
      probes.add(new long[] {start, System.nanoTime()});
    }
  }

  private boolean overlapsProbe(Sample s) {
    long end = s.end().join();
    for (long[] p : probes) {
      if (s.start() <= p[1] && end >= p[0]) {
        return true;
      }
    }
    return false;
  }

  /** The figures of one phase; waits for its pings still in flight (each ends by its timeout). */
  Stats stats(String phaseName) {
    List<Double> ok = new ArrayList<>();
    int failures = 0;
    long first = Long.MAX_VALUE;
    long slowestStart = 0;
    double slowest = -1;
    for (Sample s : samples) {
      if (s.phase().equals(phaseName)) {
        first = Math.min(first, s.start());
        double ms = s.millis().join();
        if (overlapsProbe(s)) {
          continue;
        }
        if (Boolean.getBoolean("attack.samples")) {
          System.out.printf("DEBUGSAMPLE %s %d %.1f%n", phaseName, s.start() + OFFSET, ms);
        }
        double rank = Double.isNaN(ms) ? Double.POSITIVE_INFINITY : ms;
        if (rank > slowest) {
          slowest = rank;
          slowestStart = s.start();
        }
        if (Double.isNaN(ms)) {
          failures++;
        } else {
          ok.add(ms);
        }
      }
    }
    return Stats.of(ok, failures, slowest < 0 ? Double.NaN : (slowestStart - first) / 1e9);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    node.close();
  }
}
