package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Churn: 30 nodes, of which 10 are stopped and restarted (same secrets) every few seconds for
 * two minutes while requests and broadcasts flow. Every request ends — response or a
 * documented error — within the request timeout; every broadcast reaches every node that was
 * up for the whole run.
 */
class ChurnTest {
  static final int NODES = 30;
  static final int STABLE = 20;
  static final int TIMEOUT_S = 3;
  static final long RUN_MS = Long.getLong("tinyp2p.churn.ms", 120_000);

  @Test
  void requestsEndAndBroadcastsArrive() throws Exception {
    Vertx vertx = Vertx.vertx();
    List<String> secrets = new ArrayList<>();
    TestNode[] nodes = new TestNode[NODES];
    Map<Integer, Set<String>> received = new ConcurrentHashMap<>();
    try {
      for (int i = 0; i < NODES; i++) {
        secrets.add(KeyPair.generate().secret());
      }
      nodes[0] = TestNode.start(vertx, config(0, secrets, null));
      String boot = nodes[0].addr().toString();
      for (int i = 1; i < NODES; i++) {
        nodes[i] = TestNode.start(vertx, config(i, secrets, boot));
      }
      List<PeerId> ids = new ArrayList<>();
      for (TestNode n : nodes) {
        ids.add(n.peerId());
      }
      for (int i = 0; i < NODES; i++) {
        new P2pClient(vertx, "churn" + i).handleRequests((peer, body) -> Future.succeededFuture(body));
      }
      for (int i = 0; i < STABLE; i++) {
        int me = i;
        received.put(i, ConcurrentHashMap.newKeySet());
        new P2pClient(vertx, "churn" + i).onBroadcast("block", m -> received.get(me).add(m.body().toString()));
      }
      TestNode.join(nodes[STABLE - 1].whenTable(t -> t.size() >= 10));

      Random random = new Random(30);
      Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
      AtomicInteger slow = new AtomicInteger();
      AtomicInteger pending = new AtomicInteger();
      List<String> broadcasts = new ArrayList<>();
      List<Integer> publishers = new ArrayList<>();
      long end = System.currentTimeMillis() + RUN_MS;
      long nextChurn = 0;
      long nextBroadcast = 0;
      int tick = 0;
      while (System.currentTimeMillis() < end) {
        long now = System.currentTimeMillis();
        if (now >= nextChurn) { // stop a running churner, or bring a stopped one back
          int i = STABLE + random.nextInt(NODES - STABLE);
          if (nodes[i] != null) {
            nodes[i].close();
            nodes[i] = null;
          } else {
            nodes[i] = TestNode.start(vertx, config(i, secrets, boot));
            new P2pClient(vertx, "churn" + i).handleRequests((peer, body) -> Future.succeededFuture(body));
          }
          nextChurn = now + 2_000;
        }
        // a request from a stable node to any node, up or down
        int from = random.nextInt(STABLE);
        PeerId to = ids.get(random.nextInt(NODES));
        if (!to.equals(ids.get(from))) {
          long sent = System.nanoTime();
          pending.incrementAndGet();
          new P2pClient(vertx, "churn" + from).request(to.toBase58(), Buffer.buffer("r" + tick)).onComplete(ar -> {
            long ms = (System.nanoTime() - sent) / 1_000_000;
            if (ms > TIMEOUT_S * 1000 + 1000) {
              slow.incrementAndGet();
            }
            String key = ar.succeeded() ? "OK" : Failure.of(ar.cause()).name();
            outcomes.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            pending.decrementAndGet();
          });
        }
        if (now >= nextBroadcast) {
          int p = random.nextInt(STABLE);
          String text = "b" + broadcasts.size();
          JsonObject r = TestNode.await(new P2pClient(vertx, "churn" + p).broadcast("block", Buffer.buffer(text))
              .recover(e -> Future.succeededFuture(new JsonObject().put("error", e.getMessage()))));
          if (!r.containsKey("error")) {
            broadcasts.add(text);
            publishers.add(p);
          }
          nextBroadcast = now + 1_000;
        }
        tick++;
        Thread.sleep(50); // the load's pace: 20 requests a second
      }
      // every request ends: wait for the stragglers, bounded by the request timeout
      long deadline = System.currentTimeMillis() + (TIMEOUT_S + 5) * 1000L;
      while (pending.get() > 0 && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      // every broadcast reaches every stable node (gossip repairs within a few heartbeats)
      CountDownLatch settled = new CountDownLatch(1);
      long settleUntil = System.currentTimeMillis() + 15_000;
      int lost = 0;
      while (System.currentTimeMillis() < settleUntil) {
        lost = lost(received, broadcasts, publishers);
        if (lost == 0) {
          settled.countDown();
          break;
        }
        Thread.sleep(100);
      }
      io.tinyp2p.Figures.report(String.format("churn: %d requests ended %s, %d over the timeout, %d never ended; %d broadcasts, lost %d",
          outcomes.values().stream().mapToInt(AtomicInteger::get).sum(), outcomes, slow.get(), pending.get(),
          broadcasts.size(), lost));
      assertEquals(0, pending.get(), "requests that never ended");
      assertEquals(0, slow.get(), "requests that ended after requestTimeout + 1 s");
      assertTrue(outcomes.getOrDefault("OK", new AtomicInteger()).get() > 0);
      assertEquals(0, lost, "broadcasts lost");
      assertTrue(settled.await(0, TimeUnit.SECONDS));
    } finally {
      for (TestNode n : nodes) {
        if (n != null) {
          n.close();
        }
      }
      TestNode.await(vertx.close());
    }
  }

  private static int lost(Map<Integer, Set<String>> received, List<String> broadcasts, List<Integer> publishers) {
    int lost = 0;
    for (int b = 0; b < broadcasts.size(); b++) {
      for (int n = 0; n < STABLE; n++) {
        if (n != publishers.get(b) && !received.get(n).contains(broadcasts.get(b))) {
          lost++;
        }
      }
    }
    return lost;
  }

  private static JsonObject config(int i, List<String> secrets, String boot) {
    JsonObject c = new JsonObject().put("busPrefix", "churn" + i).put("secret", secrets.get(i))
        .put("discoveryInterval", 2).put("pingInterval", 1)
        .put("reqResp", new JsonObject().put("requestTimeout", TIMEOUT_S))
        .put("pubsubTopics", new JsonArray().add("block"))
        .put("gossipsub", new JsonObject().put("heartbeatMs", 200));
    if (boot != null) {
      c.put("bootNode", boot);
    }
    return c;
  }
}
