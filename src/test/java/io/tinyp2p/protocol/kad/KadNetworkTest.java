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
import org.junit.jupiter.api.Test;

/** 30 Java nodes that know only the boot node find each other through Kademlia. */
class KadNetworkTest {
  static final int NODES = 30;
  static final int INTERVAL_S = 2;
  static Vertx vertx;
  static TestNode boot;
  static final List<TestNode> nodes = new ArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    boot = TestNode.start(vertx, new JsonObject().put("busPrefix", "kad-boot").put("discoveryInterval", INTERVAL_S));
    nodes.add(boot);
    for (int i = 1; i < NODES; i++) {
      nodes.add(TestNode.start(vertx, new JsonObject().put("busPrefix", "kad-" + i)
          .put("discoveryInterval", INTERVAL_S).put("bootNode", boot.addr().toString())));
    }
  }

  @AfterAll
  static void stop() {
    nodes.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }

  static int tableSize(TestNode n) {
    return n.onLoop(s -> Future.succeededFuture(n.verticle().kademlia().routingTable().size()));
  }

  /** Waits (bounded) until every table holds at least 90% of the others, checking after each round. */
  @Test
  void routingTablesFillAndLookupsFindEveryNode() throws Exception {
    int needed = (int) Math.ceil(0.9 * (NODES - 1));
    List<CompletableFuture<Void>> each = new ArrayList<>();
    for (TestNode n : nodes) {
      CompletableFuture<Void> full = new CompletableFuture<>();
      each.add(full);
      n.onLoop(s -> {
        Kademlia kad = n.verticle().kademlia();
        kad.onTableChange(size -> {
          if (size >= needed) {
            full.complete(null);
          }
        });
        if (kad.routingTable().size() >= needed) {
          full.complete(null);
        }
        return Future.succeededFuture();
      });
    }
    CompletableFuture<Void> filled = CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    try {
      // first round after 5 s, then every 2 s: three rounds fit in 5 + 3 * 2 s (+ slack)
      filled.get(5 + 3 * INTERVAL_S + 10, java.util.concurrent.TimeUnit.SECONDS);
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
      List<PeerId> found = asker.onLoop(s -> asker.verticle().kademlia().lookup(id.toBytes()));
      assertTrue(found.contains(id), "lookup for " + id + " returned " + found);
      List<Multiaddr> addrs = asker.onLoop(s -> asker.verticle().kademlia().findPeer(id));
      assertEquals(target.addr().withoutPeerId(), addrs.get(0));
    }
  }
}
