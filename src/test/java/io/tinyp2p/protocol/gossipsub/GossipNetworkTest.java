package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** 20 Java nodes in a sparse graph, all in topic "block". */
class GossipNetworkTest {
  static final int NODES = 20;
  static Vertx vertx;
  static final List<TestNode> nodes = new ArrayList<>();
  static final List<P2pClient> clients = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    Random random = new Random(20);
    for (int i = 0; i < NODES; i++) {
      nodes.add(TestNode.start(vertx, new JsonObject().put("busPrefix", "g" + i)
          .put("pubsubTopics", new JsonArray().add("block"))
          .put("gossipsub", new JsonObject().put("heartbeatMs", 200))));
      clients.add(new P2pClient(vertx, "g" + i));
    }
    // each node dials 3 others
    for (int i = 0; i < NODES; i++) {
      TestNode from = nodes.get(i);
      for (int k = 0; k < 3; k++) {
        int j = random.nextInt(NODES);
        if (j != i) {
          var to = nodes.get(j).addr();
          from.onLoop(s -> s.dial(to));
        }
      }
    }
    // wait until every node has mesh peers in "block"
    for (TestNode n : nodes) {
      n.awaitMesh("block", 1);
    }
  }

  @AfterAll
  static void stop() {
    nodes.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }

  @Test
  void everyBroadcastReachesEverySubscriberExactlyOnce() throws Exception {
    int messages = 200;
    Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    AtomicInteger total = new AtomicInteger();
    CompletableFuture<Void> all = new CompletableFuture<>();
    int expected = messages * (NODES - 1);
    for (int i = 0; i < NODES; i++) {
      int me = i;
      clients.get(i).onBroadcast("block", msg -> {
        if (!msg.body().toString().startsWith("block ")) {
          return; // a late copy of another test's message
        }
        received.computeIfAbsent(me + "/" + msg.body().toString(), k -> new AtomicInteger()).incrementAndGet();
        if (total.incrementAndGet() == expected) {
          all.complete(null);
        }
      });
    }
    Random random = new Random(200);
    Map<String, Integer> publisher = new HashMap<>();
    for (int m = 0; m < messages; m++) {
      int from = random.nextInt(NODES);
      String text = "block " + m;
      publisher.put(text, from);
      JsonObject reply = TestNode.await(clients.get(from).broadcast("block", Buffer.buffer(text)));
      assertTrue(reply.getInteger("peers") >= 1);
    }
    try {
      all.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(missing(publisher, received), e);
    }
    List<String> duplicates = received.entrySet().stream().filter(x -> x.getValue().get() > 1)
        .map(x -> x.getKey() + "×" + x.getValue().get()).toList();
    assertTrue(duplicates.isEmpty(), "delivered more than once: " + duplicates);
    for (var e : publisher.entrySet()) {
      for (int n = 0; n < NODES; n++) {
        AtomicInteger count = received.get(n + "/" + e.getKey());
        if (n == e.getValue()) {
          assertTrue(count == null, "the publisher got its own message");
        } else {
          assertEquals(1, count == null ? 0 : count.get(), "node " + n + " got '" + e.getKey() + "'");
        }
      }
    }
  }

  @Test
  void unsubscribeStopsDeliveryAndNoPeersIsAnError() throws Exception {
    P2pClient lonely = new P2pClient(vertx, "g0");
    ReplyException e = assertThrows(ReplyException.class,
        () -> TestNode.await(lonely.broadcast("nobody-listens-here", Buffer.buffer("x"))));
    assertEquals(Failure.NO_PEERS.code(), e.failureCode());
    JsonObject topics = TestNode.await(clients.get(1).unsubscribe("block"));
    assertTrue(!topics.getJsonArray("topics").contains("block"));
    AtomicInteger atOne = new AtomicInteger();
    clients.get(1).onBroadcast("block", m -> atOne.incrementAndGet());
    CompletableFuture<Void> atTwo = new CompletableFuture<>();
    clients.get(2).onBroadcast("block", m -> {
      if (m.body().toString().equals("after unsubscribe")) {
        atTwo.complete(null);
      }
    });
    int from = 3;
    TestNode.await(clients.get(from).broadcast("block", Buffer.buffer("after unsubscribe")));
    atTwo.get(30, TimeUnit.SECONDS);
    assertEquals(0, atOne.get());
    TestNode.await(clients.get(1).subscribe("block"));
  }


  /** Which deliveries never came, and each node's mesh and connections now: what a timeout needs to be understood. */
  static String missing(Map<String, Integer> publisher, Map<String, AtomicInteger> received) {
    List<String> missing = new ArrayList<>();
    for (var p : publisher.entrySet()) {
      for (int n = 0; n < NODES; n++) {
        if (n != p.getValue() && !received.containsKey(n + "/" + p.getKey())) {
          missing.add("node " + n + " lacks '" + p.getKey() + "' from node " + p.getValue());
        }
      }
    }
    StringBuilder sb = new StringBuilder(missing.size() + " deliveries missing, e.g. "
        + missing.subList(0, Math.min(20, missing.size())));
    for (int n = 0; n < NODES; n++) {
      TestNode node = nodes.get(n);
      sb.append("\n node ").append(n).append(' ').append(node.peerId()).append(": ").append(node.<String>onLoop(s ->
          Future.succeededFuture("mesh " + node.verticle().node().gossipsub().router().meshSizes()
              + ", connections " + s.connections().size())));
    }
    return sb.toString();
  }
}
