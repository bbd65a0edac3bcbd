package io.tinyp2p.node;

import java.util.Collection;
import java.util.function.LongConsumer;

/**
 * Where {@link NodeMetrics} puts the node's numbers: a metrics library behind a plain-Java
 * face, so that nothing outside {@code io.tinyp2p.metrics} (the Micrometer and Prometheus
 * implementation, loaded only when those libraries are on the classpath) names one of its
 * types.
 */
public interface MetricsExporter {

  /**
   * The node's counters and gauges now (called on the node's event loop). A sample not seen
   * before becomes a meter; a gauge missing from the samples is removed; a counter keeps its
   * last value.
   */
  void update(Collection<MetricSample> samples);

  /**
   * A histogram of durations: the consumer records one, in nanoseconds (from any thread).
   *
   * @param name the metric's name, dotted ({@code tinyp2p.kad.lookup.duration})
   */
  LongConsumer timer(String name, String help);

  /** Every meter of the registry in the Prometheus text format (any thread). */
  String scrape();

  /** Whether the registry is Vert.x's own (its metrics are in {@link #scrape()} too). */
  boolean sharesVertxRegistry();

  /** Removes this node's meters (and closes the registry if it is the exporter's own). */
  void close();
}
