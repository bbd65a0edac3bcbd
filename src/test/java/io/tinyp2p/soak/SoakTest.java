package io.tinyp2p.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The soak profile (not in the normal run): {@code ./mvnw -B verify -Psoak} (or with
 * {@code -Dsoak.minutes=N}). Six nodes under mixed load — requests at ~50/s, broadcasts at
 * ~5/s — for ten minutes; the heap after a full GC, sampled every minute, must not grow.
 */
@EnabledIfSystemProperty(named = "tinyp2p.soak", matches = "true")
class SoakTest {

  @Test
  void heapDoesNotGrowUnderMixedLoad() throws Exception {
    long minutes = Long.getLong("tinyp2p.soak.minutes", 10);
    Vertx vertx = Vertx.vertx();
    List<TestNode> nodes = new ArrayList<>();
    try {
      JsonObject base = new JsonObject().put("pubsubTopics", new JsonArray().add("block"))
          .put("discoveryInterval", 5);
      nodes.add(TestNode.start(vertx, base.copy().put("busPrefix", "soak0")));
      for (int i = 1; i < 6; i++) {
        nodes.add(TestNode.start(vertx, base.copy().put("busPrefix", "soak" + i).put("bootNode", nodes.get(0).addr().toString())));
      }
      AtomicLong delivered = new AtomicLong();
      for (int i = 0; i < nodes.size(); i++) {
        P2pClient c = new P2pClient(vertx, "soak" + i);
        c.handleRequests((peer, body) -> Future.succeededFuture(body));
        c.onBroadcast("block", m -> delivered.incrementAndGet());
      }
      TestNode.join(nodes.get(5).whenTable(t -> t.size() >= 3));
      Random random = new Random(1);
      AtomicLong ok = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      List<Long> heaps = new ArrayList<>();
      long end = System.currentTimeMillis() + minutes * 60_000;
      long nextSample = System.currentTimeMillis();
      long tick = 0;
      while (System.currentTimeMillis() < end) {
        if (System.currentTimeMillis() >= nextSample) {
          System.gc();
          heaps.add(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
          nextSample += 60_000;
        }
        int from = random.nextInt(nodes.size());
        int to = (from + 1 + random.nextInt(nodes.size() - 1)) % nodes.size();
        new P2pClient(vertx, "soak" + from).request(nodes.get(to).peerId().toBase58(), Buffer.buffer(new byte[512]))
            .onComplete(ar -> (ar.succeeded() ? ok : failed).incrementAndGet());
        if (tick++ % 10 == 0) {
          new P2pClient(vertx, "soak" + from).broadcast("block", Buffer.buffer("soak " + tick));
        }
        Thread.sleep(20); // the load's pace
      }
      System.gc();
      heaps.add(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
      io.tinyp2p.Figures.report(String.format("soak: %d min, %d requests ok, %d failed, %d broadcasts delivered, heap after GC per minute (MiB): %s",
          minutes, ok.get(), failed.get(), delivered.get(), heaps.stream().map(h -> h >> 20).toList()));
      assertEquals(0, failed.get());
      long first = heaps.get(Math.min(1, heaps.size() - 1)); // after the first minute's warm-up
      long last = heaps.get(heaps.size() - 1);
      assertTrue(last <= first * 3 / 2 + (16L << 20), "heap grew from " + (first >> 20) + " to " + (last >> 20) + " MiB");
    } finally {
      nodes.forEach(TestNode::close);
      TestNode.await(vertx.close());
    }
  }
}
