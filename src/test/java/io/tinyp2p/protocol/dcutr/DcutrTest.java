package io.tinyp2p.protocol.dcutr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNet;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.node.Node;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Connection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DCUtR between Java nodes on loopback (no NAT: the NAT lab's HolePunchIT punches real holes): the
 * node a relayed connection came in to upgrades it to a direct one, by dialing the other's addresses
 * (the unilateral upgrade) or, when it has none, by the CONNECT/SYNC exchange that makes the other
 * dial; the relayed connection closes; and what a peer's garbage or a stream on a direct connection
 * gets.
 */
class DcutrTest {
  @RegisterExtension
  final TestNet net = new TestNet();
  final Vertx vertx = net.vertx;

  private TestNode relay() {
    return net.java(new JsonObject().put("busPrefix", "relay").put("relay", new JsonObject().put("server", true)));
  }

  private TestNode reserving(String prefix, TestNode relay, boolean holePunching) {
    return net.java(new JsonObject().put("busPrefix", prefix).put("holePunching", holePunching)
        .put("relays", new JsonArray().add(relay.addr().toString())));
  }

  @Test
  void theNodeTheRelayedConnectionCameToDialsTheOthersAddresses() {
    TestNode relay = relay();
    TestNode b = reserving("b", relay, true);
    TestNode a = net.java(new JsonObject().put("busPrefix", "a"));
    Multiaddr circuit = b.circuitAddr();
    JsonObject first = TestNode.await(new P2pClient(vertx, "a").connect(circuit.toString()));
    assertEquals("relayed", first.getString("path"), first.encode());

    // b dials a's listen address (from identify); the relayed connection goes
    Connection atA = a.onLoop(s -> onlyDirect(s, b.peerId()));
    assertEquals(io.tinyp2p.stream.Direction.INBOUND, atA.direction(), "b dialed a: " + atA);
    Connection atB = b.onLoop(s -> onlyDirect(s, a.peerId()));
    assertEquals(a.addr().tcpPort(), atB.remoteAddress().tcpPort(), "b dialed a's listen port: " + atB);
    JsonObject shown = holePunching("b");
    assertEquals(1, shown.getInteger("unilateral"), shown.encode());
    assertEquals(0, shown.getInteger("holePunched"), shown.encode());
    assertEquals("unilateral", shown.getJsonObject("last").getString("result"), shown.encode());
    JsonObject status = TestNode.await(new P2pClient(vertx, "b").status());
    JsonObject toA = status.getJsonArray("connections").stream().map(JsonObject.class::cast)
        .filter(c -> c.getString("peerId").equals(a.peerId().toString())).findFirst().orElseThrow();
    assertEquals("holePunched", toA.getString("path"), toA.encode());
  }

  @Test
  void aPeerWithoutAddressesIsMadeToDialByConnectAndSync() {
    TestNode relay = relay();
    TestNode b = reserving("b", relay, true);
    Multiaddr circuit = b.circuitAddr();
    // a listens nowhere: b has no address of a's to dial, so b runs the exchange and a dials b
    Context context = vertx.getOrCreateContext();
    Node a = TestNode.onContext(context, () -> {
      Node n = Node.builder(vertx, KeyPair.generate()).holePunching().build();
      return n.start(List.of()).map(n);
    });
    Connection relayed = TestNode.onContext(context, () -> a.swarm().dial(circuit));
    assertTrue(relayed.remoteAddress().isCircuit(), relayed.toString());

    Connection direct = TestNode.onContext(context, () -> awaitDirect(a, b));
    assertEquals(b.addr().tcpPort(), direct.remoteAddress().tcpPort(), "a dialed b's listen address: " + direct);
    JsonObject atB = holePunching("b");
    assertEquals(1, atB.getInteger("holePunched"), atB.encode());
    assertEquals("inbound", atB.getJsonObject("last").getString("direction"), "a's dial reached b: " + atB.encode());
    JsonObject atA = TestNode.onContext(context, () -> Future.succeededFuture(a.dcutr().statusJson()));
    assertEquals(1, atA.getInteger("answered"), atA.encode());
    assertTrue(TestNode.onContext(context, () -> Future.succeededFuture(a.dcutr().madeDirect(direct.info().id()))));
    TestNode.onContext(context, a::close);
  }

  @Test
  void garbageIsResetAndCountedAndADirectConnectionHasNothingToUpgrade() {
    TestNode relay = relay();
    TestNode b = reserving("b", relay, false); // b does not start DCUtR on the relayed connection
    TestNode a = net.java(new JsonObject().put("busPrefix", "a"));
    Connection relayed = a.onLoop(s -> s.dial(b.circuitAddr()));
    // on the relayed connection b sends a message that is no HolePunch: a (asked) resets the stream
    Boolean reset = b.onLoop(s -> s.connection(a.peerId()).openStream(List.of(Dcutr.PROTOCOL_ID))
        .compose(stream -> {
          stream.write(io.tinyp2p.stream.LengthPrefixed.frame(new byte[] {(byte) 0xFF, (byte) 0xFF, 0x7F}));
          return ended(stream);
        }));
    assertTrue(reset);
    JsonObject atA = holePunching("a");
    assertEquals(1, atA.getInteger("malformed"), atA.encode());
    assertTrue(relayed.isOpen(), "garbage closes the stream, not the connection");

    // a stream on a direct connection is refused
    TestNode c = net.java(new JsonObject().put("busPrefix", "c"));
    a.onLoop(s -> s.dial(c.addr()));
    Boolean refused = c.onLoop(s -> s.newStream(a.peerId(), Dcutr.PROTOCOL_ID).compose(DcutrTest::ended));
    assertTrue(refused);
    assertEquals(1, holePunching("a").getInteger("refused"));
  }

  /** Completes with true once the far end reset or ended the stream. */
  private static Future<Boolean> ended(P2pStream stream) {
    Promise<Boolean> done = Promise.promise();
    stream.handler(b -> { });
    stream.closeHandler(v -> done.tryComplete(true));
    stream.endHandler(v -> done.tryComplete(true));
    stream.exceptionHandler(e -> done.tryComplete(true));
    return done.future();
  }

  private JsonObject holePunching(String prefix) {
    return TestNode.await(new P2pClient(vertx, prefix).status()).getJsonObject("holePunching");
  }

  /** On a's context: a's only connection to b once it is direct. */
  private static Future<Connection> awaitDirect(Node a, TestNode b) {
    return onlyDirect(a.swarm(), b.peerId());
  }

  /** Completes (on the swarm's context) once the swarm's only connection to the peer is a direct one. */
  private static Future<Connection> onlyDirect(io.tinyp2p.swarm.Swarm s, io.tinyp2p.crypto.PeerId peer) {
    Promise<Connection> done = Promise.promise();
    Runnable check = () -> {
      List<Connection> to = s.connections().stream().filter(c -> c.remotePeer().equals(peer)).toList();
      if (to.size() == 1 && !to.get(0).remoteAddress().isCircuit()) {
        done.tryComplete(to.get(0));
      }
    };
    s.on(io.tinyp2p.swarm.SwarmEvent.ConnectionOpened.class, e -> check.run());
    s.on(io.tinyp2p.swarm.SwarmEvent.ConnectionClosed.class, e -> check.run());
    check.run();
    return done.future();
  }
}
