package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.interop.JsPeer;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The status page in a real headless Chromium (Debian's, driven by playwright-core): it shows
 * the node's PeerId and, once connected, the other node in its connections table; its
 * request form sends a request to that node and shows the response. The node samples its
 * history every 250 ms here: the page's charts draw lines of several points, the peers view
 * shows the other node's agent and ping, and no number on the page wraps.
 */
class StatusPageTest {

  @Test
  void pageShowsPeerIdAndConnectedPeer() throws Exception {
    checkPage(null);
  }

  /** With a token the page asks for it first (the API answers 401), then works the same. */
  @Test
  void pageAsksForTheTokenAndThenWorksTheSame() throws Exception {
    checkPage("page-test-token-0123456789");
  }

  private void checkPage(String token) throws Exception {
    JsPeer.ensureInstalled();
    assertTrue(Files.isExecutable(Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"))),
        "Debian's chromium is needed: apt-get install chromium (.ci/run does it)");
    Vertx vertx = Vertx.vertx();
    JsonArray block = new JsonArray().add("block");
    P2pVerticle bootVerticle = new P2pVerticle();
    bootVerticle.historyInterval(Duration.ofMillis(250));
    try (TestNode boot = TestNode.start(vertx, bootVerticle, new JsonObject().put("busPrefix", "page-boot")
        .put("pubsubTopics", block).put("gossipsub", new JsonObject().put("heartbeatMs", 200)).put("pingInterval", 1)
        .put("http", token == null ? new JsonObject().put("port", 0)
            : new JsonObject().put("port", 0).put("authToken", token)))) {
      var connected = boot.expect(SwarmEvent.ConnectionOpened.class, e -> true);
      try (TestNode node1 = TestNode.start(vertx, new JsonObject().put("busPrefix", "page-node1")
          .put("pubsubTopics", block).put("gossipsub", new JsonObject().put("heartbeatMs", 200))
          .put("bootNode", boot.addr().toString()))) {
        TestNode.join(connected);
        var node1Client = new io.tinyp2p.client.P2pClient(vertx, "page-node1");
        node1Client.handleRequests(io.tinyp2p.Responder::answer);
        // what the page publishes reaches node1
        java.util.concurrent.CompletableFuture<String> fromPage = new java.util.concurrent.CompletableFuture<>();
        node1Client.onBroadcast("block", m -> fromPage.complete(m.body().toString()));
        // node1 keeps publishing until the page shows one in its live event list
        long publisher = vertx.setPeriodic(300, t -> node1Client.broadcast("block", io.vertx.core.buffer.Buffer.buffer("hello page")));
        // and the boot node keeps asking node1, so that its latency chart has points
        var bootClient = new io.tinyp2p.client.P2pClient(vertx, "page-boot");
        long requester = vertx.setPeriodic(200, t -> bootClient.request(node1.peerId().toBase58(),
            io.vertx.core.buffer.Buffer.buffer("ping from the test")));
        String agent = node1.verticle().swarm().config().agentVersion();
        String url = "http://127.0.0.1:" + boot.verticle().httpPort() + "/";
        Path log = Path.of("target/browser-check.log").toAbsolutePath();
        Path shot = Path.of("target/status-page.png").toAbsolutePath();
        List<String> command = new java.util.ArrayList<>(List.of("node", "browser-check.mjs", url, boot.peerId().toBase58(),
            node1.peerId().toBase58(), "--timeout=20000", "--screenshot=" + shot, "--request=hello from the page",
            "--broadcast=hello mesh", "--expect-event=hello page", "--expect-charts=2", "--expect-agent=" + agent));
        if (token != null) {
          command.add("--token=" + token);
        }
        Process check = new ProcessBuilder(command)
            .directory(JsPeer.jsDir().toFile())
            .redirectError(log.toFile())
            .start();
        String out = new String(check.getInputStream().readAllBytes());
        assertTrue(check.waitFor(90, TimeUnit.SECONDS), "browser check did not end");
        vertx.cancelTimer(publisher);
        vertx.cancelTimer(requester);
        List<String> lines = out.lines().toList();
        assertEquals(0, check.exitValue(), "browser check failed: " + out + "\n" + Files.readString(log));
        JsonObject result = new JsonObject(lines.get(lines.size() - 1));
        assertTrue(result.getBoolean("ok"));
        assertEquals(1, result.getInteger("connections"));
        assertEquals("response: hello from the page", result.getString("response"));
        assertTrue(result.getString("broadcast").startsWith("published: "), result.encode());
        assertEquals("hello mesh", TestNode.join(fromPage));
        assertTrue(Files.size(shot) > 0);
        // the charts: a line of at least two points each
        JsonObject charts = result.getJsonObject("charts");
        assertEquals(java.util.Set.of("connections", "bandwidth", "messages", "latency"), charts.fieldNames(), result.encode());
        charts.forEach(e -> assertTrue(((Number) e.getValue()).intValue() > 1, e.getKey() + ": " + result.encode()));
        // the peers view: node1's agent (from identify) and the last ping, rounded to 0.1 ms
        JsonObject peer = result.getJsonObject("peer");
        assertEquals(agent, peer.getString("agent"), result.encode());
        assertTrue(peer.getString("ping").matches("\\d+\\.\\d (ms|s)"), result.encode());
        assertTrue(peer.getString("protocols").matches("\\d+ protocols?"), result.encode());
        // counters: every number of the page on one line, numbers of two digits and more among them
        JsonObject counters = result.getJsonObject("counters");
        assertTrue(counters.getInteger("checked") >= 30, result.encode());
        assertTrue(counters.getInteger("long") >= 5, result.encode());
        assertEquals(1, counters.getInteger("maxLines"), "a number wraps: " + result.encode());
      }
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
