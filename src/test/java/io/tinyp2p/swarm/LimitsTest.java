package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Half-done handshakes beyond maxPendingHandshakes are refused at once and counted; when the
 * handshake timeout frees the slots, an honest peer connects.
 */
class LimitsTest {

  @Test
  void pendingHandshakesAreBoundedAndTimeOut() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("limits",
        new JsonObject().put("maxPendingHandshakes", 3).put("handshakeTimeout", 2)));
         TestNode honest = TestNode.start(vertx)) {
      int port = node.addr().tcpPort();
      List<RawPeer> stalled = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        RawPeer p = new RawPeer("127.0.0.1", port);
        p.negotiate("/noise"); // then say nothing: a half-done handshake
        stalled.add(p);
      }
      // beyond the limit: closed without a word
      try (Socket extra = new Socket("127.0.0.1", port)) {
        extra.setSoTimeout(10_000);
        assertEquals(-1, extra.getInputStream().read());
      }
      long refused = node.<Long>onLoop(s -> Future.succeededFuture(
          s.limitCounters().refused(Limits.Refusal.PENDING_HANDSHAKES)));
      assertEquals(1, refused);
      // the stalled ones time out, and the honest peer gets in
      for (RawPeer p : stalled) {
        assertTrue(p.awaitClosedByPeer(), "a stalled handshake outlived the handshake timeout");
        p.close();
      }
      Connection c = honest.onLoop(s -> s.dial(node.addr()));
      assertTrue(c.isOpen());
      Duration rtt = honest.onLoop(s -> honest.verticle().ping().ping(node.peerId()));
      assertTrue(rtt.toNanos() > 0);
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
