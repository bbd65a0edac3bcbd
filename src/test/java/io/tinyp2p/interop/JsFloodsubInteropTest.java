package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.protocol.gossipsub.Gossipsub;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * js-libp2p's @libp2p/floodsub against a default Java node (its gossipsub router speaks
 * floodsub with the js peer) and against a floodsub-only Java node: each side sees the other
 * as a subscriber of the topic, and messages go both ways.
 */
class JsFloodsubInteropTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String TOPIC = "block";
  /** One Vert.x for the class; each test has its own js peer and Java node. */
  static Vertx vertx;
  JsPeer js;
  TestNode java;

  @BeforeAll
  static void setUp() {
    JsPeer.ensureInstalled();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void tearDown() {
    TestNode.await(vertx.close());
  }

  /** A js floodsub peer subscribed to the topic, and a Java node subscribed with these gossipsub settings. */
  private void startBoth(String prefix, JsonObject gossipsub) {
    js = JsPeer.start(new JsonObject().put("port", 0).put("floodsub", true));
    js.call(new JsonObject().put("cmd", "subscribe").put("topic", TOPIC), WAIT);
    java = TestNode.start(vertx, new JsonObject().put("busPrefix", prefix)
        .put("pubsubTopics", new JsonArray().add(TOPIC)).put("gossipsub", gossipsub));
  }

  @AfterEach
  void stopBoth() {
    js.close();
    java.close();
  }

  @Test
  void jsFloodsubAndTheDefaultJavaRouter() throws Exception {
    startBoth("jfd", new JsonObject().put("heartbeatMs", 300));
    // Java dials
    java.onLoop(s -> s.dial(io.tinyp2p.multiaddr.Multiaddr.parse(js.addrs().get(0))));
    exchange("jfd");
    assertTrue(java.<Boolean>onLoop(s -> Future.succeededFuture(java.verticle().node().gossipsub().router()
        .isFloodsubPeer(io.tinyp2p.crypto.PeerId.parse(js.peerId())))), "the js peer is a floodsub peer");
  }

  @Test
  void jsFloodsubAndAFloodsubOnlyJavaNode() throws Exception {
    startBoth("jff", new JsonObject().put("heartbeatMs", 300).put("router", "floodsub"));
    // js dials; the Java node advertises floodsub alone
    JsonObject dial = js.call(new JsonObject().put("cmd", "dial").put("addr", java.addr().toString()), WAIT);
    assertEquals(java.peerId().toBase58(), dial.getString("peerId"));
    JsonObject identify = js.awaitEvent(JsPeer.event("identify", java.peerId().toBase58()), WAIT);
    JsonArray protocols = identify.getJsonArray("protocols");
    assertTrue(protocols.contains(Gossipsub.FLOODSUB), protocols.encode());
    assertTrue(!protocols.contains(Gossipsub.MESHSUB_1_1) && !protocols.contains(Gossipsub.MESHSUB_1_0), protocols.encode());
    exchange("jff");
  }

  /** Both see the other subscribed, then one message each way. */
  private void exchange(String prefix) throws Exception {
    String javaId = java.peerId().toBase58();
    io.tinyp2p.crypto.PeerId jsId = io.tinyp2p.crypto.PeerId.parse(js.peerId());
    js.awaitEvent(0, e -> "pubsub:subscription-change".equals(e.getString("event")) && javaId.equals(e.getString("peerId"))
        && e.getJsonArray("subscriptions").stream().anyMatch(s -> TOPIC.equals(((JsonObject) s).getString("topic"))
            && ((JsonObject) s).getBoolean("subscribe")), WAIT);
    JsonObject peers = js.call(new JsonObject().put("cmd", "pubsubPeers").put("topic", TOPIC), WAIT);
    assertTrue(peers.getJsonArray("subscribers").contains(javaId), peers.encode());
    java.awaitRouter(r -> r.topicPeers(TOPIC).contains(jsId));

    CompletableFuture<String> atJava = new CompletableFuture<>();
    new P2pClient(vertx, prefix).onBroadcast(TOPIC, m -> {
      if (m.body().toString().equals("from js")) {
        atJava.complete(m.headers().get("from"));
      }
    });
    JsonObject sent = js.call(new JsonObject().put("cmd", "publish").put("topic", TOPIC).put("text", "from js"), WAIT);
    assertEquals(new JsonArray().add(javaId), sent.getJsonArray("recipients"));
    assertEquals(js.peerId(), atJava.get(30, TimeUnit.SECONDS));

    int mark = js.events().size();
    JsonObject reply = TestNode.await(new P2pClient(vertx, prefix).broadcast(TOPIC, Buffer.buffer("from java")));
    assertEquals(1, reply.getInteger("peers"));
    JsonObject got = js.awaitEvent(mark, e -> "pubsub:message".equals(e.getString("event"))
        && "from java".equals(JsGossipInteropTest.text(e)), WAIT);
    assertEquals(javaId, got.getString("from"));
    assertEquals(TOPIC, got.getString("topic"));
  }
}
