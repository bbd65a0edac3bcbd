package io.tinyp2p.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} behind the HTTP API's guard (the token when one is set, as Prometheus sends
 * it), and the limits' refusals as counters by reason.
 */
class MetricsAccessTest {
  static final String TOKEN = "metrics-token-0123456789abcdef";

  @Test
  void theTokenGuardsMetricsAndRefusalsAreCountedByReason() {
    Vertx vertx = Vertx.vertx();
    try (TestNode guarded = TestNode.start(vertx, new JsonObject().put("busPrefix", "metrics-guarded")
            .put("limits", new JsonObject().put("maxConnections", 1))
            .put("http", new JsonObject().put("port", 0).put("authToken", TOKEN)));
         TestNode first = TestNode.start(vertx, new JsonObject().put("busPrefix", "metrics-first"));
         TestNode second = TestNode.start(vertx, new JsonObject().put("busPrefix", "metrics-second"))) {
      int port = guarded.verticle().httpPort();
      Scrape refused = Scrape.of(port);
      assertEquals(401, refused.status(), refused.text());
      assertEquals(401, Scrape.of(port, "not-the-token-at-all").status());

      var opened = guarded.expect(SwarmEvent.ConnectionOpened.class, e -> true);
      first.onLoop(s -> s.dial(guarded.addr()).map(c -> c));
      TestNode.join(opened);
      // one connection is all the guarded node takes: the second is refused (dial may still succeed first)
      second.onLoop(s -> s.dial(guarded.addr()).transform(ar -> Future.succeededFuture()));
      Scrape s = Scrape.of(port, TOKEN);
      assertEquals(200, s.status(), s.text());
      assertEquals(1, s.get("tinyp2p_limits_refused_total", "reason", "total"), s.lines("tinyp2p_limits"));
      assertEquals(0, s.get("tinyp2p_limits_refused_total", "reason", "per_ip"));
      assertEquals(1, s.get("tinyp2p_connections_open", "direction", "inbound", "transport", "tcp"));
      assertEquals(1, s.get("tinyp2p_connections_opened_total", "direction", "inbound", "transport", "tcp"));
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
