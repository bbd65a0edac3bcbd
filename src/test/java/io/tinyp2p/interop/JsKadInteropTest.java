package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.kad.Kademlia;
import io.tinyp2p.protocol.kad.PkRecords;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kademlia with js-libp2p's kad-dht (server mode, /ipfs/kad/1.0.0): 5 js nodes and 3 Java
 * nodes around a js boot node, then around a Java boot node. Every Java table holds every js
 * node, every js table holds the Java nodes, and js finds a Java node by lookup.
 *
 * <p>Records and provider records, both ways: around a js boot node and a Java node that know
 * each other, what one side puts or provides is got or found by the other, and by a node of
 * the other side that joins afterwards (so it walks the DHT instead of reading a store that was
 * written to directly).
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
      awaitInJsTable(peer, javaIds);
    }

    // a js node that never dialed a Java node finds it by a network lookup
    JsPeer asker = js.get(js.size() - 1);
    String target = javaIds.get(javaIds.size() - 1);
    asker.call(new JsonObject().put("cmd", "hangup").put("peer", target), WAIT);
    JsonObject found = asker.call(new JsonObject().put("cmd", "findPeer").put("peer", target).put("useCache", false), WAIT);
    String addr = java.get(java.size() - 1).addr().withoutPeerId().toString();
    assertTrue(found.getJsonArray("addrs").stream().anyMatch(a -> a.toString().startsWith(addr)), found.encode());
  }

  // ---- records and provider records ----

  JsPeer jsBoot;
  TestNode javaNode;

  /** A js boot node and a Java node, each in the other's routing table. */
  private void jsAndJavaNode() {
    jsBoot = jsNode(null);
    javaNode = javaNode(jsBoot.addrs().get(0));
    TestNode.join(javaNode.whenTable(t -> t.contains(PeerId.parse(jsBoot.peerId()))));
    awaitInJsTable(jsBoot, List.of(javaNode.peerId().toBase58()));
  }

  /** Waits (bounded) until the js node's routing table holds these Java nodes: js refreshes on a bootstrap round. */
  private static void awaitInJsTable(JsPeer peer, List<String> ids) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonArray peers = new JsonArray();
    while (System.nanoTime() < deadline) {
      peers = peer.call(new JsonObject().put("cmd", "bootstrap").put("settleMs", 3000), WAIT).getJsonArray("peers");
      if (peers.getList().containsAll(ids)) {
        return;
      }
    }
    throw new AssertionError(peer.peerId() + " lacks Java nodes " + ids + " in its routing table: " + peers);
  }

  static <T> T kad(TestNode n, Function<Kademlia, Future<T>> action) {
    return n.onLoop(s -> action.apply(n.verticle().node().kademlia()));
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  /** A random sha2-256 multihash, the key of some content. */
  static byte[] randomMultihash() {
    byte[] mh = new byte[34];
    new java.security.SecureRandom().nextBytes(mh);
    mh[0] = 0x12;
    mh[1] = 32;
    return mh;
  }

  @Test
  void jsPutsTheRsaPublicKeyRecordAndJavaGetsIt() {
    jsAndJavaNode();
    byte[] key = PkRecords.rsaKey();
    byte[] value = PkRecords.RSA_VALUE;
    JsonObject put = jsBoot.call(new JsonObject().put("cmd", "putValue").put("key", b64(key)).put("value", b64(value)), WAIT);
    assertTrue(put.getJsonArray("peers").contains(javaNode.peerId().toBase58()), "the Java node stored it: " + put.encode());
    // the Java node it was sent to holds it; one that joins now finds it by a GET_VALUE walk
    assertArrayEquals(value, kad(javaNode, k -> k.getValue(key)));
    TestNode late = javaNode(jsBoot.addrs().get(0));
    TestNode.join(late.whenTable(t -> t.size() >= 1));
    assertArrayEquals(value, kad(late, k -> k.getValue(key)));
  }

  @Test
  void javaPutsARecordAndJsGetsIt() {
    jsAndJavaNode();
    KeyPair owner = KeyPair.generate();
    byte[] key = PkRecords.pkKey(owner.peerId().toBytes());
    byte[] value = owner.publicKey().marshal();
    int stored = kad(javaNode, k -> k.putValue(key, value));
    assertTrue(stored >= 1, "js stored it");
    // with the js node that stored it gone, the record a js node that joins through the Java node
    // gets can only be the Java node's answer (the walk may still name the gone node)
    jsBoot.close();
    JsPeer late = jsNode(javaNode.addr().toString());
    JsonObject got = late.call(new JsonObject().put("cmd", "getValue").put("key", b64(key)), WAIT);
    assertEquals(b64(value), got.getString("value"));
    assertEquals(javaNode.peerId().toBase58(), got.getString("from"), got.encode());
  }

  @Test
  void jsProvidesAndJavaFindsIt() {
    jsAndJavaNode();
    byte[] mh = randomMultihash();
    JsonObject provided = jsBoot.call(new JsonObject().put("cmd", "provide").put("multihash", b64(mh)), WAIT);
    assertTrue(provided.getJsonArray("peers").contains(javaNode.peerId().toBase58()), provided.encode());
    // the Java node that was told holds the provider record, one that joins now walks for it
    for (TestNode n : List.of(javaNode, lateJavaNode())) {
      List<Kademlia.Provider> found = kad(n, k -> k.findProviders(mh, 1));
      assertEquals(1, found.size(), found.toString());
      assertEquals(jsBoot.peerId(), found.get(0).peer().toBase58());
      assertFalse(found.get(0).addrs().isEmpty(), found.toString());
    }
  }

  private TestNode lateJavaNode() {
    TestNode late = javaNode(jsBoot.addrs().get(0));
    TestNode.join(late.whenTable(t -> t.size() >= 1));
    assertTrue(kad(late, k -> Future.succeededFuture(k.routingTable().size())) >= 1);
    return late;
  }

  @Test
  void javaProvidesAndJsFindsIt() {
    jsAndJavaNode();
    byte[] mh = randomMultihash();
    int told = kad(javaNode, k -> k.provide(mh));
    assertTrue(told >= 1, "ADD_PROVIDER went to " + told + " peers");
    String self = javaNode.peerId().toBase58();
    String addr = javaNode.addr().withoutPeerId().toString();
    // the js node that was told, then one that knows only the Java node
    for (JsPeer peer : List.of(jsBoot, jsNode(javaNode.addr().toString()))) {
      JsonObject found = peer.call(new JsonObject().put("cmd", "findProviders").put("multihash", b64(mh)), WAIT);
      JsonArray providers = found.getJsonArray("providers");
      assertEquals(1, providers.size(), found.encode());
      assertEquals(self, providers.getJsonObject(0).getString("peerId"));
      assertTrue(providers.getJsonObject(0).getJsonArray("addrs").stream().anyMatch(a -> a.toString().startsWith(addr)),
          found.encode());
    }
  }
}
