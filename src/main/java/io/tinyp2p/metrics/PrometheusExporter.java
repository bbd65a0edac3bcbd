package io.tinyp2p.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tinyp2p.node.MetricSample;
import io.tinyp2p.node.MetricsExporter;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's meters in a Micrometer {@link PrometheusMeterRegistry}: Vert.x's own when the
 * Vert.x instance runs vertx-micrometer-metrics with its Prometheus backend (so a scrape shows
 * Vert.x's metrics beside the node's), else one of the node's own. A registry holds one node's
 * meters: a second node in the same registry gets a registry of its own (their meters would
 * have the same names and labels).
 *
 * <p>Counters and gauges read the value of the node's last {@link MetricSample} from a
 * volatile cell, so a scrape from any thread never touches the node's state; timers are
 * Micrometer's, recorded from the node's loop.
 */
public final class PrometheusExporter implements MetricsExporter {
  private static final Logger LOG = LoggerFactory.getLogger(PrometheusExporter.class);
  /** Registries with a node's meters in them: one node each. */
  /**
   * Vert.x registries a node exports to: shared by the nodes of one JVM, which may start and stop
   * on different event loops at once, so a set that takes concurrent adds (registries compare by
   * identity) rather than a lock.
   */
  private static final Set<MeterRegistry> CLAIMED = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Bucket bounds of the duration histograms: 1 ms to 1 min. */
  private static final Duration[] BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
      Duration.ofSeconds(30), Duration.ofSeconds(60)};

  private final PrometheusMeterRegistry registry;
  private final boolean shared;
  /** The last value of each sample, by key; the meters read them (touched on the node's loop only). */
  private final Map<String, Cell> cells = new HashMap<>();
  private final List<Meter> meters = new ArrayList<>();

  /** A sample's last value and the meter that reads it. */
  private static final class Cell {
    volatile double value;
    Meter meter;
  }

  private PrometheusExporter(PrometheusMeterRegistry registry, boolean shared) {
    this.registry = registry;
    this.shared = shared;
  }

  /**
   * The exporter of a node on {@code vertx}: in Vert.x's Prometheus registry when Vert.x has
   * one (vertx-micrometer-metrics with Prometheus enabled, the default registry name) that no
   * other node uses yet, else in a registry of its own.
   */
  public static MetricsExporter create(Vertx vertx) {
    PrometheusMeterRegistry vertxRegistry = vertx.isMetricsEnabled() ? vertxRegistry() : null;
    if (vertxRegistry != null) {
      if (CLAIMED.add(vertxRegistry)) {
        return new PrometheusExporter(vertxRegistry, true);
      }
      LOG.info("metrics: another node exports to Vert.x's Prometheus registry; this one uses a registry of its own");
    }
    return new PrometheusExporter(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), false);
  }

  /** Vert.x's default Micrometer registry, if it is (or holds) a Prometheus one. */
  private static PrometheusMeterRegistry vertxRegistry() {
    if (!io.tinyp2p.node.NodeMetrics.vertxBackendAvailable()) {
      return null; // Micrometer without vertx-micrometer-metrics
    }
    MeterRegistry registry = io.vertx.micrometer.backends.BackendRegistries.getDefaultNow();
    if (registry instanceof PrometheusMeterRegistry prometheus) {
      return prometheus;
    }
    if (registry instanceof CompositeMeterRegistry composite) {
      for (MeterRegistry r : composite.getRegistries()) {
        if (r instanceof PrometheusMeterRegistry prometheus) {
          return prometheus;
        }
      }
    }
    return null;
  }

  @Override
  public boolean sharesVertxRegistry() {
    return shared;
  }

  @Override
  public void update(Collection<MetricSample> samples) {
    Set<String> seen = new HashSet<>();
    for (MetricSample s : samples) {
      String key = s.key();
      seen.add(key);
      Cell cell = cells.get(key);
      if (cell == null) {
        cell = new Cell();
        cell.value = s.value();
        cell.meter = register(s, cell);
        cells.put(key, cell);
        meters.add(cell.meter);
      } else {
        cell.value = s.value();
      }
    }
    // a gauge whose labels are gone (a topic we left) goes too; counters keep their last value
    cells.entrySet().removeIf(e -> {
      if (seen.contains(e.getKey()) || !(e.getValue().meter instanceof Gauge)) {
        return false;
      }
      registry.remove(e.getValue().meter);
      meters.remove(e.getValue().meter);
      return true;
    });
  }

  private Meter register(MetricSample s, Cell cell) {
    Tags tags = Tags.of(s.tags().toArray(String[]::new));
    return switch (s.kind()) {
      case COUNTER -> FunctionCounter.builder(s.name(), cell, c -> c.value)
          .description(s.help()).baseUnit(s.unit()).tags(tags).register(registry);
      case GAUGE -> Gauge.builder(s.name(), cell, c -> c.value)
          .description(s.help()).baseUnit(s.unit()).tags(tags).strongReference(true).register(registry);
    };
  }

  @Override
  public LongConsumer timer(String name, String help) {
    Timer timer = Timer.builder(name).description(help).serviceLevelObjectives(BUCKETS).register(registry);
    meters.add(timer);
    return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    if (!shared) {
      registry.close();
      return;
    }
    meters.forEach(registry::remove);
    CLAIMED.remove(registry);
  }
}
