package io.tinyp2p.protocol.autonat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.Bus;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.protocol.autonat.pb.AutoNatProto.Message;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.stream.Exchange;
import io.tinyp2p.swarm.Connection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** AutoNAT v1 between Java nodes on 127.0.0.1: the server's answers and limits, the client's reachability. */
class AutoNatTest {
  final Vertx vertx = Vertx.vertx();
  /** Every node a test started, closed after it with the Vert.x instance. */
  final List<TestNode> nodes = new ArrayList<>();
  int prefixes;

  @AfterEach
  void closeAll() {
    nodes.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }

  TestNode node(JsonObject autonat) {
    TestNode n = TestNode.start(vertx, new JsonObject().put("busPrefix", "autonat" + (prefixes++))
        .put("autonat", autonat));
    nodes.add(n);
    return n;
  }

  /** A server only (its client asks nobody). */
  TestNode server(JsonObject extra) {
    return node(new JsonObject().put("client", false).mergeIn(extra));
  }

  /** A client only, asking at once when a server connects, {@code confidence} answers to settle. */
  TestNode client(int confidence, JsonObject extra) {
    return node(new JsonObject().put("server", false).put("interval", 3600).put("confidence", confidence)
        .mergeIn(extra));
  }

  static AutoNat autoNat(TestNode n) {
    return n.verticle().node().autoNat();
  }

  /** {@code from} connects to {@code to} and waits until it identified it (it knows {@code to} speaks AutoNAT). */
  static Connection connect(TestNode from, TestNode to) {
    var identified = from.expect(PeerIdentified.class, e -> e.peer().equals(to.peerId()));
    Multiaddr addr = to.addr();
    Connection c = from.onLoop(s -> s.dial(addr));
    TestNode.join(identified);
    return c;
  }

  static AutoNatClient.Answer ask(TestNode from, Connection c, Multiaddr... addrs) {
    return from.onLoop(s -> AutoNatClient.ask(s, c, List.of(addrs), Duration.ofSeconds(20)));
  }

  static Multiaddr listenAddr(TestNode n) {
    return n.addr().withoutPeerId();
  }

  static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  Long counter(TestNode server, String key) {
    return server.onLoop(s -> Future.succeededFuture(autoNat(server).serverCounters().get(key)));
  }

  @Test
  void serverDialsBackAReachableAddressAndReportsADialErrorForOneThatDoesNotListen() throws Exception {
    TestNode server = server(new JsonObject());
    TestNode asker = client(3, new JsonObject().put("client", false));
    Connection c = connect(asker, server);

    AutoNatClient.Answer ok = ask(asker, c, listenAddr(asker));
    assertEquals(Message.ResponseStatus.OK, ok.status(), ok.text());
    assertEquals(listenAddr(asker), ok.addr(), "the address dialed is in the answer");

    Multiaddr closed = Multiaddr.tcp("127.0.0.1", closedPort());
    AutoNatClient.Answer error = ask(asker, c, closed);
    assertEquals(Message.ResponseStatus.E_DIAL_ERROR, error.status(), error.text());
    assertEquals(1L, counter(server, "ok"));
    assertEquals(1L, counter(server, "dialError"));
    assertEquals(2L, counter(server, "dialBacks"));
  }

  @Test
  void serverNeverDialsAnIpOtherThanTheRequesters() throws Exception {
    TestNode server = server(new JsonObject());
    TestNode asker = client(3, new JsonObject().put("client", false));
    Connection c = connect(asker, server);
    try (ServerSocketChannel victim = ServerSocketChannel.open()) {
      victim.bind(new InetSocketAddress("127.0.0.2", 0));
      victim.configureBlocking(false);
      Multiaddr other = Multiaddr.tcp("127.0.0.2", ((InetSocketAddress) victim.getLocalAddress()).getPort());
      AutoNatClient.Answer refused = ask(asker, c, other, Multiaddr.parse("/ip4/0.0.0.0/tcp/4001"));
      assertEquals(Message.ResponseStatus.E_DIAL_REFUSED, refused.status(), refused.text());
      assertNull(victim.accept(), "nobody connected to the other IP");
    }
    assertEquals(0L, counter(server, "dialBacks"), "no dial at all");
    assertEquals(1L, counter(server, "dialRefused"));
  }

  @Test
  void serverAnswersBadRequestsAndResetsGarbage() {
    TestNode server = server(new JsonObject());
    TestNode asker = client(3, new JsonObject().put("client", false));
    TestNode third = client(3, new JsonObject().put("client", false));
    Connection c = connect(asker, server);
    Message noDial = Message.newBuilder().setType(Message.MessageType.DIAL).build();
    assertEquals(Message.ResponseStatus.E_BAD_REQUEST, raw(asker, c, Buffer.buffer(noDial.toByteArray()))
        .getDialResponse().getStatus());
    Message otherPeer = Message.newBuilder().setType(Message.MessageType.DIAL).setDial(Message.Dial.newBuilder()
        .setPeer(Message.PeerInfo.newBuilder().setId(com.google.protobuf.ByteString.copyFrom(third.peerId().toBytes()))
            .addAddrs(com.google.protobuf.ByteString.copyFrom(listenAddr(third).toBytes())))).build();
    assertEquals(Message.ResponseStatus.E_BAD_REQUEST, raw(asker, c, Buffer.buffer(otherPeer.toByteArray()))
        .getDialResponse().getStatus(), "a request for another peer is refused");
    Throwable garbage = asker.onLoop(s -> rawBytes(s.vertx(), c, Buffer.buffer(new byte[] {(byte) 0xff, 0x01, 0x02}))
        .transform(ar -> Future.succeededFuture(ar.cause())));
    assertTrue(garbage != null, "garbage gets no answer");
    assertTrue(c.isOpen(), "garbage closes the stream, not the connection");
    assertEquals(0L, counter(server, "dialBacks"));
    assertEquals(Message.ResponseStatus.OK, ask(asker, c, listenAddr(asker)).status(), "the server still serves");
  }

  static Future<Buffer> rawBytes(Vertx vertx, Connection c, Buffer payload) {
    return Exchange.outbound(vertx, Duration.ofSeconds(20), () -> new IllegalStateException("timeout"),
        c.openStream(List.of(AutoNat.PROTOCOL_ID)),
        stream -> Exchange.request(stream, vertx, payload, true, AutoNat.MAX_MESSAGE_SIZE, Duration.ofSeconds(10)));
  }

  static Message raw(TestNode from, Connection c, Buffer payload) {
    return from.onLoop(s -> rawBytes(s.vertx(), c, payload).map(b -> {
      try {
        return Message.parseFrom(b.getBytes());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    }));
  }

  @Test
  void serverRateLimitsPerPeerAndInAll() {
    TestNode server = server(new JsonObject().put("perPeerLimit", 2).put("globalLimit", 3));
    TestNode a = client(3, new JsonObject().put("client", false));
    TestNode b = client(3, new JsonObject().put("client", false));
    Connection ca = connect(a, server);
    Connection cb = connect(b, server);
    assertEquals(Message.ResponseStatus.OK, ask(a, ca, listenAddr(a)).status());
    assertEquals(Message.ResponseStatus.OK, ask(a, ca, listenAddr(a)).status());
    AutoNatClient.Answer third = ask(a, ca, listenAddr(a));
    assertEquals(Message.ResponseStatus.E_DIAL_REFUSED, third.status(), "over the per-peer limit: " + third.text());
    assertEquals(Message.ResponseStatus.OK, ask(b, cb, listenAddr(b)).status());
    AutoNatClient.Answer overall = ask(b, cb, listenAddr(b));
    assertEquals(Message.ResponseStatus.E_DIAL_REFUSED, overall.status(), "over the global limit: " + overall.text());
    assertEquals(3L, counter(server, "dialBacks"));
  }

  @Test
  void serverOffDoesNotSpeakAutoNat() {
    TestNode off = node(new JsonObject().put("server", false).put("client", false));
    boolean speaks = off.onLoop(s -> Future.succeededFuture(s.supports(AutoNat.PROTOCOL_ID)));
    assertFalse(speaks);
  }

  @Test
  void clientBecomesPublicWhenServersDialItBack() {
    TestNode s1 = server(new JsonObject());
    TestNode s2 = server(new JsonObject());
    TestNode client = client(2, new JsonObject());
    CompletableFuture<JsonObject> busEvent = new CompletableFuture<>();
    vertx.eventBus().<JsonObject>consumer(Bus.events("autonat2"), m -> {
      if ("reachability".equals(m.body().getString("type")) && "public".equals(m.body().getString("reachability"))) {
        busEvent.complete(m.body());
      }
    });
    var reached = client.expect(ReachabilityChanged.class, e -> e.reachability() == Reachability.PUBLIC);
    connect(client, s1);
    connect(client, s2);
    ReachabilityChanged e = TestNode.join(reached);
    assertEquals(List.of(listenAddr(client)), e.confirmedAddrs());
    JsonObject event = TestNode.join(busEvent);
    assertEquals(new JsonArray().add(listenAddr(client).toString()), event.getJsonArray("confirmedAddrs"));
    JsonObject status = client.onLoop(s -> Future.succeededFuture(client.verticle().status())).getJsonObject("autonat");
    assertEquals("public", status.getString("reachability"), status.encode());
    assertEquals(2L, status.getJsonObject("client").getLong("ok"), status.encode());
    // both servers saw the client's outbound connection come from an ephemeral port: recorded at its listen port
    assertEquals(new JsonArray().add(new JsonObject().put("addr", listenAddr(client).toString()).put("observers", 2)),
        status.getJsonArray("observed"), status.encode());
  }

  @Test
  void clientBecomesPrivateWhenItsCandidatePointsToAClosedPort() throws Exception {
    TestNode s1 = server(new JsonObject());
    TestNode s2 = server(new JsonObject());
    Multiaddr closed = Multiaddr.tcp("127.0.0.1", closedPort());
    // as behind a NAT: the one candidate is not reachable (observations, which on loopback name
    // the reachable listen address, never make the threshold)
    TestNode client = client(2, new JsonObject().put("candidates", new JsonArray().add(closed.toString()))
        .put("observedThreshold", 100));
    var privateNow = client.expect(ReachabilityChanged.class, e -> e.reachability() == Reachability.PRIVATE);
    connect(client, s1);
    connect(client, s2);
    assertEquals(List.of(), TestNode.join(privateNow).confirmedAddrs());
    List<Multiaddr> announced = client.onLoop(s -> Future.succeededFuture(s.announcedAddresses()));
    assertFalse(announced.contains(closed), "an unconfirmed candidate is not announced: " + announced);
    JsonObject status = client.onLoop(s -> Future.succeededFuture(client.verticle().status())).getJsonObject("autonat");
    assertEquals("private", status.getString("reachability"));
    assertEquals(new JsonArray().add(closed.toString()), status.getJsonArray("candidates"));
  }

  /**
   * A port forward: a TCP relay on another port of 127.0.0.1 to the client's listen port. The
   * client names it as a candidate; it is announced (identify push reaches the server) only once a
   * server dialed it back.
   */
  @Test
  void aConfirmedCandidateIsAnnouncedInIdentify() {
    TestNode server = server(new JsonObject());
    int forward = forward(); // its port first: the client's config names it
    TestNode client = client(1, new JsonObject().put("candidates",
        new JsonArray().add("/ip4/127.0.0.1/tcp/" + forward)));
    target = listenAddr(client).tcpPort();
    Multiaddr forwarded = Multiaddr.tcp("127.0.0.1", forward);
    var pushed = server.expect(PeerIdentified.class, e -> e.peer().equals(client.peerId())
        && e.info().listenAddrs().contains(forwarded));
    var confirmed = client.expect(ReachabilityChanged.class, e -> e.confirmedAddrs().contains(forwarded));
    connect(client, server);
    PeerStore.PeerInfo before = server.onLoop(s -> Future.succeededFuture(s.peerStore().get(client.peerId())));
    assertFalse(before.listenAddrs().contains(forwarded), "not announced before it is confirmed");
    TestNode.join(confirmed);
    assertEquals(Reachability.PUBLIC, client.onLoop(s -> Future.succeededFuture(autoNat(client).reachability())));
    PeerStore.PeerInfo after = TestNode.join(pushed).info();
    assertTrue(after.listenAddrs().contains(forwarded), after.listenAddrs().toString());
    assertTrue(client.onLoop(s -> Future.succeededFuture(s.announcedAddresses())).contains(forwarded));
  }

  volatile int target;

  /** A TCP forwarder on 127.0.0.1 to {@link #target} (set later); returns its port. */
  int forward() {
    NetServer fwd = vertx.createNetServer();
    fwd.connectHandler(in -> {
      in.pause();
      vertx.createNetClient().connect(target, "127.0.0.1").onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        in.pipeTo(out);
        out.pipeTo(in);
        in.resume();
      });
    });
    return TestNode.await(fwd.listen(0, "127.0.0.1")).actualPort();
  }
}
