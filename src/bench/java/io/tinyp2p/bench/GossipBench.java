package io.tinyp2p.bench;

import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.gossipsub.GossipConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Gossipsub under an open-loop load: a network of nodes in one topic, and messages published
 * at their scheduled wall-clock times from random nodes without waiting for the nodes (an
 * overloaded network falls behind the schedule instead of slowing the load down), each
 * message's latency measured from its scheduled time to its last delivery. {@link #maxRate}
 * searches the highest offered rate the network sustains: every message delivered to every
 * other node, p99 within a second.
 */
final class GossipBench implements AutoCloseable {
  static final String TOPIC = "bench";
  /** What "sustained" allows at most for the p99 latency. */
  static final long SUSTAINED_P99_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Vertx vertx;
  private final List<BenchNode> nodes = new ArrayList<>();
  private final Random random = new Random(7);
  /** Message index to {deliveries, last delivery nanos}, for the trial under way. */
  private volatile ConcurrentHashMap<Integer, long[]> arrivals = new ConcurrentHashMap<>();
  private final AtomicInteger nextIndex = new AtomicInteger();

  private GossipBench(Vertx vertx) {
    this.vertx = vertx;
  }

  /** {@code count} nodes, each dialing {@code degree} others at random (seeded), all in one topic, meshes formed. */
  static GossipBench start(Vertx vertx, int count, int degree) throws InterruptedException {
    GossipBench b = new GossipBench(vertx);
    GossipConfig config = GossipConfig.defaults();
    for (int i = 0; i < count; i++) {
      b.nodes.add(BenchNode.deploy(vertx, config, (t, from, id, data) -> {
        int index = Buffer.buffer(data).getInt(0);
        long now = System.nanoTime();
        b.arrivals.compute(index, (k, v) -> v == null ? new long[] {1, now} : new long[] {v[0] + 1, Math.max(v[1], now)});
      }));
    }
    for (int i = 0; i < count; i++) {
      for (int k = 0; k < degree; k++) {
        int j = b.random.nextInt(count);
        if (j != i) {
          Multiaddr to = b.nodes.get(j).addr;
          b.nodes.get(i).onLoop(n -> n.swarm.dial(to));
        }
      }
    }
    for (BenchNode n : b.nodes) {
      n.onLoop(x -> {
        x.gossipsub.subscribe(TOPIC);
        return Future.succeededFuture();
      });
    }
    // The bench drives the load from its own thread, never a node's loop, paced by the wall
    // clock: sleeps here are the workload's schedule, not waits for events.
    long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < settle && b.nodes.stream().anyMatch(
        n -> n.<Integer>onLoop(x -> Future.succeededFuture(x.gossipsub.router().meshPeers(TOPIC).size())) < 2)) {
      Thread.sleep(100);
    }
    Thread.sleep(2000); // a few heartbeats more: meshes at their size
    return b;
  }

  /**
   * Offers {@code messages} messages of {@code size} bytes at {@code rate} a second, then
   * waits up to {@code drainSeconds} after the last one for their deliveries.
   */
  JsonObject run(int rate, int messages, int size, int drainSeconds) throws InterruptedException {
    ConcurrentHashMap<Integer, long[]> trial = new ConcurrentHashMap<>();
    arrivals = trial;
    int first = nextIndex.getAndAdd(messages);
    long[] due = new long[messages];
    long interval = 1_000_000_000L / rate;
    byte[] filler = new byte[size - 4];
    long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    long lastPublished = t0;
    for (int m = 0; m < messages; m++) {
      due[m] = t0 + m * interval;
      long wait = due[m] - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      BenchNode from = nodes.get(random.nextInt(nodes.size()));
      byte[] data = Buffer.buffer(size).appendInt(first + m).appendBytes(filler).getBytes();
      from.swarm.context().runOnContext(v -> from.gossipsub.publish(TOPIC, data));
      lastPublished = System.nanoTime();
    }
    double offeredSeconds = (lastPublished - t0) / 1e9;
    long expectedEach = nodes.size() - 1;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drainSeconds);
    while (System.nanoTime() < deadline && delivered(trial) < messages * expectedEach) {
      Thread.sleep(20);
    }
    long received = delivered(trial);
    long[] latencies = new long[messages];
    int complete = 0;
    for (int m = 0; m < messages; m++) {
      long[] v = trial.get(first + m);
      if (v != null && v[0] == expectedEach) {
        latencies[complete++] = v[1] - due[m];
      }
    }
    long[] done = Arrays.copyOf(latencies, complete);
    double ratio = (double) received / (messages * expectedEach);
    long p99 = Bench.percentile(done, 0.99);
    return new JsonObject().put("nodes", nodes.size()).put("messages", messages).put("size", size)
        .put("offeredPerSec", rate)
        .put("publishedPerSec", Math.round(messages / Math.max(offeredSeconds, 1e-9) * 10) / 10.0)
        .put("p50Ms", Bench.ms(Bench.percentile(done, 0.50))).put("p99Ms", Bench.ms(p99))
        .put("deliveryRatio", Bench.round3(ratio))
        .put("sustained", complete == messages && p99 <= SUSTAINED_P99_NANOS);
  }

  private static long delivered(ConcurrentHashMap<Integer, long[]> trial) {
    return trial.values().stream().mapToLong(v -> v[0]).sum();
  }

  /**
   * The highest offered rate (messages a second) the network sustains, searched by doubling
   * from {@code start} until a trial fails, then bisecting between the last rate that held and
   * the first that did not (at most 4 bisection steps). Each trial offers {@code seconds} of load.
   */
  JsonObject maxRate(int size, int start, double seconds) throws InterruptedException {
    return maxRate(size, start, seconds, 4);
  }

  /** The same with at most {@code bisections} bisection steps. */
  JsonObject maxRate(int size, int start, double seconds, int bisections) throws InterruptedException {
    JsonArray trials = new JsonArray();
    int good = 0;
    int bad = -1;
    int rate = start;
    while (bad < 0 && rate <= 100_000) {
      JsonObject r = trial(rate, size, seconds, trials);
      if (r.getBoolean("sustained")) {
        good = rate;
        rate *= 2;
      } else {
        bad = rate;
      }
    }
    for (int step = 0; step < bisections && bad > 0 && bad - good > Math.max(1, good / 16); step++) {
      int mid = good == 0 ? bad / 2 : (good + bad) / 2;
      if (trial(mid, size, seconds, trials).getBoolean("sustained")) {
        good = mid;
      } else {
        bad = mid;
      }
    }
    return new JsonObject().put("maxRatePerSec", good).put("firstFailedPerSec", bad).put("trials", trials);
  }

  private JsonObject trial(int rate, int size, double seconds, JsonArray trials) throws InterruptedException {
    JsonObject r = run(rate, Math.max(50, (int) (rate * seconds)), size, 5);
    trials.add(r);
    if (!r.getBoolean("sustained")) {
      Thread.sleep(3000); // an overloaded network drains its queues before the next trial
    }
    return r;
  }

  @Override
  public void close() {
    for (BenchNode n : nodes) {
      BenchNode.await(vertx.undeploy(n.deploymentID()));
    }
  }
}
