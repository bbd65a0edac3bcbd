package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pending handshakes are bounded: at the limit a newcomer gets in and the least advanced,
 * oldest half-open one makes room (counted by limit); stalled ones still time out.
 */
class LimitsTest {

  static long evicted(TestNode node, Limits.Eviction reason) {
    return node.<Long>onLoop(s -> Future.succeededFuture(s.limitCounters().evicted(reason)));
  }

  @Test
  void aNewcomerEvictsTheLeastAdvancedOldestPendingHandshake() throws Exception {
    Vertx vertx = Vertx.vertx();
    // a handshake timeout far beyond the test: every close seen here is an eviction
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("limits",
        new JsonObject().put("maxPendingHandshakes", 3).put("handshakeTimeout", 120)));
         TestNode honest = TestNode.start(vertx)) {
      int port = node.addr().tcpPort();
      List<RawPeer> stalled = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        RawPeer p = new RawPeer("127.0.0.1", port);
        p.negotiate("/noise"); // then say nothing: a handshake that got past its first step
        stalled.add(p);
      }
      // a fourth, silent: it gets in, and the oldest of the three makes room
      RawPeer silent = new RawPeer("127.0.0.1", port);
      assertTrue(stalled.get(0).awaitClosedByPeer(), "the oldest pending handshake was not evicted");
      assertEquals(1, evicted(node, Limits.Eviction.PENDING_HANDSHAKES));
      // a fifth, silent too: now the silent one (no progress) goes, not the older stalled ones
      RawPeer silent2 = new RawPeer("127.0.0.1", port);
      assertTrue(silent.awaitClosedByPeer(), "the half-open connection was not the one evicted");
      assertEquals(2, evicted(node, Limits.Eviction.PENDING_HANDSHAKES));
      assertTrue(stalled.get(1).staysOpenFor(200) && stalled.get(2).staysOpenFor(200),
          "a handshake that made progress was evicted before a half-open one");
      // an honest peer gets in (evicting silent2) and works
      var target = node.addr();
      Connection c = honest.onLoop(s -> s.dial(target));
      assertTrue(c.isOpen());
      assertTrue(silent2.awaitClosedByPeer());
      Duration rtt = honest.onLoop(s -> honest.verticle().node().ping().ping(node.peerId()));
      assertTrue(rtt.toNanos() > 0);
      assertEquals(3, evicted(node, Limits.Eviction.PENDING_HANDSHAKES));
      assertEquals(0, node.<Long>onLoop(s -> Future.succeededFuture(
          s.limitCounters().refused(Limits.Refusal.PENDING_HANDSHAKES))));
      JsonObject status = node.verticle().status().getJsonObject("limits");
      assertEquals(3, status.getJsonObject("evicted").getLong("PENDING_HANDSHAKES"), status.encode());
      for (RawPeer p : stalled) {
        p.close();
      }
      silent2.close();
    } finally {
      TestNode.await(vertx.close());
    }
  }

  @Test
  void stalledHandshakesTimeOut() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("limits",
        new JsonObject().put("maxPendingHandshakes", 3).put("handshakeTimeout", 2)))) {
      try (RawPeer p = new RawPeer("127.0.0.1", node.addr().tcpPort())) {
        p.negotiate("/noise");
        assertTrue(p.awaitClosedByPeer(), "a stalled handshake outlived the handshake timeout");
      }
      assertEquals(0, evicted(node, Limits.Eviction.PENDING_HANDSHAKES));
    } finally {
      TestNode.await(vertx.close());
    }
  }

  /** Without the loopback exemption, 127.0.0.1 is one IP like any other: its own handshakes make room. */
  @Test
  void onePerIpLimitEvictsWithinThatIp() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("limits", new JsonObject()
        .put("exemptLoopback", false).put("maxPendingHandshakesPerIp", 2).put("handshakeTimeout", 120)))) {
      int port = node.addr().tcpPort();
      RawPeer first = new RawPeer("127.0.0.1", port);
      first.negotiate("/noise");
      RawPeer second = new RawPeer("127.0.0.1", port);
      second.negotiate("/noise");
      RawPeer third = new RawPeer("127.0.0.1", port);
      assertTrue(first.awaitClosedByPeer());
      assertTrue(second.staysOpenFor(200));
      assertEquals(1, evicted(node, Limits.Eviction.PENDING_PER_IP));
      assertEquals(0, evicted(node, Limits.Eviction.PENDING_HANDSHAKES));
      assertFalse(node.<Long>onLoop(s -> Future.succeededFuture(
          s.limitCounters().evicted(Limits.Eviction.PENDING_PER_SUBNET))) > 0);
      second.close();
      third.close();
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
