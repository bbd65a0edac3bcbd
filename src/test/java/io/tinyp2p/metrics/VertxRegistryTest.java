package io.tinyp2p.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.tinyp2p.TestNode;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import org.junit.jupiter.api.Test;

/**
 * A Vert.x created with vertx-micrometer-metrics and its Prometheus backend: the first node on
 * it registers its meters in Vert.x's registry, so its {@code /metrics} shows Vert.x's metrics
 * beside the node's; a second node on the same Vert.x (same meter names) gets a registry of its
 * own; a node that stops, or whose deployment failed, takes its meters out of Vert.x's registry.
 */
class VertxRegistryTest {

  @Test
  void theFirstNodeSharesVertxsRegistryTheSecondHasItsOwn() throws Exception {
    Vertx vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)).setEnabled(true))).build();
    try {
      // a node whose deployment fails (its HTTP port is taken) leaves Vert.x's registry to the next
      try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        var failed = vertx.deployVerticle(new io.tinyp2p.node.P2pVerticle(), new io.vertx.core.DeploymentOptions()
            .setConfig(new JsonObject().put("busPrefix", "vertx-failed").put("addr", "/ip4/127.0.0.1/tcp/0")
                .put("http", new JsonObject().put("port", taken.getLocalPort()))));
        assertTrue(assertThrows(RuntimeException.class, () -> TestNode.await(failed)).getMessage().contains("HTTP API"));
      }
      JsonObject http = new JsonObject().put("http", new JsonObject().put("port", 0));
      TestNode first = TestNode.start(vertx, http.copy().put("busPrefix", "vertx-first"));
      var identified = first.expect(PeerIdentified.class, e -> true);
      TestNode second = TestNode.start(vertx, http.copy().put("busPrefix", "vertx-second")
          .put("bootNode", first.addr().toString()));
      TestNode.join(identified);

      Scrape.of(first.verticle().httpPort()); // an HTTP request for Vert.x's HTTP server metrics
      Scrape one = Scrape.of(first.verticle().httpPort());
      assertEquals(200, one.status(), one.text());
      assertTrue(one.text().contains("\nvertx_http_server_requests_total{"), one.text());
      assertEquals(1, one.get("tinyp2p_connections_open", "direction", "inbound", "transport", "tcp"));

      Scrape two = Scrape.of(second.verticle().httpPort());
      assertEquals(200, two.status(), two.text());
      assertFalse(two.text().contains("vertx_"), "the second node's registry is its own");
      assertEquals(1, two.get("tinyp2p_connections_open", "direction", "outbound", "transport", "tcp"));
      assertEquals(0, two.get("tinyp2p_connections_open", "direction", "inbound", "transport", "tcp"));

      MeterRegistry registry = BackendRegistries.getDefaultNow();
      assertFalse(registry.find("tinyp2p.connections.open").meters().isEmpty());
      first.close();
      assertTrue(registry.find("tinyp2p.connections.open").meters().isEmpty(), "the stopped node's meters are gone");
      assertTrue(registry.find("tinyp2p.reqresp.request.duration").meters().isEmpty());
      second.close();
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
