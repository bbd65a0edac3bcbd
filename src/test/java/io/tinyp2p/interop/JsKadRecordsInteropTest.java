package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.kad.Kademlia;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Records and provider records with js-libp2p's kad-dht, both ways. Around a js boot node and a
 * Java node that both know each other, what one side puts or provides is got or found by a
 * node of the other side that joins afterwards (so it walks the DHT instead of reading a store
 * that was written to directly).
 */
class JsKadRecordsInteropTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  /** The interop suite's RSA public key record under /pk/ (base36 of the key's multihash, and the key). */
  static final String RSA_PEER_BASE36 = "muft89xjpybos8eas1vaq2xrbsx2vkll7is4ocy7pia5fsjlt3c2";
  static final String RSA_VALUE_HEX = "080012a60230820122300d06092a864886f70d01010105000382010f003082010a0282010100c2"
      + "588f998971dac9e3eef76a311bf9159505aff69ea3b664c55a36aa28ee08de1127228a4d431bb9c0840240c75f6e98a0843a78d94549"
      + "1a3ea5e1f7cee2bc71383510db5290702383975b7bffae9fb40c84cc1220fb4a7db862fffb0de42f8fd8fb33a17deb20f30e2d0f1947"
      + "91fe69355a392f77df35f101e08a2fc95b2c018768938814fcb52482f899f5e90a1905e8abbcdbb1647ad80a5b0417e1ce8320d64197"
      + "a6ba3848926375c63adebabdf6eb82109bcadfee13b62bf922bbb6f74c1a26c9bc6122d1436787e0e6de3c152b1959701092abef8459"
      + "9f73eaedb2fcef9f87293e1bbe8e0fef3f1a7fd2e8b94c7e633f88473644a63cb948e4d25c54490203010001";

  Vertx vertx;
  final List<JsPeer> js = new ArrayList<>();
  final List<TestNode> java = new ArrayList<>();
  JsPeer jsBoot;
  TestNode javaNode;

  @BeforeAll
  static void install() {
    JsPeer.ensureInstalled();
  }

  /** A js boot node and a Java node, each in the other's routing table. */
  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    jsBoot = jsNode(null);
    javaNode = javaNode(jsBoot.addrs().get(0));
    TestNode.join(javaNode.whenTable(t -> t.contains(PeerId.parse(jsBoot.peerId()))));
    awaitInJsTable(jsBoot, javaNode);
  }

  @AfterEach
  void stop() {
    js.forEach(JsPeer::close);
    java.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }

  private TestNode javaNode(String bootAddr) {
    TestNode n = TestNode.start(vertx, new JsonObject().put("busPrefix", "jkr-" + java.size())
        .put("discoveryInterval", 2).put("bootNode", bootAddr));
    java.add(n);
    return n;
  }

  private JsPeer jsNode(String bootAddr) {
    JsPeer peer = JsPeer.start(new JsonObject().put("port", 0).put("kad", true));
    js.add(peer);
    if (bootAddr != null) {
      peer.call(new JsonObject().put("cmd", "bootstrap").put("addrs", new JsonArray().add(bootAddr)), WAIT);
    }
    return peer;
  }

  /** Waits (bounded) until the js node's routing table holds the Java node: js refreshes on a bootstrap round. */
  private static void awaitInJsTable(JsPeer peer, TestNode node) {
    String id = node.peerId().toBase58();
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonArray peers = new JsonArray();
    while (System.nanoTime() < deadline) {
      peers = peer.call(new JsonObject().put("cmd", "bootstrap").put("settleMs", 2000), WAIT).getJsonArray("peers");
      if (peers.contains(id)) {
        return;
      }
    }
    throw new AssertionError(peer.peerId() + " never had " + id + " in its routing table: " + peers);
  }

  static <T> T kad(TestNode n, Function<Kademlia, Future<T>> action) {
    return n.onLoop(s -> action.apply(n.verticle().node().kademlia()));
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static byte[] pkKey(byte[] multihash) {
    byte[] key = new byte[4 + multihash.length];
    System.arraycopy("/pk/".getBytes(StandardCharsets.US_ASCII), 0, key, 0, 4);
    System.arraycopy(multihash, 0, key, 4, multihash.length);
    return key;
  }

  /** Multibase base36 (lowercase) without its prefix; this key has no leading zero bytes. */
  static byte[] base36(String text) {
    byte[] n = new BigInteger(text, 36).toByteArray();
    return n[0] == 0 ? Arrays.copyOfRange(n, 1, n.length) : n;
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
    byte[] key = pkKey(base36(RSA_PEER_BASE36));
    byte[] value = HexFormat.of().parseHex(RSA_VALUE_HEX);
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
    KeyPair owner = KeyPair.generate();
    byte[] key = pkKey(owner.peerId().toBytes());
    byte[] value = owner.publicKey().marshal();
    int stored = kad(javaNode, k -> k.putValue(key, value));
    assertTrue(stored >= 1, "js stored it");
    // a js node that knows only the Java node asks it first: the answer is the Java node's
    JsPeer late = jsNode(javaNode.addr().toString());
    JsonObject got = late.call(new JsonObject().put("cmd", "getValue").put("key", b64(key)), WAIT);
    assertEquals(b64(value), got.getString("value"));
    assertEquals(javaNode.peerId().toBase58(), got.getString("from"), got.encode());
  }

  @Test
  void jsProvidesAndJavaFindsIt() {
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
