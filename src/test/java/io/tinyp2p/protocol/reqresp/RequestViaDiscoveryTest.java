package io.tinyp2p.protocol.reqresp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.Responder;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** A request to a peer known only through discovery: never dialed, found through the DHT. */
class RequestViaDiscoveryTest {

  @Test
  void requestReachesAPeerOnlyTheBootNodeKnew() {
    Vertx vertx = Vertx.vertx();
    try (TestNode boot = TestNode.start(vertx, new JsonObject().put("busPrefix", "d-boot"))) {
      var bootKnowsTarget = boot.expect(PeerIdentified.class, e -> true);
      try (TestNode target = TestNode.start(vertx, new JsonObject().put("busPrefix", "d-target")
          .put("bootNode", boot.addr().toString()))) {
        TestNode.join(bootKnowsTarget);
        // the boot node admits the target once it answered on kad
        TestNode.join(boot.whenTable(t -> t.contains(target.peerId())));
        new P2pClient(vertx, "d-target").handleRequests(Responder::answer);
        try (TestNode asker = TestNode.start(vertx, new JsonObject().put("busPrefix", "d-asker")
            .put("bootNode", boot.addr().toString()))) {
          TestNode.join(asker.whenTable(t -> t.contains(boot.peerId())));
          assertFalse(asker.<Boolean>onLoop(s -> Future.succeededFuture(s.isConnected(target.peerId()))));
          Buffer answer = TestNode.await(new P2pClient(vertx, "d-asker")
              .request(target.peerId().toBase58(), Buffer.buffer("found you")));
          assertEquals("found you", answer.toString());
        }
      }
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
