package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Responder;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.protocol.ping.Ping;
import io.tinyp2p.protocol.ping.PingEvent;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /history} and {@code <prefix>.history} of a node talking to another (samples taken
 * by the test on the node's loop, so they are exactly the ones asked for), and the peer fields
 * of {@code /status} connections: agent, protocols, gossipsub score, last ping.
 */
class HistoryHttpTest {
  private static final String TOKEN = "history-test-token-0123456789";

  @Test
  void historyAndPeerFieldsOverHttpAndTheBus() {
    Vertx vertx = Vertx.vertx();
    JsonArray block = new JsonArray().add("block");
    P2pVerticle bootVerticle = new P2pVerticle();
    bootVerticle.historyInterval(Duration.ofMinutes(1)); // the test samples; the timer stays out of the way
    try (TestNode boot = TestNode.start(vertx, bootVerticle, new JsonObject().put("busPrefix", "hist-boot")
        .put("pubsubTopics", block).put("gossipsub", new JsonObject().put("heartbeatMs", 200)).put("pingInterval", 1)
        .put("http", new JsonObject().put("port", 0).put("authToken", TOKEN)))) {
      CompletableFuture<SwarmEvent.ConnectionOpened> connected = boot.expect(SwarmEvent.ConnectionOpened.class, e -> true);
      CompletableFuture<PingEvent.Succeeded> pinged = boot.expect(PingEvent.Succeeded.class, e -> true);
      HttpClient http = vertx.createHttpClient();
      P2pClient bootClient = new P2pClient(vertx, "hist-boot");
      try (TestNode node1 = TestNode.start(vertx, new JsonObject().put("busPrefix", "hist-node1")
          .put("pubsubTopics", block).put("gossipsub", new JsonObject().put("heartbeatMs", 200))
          .put("bootNode", boot.addr().toString()))) {
        TestNode.join(connected);
        P2pClient node1Client = new P2pClient(vertx, "hist-node1");
        node1Client.handleRequests(Responder::answer);
        sample(boot);

        // traffic between the two samples: a request answered, a broadcast received
        TestNode.await(bootClient.request(node1.peerId().toBase58(), Buffer.buffer("hello history")));
        CompletableFuture<String> received = new CompletableFuture<>();
        bootClient.onBroadcast("block", m -> received.complete(m.body().toString()));
        node1.awaitMesh("block", 1);
        TestNode.await(node1Client.broadcast("block", Buffer.buffer("a block")));
        assertEquals("a block", TestNode.join(received));
        sample(boot);

        int port = boot.verticle().httpPort();
        assertEquals(401, get(http, port, "/history", null).statusCode(), "/history is behind the token like /status");
        Reply ok = get(http, port, "/history", TOKEN);
        assertEquals(200, ok.statusCode());
        assertTrue(ok.contentType().startsWith("application/json"));
        JsonObject history = new JsonObject(ok.body());
        assertEquals(60_000, history.getLong("intervalMs"));
        assertEquals(900_000, history.getLong("windowMs"));
        JsonArray samples = history.getJsonArray("samples");
        assertEquals(2, samples.size(), history.encodePrettily());
        JsonObject first = samples.getJsonObject(0);
        JsonObject second = samples.getJsonObject(1);
        assertTrue(second.getLong("at") >= first.getLong("at"));
        assertEquals(1, first.getInteger("connections"));
        assertEquals(1, second.getInteger("connections"));
        assertTrue(second.getLong("bytesIn") > first.getLong("bytesIn"), history.encodePrettily());
        assertTrue(second.getLong("bytesOut") > first.getLong("bytesOut"), history.encodePrettily());
        assertTrue(second.getDouble("bytesInPerSec") > 0 && second.getDouble("bytesOutPerSec") > 0);
        assertEquals(1, second.getInteger("requests"));
        JsonObject latency = second.getJsonObject("latencyMs");
        assertTrue(latency.getDouble("p50") > 0 && latency.getDouble("p99") >= latency.getDouble("p50"), latency.encode());
        JsonObject topic = second.getJsonObject("topics").getJsonObject("block");
        assertTrue(topic.getLong("received") >= 1 && topic.getLong("delivered") == 1, topic.encode());
        assertTrue(topic.getDouble("deliveredPerSec") > 0, topic.encode());
        assertEquals(first.getJsonObject("topics").fieldNames(), second.getJsonObject("topics").fieldNames());

        // the page's files need no token; the page links its favicon
        Reply icon = get(http, port, "/favicon.svg", null);
        assertEquals(200, icon.statusCode());
        assertTrue(icon.contentType().startsWith("image/svg+xml"), icon.contentType());
        assertTrue(icon.body().contains("<svg"));
        assertTrue(get(http, port, "/", null).body().contains("<link rel=\"icon\" href=\"favicon.svg\""));

        // the bus answers the same
        JsonObject overBus = TestNode.await(bootClient.history());
        assertEquals(samples, overBus.getJsonArray("samples"));

        // /status: the connection entry keeps its fields and gains the peer's
        TestNode.join(pinged);
        JsonObject status = new JsonObject(get(http, port, "/status", TOKEN).body());
        JsonArray connections = status.getJsonArray("connections");
        assertEquals(1, connections.size());
        JsonObject c = connections.getJsonObject(0);
        assertEquals(node1.peerId().toBase58(), c.getString("peerId"));
        for (String key : new String[] {"remoteAddr", "direction", "openedAt", "streams"}) {
          assertTrue(c.containsKey(key), key + " in " + c.encode());
        }
        assertEquals(node1.verticle().swarm().config().agentVersion(), c.getString("agentVersion"));
        assertTrue(c.getJsonArray("protocols").contains(Ping.PROTOCOL_ID), c.encode());
        assertInstanceOf(Number.class, c.getValue("gossipScore"), c.encode());
        assertTrue(c.getDouble("pingMs") > 0, c.encode());
        assertEquals(1, onLoop(boot, () -> boot.verticle().connectedPeers().tracked()));
      }
      // node1 is gone: its round trip is dropped with it
      CompletableFuture<Integer> tracked = new CompletableFuture<>();
      boot.onLoop(s -> {
        s.on(SwarmEvent.ConnectionClosed.class, e -> tracked.complete(boot.verticle().connectedPeers().tracked()));
        if (s.connections().isEmpty()) {
          tracked.complete(boot.verticle().connectedPeers().tracked());
        }
        return Future.succeededFuture();
      });
      assertEquals(0, TestNode.join(tracked));
      JsonObject after = TestNode.await(bootClient.status());
      assertEquals(0, after.getJsonArray("connections").size());
      sample(boot);
      JsonArray samples = TestNode.await(bootClient.history()).getJsonArray("samples");
      JsonObject last = samples.getJsonObject(samples.size() - 1);
      assertEquals(0, last.getInteger("connections"));
      assertEquals(0, last.getInteger("requests"));
      assertNull(last.getValue("latencyMs"));
    } finally {
      TestNode.await(vertx.close());
    }
  }

  /** One sample, taken on the node's loop. */
  private static void sample(TestNode node) {
    onLoop(node, () -> {
      node.verticle().history().sample();
      return null;
    });
  }

  private static <T> T onLoop(TestNode node, java.util.function.Supplier<T> action) {
    return node.onLoop(s -> Future.succeededFuture(action.get()));
  }

  /** A response read whole. */
  private record Reply(int statusCode, String contentType, String body) {}

  private static Reply get(HttpClient http, int port, String path, String token) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(path);
    if (token != null) {
      options.putHeader("authorization", "Bearer " + token);
    }
    return TestNode.await(http.request(options).compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("content-type"), b.toString()))));
  }
}
