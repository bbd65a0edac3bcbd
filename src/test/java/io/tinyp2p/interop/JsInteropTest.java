package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.Echo;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.identify.Identify;
import io.tinyp2p.protocol.ping.Ping;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Java ⇄ js-libp2p 3 (the reference implementation), in both directions. */
class JsInteropTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  Vertx vertx;
  TestNode java;
  JsPeer js;

  @BeforeAll
  static void install() {
    JsPeer.ensureInstalled();
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    java = TestNode.start(vertx);
    java.onLoop(s -> {
      Echo.install(s);
      return Future.succeededFuture();
    });
    js = JsPeer.start(new JsonObject().put("port", 0));
  }

  @AfterEach
  void stop() {
    js.close();
    java.close();
    TestNode.await(vertx.close());
  }

  @Test
  void javaDialsJs() {
    PeerId jsId = PeerId.parse(js.peerId());
    var identified = java.expect(PeerIdentified.class, e -> e.peer().equals(jsId));
    Multiaddr jsAddr = Multiaddr.parse(js.addrs().get(0));
    Connection c = java.onLoop(s -> s.dial(jsAddr));
    assertEquals(jsId, c.remotePeer());
    assertEquals(Direction.OUTBOUND, c.direction());

    // Java's identify of js: public key, listen addresses, protocols
    PeerStore.PeerInfo info = TestNode.join(identified).info();
    assertArrayEquals(js.publicKeyProtobuf(), info.publicKey().marshal());
    assertTrue(info.listenAddrs().contains(jsAddr.withoutPeerId()), info.listenAddrs().toString());
    assertTrue(info.supports(Ping.PROTOCOL_ID), info.protocols().toString());
    assertTrue(info.supports(Identify.PROTOCOL_ID), info.protocols().toString());
    assertTrue(info.agentVersion().startsWith("js-libp2p/"), info.agentVersion());

    // js's identify of Java
    JsonObject jsSide = js.awaitEvent(JsPeer.event("identify", java.peerId().toBase58()), WAIT);
    assertJsKnowsJava(jsSide);

    // ping both ways
    Duration rtt = java.onLoop(s -> java.verticle().node().ping().ping(jsId));
    assertTrue(rtt.toNanos() > 0);
    JsonObject jsPing = js.call(new JsonObject().put("cmd", "ping").put("peer", java.peerId().toBase58()), WAIT);
    assertTrue(jsPing.getNumber("rttMs").doubleValue() >= 0);
    assertEquals(1, (int) java.<Integer>onLoop(s -> Future.succeededFuture(s.connections().size())));
  }

  @Test
  void jsDialsJava() {
    PeerId jsId = PeerId.parse(js.peerId());
    var identified = java.expect(PeerIdentified.class, e -> e.peer().equals(jsId));
    var opened = java.expect(SwarmEvent.ConnectionOpened.class, e -> e.peer().equals(jsId));
    JsonObject dial = js.call(new JsonObject().put("cmd", "dial").put("addr", java.addr().toString()), WAIT);
    assertEquals(java.peerId().toBase58(), dial.getString("peerId"));
    Connection c = TestNode.join(opened).connection();
    assertEquals(Direction.INBOUND, c.direction());
    assertEquals(jsId, c.remotePeer());

    JsonObject jsSide = js.awaitEvent(JsPeer.event("identify", java.peerId().toBase58()), WAIT);
    assertJsKnowsJava(jsSide);
    JsonObject stored = js.call(new JsonObject().put("cmd", "peerInfo").put("peer", java.peerId().toBase58()), WAIT);
    assertTrue(stored.getJsonArray("protocols").contains(Echo.PROTOCOL_ID), stored.encode());

    PeerStore.PeerInfo info = TestNode.join(identified).info();
    assertArrayEquals(js.publicKeyProtobuf(), info.publicKey().marshal());

    JsonObject jsPing = js.call(new JsonObject().put("cmd", "ping").put("peer", java.peerId().toBase58()), WAIT);
    assertTrue(jsPing.getNumber("rttMs").doubleValue() >= 0);
    Duration rtt = java.onLoop(s -> java.verticle().node().ping().ping(jsId));
    assertTrue(rtt.toNanos() > 0);
  }

  @Test
  void hundredParallelStreamsOfOneMebibyteEachWay() {
    PeerId jsId = PeerId.parse(js.peerId());
    java.onLoop(s -> s.dial(Multiaddr.parse(js.addrs().get(0))));

    // js opens 100 streams to Java's echo, checks every byte
    JsonObject reply = js.call(new JsonObject().put("cmd", "echo").put("peer", java.peerId().toBase58())
        .put("streams", 100).put("bytes", 1024 * 1024), Duration.ofSeconds(120));
    assertEquals(100, reply.getInteger("streams"));

    // Java opens 100 streams to js's echo, checks every byte
    Random random = new Random(7);
    List<Buffer> payloads = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      byte[] bytes = new byte[1024 * 1024];
      random.nextBytes(bytes);
      payloads.add(Buffer.buffer(bytes));
    }
    List<Buffer> echoed = java.onLoop(s -> {
      List<Future<Buffer>> all = new ArrayList<>();
      for (Buffer p : payloads) {
        all.add(Echo.roundTrip(s, jsId, p));
      }
      return Future.all(all).map(cf -> cf.<Buffer>list());
    });
    for (int i = 0; i < payloads.size(); i++) {
      assertArrayEquals(payloads.get(i).getBytes(), echoed.get(i).getBytes(), "stream " + i);
    }
    // all of it over the one connection
    assertEquals(1, (int) java.<Integer>onLoop(s -> Future.succeededFuture(s.connections().size())));
  }

  private void assertJsKnowsJava(JsonObject identify) {
    assertArrayEquals(java.verticle().swarm().identity().publicKey().marshal(),
        Base64.getDecoder().decode(identify.getString("publicKey")));
    String listen = java.addr().withoutPeerId().toString();
    assertTrue(identify.getJsonArray("listenAddrs").stream().anyMatch(a -> a.toString().startsWith(listen)),
        identify.encode());
    assertTrue(identify.getJsonArray("protocols").contains(Ping.PROTOCOL_ID), identify.encode());
    assertTrue(identify.getJsonArray("protocols").contains(Identify.PROTOCOL_ID), identify.encode());
    assertTrue(identify.getString("agentVersion").startsWith("tinyp2p-jvm/"), identify.encode());
  }
}
