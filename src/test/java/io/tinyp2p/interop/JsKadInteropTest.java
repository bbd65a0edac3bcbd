package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.PeerId;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kademlia with js-libp2p's kad-dht (server mode, /ipfs/kad/1.0.0): 5 js nodes and 3 Java
 * nodes around a js boot node, then around a Java boot node. Every Java table holds every js
 * node, every js table holds the Java nodes, and js finds a Java node by lookup.
 */
class JsKadInteropTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final JsonObject JS_KAD = new JsonObject().put("port", 0).put("kad", true);

  Vertx vertx;
  final List<JsPeer> js = new ArrayList<>();
  final List<TestNode> java = new ArrayList<>();

  @BeforeAll
  static void install() {
    JsPeer.ensureInstalled();
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    js.forEach(JsPeer::close);
    java.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }

  private TestNode javaNode(String bootAddr) {
    JsonObject config = new JsonObject().put("busPrefix", "jk-" + java.size()).put("discoveryInterval", 2);
    if (bootAddr != null) {
      config.put("bootNode", bootAddr);
    }
    TestNode n = TestNode.start(vertx, config);
    java.add(n);
    return n;
  }

  private JsPeer jsNode(String bootAddr) {
    JsPeer peer = JsPeer.start(JS_KAD.copy());
    js.add(peer);
    if (bootAddr != null) {
      peer.call(new JsonObject().put("cmd", "bootstrap").put("addrs", new JsonArray().add(bootAddr)), WAIT);
    }
    return peer;
  }

  @Test
  void aroundAJsBootNode() throws Exception {
    JsPeer boot = jsNode(null);
    String bootAddr = boot.addrs().get(0);
    for (int i = 0; i < 5; i++) {
      jsNode(bootAddr);
    }
    for (int i = 0; i < 3; i++) {
      javaNode(bootAddr);
    }
    checkNetwork();
  }

  @Test
  void aroundAJavaBootNode() throws Exception {
    TestNode boot = javaNode(null);
    String bootAddr = boot.addr().toString();
    for (int i = 0; i < 5; i++) {
      jsNode(bootAddr);
    }
    for (int i = 0; i < 3; i++) {
      javaNode(bootAddr);
    }
    checkNetwork();
  }

  private void checkNetwork() throws Exception {
    List<PeerId> jsIds = js.stream().map(p -> PeerId.parse(p.peerId())).toList();
    List<String> javaIds = java.stream().map(n -> n.peerId().toBase58()).toList();

    // every Java routing table holds every js node
    List<CompletableFuture<Void>> tables = java.stream()
        .map(n -> n.whenTable(t -> jsIds.stream().allMatch(t::contains))).toList();
    try {
      CompletableFuture.allOf(tables.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("Java tables lack js nodes: " + java.stream()
          .map(n -> n.<Integer>onLoop(s -> io.vertx.core.Future.succeededFuture(
              n.verticle().node().kademlia().routingTable().size()))).toList());
    }

    // every js routing table holds the Java nodes: js refreshes on a bootstrap round
    for (JsPeer peer : js) {
      JsonObject table = null;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        table = peer.call(new JsonObject().put("cmd", "bootstrap").put("settleMs", 3000), WAIT);
        if (javaIds.stream().allMatch(table.getJsonArray("peers")::contains)) {
          break;
        }
      }
      JsonArray peers = table.getJsonArray("peers");
      assertTrue(javaIds.stream().allMatch(peers::contains), peer.peerId() + " lacks Java nodes: " + peers);
    }

    // a js node that never dialed a Java node finds it by a network lookup
    JsPeer asker = js.get(js.size() - 1);
    String target = javaIds.get(javaIds.size() - 1);
    asker.call(new JsonObject().put("cmd", "hangup").put("peer", target), WAIT);
    JsonObject found = asker.call(new JsonObject().put("cmd", "findPeer").put("peer", target).put("useCache", false), WAIT);
    String addr = java.get(java.size() - 1).addr().withoutPeerId().toString();
    assertTrue(found.getJsonArray("addrs").stream().anyMatch(a -> a.toString().startsWith(addr)), found.encode());
  }
}
