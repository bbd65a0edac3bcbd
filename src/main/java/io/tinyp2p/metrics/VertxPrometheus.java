package io.tinyp2p.metrics;

import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

/** Vert.x's Micrometer metrics with the Prometheus backend, for the runnable node. */
public final class VertxPrometheus {
  private VertxPrometheus() {}

  /**
   * Turns on Vert.x's Micrometer metrics with its Prometheus registry and the JVM's metrics,
   * unless the options already enable metrics of their own (a launcher {@code -options} file).
   * A node on that Vert.x then registers its meters there: {@code GET /metrics} shows both.
   */
  public static void enable(VertxOptions options) {
    if (options.getMetricsOptions() != null && options.getMetricsOptions().isEnabled()) {
      return;
    }
    options.setMetricsOptions(new MicrometerMetricsOptions()
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .setJvmMetricsEnabled(true)
        .setEnabled(true));
  }
}
