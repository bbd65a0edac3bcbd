package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * connectionKeepAlive: an idle connection to a peer outside the routing table (a js peer
 * without kad) is closed after the keep-alive; one with a request in flight is not.
 */
class KeepAliveTest {

  @Test
  void idleConnectionsCloseBusyOnesStay() {
    JsPeer.ensureInstalled();
    Vertx vertx = Vertx.vertx();
    try (JsPeer js = JsPeer.start(new JsonObject().put("port", 0).put("connectionMonitor", false));
         TestNode java = TestNode.start(vertx, new JsonObject()
             .put("reqResp", new JsonObject().put("connectionKeepAlive", 1).put("requestTimeout", 4)))) {
      PeerId jsId = PeerId.parse(js.peerId());
      var closed = java.expect(SwarmEvent.ConnectionClosed.class, e -> e.peer().equals(jsId));
      long start = System.nanoTime();
      js.call(new JsonObject().put("cmd", "dial").put("addr", java.addr().toString()), Duration.ofSeconds(30));
      TestNode.join(closed);
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms >= 1000, "closed after " + ms + " ms, before the keep-alive");

      // a request the Java application never answers keeps the connection busy until the
      // node gives up after its 4 s request timeout; only then does the idle clock start
      new io.tinyp2p.client.P2pClient(vertx).handleRequests(
          (peer, body) -> io.vertx.core.Promise.<io.vertx.core.buffer.Buffer>promise().future());
      var closedAgain = java.expect(SwarmEvent.ConnectionClosed.class, e -> e.peer().equals(jsId));
      long sent = System.nanoTime();
      JsPeer.JsPeerException e = org.junit.jupiter.api.Assertions.assertThrows(JsPeer.JsPeerException.class,
          () -> js.call(new JsonObject().put("cmd", "request").put("peer", java.peerId().toBase58())
              .put("text", "nobody answers this").put("timeoutMs", 10_000), Duration.ofSeconds(30)));
      assertTrue(e.getMessage().contains("RemoteError"), e.getMessage());
      TestNode.join(closedAgain);
      long busyMs = (System.nanoTime() - sent) / 1_000_000;
      assertTrue(busyMs >= 4000 + 1000, "closed after " + busyMs + " ms, while the request was pending");
      assertEquals(0, (int) java.<Integer>onLoop(s -> io.vertx.core.Future.succeededFuture(s.connections().size())));
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
