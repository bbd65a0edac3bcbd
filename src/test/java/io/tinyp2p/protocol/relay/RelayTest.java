package io.tinyp2p.protocol.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNet;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.relay.pb.CircuitProto.HopMessage;
import io.tinyp2p.protocol.relay.pb.CircuitProto.Status;
import io.tinyp2p.protocol.relay.pb.CircuitProto.StopMessage;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.transport.relay.RelayTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Circuit Relay v2 between Java nodes on loopback: a relay, a node that reserves on it and a node
 * that dials through it; what the relay's limits refuse and cut; and what it does with garbage.
 */
class RelayTest {
  @RegisterExtension
  final TestNet net = new TestNet();
  final Vertx vertx = net.vertx;

  /** A node; without hole punching, which would replace the relayed connections under test by direct ones. */
  private TestNode node(String prefix, JsonObject extra) {
    return net.java(new JsonObject().put("busPrefix", prefix).put("holePunching", false)
        .put("pubsubTopics", new JsonArray().add("news"))
        .put("gossipsub", new JsonObject().put("heartbeatMs", 200)).mergeIn(extra));
  }

  private TestNode relay(JsonObject limits) {
    return node("relay", new JsonObject().put("relay", limits.copy().put("server", true)));
  }

  private TestNode client(String prefix, TestNode relay) {
    return node(prefix, new JsonObject().put("relays", new JsonArray().add(relay.addr().toString())));
  }

  /** Sends one hop message from {@code from} to {@code relay} on a fresh stream and returns the answer. */
  static HopMessage hop(TestNode from, PeerId relay, Buffer frame) {
    Buffer answer = from.onLoop(s -> s.newStream(relay, RelayServer.HOP).compose(stream -> {
      stream.write(frame);
      return CircuitIo.readOne(stream, s.vertx(), java.time.Duration.ofSeconds(10)).map(f -> f.message());
    }));
    try {
      return HopMessage.parseFrom(answer.getBytes());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static Buffer reserve() {
    return io.tinyp2p.stream.LengthPrefixed.frame(
        HopMessage.newBuilder().setType(HopMessage.Type.RESERVE).build().toByteArray());
  }

  @Test
  void aNodeReservesAndIsReachedThroughTheRelayForRequestsAndBroadcasts() throws Exception {
    TestNode relay = relay(new JsonObject());
    TestNode a = client("a", relay);
    TestNode b = node("b", new JsonObject());
    Multiaddr circuit = a.circuitAddr();
    assertEquals(relay.peerId(), circuit.relayPeer());
    assertEquals(a.peerId(), circuit.circuitDestination());

    new P2pClient(vertx, "a").handleRequests((peer, payload) -> Future.succeededFuture(
        Buffer.buffer("to " + peer + ": ").appendBuffer(payload)));
    // the bus's connect takes a circuit address like any other
    JsonObject shown = TestNode.await(new P2pClient(vertx, "b").connect(circuit.toString()));
    assertEquals(RelayTransport.NAME, shown.getString("transport"), shown.encode());
    assertTrue(shown.getBoolean("limited"), shown.encode());
    assertEquals(relay.peerId().toString(), shown.getString("relayedVia"));

    Buffer reply = TestNode.await(new P2pClient(vertx, "b").request(a.peerId().toString(), Buffer.buffer("hello")));
    assertEquals("to " + b.peerId() + ": hello", reply.toString());
    List<Connection> atB = b.onLoop(s -> Future.succeededFuture(s.connections().stream()
        .filter(c -> c.remotePeer().equals(a.peerId())).toList()));
    assertEquals(1, atB.size(), "b reaches a over the circuit only: " + atB);
    assertEquals(RelayTransport.NAME, atB.get(0).info().transport());
    assertEquals("/noise", atB.get(0).info().security());

    // a broadcast crosses the relayed connection (the relay subscribes to nothing: it is no path)
    a.awaitMesh("news", 1);
    b.awaitMesh("news", 1);
    CompletableFuture<String> got = new CompletableFuture<>();
    new P2pClient(vertx, "a").onBroadcast("news", m -> got.complete(m.body().toString()));
    TestNode.await(new P2pClient(vertx, "b").broadcast("news", Buffer.buffer("through the relay")));
    assertEquals("through the relay", TestNode.join(got));

    JsonObject relayStatus = TestNode.await(new P2pClient(vertx, "relay").status()).getJsonObject("relay");
    JsonObject server = relayStatus.getJsonObject("server");
    assertEquals(1, server.getJsonArray("reservations").size(), server.encode());
    assertEquals(1, server.getInteger("circuits"), server.encode());
    JsonArray held = TestNode.await(new P2pClient(vertx, "a").status()).getJsonObject("relay")
        .getJsonArray("reservations");
    assertTrue(held.getJsonObject(0).getBoolean("reserved"), held.encode());
    assertEquals("valid", held.getJsonObject(0).getString("voucher"), held.encode());
  }

  @Test
  void aCircuitPastItsByteLimitIsResetAndItsConnectionCloses() {
    TestNode relay = relay(new JsonObject().put("circuitBytes", 32 * 1024));
    TestNode a = client("a", relay);
    TestNode b = node("b", new JsonObject());
    Multiaddr circuit = a.circuitAddr();
    new P2pClient(vertx, "a").handleRequests((peer, payload) -> Future.succeededFuture(Buffer.buffer("ok")));
    Connection c = b.onLoop(s -> s.dial(circuit));
    assertEquals(RelayTransport.NAME, c.info().transport());
    CompletableFuture<SwarmEvent.ConnectionClosed> closed = b.expect(SwarmEvent.ConnectionClosed.class,
        e -> e.connection() == c);
    Buffer big = Buffer.buffer(new byte[48 * 1024]);
    assertThrows(RuntimeException.class,
        () -> TestNode.await(new P2pClient(vertx, "b").request(a.peerId().toString(), big)));
    TestNode.join(closed);
    JsonObject server = TestNode.await(new P2pClient(vertx, "relay").status()).getJsonObject("relay")
        .getJsonObject("server");
    assertEquals(1, server.getLong("circuitsCutByData"), server.encode());
    assertEquals(0, server.getInteger("circuits"), server.encode());
  }

  @Test
  void aNodeThatIsNoRelayRefusesTheHopProtocol() {
    TestNode plain = node("plain", new JsonObject());
    TestNode b = node("b", new JsonObject());
    b.onLoop(s -> s.dial(plain.addr()));
    RuntimeException refused = assertThrows(RuntimeException.class,
        () -> b.onLoop(s -> s.newStream(plain.peerId(), RelayServer.HOP)));
    assertTrue(refused.getMessage().contains("negotiation"), refused.getMessage());
    // and nothing is relayed through it
    Multiaddr through = plain.addr().withCircuit().withPeerId(PeerId.parse(b.peerId().toString()));
    assertThrows(RuntimeException.class, () -> b.onLoop(s -> s.dial(through)));
    JsonObject status = TestNode.await(new P2pClient(vertx, "plain").status()).getJsonObject("relay");
    assertFalse(status.containsKey("server"), status.encode());
  }

  @Test
  void reservationsPastTheRelaysLimitAreRefusedWithTheStatusCode() {
    TestNode relay = relay(new JsonObject().put("maxReservations", 1));
    TestNode a = client("a", relay);
    a.circuitAddr();
    TestNode c = node("c", new JsonObject());
    c.onLoop(s -> s.dial(relay.addr()));
    HopMessage answer = hop(c, relay.peerId(), reserve());
    assertEquals(HopMessage.Type.STATUS, answer.getType());
    assertEquals(Status.RESERVATION_REFUSED, answer.getStatus());
    assertFalse(answer.hasReservation());
    // a's own refresh is no new reservation
    HopMessage refresh = hop(a, relay.peerId(), reserve());
    assertEquals(Status.OK, refresh.getStatus());
    var voucher = SignedEnvelope.openVoucher(refresh.getReservation().getVoucher().toByteArray());
    assertEquals(a.peerId(), PeerId.fromBytes(voucher.getPeer().toByteArray()));
    assertEquals(refresh.getReservation().getExpire(), voucher.getExpiration());
    assertEquals(32 * 1024 * 4, refresh.getLimit().getData());
  }

  @Test
  void aCircuitToAPeerWithoutReservationIsRefused() {
    TestNode relay = relay(new JsonObject());
    TestNode b = node("b", new JsonObject());
    TestNode lone = node("lone", new JsonObject());
    lone.onLoop(s -> s.dial(relay.addr()));
    Multiaddr through = relay.addr().withCircuit().withPeerId(lone.peerId());
    RuntimeException refused = assertThrows(RuntimeException.class, () -> b.onLoop(s -> s.dial(through)));
    assertTrue(refused.getMessage().contains("NO_RESERVATION"), refused.getMessage());
  }

  @Test
  void garbageOnTheHopStreamIsAnsweredMalformedAndTheStreamCloses() {
    TestNode relay = relay(new JsonObject());
    TestNode b = node("b", new JsonObject());
    b.onLoop(s -> s.dial(relay.addr()));
    HopMessage answer = hop(b, relay.peerId(), io.tinyp2p.stream.LengthPrefixed.frame(new byte[] {(byte) 0xff, 1, 2}));
    assertEquals(Status.MALFORMED_MESSAGE, answer.getStatus());
    // a bad length prefix: the same
    HopMessage badPrefix = hop(b, relay.peerId(), Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
    assertEquals(Status.MALFORMED_MESSAGE, badPrefix.getStatus());
    JsonObject server = TestNode.await(new P2pClient(vertx, "relay").status()).getJsonObject("relay")
        .getJsonObject("server");
    assertEquals(2, server.getLong("malformed"), server.encode());
    assertNotNull(b.onLoop(s -> Future.succeededFuture(s.connection(relay.peerId()))), "the connection stays");
  }

  @Test
  void aLostReservationIsMadeAgainOnceTheRelayIsReachedAgain() {
    TestNode relay = relay(new JsonObject());
    TestNode a = client("a", relay);
    Multiaddr first = a.circuitAddr();
    CompletableFuture<Void> gone = new CompletableFuture<>();
    CompletableFuture<Void> back = new CompletableFuture<>();
    a.onLoop(s -> {
      s.on(SwarmEvent.ListenAddressesChanged.class, e -> {
        if (s.listenAddresses().stream().noneMatch(Multiaddr::isCircuit)) {
          gone.complete(null);
        } else if (gone.isDone()) {
          back.complete(null);
        }
      });
      s.disconnect(relay.peerId());
      return Future.succeededFuture();
    });
    TestNode.join(gone);
    TestNode.join(back);
    assertEquals(first, a.circuitAddr());
    TestNode b = node("b", new JsonObject());
    Connection c = b.onLoop(s -> s.dial(first));
    assertEquals(RelayTransport.NAME, c.info().transport());
  }

  @Test
  void aReservationIsRefreshedBeforeItExpires() {
    TestNode relay = relay(new JsonObject().put("reservationTtl", 2));
    TestNode a = client("a", relay);
    Multiaddr circuit = a.circuitAddr();
    // refreshed at three quarters of its time: the relay sees a second RESERVE (polled: no event for it)
    CompletableFuture<Void> refreshed = new CompletableFuture<>();
    long timer = vertx.setPeriodic(100, t -> new P2pClient(vertx, "relay").status().onSuccess(st -> {
      if (st.getJsonObject("relay").getJsonObject("server").getLong("reservationsAccepted") >= 3) {
        refreshed.complete(null);
      }
    }));
    try {
      TestNode.join(refreshed); // two refreshes: past the first reservation's expiry
    } finally {
      vertx.cancelTimer(timer);
    }
    TestNode b = node("b", new JsonObject());
    Connection c = b.onLoop(s -> s.dial(circuit));
    assertEquals(RelayTransport.NAME, c.info().transport());
  }

  /**
   * Garbage on the stop protocol is MALFORMED_MESSAGE; a CONNECT from a relay we hold no reservation
   * on through this transport is accepted all the same (as go and js do: the daemon's clients reserve
   * over their own hop streams), and the circuit is offered to the swarm as an inbound connection.
   */
  @Test
  void theStopProtocolAnswersGarbageMalformedAndAcceptsCircuitsFromAnyRelay() throws Exception {
    TestNode a = node("a", new JsonObject());
    TestNode b = node("b", new JsonObject());
    b.onLoop(s -> s.dial(a.addr()));
    StopMessage garbage = stop(b, a.peerId(), io.tinyp2p.stream.LengthPrefixed.frame(new byte[] {(byte) 0xff, 7}));
    assertEquals(StopMessage.Type.STATUS, garbage.getType());
    assertEquals(Status.MALFORMED_MESSAGE, garbage.getStatus());
    StopMessage connect = StopMessage.newBuilder().setType(StopMessage.Type.CONNECT)
        .setPeer(io.tinyp2p.protocol.relay.pb.CircuitProto.Peer.newBuilder()
            .setId(com.google.protobuf.ByteString.copyFrom(b.peerId().toBytes()))).build();
    StopMessage accepted = stop(b, a.peerId(), io.tinyp2p.stream.LengthPrefixed.frame(connect.toByteArray()));
    assertEquals(Status.OK, accepted.getStatus());
    java.util.Map<String, Long> counters = a.onLoop(s -> Future.succeededFuture(s.transports().stream()
        .filter(t -> t.name().equals(RelayTransport.NAME)).findFirst().orElseThrow().counters()));
    assertEquals(1L, counters.get("circuitsAcceptedUnreserved"), counters.toString());
  }

  static StopMessage stop(TestNode from, PeerId to, Buffer frame) throws Exception {
    Buffer answer = from.onLoop(s -> s.newStream(to, RelayServer.STOP).compose(stream -> {
      stream.write(frame);
      return CircuitIo.readOne(stream, s.vertx(), java.time.Duration.ofSeconds(10)).map(f -> f.message());
    }));
    return StopMessage.parseFrom(answer.getBytes());
  }

  @Test
  void aCircuitPastItsDurationIsResetAndItsConnectionCloses() {
    TestNode relay = relay(new JsonObject().put("circuitDuration", 1));
    TestNode a = client("a", relay);
    TestNode b = node("b", new JsonObject());
    Multiaddr circuit = a.circuitAddr();
    CompletableFuture<SwarmEvent.ConnectionClosed> closed = b.expect(SwarmEvent.ConnectionClosed.class,
        e -> RelayTransport.NAME.equals(e.connection().info().transport()));
    b.onLoop(s -> s.dial(circuit));
    TestNode.join(closed);
    JsonObject server = TestNode.await(new P2pClient(vertx, "relay").status()).getJsonObject("relay")
        .getJsonObject("server");
    assertEquals(1, server.getLong("circuitsCutByDuration"), server.encode());
    assertTrue(a.<Boolean>onLoop(s -> Future.succeededFuture(s.isConnected(relay.peerId()))), "the reservation's connection stays");
  }

  @Test
  void circuitsPastTheRelaysLimitAreRefusedWithTheStatusCode() {
    TestNode relay = relay(new JsonObject().put("maxCircuits", 1));
    TestNode a = client("a", relay);
    Multiaddr circuit = a.circuitAddr();
    TestNode b = node("b", new JsonObject());
    TestNode c = node("c", new JsonObject());
    assertEquals(RelayTransport.NAME, b.<Connection>onLoop(s -> s.dial(circuit)).info().transport());
    RuntimeException refused = assertThrows(RuntimeException.class, () -> c.onLoop(s -> s.dial(circuit)));
    assertTrue(refused.getMessage().contains("RESOURCE_LIMIT_EXCEEDED"), refused.getMessage());
  }
}
