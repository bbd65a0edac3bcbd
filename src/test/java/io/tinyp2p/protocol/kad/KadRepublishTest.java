package io.tinyp2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tinyp2p.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a node puts and provides while it knows no peer is stored locally only, and the
 * republish timers (1 s here) take it to a peer that joins later, unasked.
 */
class KadRepublishTest {
  Vertx vertx;
  TestNode a;
  TestNode b;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    a = TestNode.start(vertx, new JsonObject().put("busPrefix", "krp-a")
        .put("kad", new JsonObject().put("recordRepublish", 1).put("providerRepublish", 1)));
  }

  @AfterEach
  void stop() {
    a.close();
    if (b != null) {
      b.close();
    }
    TestNode.await(vertx.close());
  }

  /**
   * Waits until {@code condition} holds on the node's loop: nothing tells another node that a
   * message arrived, so its loop checks every 100 ms (bounded by {@link TestNode#TIMEOUT}).
   */
  static void awaitOnLoop(Vertx vertx, TestNode n, Predicate<Kademlia> condition) {
    CompletableFuture<Void> ok = new CompletableFuture<>();
    long timer = vertx.setPeriodic(100, t -> n.verticle().swarm().context().runOnContext(v -> {
      if (condition.test(n.verticle().node().kademlia())) {
        ok.complete(null);
      }
    }));
    try {
      TestNode.join(ok);
    } finally {
      vertx.cancelTimer(timer);
    }
  }

  @Test
  void recordsAndProviderRecordsReachAPeerThatJoinsLater() {
    byte[] key = PkRecords.rsaKey();
    Kademlia kadA = a.verticle().node().kademlia();
    DhtException none = assertThrows(DhtException.class, () -> a.onLoop(s -> kadA.putValue(key, PkRecords.RSA_VALUE)));
    assertEquals(DhtException.Reason.NO_PEERS, none.reason());
    byte[] cid = KadRecordStoreTest.utf8("content-provided-before-anyone-joined");
    assertEquals(0, (int) a.onLoop(s -> kadA.provide(cid)));
    b = TestNode.start(vertx, new JsonObject().put("busPrefix", "krp-b").put("bootNode", a.addr().toString()));
    awaitOnLoop(vertx, b, k -> k.recordStore().get(key) != null
        && k.providerStore().providers(cid).stream().anyMatch(p -> p.peer().equals(a.peerId())));
    List<ProviderStore.Entry> held = b.onLoop(s -> Future.succeededFuture(
        b.verticle().node().kademlia().providerStore().providers(cid)));
    assertEquals(List.of(a.addr().withoutPeerId()), held.get(0).addrs());
  }
}
