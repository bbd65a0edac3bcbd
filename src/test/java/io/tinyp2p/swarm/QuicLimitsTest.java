package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.ping.Ping;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.transport.Transport;
import io.tinyp2p.transport.Upgrade;
import io.tinyp2p.transport.quic.QuicTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The swarm's limits hold for QUIC connections as for TCP ones: inbound streams per protocol,
 * connections per IP, pending handshakes (a newcomer evicts a stalled one), each counted where
 * {@code /status} shows it.
 */
class QuicLimitsTest {
  static final String QUIC = "/ip4/127.0.0.1/udp/0/quic-v1";
  Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    TestNode.await(vertx.close());
  }

  private TestNode quicNode(String prefix, JsonObject limits) {
    return TestNode.start(vertx, new JsonObject().put("busPrefix", prefix).put("addr", QUIC)
        .put("limits", limits == null ? new JsonObject() : limits));
  }

  static long refused(TestNode node, Limits.Refusal reason) {
    return node.<Long>onLoop(s -> Future.succeededFuture(s.limitCounters().refused(reason)));
  }

  /** Polls {@code condition} on the node's loop until it holds (the counters have no events); bounded. */
  private static void await(TestNode node, Supplier<Boolean> condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!node.<Boolean>onLoop(s -> Future.succeededFuture(condition.get()))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never: " + what);
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void inboundStreamsOfOneProtocolAreCapped() {
    try (TestNode node = quicNode("ql-node", new JsonObject().put("maxInboundStreamsPerProtocol", 4));
         TestNode attacker = quicNode("ql-attacker", null);
         TestNode honest = quicNode("ql-honest", null)) {
      attacker.onLoop(s -> s.dial(node.addr()));
      attacker.onLoop(s -> {
        List<Future<P2pStream>> opened = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          opened.add(s.newStream(node.peerId(), Ping.PROTOCOL_ID)); // open, then silent
        }
        return Future.join(opened).transform(ar -> Future.succeededFuture());
      });
      await(node, () -> node.verticle().swarm().limitCounters().refused(Limits.Refusal.STREAMS_PER_PROTOCOL) >= 6,
          "6 streams over the cap of 4 refused");
      Connection c = attacker.onLoop(s -> Future.succeededFuture(s.connection(node.peerId())));
      assertEquals(QuicTransport.NAME, c.info().transport());
      // the cap is per connection: the attacker's own pings wait, another peer's go through
      honest.onLoop(s -> s.dial(node.addr()));
      Duration rtt = honest.onLoop(s -> honest.verticle().node().ping().ping(node.peerId()));
      assertTrue(rtt.toNanos() > 0);
    }
  }

  @Test
  void connectionsPerIpAreCapped() {
    try (TestNode node = quicNode("ql-node", new JsonObject().put("exemptLoopback", false).put("maxConnectionsPerIp", 1));
         TestNode first = quicNode("ql-first", null);
         TestNode second = quicNode("ql-second", null)) {
      Multiaddr addr = node.addr();
      assertTrue(first.<Connection>onLoop(s -> s.dial(addr)).isOpen());
      RuntimeException e = assertThrows(RuntimeException.class, () -> second.onLoop(s -> s.dial(addr)));
      assertTrue(e.getMessage().contains("TLS alert"), e.getMessage());
      assertEquals(1, refused(node, Limits.Refusal.PER_IP));
      JsonObject status = node.verticle().status();
      assertEquals(1, status.getJsonObject("limits").getJsonObject("refused").getLong("PER_IP"), status.encode());
    }
  }

  @Test
  void aNewcomerEvictsAStalledQuicHandshake() throws Exception {
    try (TestNode node = quicNode("ql-node", new JsonObject().put("maxPendingHandshakes", 2).put("handshakeTimeout", 120));
         TestNode honest = quicNode("ql-honest", null)) {
      Multiaddr addr = node.addr();
      // stalled handshakes: real QUIC dials through relays that pass the first datagram only
      Context context = vertx.getOrCreateContext();
      QuicTransport dialer = TestNode.onContext(context, () -> Future.succeededFuture(new QuicTransport(context,
          new QuicTransport.Settings(KeyPair.generate(), Duration.ofSeconds(120), Duration.ofSeconds(30), 16,
              1 << 20, 4L << 20, 1 << 20, 64L << 20, Duration.ofSeconds(20)))));
      List<DatagramSocket> sockets = new ArrayList<>();
      List<Upgrade> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          DatagramSocket relay = TestNode.await(vertx.createDatagramSocket().listen(0, "127.0.0.1"));
          DatagramSocket out = vertx.createDatagramSocket();
          sockets.add(relay);
          sockets.add(out);
          boolean[] passed = {false};
          relay.handler(packet -> {
            if (!passed[0]) {
              passed[0] = true;
              out.send(packet.data(), addr.udpPort(), addr.host());
            }
          });
          Multiaddr via = Multiaddr.quic("127.0.0.1", relay.localAddress().port());
          stalled.add(TestNode.onContext(context, () -> dialer.dial(via, null)));
          int pending = i + 1;
          if (pending <= 2) {
            await(node, () -> quicHandshakes(node) == pending, pending + " pending QUIC handshakes");
          }
        }
        // the third made room: one of the first two was evicted
        await(node, () -> node.verticle().swarm().limitCounters().evicted(Limits.Eviction.PENDING_HANDSHAKES) == 1,
            "one stalled handshake evicted");
        // an honest peer gets in (evicting another) and works
        Connection c = honest.onLoop(s -> s.dial(addr));
        assertEquals(QuicTransport.NAME, c.info().transport());
        Duration rtt = honest.onLoop(s -> honest.verticle().node().ping().ping(node.peerId()));
        assertTrue(rtt.toNanos() > 0);
        assertEquals(2, LimitsTest.evicted(node, Limits.Eviction.PENDING_HANDSHAKES));
      } finally {
        stalled.forEach(u -> context.runOnContext(v -> u.abort()));
        TestNode.onContext(context, dialer::close);
        sockets.forEach(DatagramSocket::close);
      }
    }
  }

  private static long quicHandshakes(TestNode node) {
    for (Transport t : node.verticle().swarm().transports()) {
      if (t.name().equals(QuicTransport.NAME)) {
        return t.counters().get("handshakes");
      }
    }
    throw new AssertionError("no QUIC transport");
  }
}
