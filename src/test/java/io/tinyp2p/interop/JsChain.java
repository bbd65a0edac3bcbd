package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A chain js A — Java — js B (the js nodes never connect to each other) on one transport and
 * security protocol, with Kademlia and gossipsub on every node:
 *
 * <ul>
 *   <li>a gossipsub message A publishes reaches B through the Java node, and one B publishes
 *       reaches A;
 *   <li>A finds B by a Kademlia lookup, which only the Java node can answer;
 *   <li>a second Java node that knows only A finds B by a lookup that goes through A's js
 *       Kademlia server and then the first Java node.
 * </ul>
 */
final class JsChain {
  static final Duration WAIT = JsTlsInteropTest.WAIT;
  static final String TOPIC = "chain";

  private JsChain() {}

  /**
   * Runs the chain.
   *
   * @param javaConfig the Java nodes' config (listen address, security), without bus prefix or topics
   * @param jsOptions the js peers' options (transports, security), kad and gossipsub added here
   * @param addrOfTransport picks the addresses of the transport under test out of a peer's
   */
  static void run(Vertx vertx, JsonObject javaConfig, JsonObject jsOptions, Predicate<Multiaddr> addrOfTransport)
      throws Exception {
    JsonObject jsConfig = jsOptions.copy().put("kad", true).put("gossipsub", true);
    try (TestNode java = TestNode.start(vertx, javaConfig.copy().put("busPrefix", "chain-java")
            .put("pubsubTopics", new JsonArray().add(TOPIC)).put("gossipsub", new JsonObject().put("heartbeatMs", 300)));
        JsPeer a = JsPeer.start(jsConfig);
        JsPeer b = JsPeer.start(jsConfig)) {
      String javaAddr = java.addr().toString();
      for (JsPeer js : List.of(a, b)) {
        js.call(new JsonObject().put("cmd", "subscribe").put("topic", TOPIC), WAIT);
        JsonObject dial = js.call(new JsonObject().put("cmd", "dial").put("addr", javaAddr), WAIT);
        assertEquals(java.peerId().toBase58(), dial.getString("peerId"));
      }
      PeerId aId = PeerId.parse(a.peerId());
      PeerId bId = PeerId.parse(b.peerId());
      TestNode.join(java.whenTable(t -> t.contains(aId) && t.contains(bId)));
      java.awaitMesh(TOPIC, 2);

      // gossipsub both ways through the Java node
      relays(a, b, "from A");
      relays(b, a, "from B");

      // A finds B: it knows only the Java node, which answers with B's addresses
      JsonObject found = a.call(new JsonObject().put("cmd", "findPeer").put("peer", b.peerId()).put("useCache", false), WAIT);
      List<String> bAddrs = b.addrs().stream().map(Multiaddr::parse).filter(addrOfTransport)
          .map(m -> m.withoutPeerId().toString()).toList();
      assertTrue(found.getJsonArray("addrs").stream().anyMatch(bAddrs::contains),
          "A's lookup of B found " + found.encode() + ", B listens on " + bAddrs);

      // a second Java node knows only A: its lookup goes through A's js Kademlia server
      String aAddr = a.addrs().stream().map(Multiaddr::parse).filter(addrOfTransport).findFirst().orElseThrow()
          .withPeerId(aId).toString();
      try (TestNode second = TestNode.start(vertx, javaConfig.copy().put("busPrefix", "chain-second").put("bootNode", aAddr))) {
        TestNode.join(second.whenTable(t -> t.contains(aId)));
        List<Multiaddr> addrs = second.onLoop(s -> second.verticle().node().kademlia().findPeer(bId));
        assertTrue(addrs.stream().map(m -> m.withoutPeerId().toString()).anyMatch(bAddrs::contains),
            "the second Java node's lookup of B found " + addrs + ", B listens on " + bAddrs);
      }
    }
  }

  /** {@code from} publishes {@code text}; {@code to}, connected to the Java node only, receives it. */
  private static void relays(JsPeer from, JsPeer to, String text) {
    int mark = to.events().size();
    from.call(new JsonObject().put("cmd", "publish").put("topic", TOPIC).put("text", text), WAIT);
    JsonObject got = to.awaitEvent(mark, e -> "pubsub:message".equals(e.getString("event"))
        && text.equals(JsGossipInteropTest.text(e)), WAIT);
    assertEquals(from.peerId(), got.getString("from"));
  }
}
