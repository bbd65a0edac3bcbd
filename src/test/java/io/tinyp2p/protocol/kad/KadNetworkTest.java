package io.tinyp2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** 30 Java nodes that know only the boot node find each other through Kademlia. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KadNetworkTest {
  static final int NODES = 30;
  static final int INTERVAL_S = 2;
  static Vertx vertx;
  static TestNode boot;
  static final List<TestNode> nodes = new ArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    boot = TestNode.start(vertx, config(0));
    nodes.add(boot);
    for (int i = 1; i < NODES; i++) {
      nodes.add(TestNode.start(vertx, config(i).put("bootNode", boot.addr().toString())));
    }
  }

  @AfterAll
  static void stop() {
    nodes.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }

  static final List<String> SECRETS = new ArrayList<>();

  static JsonObject config(int i) {
    while (SECRETS.size() <= i) {
      SECRETS.add(io.tinyp2p.crypto.KeyPair.generate().secret());
    }
    return new JsonObject().put("busPrefix", "kad-" + i).put("secret", SECRETS.get(i))
        .put("discoveryInterval", INTERVAL_S).put("pingInterval", PING_S);
  }

  static final int PING_S = 1;

  static int tableSize(TestNode n) {
    return n.onLoop(s -> Future.succeededFuture(n.verticle().node().kademlia().routingTable().size()));
  }

  /** Waits (bounded) until every table holds at least 90% of the others, checking after each round. */
  @Test
  @Order(1)
  void routingTablesFillAndLookupsFindEveryNode() throws Exception {
    int needed = (int) Math.ceil(0.9 * (NODES - 1));
    List<CompletableFuture<Void>> each = nodes.stream().map(n -> n.whenTable(t -> t.size() >= needed)).toList();
    CompletableFuture<Void> filled = CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    try {
      // first round after 5 s, then every 2 s: three rounds fit in 5 + 3 * 2 s (+ slack)
      filled.get(5 + 3 * INTERVAL_S + 3, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      List<Integer> sizes = nodes.stream().map(KadNetworkTest::tableSize).toList();
      throw new AssertionError("routing tables did not fill: " + sizes);
    }
    for (TestNode n : nodes) {
      assertTrue(tableSize(n) >= needed);
    }
    // a lookup for any node's PeerId returns that node
    TestNode asker = nodes.get(NODES - 1);
    for (TestNode target : nodes) {
      if (target == asker) {
        continue;
      }
      PeerId id = target.peerId();
      List<PeerId> found = asker.onLoop(s -> asker.verticle().node().kademlia().lookup(id.toBytes()));
      assertTrue(found.contains(id), "lookup for " + id + " returned " + found);
      List<Multiaddr> addrs = asker.onLoop(s -> asker.verticle().node().kademlia().findPeer(id));
      assertEquals(target.addr().withoutPeerId(), addrs.get(0));
    }
  }

  /** Waits until {@code condition} holds on every node's table, re-checked on each change. */
  static void awaitTables(List<TestNode> on, java.util.function.Predicate<RoutingTable> condition, int seconds)
      throws Exception {
    List<CompletableFuture<Void>> each = on.stream().map(n -> n.whenTable(condition)).toList();
    CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).get(seconds, java.util.concurrent.TimeUnit.SECONDS);
  }

  /** Churn: 5 nodes stop and leave every table; restarted with their secrets, they are found again. */
  @Test
  @Order(2)
  void stoppedNodesLeaveAndRestartedNodesReturn() throws Exception {
    List<Integer> victims = List.of(3, 9, 14, 21, 27);
    List<PeerId> ids = victims.stream().map(i -> nodes.get(i).peerId()).toList();
    for (int i : victims) {
      nodes.get(i).close();
    }
    List<TestNode> live = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      if (!victims.contains(i)) {
        live.add(nodes.get(i));
      }
    }
    // within two ping intervals plus one discovery round (+2 s for the test's own machinery)
    awaitTables(live, t -> ids.stream().noneMatch(t::contains), 2 * PING_S + INTERVAL_S + 2);
    for (int i : victims) {
      nodes.set(i, TestNode.start(vertx, config(i).put("bootNode", boot.addr().toString())));
    }
    // found again: every live node's table holds most of them, the boot node all of them
    awaitTables(List.of(boot), t -> ids.stream().allMatch(t::contains), 5 + 2 * INTERVAL_S + 10);
    awaitTables(live, t -> ids.stream().filter(t::contains).count() >= 4, 5 + 3 * INTERVAL_S + 20);
  }
}
