package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gossipsub with js-libp2p's @libp2p/gossipsub in a chain that alternates implementations:
 * js0 - java0 - js1 - java1 - js2. Every message crosses both implementations on its way.
 */
class JsGossipInteropTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static Vertx vertx;
  static final List<JsPeer> js = new ArrayList<>();
  static final List<TestNode> java = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    JsPeer.ensureInstalled();
    vertx = Vertx.vertx();
    for (int i = 0; i < 3; i++) {
      JsPeer p = JsPeer.start(new JsonObject().put("port", 0).put("gossipsub", true));
      p.call(new JsonObject().put("cmd", "subscribe").put("topic", "block"), WAIT);
      js.add(p);
    }
    for (int i = 0; i < 2; i++) {
      java.add(TestNode.start(vertx, new JsonObject().put("busPrefix", "jg" + i)
          .put("pubsubTopics", new JsonArray().add("block"))
          .put("gossipsub", new JsonObject().put("heartbeatMs", 300))));
    }
    // the chain: each Java node dials its two js neighbours
    for (int i = 0; i < 2; i++) {
      TestNode n = java.get(i);
      for (JsPeer p : List.of(js.get(i), js.get(i + 1))) {
        n.onLoop(s -> s.dial(io.tinyp2p.multiaddr.Multiaddr.parse(p.addrs().get(0))));
      }
    }
    // wait until each js node has a mesh with its Java neighbours, and each Java node with its js ones
    for (TestNode n : java) {
      n.awaitMesh("block", 2);
    }
  }

  @AfterAll
  static void stop() {
    js.forEach(JsPeer::close);
    java.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }

  @Test
  void jsPublishReachesEveryJavaSubscriberAndTheFarJsNode() throws Exception {
    List<CompletableFuture<String>> atJava = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      CompletableFuture<String> got = new CompletableFuture<>();
      atJava.add(got);
      new P2pClient(vertx, "jg" + i).onBroadcast("block", m -> {
        if (m.body().toString().equals("from js0")) {
          got.complete(m.headers().get("from"));
        }
      });
    }
    int mark = js.get(2).events().size();
    JsonObject sent = js.get(0).call(new JsonObject().put("cmd", "publish").put("topic", "block").put("text", "from js0"), WAIT);
    assertTrue(sent.getJsonArray("recipients").size() >= 1, sent.encode());
    for (CompletableFuture<String> got : atJava) {
      assertEquals(js.get(0).peerId(), got.get(30, TimeUnit.SECONDS));
    }
    // js2 is three hops away, behind two Java nodes
    JsonObject far = js.get(2).awaitEvent(mark, e -> "pubsub:message".equals(e.getString("event"))
        && "from js0".equals(text(e)), WAIT);
    assertEquals(js.get(0).peerId(), far.getString("from"));
  }

  @Test
  void javaPublishReachesEveryJsSubscriber() throws Exception {
    List<Integer> marks = js.stream().map(p -> p.events().size()).toList();
    JsonObject reply = TestNode.await(new P2pClient(vertx, "jg1").broadcast("block", Buffer.buffer("from java1")));
    assertTrue(reply.getInteger("peers") >= 1);
    for (int i = 0; i < js.size(); i++) {
      JsonObject got = js.get(i).awaitEvent(marks.get(i), e -> "pubsub:message".equals(e.getString("event"))
          && "from java1".equals(text(e)), WAIT);
      assertEquals(java.get(1).peerId().toBase58(), got.getString("from"));
    }
  }

  static String text(JsonObject event) {
    return new String(Base64.getDecoder().decode(event.getString("data", "")), StandardCharsets.UTF_8);
  }
}
