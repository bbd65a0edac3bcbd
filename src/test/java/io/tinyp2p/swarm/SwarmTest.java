package io.tinyp2p.swarm;

import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.stream.Direction;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Echo;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.identify.Identify;
import io.tinyp2p.protocol.ping.Ping;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Java ⇄ Java: two nodes in one JVM, over real loopback TCP. */
class SwarmTest {
  static Vertx vertx;
  static TestNode a;
  static TestNode b;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    a = TestNode.start(vertx);
    b = TestNode.start(vertx);
    for (TestNode n : List.of(a, b)) {
      n.onLoop(s -> {
        Echo.install(s);
        return Future.succeededFuture();
      });
    }
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
    TestNode.await(vertx.close());
  }

  @Test
  void connectPingAndIdentifyBothWays() {
    // fresh nodes: the shared ones may be connected already by another test
    try (TestNode a = TestNode.start(vertx); TestNode b = TestNode.start(vertx)) {
      b.onLoop(s -> {
        Echo.install(s);
        return Future.succeededFuture();
      });
      connectPingAndIdentify(a, b);
    }
  }

  @Test
  void connectPingAndIdentifyOverTls() {
    io.vertx.core.json.JsonObject tls = new io.vertx.core.json.JsonObject()
        .put("security", new io.vertx.core.json.JsonArray().add("tls"));
    try (TestNode a = TestNode.start(vertx, tls); TestNode b = TestNode.start(vertx, tls)) {
      b.onLoop(s -> {
        Echo.install(s);
        return Future.succeededFuture();
      });
      connectPingAndIdentify(a, b);
      assertEquals("/tls/1.0.0", a.<String>onLoop(s -> Future.succeededFuture(s.connections().get(0).info().security())));
      assertEquals("/tls/1.0.0", b.<String>onLoop(s -> Future.succeededFuture(s.connections().get(0).info().security())));
    }
  }

  private void connectPingAndIdentify(TestNode a, TestNode b) {
    var aKnowsB = a.expect(PeerIdentified.class, e -> e.peer().equals(b.peerId()));
    var bKnowsA = b.expect(PeerIdentified.class, e -> e.peer().equals(a.peerId()));
    Connection c = a.onLoop(s -> s.dial(b.addr()));
    assertEquals(b.peerId(), c.remotePeer());
    assertEquals(Direction.OUTBOUND, c.direction());

    PeerStore.PeerInfo infoB = TestNode.join(aKnowsB).info();
    assertEquals(b.verticle().swarm().identity().publicKey(), infoB.publicKey());
    assertTrue(infoB.listenAddrs().contains(b.addr().withoutPeerId()), infoB.listenAddrs().toString());
    assertTrue(infoB.supports(Ping.PROTOCOL_ID));
    assertTrue(infoB.supports(Identify.PROTOCOL_ID));
    assertTrue(infoB.supports(Echo.PROTOCOL_ID));
    assertTrue(infoB.agentVersion().startsWith("tinyp2p-jvm/"));
    assertNotNull(infoB.observedAddr());
    assertTrue(infoB.observedAddr().isLoopback());

    PeerStore.PeerInfo infoA = TestNode.join(bKnowsA).info();
    assertEquals(a.verticle().swarm().identity().publicKey(), infoA.publicKey());

    Duration rttAB = a.onLoop(s -> a.verticle().node().ping().ping(b.peerId()));
    Duration rttBA = b.onLoop(s -> b.verticle().node().ping().ping(a.peerId()));
    assertTrue(rttAB.toNanos() > 0 && rttAB.toSeconds() < 10);
    assertTrue(rttBA.toNanos() > 0 && rttBA.toSeconds() < 10);
    // b reused the inbound connection rather than dialing a second one
    assertEquals(1, (int) b.<Integer>onLoop(s -> Future.succeededFuture(s.connections().size())));
  }

  @Test
  void newListenAddressesArePushedToConnectedPeers() {
    try (TestNode a = TestNode.start(vertx); TestNode b = TestNode.start(vertx)) {
      var first = a.expect(PeerIdentified.class, e -> e.peer().equals(b.peerId()));
      a.onLoop(s -> s.dial(b.addr()));
      TestNode.join(first);
      var pushed = a.expect(PeerIdentified.class,
          e -> e.peer().equals(b.peerId()) && e.info().listenAddrs().size() == 2);
      Multiaddr second = b.onLoop(s -> s.listen(Multiaddr.parse("/ip4/127.0.0.2/tcp/0")));
      PeerStore.PeerInfo info = TestNode.join(pushed).info();
      assertTrue(info.listenAddrs().contains(second), info.listenAddrs().toString());
    }
  }

  @Test
  void dialingTheSamePeerTwiceReusesTheConnection() {
    Multiaddr addr = b.addr();
    List<Connection> both = a.onLoop(s -> Future.all(s.dial(addr), s.dial(addr))
        .map(cf -> List.of(cf.<Connection>resultAt(0), cf.<Connection>resultAt(1))));
    assertSame(both.get(0), both.get(1));
  }

  @Test
  void aDifferentPeerIdThanDialedIsAnError() {
    Multiaddr wrong = b.addr().withPeerId(KeyPair.generate().peerId());
    RuntimeException e = assertThrows(RuntimeException.class, () -> a.onLoop(s -> s.dial(wrong)));
    assertTrue(e.getMessage().contains("reached peer " + b.peerId() + ", expected " + wrong.peerId()), e.getMessage());
  }

  @Test
  void dialingAClosedPortFailsWithTheAddress() {
    Multiaddr closed = Multiaddr.parse("/ip4/127.0.0.1/tcp/1");
    RuntimeException e = assertThrows(RuntimeException.class, () -> a.onLoop(s -> s.dial(closed)));
    assertTrue(e.getMessage().contains("/ip4/127.0.0.1/tcp/1"), e.getMessage());
  }

  @Test
  void unsupportedProtocolIsRefused() {
    a.onLoop(s -> s.dial(b.addr()));
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> a.onLoop(s -> s.newStream(b.peerId(), "/nobody/1.0.0")));
    assertTrue(e.getMessage().contains("/nobody/1.0.0"), e.getMessage());
  }

  @Test
  void hundredParallelStreamsEachEchoOneMebibyte() {
    a.onLoop(s -> s.dial(b.addr()));
    Random random = new Random(42);
    List<Buffer> payloads = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      byte[] bytes = new byte[1024 * 1024];
      random.nextBytes(bytes);
      payloads.add(Buffer.buffer(bytes));
    }
    List<Buffer> echoed = a.onLoop(s -> {
      List<Future<Buffer>> all = new ArrayList<>();
      for (Buffer p : payloads) {
        all.add(Echo.roundTrip(s, b.peerId(), p));
      }
      return Future.all(all).map(cf -> cf.<Buffer>list());
    });
    for (int i = 0; i < payloads.size(); i++) {
      assertArrayEquals(payloads.get(i).getBytes(), echoed.get(i).getBytes(), "stream " + i);
    }
  }
}
