package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Responder;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.protocol.ping.Ping;
import io.tinyp2p.stream.P2pStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A misbehaving peer — slow reader streams that never read their echo, then thousands of
 * streams at once — while an honest peer keeps pinging and requesting. The honest peer is
 * served throughout, its p99 stays low, and the node's heap stays bounded.
 */
class HostilePeerTest {

  @Test
  void honestPeerIsServedWhileAnotherMisbehaves() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("busPrefix", "hp-node")
             .put("limits", new JsonObject().put("maxStreamsPerConnection", 512)));
         TestNode honest = TestNode.start(vertx, new JsonObject().put("busPrefix", "hp-honest"));
         TestNode attacker = TestNode.start(vertx, new JsonObject().put("busPrefix", "hp-attacker"))) {
      new P2pClient(vertx, "hp-node").handleRequests(Responder::answer);
      honest.onLoop(s -> s.dial(node.addr()));
      attacker.onLoop(s -> s.dial(node.addr()));
      long heapBefore = heap();

      // 1. slow readers: 64 ping streams, each sends 1 MiB and never reads the echo
      int slow = attacker.onLoop(s -> {
        List<Future<P2pStream>> opened = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          opened.add(s.newStream(node.peerId(), Ping.PROTOCOL_ID).onSuccess(st -> {
            st.pause(); // never read
            st.write(Buffer.buffer(new byte[1 << 20]));
          }));
        }
        return Future.join(opened).transform(ar -> Future.succeededFuture(
            (int) opened.stream().filter(Future::succeeded).count()));
      });
      // 2. a flood of streams: 3000 opened at once (the node allows 512 per connection)
      int[] flood = attacker.onLoop(s -> {
        Connection c = s.connection(node.peerId());
        List<Future<P2pStream>> opened = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
          opened.add(c.openStream(List.of(Ping.PROTOCOL_ID)));
        }
        return Future.join(opened).transform(ar -> Future.succeededFuture(new int[] {
            (int) opened.stream().filter(Future::succeeded).count(),
            (int) opened.stream().filter(Future::failed).count()}));
      });

      // meanwhile the honest peer: 200 pings and 50 requests, one after the other
      long[] rtts = new long[200];
      for (int i = 0; i < rtts.length; i++) {
        rtts[i] = honest.<Duration>onLoop(s -> honest.verticle().node().ping().ping(node.peerId())).toNanos();
      }
      P2pClient client = new P2pClient(vertx, "hp-honest");
      for (int i = 0; i < 50; i++) {
        assertEquals("still here " + i, TestNode.await(client.request(node.peerId().toBase58(),
            Buffer.buffer("still here " + i))).toString());
      }
      Arrays.sort(rtts);
      double p99 = rtts[(int) Math.round(0.99 * (rtts.length - 1))] / 1e6;
      long heapAfter = heap();
      long capped = node.<Long>onLoop(s -> Future.succeededFuture(
          s.limitCounters().refused(Limits.Refusal.STREAMS_PER_PROTOCOL)));
      io.tinyp2p.Figures.report(String.format("hostile peer: %d slow-reader streams, flood %d opened / %d refused, "
          + "%d over the ping cap reset; honest ping p99 %.2f ms; heap (both peers) %+d KiB",
          slow, flood[0], flood[1], capped, p99, (heapAfter - heapBefore) / 1024));
      assertTrue(capped > 0, "the per-protocol cap refused nothing");
      assertTrue(slow > 0, "no slow-reader stream opened");
      assertTrue(flood[1] > 0, "the stream limit refused nothing");
      assertTrue(p99 < 1000, "honest p99 " + p99 + " ms");
      // 64 slow streams may each hold one window (256 KiB) plus a write queue: far below this
      assertTrue(heapAfter - heapBefore < 256L << 20, "heap grew by " + (heapAfter - heapBefore));
    } finally {
      TestNode.await(vertx.close());
    }
  }

  private static long heap() throws InterruptedException {
    System.gc();
    Thread.sleep(100); // let the collector finish; the number is a report, bounded loosely
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
