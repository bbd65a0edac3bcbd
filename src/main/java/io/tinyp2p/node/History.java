package io.tinyp2p.node;

import io.tinyp2p.protocol.gossipsub.TopicCounters;
import io.tinyp2p.protocol.reqresp.RequestResponse;
import io.tinyp2p.stream.Traffic;
import io.tinyp2p.swarm.Swarm;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the node did over the last {@link #WINDOW}, for the status page's charts
 * ({@code GET /history}, {@code <prefix>.history}): every {@link #INTERVAL} it reads its open
 * connections, the bytes its streams carried (the {@link Traffic} totals the swarm keeps, the
 * ones the metrics read), the messages of each topic it joined ({@link TopicCounters}) and the
 * latencies of the outbound requests answered since the last reading, and keeps one sample
 * in a bounded ring, with rates per second over the interval. Plain Java, on the node's event
 * loop, whether Micrometer is there or not.
 */
public final class History {
  /** How often the node takes a sample. */
  public static final Duration INTERVAL = Duration.ofSeconds(5);
  /** How far back the samples go. */
  public static final Duration WINDOW = Duration.ofMinutes(15);
  /** The most joined topics a sample counts (the first ones joined). */
  public static final int MAX_TOPICS = 32;
  /** The shortest interval (tests sample faster than {@link #INTERVAL}). */
  static final Duration MIN_INTERVAL = Duration.ofMillis(50);

  /** One topic's message totals since the node started. */
  record TopicTotals(long received, long delivered) {}

  /**
   * What the node counts at one moment: connections open now, totals since start, and the
   * latencies (nanoseconds) of the requests answered since the previous reading.
   */
  record Reading(int connections, long bytesIn, long bytesOut, Map<String, TopicTotals> topics, long[] latencies) {}

  /** One topic in a sample: totals, and per second over the interval. */
  record TopicSample(long received, long delivered, double receivedPerSec, double deliveredPerSec) {}

  /** One sample; {@code p50Ms} and {@code p99Ms} are null when no request was answered in the interval. */
  record Sample(long at, int connections, long bytesIn, long bytesOut, double bytesInPerSec, double bytesOutPerSec,
      Map<String, TopicSample> topics, int requests, Double p50Ms, Double p99Ms) {}

  private final LongSupplier clock;
  private final Supplier<Reading> source;
  private final long intervalMs;
  private final int capacity;
  private final ArrayDeque<Sample> samples;
  private Reading last;
  private long lastAt;
  private Vertx vertx;
  private long timer = -1;

  /**
   * A history that reads {@code source} when {@link #sample()} is called (a first reading now,
   * the base of the first rates), timed by {@code clock} (milliseconds).
   */
  History(LongSupplier clock, Supplier<Reading> source, Duration interval) {
    if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(WINDOW) > 0) {
      throw new IllegalArgumentException("the history interval must be " + MIN_INTERVAL.toMillis() + " ms to "
          + WINDOW.toMinutes() + " min, got " + interval.toMillis() + " ms");
    }
    this.clock = clock;
    this.source = source;
    this.intervalMs = interval.toMillis();
    this.capacity = (int) (WINDOW.toMillis() / intervalMs);
    this.samples = new ArrayDeque<>(capacity);
    this.last = source.get();
    this.lastAt = clock.getAsLong();
  }

  /** Starts sampling the node every {@code interval}: call it on the node's event loop. */
  static History start(Vertx vertx, Node node, Duration interval) {
    History history = new History(System::currentTimeMillis, source(node), interval);
    history.vertx = vertx;
    history.timer = vertx.setPeriodic(history.intervalMs, t -> history.sample());
    return history;
  }

  /** Stops sampling. */
  void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** Reads the node's counters, the ones its metrics read too; asks the swarm to count stream bytes from now on. */
  static Supplier<Reading> source(Node node) {
    Swarm swarm = node.swarm();
    swarm.traffic(); // streams count their bytes from now on (NodeMetrics asks too, with Micrometer)
    RequestResponse.Stats stats = node.requestResponse() == null ? null : node.requestResponse().stats();
    long[] answered = {stats == null ? 0 : stats.succeeded()};
    return () -> {
      long in = 0;
      long out = 0;
      for (Traffic t : swarm.traffic().values()) {
        Traffic.Totals totals = t.totals();
        in += totals.bytesReceived();
        out += totals.bytesSent();
      }
      Map<String, TopicTotals> topics = new LinkedHashMap<>();
      if (node.gossipsub() != null) {
        Map<String, TopicCounters> counters = node.gossipsub().router().topicCounters();
        for (String topic : node.gossipsub().router().topics()) {
          if (topics.size() == MAX_TOPICS) {
            break;
          }
          TopicCounters c = counters.get(topic);
          topics.put(topic, c == null ? new TopicTotals(0, 0) : new TopicTotals(c.received(), c.delivered()));
        }
      }
      long[] latencies = new long[0];
      if (stats != null) {
        latencies = stats.latenciesSince(answered[0]);
        answered[0] = stats.succeeded();
      }
      return new Reading(swarm.connections().size(), in, out, topics, latencies);
    };
  }

  /** Takes one sample: reads the source, computes the rates since the previous reading, drops what is too old. */
  void sample() {
    long now = clock.getAsLong();
    Reading r = source.get();
    double seconds = (now - lastAt) / 1000.0;
    Map<String, TopicSample> topics = new LinkedHashMap<>();
    r.topics().forEach((topic, t) -> {
      TopicTotals before = last.topics().getOrDefault(topic, t); // just joined: no rate before its first reading
      topics.put(topic, new TopicSample(t.received(), t.delivered(), rate(t.received(), before.received(), seconds),
          rate(t.delivered(), before.delivered(), seconds)));
    });
    long[] sorted = r.latencies().clone();
    Arrays.sort(sorted);
    Double p50 = sorted.length == 0 ? null : round3(RequestResponse.Stats.percentile(sorted, 0.50) / 1e6);
    Double p99 = sorted.length == 0 ? null : round3(RequestResponse.Stats.percentile(sorted, 0.99) / 1e6);
    samples.addLast(new Sample(now, r.connections(), r.bytesIn(), r.bytesOut(), rate(r.bytesIn(), last.bytesIn(), seconds),
        rate(r.bytesOut(), last.bytesOut(), seconds), topics, sorted.length, p50, p99));
    while (samples.size() > capacity || samples.peekFirst().at() < now - WINDOW.toMillis()) {
      samples.removeFirst();
    }
    last = r;
    lastAt = now;
  }

  /** Per second: a counter's growth over {@code seconds} (0 for no time, or a counter that went back). */
  private static double rate(long now, long before, double seconds) {
    return seconds <= 0 || now <= before ? 0 : round3((now - before) / seconds);
  }

  /** Rounded to three decimals (what the JSON shows of rates and milliseconds). */
  static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  /** The samples kept now, oldest first (at most {@link #WINDOW} / interval). */
  java.util.List<Sample> samples() {
    return java.util.List.copyOf(samples);
  }

  /**
   * {@code {"intervalMs", "windowMs", "samples": [{"at", "connections", "bytesIn", "bytesOut",
   * "bytesInPerSec", "bytesOutPerSec", "topics": {name: {"received", "delivered",
   * "receivedPerSec", "deliveredPerSec"}}, "requests", "latencyMs": {"p50", "p99"} or null}]}}.
   */
  public JsonObject toJson() {
    JsonArray out = new JsonArray();
    for (Sample s : samples) {
      JsonObject topics = new JsonObject();
      s.topics().forEach((topic, t) -> topics.put(topic, new JsonObject().put("received", t.received())
          .put("delivered", t.delivered()).put("receivedPerSec", t.receivedPerSec())
          .put("deliveredPerSec", t.deliveredPerSec())));
      out.add(new JsonObject().put("at", s.at()).put("connections", s.connections())
          .put("bytesIn", s.bytesIn()).put("bytesOut", s.bytesOut())
          .put("bytesInPerSec", s.bytesInPerSec()).put("bytesOutPerSec", s.bytesOutPerSec())
          .put("topics", topics).put("requests", s.requests())
          .put("latencyMs", s.p50Ms() == null ? null : new JsonObject().put("p50", s.p50Ms()).put("p99", s.p99Ms())));
    }
    return new JsonObject().put("intervalMs", intervalMs).put("windowMs", WINDOW.toMillis()).put("samples", out);
  }
}
