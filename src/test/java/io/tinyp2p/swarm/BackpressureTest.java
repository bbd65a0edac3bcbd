package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multistream.Multistream;
import io.tinyp2p.protocol.perf.Perf;
import io.tinyp2p.yamux.Frame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A peer that asks for an endless perf download, grants a window of 4 GiB and then reads
 * nothing: the node's output stops at the socket, the stall closes the connection, memory
 * stays flat and an honest peer keeps its pings.
 */
class BackpressureTest {

  @Test
  void aPeerThatDoesNotReadStallsOnlyItselfAndIsClosed() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("busPrefix", "bp-node")
             .put("limits", new JsonObject().put("writeStallTimeout", 2)));
         TestNode honest = TestNode.start(vertx, new JsonObject().put("busPrefix", "bp-honest"));
         RawPeer attacker = new RawPeer("127.0.0.1", node.addr().tcpPort())) {
      honest.onLoop(s -> s.dial(node.addr()));
      long heapBefore = heap();
      var closed = node.expect(SwarmEvent.ConnectionClosed.class, e -> e.error() != null
          && e.connection().remoteAddress().tcpPort() == attacker.localPort());

      upgrade(attacker);
      // stream 1: SYN with a window of 4 GiB, perf asking for 2^62 bytes, then FIN; ~100 bytes
      Buffer out = Buffer.buffer();
      Frame.appendHeader(out, Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, 1, 0xFFFFFFFFL - (256 * 1024));
      Buffer request = Multistream.message(Multistream.PROTOCOL_ID)
          .appendBuffer(Multistream.message(Perf.PROTOCOL_ID))
          .appendLong(1L << 62);
      Frame.appendHeader(out, Frame.TYPE_DATA, Frame.FLAG_FIN, 1, request.length());
      out.appendBuffer(request);
      attacker.sendEncrypted(out.getBytes());

      // meanwhile the honest peer pings every 100 ms
      long worst = 0;
      int pings = 0;
      while (!closed.isDone() && pings < 300) {
        long rtt = honest.<Duration>onLoop(s -> honest.verticle().node().ping().ping(node.peerId())).toNanos();
        worst = Math.max(worst, rtt);
        pings++;
        Thread.sleep(100); // the honest peer's pace, not a wait for an event
      }
      TestNode.join(closed);
      long heapAfter = heap();
      long stalled = node.<Long>onLoop(s -> Future.succeededFuture(
          s.limitCounters().closed(Limits.Closure.WRITE_STALLED)));
      io.tinyp2p.Figures.report(String.format("backpressure: perf 2^62 with a 4 GiB window, never read: "
          + "closed after %d honest pings, worst honest ping %.1f ms, heap %+d MiB",
          pings, worst / 1e6, (heapAfter - heapBefore) >> 20));
      assertEquals(1, stalled, "the stalled connection is counted");
      assertTrue(worst < 500_000_000L, "honest ping " + worst / 1e6 + " ms");
      assertTrue(heapAfter - heapBefore < 64L << 20, "heap grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
      assertTrue(honest.<Boolean>onLoop(s -> Future.succeededFuture(s.isConnected(node.peerId()))));
    } finally {
      TestNode.await(vertx.close());
    }
  }

  @Test
  void aPingFloodThatIsNeverReadIsNotReadEitherAndEndsInAStall() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("busPrefix", "bp-ping")
             .put("limits", new JsonObject().put("writeStallTimeout", 2)));
         RawPeer attacker = new RawPeer("127.0.0.1", node.addr().tcpPort())) {
      long heapBefore = heap();
      var closed = node.expect(SwarmEvent.ConnectionClosed.class, e -> e.error() != null);
      upgrade(attacker);
      // Noise messages full of Yamux pings (each asks for a 12-byte answer); we read none
      Buffer pings = Buffer.buffer();
      while (pings.length() + Frame.HEADER_LENGTH <= io.tinyp2p.transport.tcp.TcpConnection.MAX_PLAINTEXT) {
        Frame.appendHeader(pings, Frame.TYPE_PING, Frame.FLAG_SYN, 0, 7);
      }
      byte[] plain = pings.getBytes();
      long sent = 0;
      try {
        while (sent < 1L << 30 && !closed.isDone()) { // 1 GiB at most; the node stops reading long before
          attacker.sendEncrypted(plain);
          sent += plain.length;
        }
      } catch (java.io.IOException e) {
        // the node closed the connection under our writes
      }
      TestNode.join(closed);
      long heapAfter = heap();
      io.tinyp2p.Figures.report(String.format("backpressure: yamux ping flood never read: %d MiB offered before "
          + "the node closed it, heap %+d MiB", sent >> 20, (heapAfter - heapBefore) >> 20));
      assertTrue(sent < 512L << 20, "the node kept reading " + (sent >> 20) + " MiB of pings");
      assertTrue(heapAfter - heapBefore < 64L << 20, "heap grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
    } finally {
      TestNode.await(vertx.close());
    }
  }

  @Test
  void requestsThatNeverCompleteAreResetAtTheRequestTimeout() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("busPrefix", "bp-req")
             .put("reqResp", new JsonObject().put("requestTimeout", 1)));
         RawPeer attacker = new RawPeer("127.0.0.1", node.addr().tcpPort())) {
      upgrade(attacker);
      int streams = 64;
      Buffer out = Buffer.buffer();
      for (int i = 0; i < streams; i++) {
        int id = 1 + 2 * i;
        // declares a 1 MiB request and sends 10 bytes of it
        Buffer data = Multistream.message(Multistream.PROTOCOL_ID)
            .appendBuffer(Multistream.message(io.tinyp2p.protocol.reqresp.RequestResponse.PROTOCOL_ID));
        io.tinyp2p.util.Varint.append(data, 1 << 20).appendBytes(new byte[10]);
        Frame.appendHeader(out, Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, id, 0);
        Frame.appendHeader(out, Frame.TYPE_DATA, 0, id, data.length());
        out.appendBuffer(data);
      }
      long start = System.nanoTime();
      attacker.sendEncrypted(out.getBytes());
      java.util.Set<Integer> reset = new java.util.HashSet<>();
      YamuxReader frames = new YamuxReader();
      while (reset.size() < streams) {
        for (int[] header : frames.feed(attacker.readDecrypted())) {
          if ((header[1] & Frame.FLAG_RST) != 0) {
            reset.add(header[2]);
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long timedOut = node.<Long>onLoop(s -> Future.succeededFuture(
          s.limitCounters().closed(Limits.Closure.READ_TIMEOUT)));
      io.tinyp2p.Figures.report(String.format("backpressure: %d requests declaring 1 MiB and sending 10 bytes: "
          + "all reset after %.1f s (requestTimeout 1 s)", streams, seconds));
      assertEquals(streams, timedOut);
      assertTrue(seconds >= 0.9, "reset before the timeout: " + seconds + " s");
    } finally {
      TestNode.await(vertx.close());
    }
  }

  private static void upgrade(RawPeer peer) throws Exception {
    peer.upgrade(KeyPair.generate());
  }

  /** Splits decrypted bytes into Yamux frames; returns their headers as {type, flags, id}. */
  private static final class YamuxReader {
    private Buffer pending = Buffer.buffer();

    java.util.List<int[]> feed(byte[] plain) {
      pending.appendBytes(plain);
      java.util.List<int[]> headers = new java.util.ArrayList<>();
      int pos = 0;
      while (pending.length() - pos >= Frame.HEADER_LENGTH) {
        int type = pending.getUnsignedByte(pos + 1);
        int length = (int) pending.getUnsignedInt(pos + 8);
        int body = type == Frame.TYPE_DATA ? length : 0;
        if (pending.length() - pos < Frame.HEADER_LENGTH + body) {
          break;
        }
        headers.add(new int[] {type, pending.getUnsignedShort(pos + 2), pending.getInt(pos + 4)});
        pos += Frame.HEADER_LENGTH + body;
      }
      pending = pending.getBuffer(pos, pending.length());
      return headers;
    }
  }

  private static long heap() throws InterruptedException {
    System.gc();
    Thread.sleep(100); // let the collector finish; the number is bounded loosely
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
