package io.tinyp2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Records and provider records between Java nodes on 127.0.0.1: a boot node and three more;
 * a node that joins later finds what the others put and provide by walking the network.
 */
class KadRecordsTest {
  static Vertx vertx;
  static final List<TestNode> nodes = new ArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    nodes.add(TestNode.start(vertx, config(0)));
    for (int i = 1; i < 4; i++) {
      nodes.add(TestNode.start(vertx, config(i).put("bootNode", nodes.get(0).addr().toString())));
    }
    for (TestNode n : nodes) {
      TestNode.join(n.whenTable(t -> t.size() >= nodes.size() - 1));
    }
  }

  @AfterAll
  static void stop() {
    nodes.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }

  static JsonObject config(int i) {
    return new JsonObject().put("busPrefix", "kr-" + i).put("discoveryInterval", 2)
        .put("kad", new JsonObject().put("allowedNamespaces", new JsonArray().add("app")));
  }

  /** A node that joins now: its stores are empty, it learns the network from the boot node. */
  static TestNode newcomer() {
    TestNode n = TestNode.start(vertx, config(nodes.size()).put("bootNode", nodes.get(0).addr().toString()));
    nodes.add(n);
    TestNode.join(n.whenTable(t -> t.size() >= 2));
    return n;
  }

  static <T> T kad(TestNode n, Function<Kademlia, Future<T>> action) {
    return n.onLoop(s -> action.apply(n.verticle().node().kademlia()));
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Failure failure(Runnable call) {
    Throwable e = assertThrows(Throwable.class, call::run);
    if (e instanceof java.util.concurrent.CompletionException ce) {
      e = ce.getCause();
    }
    assertTrue(e instanceof ReplyException, String.valueOf(e));
    return Failure.of(e);
  }

  @Test
  void aRecordPutOnOneNodeIsFoundByAnother() {
    byte[] key = PkRecords.rsaKey();
    int stored = kad(nodes.get(1), k -> k.putValue(key, PkRecords.RSA_VALUE));
    assertEquals(nodes.size() - 1, stored, "every other node stored it");
    TestNode late = newcomer();
    assertNull(kad(late, k -> Future.succeededFuture(k.recordStore().get(key))), "the newcomer holds nothing yet");
    assertArrayEquals(PkRecords.RSA_VALUE, kad(late, k -> k.getValue(key)));
    // through the event bus too
    P2pClient client = new P2pClient(vertx, "kr-" + (nodes.size() - 1));
    assertArrayEquals(PkRecords.RSA_VALUE, client.getValueBlocking(key));
  }

  @Test
  void aProviderIsFoundByANodeThatJoinsLater() {
    byte[] cid = new byte[34];
    cid[0] = 0x12;
    cid[1] = 32;
    new java.util.Random(7).nextBytes(cid);
    cid[0] = 0x12;
    cid[1] = 32;
    TestNode provider = nodes.get(2);
    int told = kad(provider, k -> k.provide(cid));
    assertTrue(told >= nodes.size() - 1, "ADD_PROVIDER went to " + told);
    TestNode late = newcomer();
    List<Kademlia.Provider> found = kad(late, k -> k.findProviders(cid, 1));
    assertEquals(1, found.size());
    assertEquals(provider.peerId(), found.get(0).peer());
    assertTrue(found.get(0).addrs().contains(provider.addr().withoutPeerId()), found.toString());
    // the provider lists itself
    List<Kademlia.Provider> own = kad(provider, k -> k.findProviders(cid, 5));
    assertEquals(provider.peerId(), own.get(0).peer());
    // over the bus
    JsonArray viaBus = new P2pClient(vertx, "kr-" + (nodes.size() - 1)).findProviders(cid, 1)
        .toCompletionStage().toCompletableFuture().join();
    assertEquals(provider.peerId().toBase58(), viaBus.getJsonObject(0).getString("peerId"));
  }

  @Test
  void invalidRecordsAreRefusedLocallyAndByPeers() {
    TestNode a = nodes.get(1);
    TestNode b = nodes.get(3);
    KeyPair other = KeyPair.generate();
    byte[] forgedKey = PkRecords.pkKey(a.peerId().toBytes());
    byte[] forgedValue = other.publicKey().marshal();
    DhtException e = assertThrows(DhtException.class, () -> kad(a, k -> k.putValue(forgedKey, forgedValue)));
    assertEquals(DhtException.Reason.INVALID, e.reason());
    assertThrows(DhtException.class, () -> kad(a, k -> k.putValue(utf8("/unknown/x"), utf8("v"))));
    // sent as is, past our own validation: the peer resets the stream and stores nothing
    PeerId target = b.peerId();
    assertThrows(RuntimeException.class, () -> kad(a, k -> k.ask(target, KadRpc.putValue(forgedKey, forgedValue))));
    assertNull(kad(b, k -> Future.succeededFuture(k.recordStore().get(forgedKey))));
    // the peer still answers afterwards
    assertEquals(DhtException.Reason.NOT_FOUND, assertThrows(DhtException.class,
        () -> kad(a, k -> k.getValue(forgedKey))).reason());
    // of an ADD_PROVIDER naming the sender and another peer, only the sender's entry is kept
    byte[] cid = utf8("some-content-key");
    var addrs = List.of(a.addr().withoutPeerId());
    var both = KadRpc.addProvider(cid, a.peerId(), addrs).toBuilder()
        .addProviderPeers(KadRpc.encodePeer(other.peerId(), addrs)).build();
    kad(a, k -> KadRpc.send(k.swarm(), target, both, k.config().requestTimeout()));
    List<Kademlia.Provider> providers = kad(nodes.get(2), k -> k.findProviders(cid, 5));
    assertEquals(List.of(a.peerId()), providers.stream().map(Kademlia.Provider::peer).toList());
    assertEquals(addrs, providers.get(0).addrs());
  }

  @Test
  void theBusAnswersBadInputAndMissingRecordsWithFailureCodes() {
    P2pClient client = new P2pClient(vertx, "kr-0");
    assertEquals(Failure.RECORD_NOT_FOUND, failure(() -> client.getValueBlocking(utf8("/app/nobody-put-this"))));
    assertEquals(Failure.BAD_REQUEST, failure(() -> client.putValueBlocking(utf8("/pk/forged"), utf8("x"))));
    for (Object body : new Object[] {"text", new JsonObject(), new JsonObject().put("key", 5),
        new JsonObject().put("key", "a").put("keyBase64", "YQ=="), new JsonObject().put("keyBase64", "%%%")}) {
      Failure f = failure(() -> vertx.eventBus().request(io.tinyp2p.client.Bus.dhtGet("kr-0"), body)
          .toCompletionStage().toCompletableFuture().join());
      assertEquals(Failure.BAD_REQUEST, f, String.valueOf(body));
    }
    Failure count = failure(() -> vertx.eventBus().request(io.tinyp2p.client.Bus.dhtProviders("kr-0"),
        new JsonObject().put("key", "a").put("count", 0)).toCompletionStage().toCompletableFuture().join());
    assertEquals(Failure.BAD_REQUEST, count);
    // a text key and value in an allowed namespace
    JsonObject put = (JsonObject) vertx.eventBus().request(io.tinyp2p.client.Bus.dhtPut("kr-0"),
        new JsonObject().put("key", "/app/greeting").put("value", "hello")).toCompletionStage().toCompletableFuture()
        .join().body();
    assertTrue(put.getInteger("peers") >= 1, put.encode());
    JsonObject got = (JsonObject) vertx.eventBus().request(io.tinyp2p.client.Bus.dhtGet("kr-2"),
        new JsonObject().put("key", "/app/greeting")).toCompletionStage().toCompletableFuture().join().body();
    assertEquals("hello", got.getString("value"));
  }
}
