package io.tinyp2p.transport.relay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.relay.CircuitIo;
import io.tinyp2p.protocol.relay.RelayServer;
import io.tinyp2p.protocol.relay.pb.CircuitProto.HopMessage;
import io.tinyp2p.protocol.relay.pb.CircuitProto.Peer;
import io.tinyp2p.protocol.relay.pb.CircuitProto.Status;
import io.tinyp2p.protocol.relay.pb.CircuitProto.StopMessage;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.transport.Transport;
import io.tinyp2p.transport.TransportException;
import io.tinyp2p.transport.Upgrade;
import io.tinyp2p.transport.tcp.TcpConnection;
import io.tinyp2p.transport.tcp.TcpTransport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Circuit Relay v2 as a transport, name {@value #NAME}: its "socket" is a stream through a relay.
 *
 * <ul>
 *   <li>Dialing {@code <relay addr>/p2p/<relay>/p2p-circuit/p2p/<peer>}: connect to the relay
 *       (any transport the swarm has), open {@value RelayServer#HOP}, send CONNECT; once the relay
 *       answers OK the stream is upgraded exactly as a TCP socket is (multistream-select security,
 *       Noise or TLS, multistream-select Yamux, Yamux).
 *   <li>Listening on {@code <relay addr>/p2p/<relay>/p2p-circuit}: reserve a slot on the relay
 *       (RESERVE), refresh it before it expires, reserve again after the relay connection came
 *       back, and announce {@code <relay's addrs>/p2p-circuit} as our listen addresses while the
 *       reservation holds.
 *   <li>Every node serves {@value RelayServer#STOP}: a CONNECT from a relay is accepted and its
 *       stream offered to the swarm as an inbound connection (its admission limits apply), over a
 *       direct connection only. As go- and js-libp2p do, the relay need not be one we reserved
 *       on through this transport: a client may have reserved for us over its own hop stream
 *       (the daemon's clients do), and the relayed connection authenticates its peer anyway.
 * </ul>
 *
 * A relayed connection is limited (the relay cuts it past its duration or data): its
 * {@link io.tinyp2p.stream.ConnectionInfo#transport()} is {@value #NAME}, and it closes when the
 * relay resets its stream. Single-threaded: the swarm's context.
 */
public final class RelayTransport implements Transport {
  private static final Logger LOG = LoggerFactory.getLogger(RelayTransport.class);

  /** The transport's name, which relayed connections carry. */
  public static final String NAME = RelayServer.TRANSPORT;
  /** The first wait before reserving again after a failure; it doubles up to {@link #MAX_RETRY_MS}. */
  static final long FIRST_RETRY_MS = 500;
  static final long MAX_RETRY_MS = 30_000;

  /** A reservation we hold, or try to hold, on one relay. */
  private final class Held {
    final Multiaddr relayAddr; // ends in /p2p/<relay>
    final PeerId relay;
    long expiresAt; // 0 while not held
    List<Multiaddr> announced = List.of();
    long timer = -1;
    long retryMs = FIRST_RETRY_MS;
    boolean reserving;
    boolean listenReturned; // after that, the addresses of a new reservation are ours to add
    String lastError;
    String voucher; // what the relay's voucher proved: valid, not ours, invalid, none

    Held(Multiaddr relayAddr, PeerId relay) {
      this.relayAddr = relayAddr;
      this.relay = relay;
    }
  }

  private final Swarm swarm;
  private final TcpTransport upgrader;
  private final Map<PeerId, Held> relays = new LinkedHashMap<>();
  private Inbound inbound;
  private boolean closed;
  private long circuitsDialed;
  private long circuitsAccepted;
  private long circuitsAcceptedUnreserved;

  /**
   * The relay transport of {@code swarm}; {@code upgrader} upgrades its streams (the swarm's TCP
   * transport, for its security protocols, Yamux settings and input scheduling). Registers the
   * stop protocol.
   */
  public RelayTransport(Swarm swarm, TcpTransport upgrader) {
    this.swarm = swarm;
    this.upgrader = upgrader;
    swarm.handle(ProtocolSpec.of(RelayServer.STOP), this::onStop);
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> {
      Held held = relays.get(e.connection().remotePeer());
      if (held != null && !swarm.isConnected(held.relay)) {
        lost(held, "connection to the relay closed");
      }
    });
  }

  @Override
  public String name() {
    return NAME;
  }

  /** {@code <relay addr>/p2p/<relay>/p2p-circuit}, nothing after. */
  @Override
  public boolean canListen(Multiaddr addr) {
    List<Multiaddr.Component> c = addr.components();
    return addr.isCircuit() && addr.relayPeer() != null && addr.circuitDestination() == null
        && c.get(c.size() - 1).protocol().equals("p2p-circuit") && c.size() > 2;
  }

  /** {@code <relay addr>/p2p/<relay>/p2p-circuit/p2p/<peer>}. */
  @Override
  public boolean canDial(Multiaddr addr) {
    return addr.isCircuit() && addr.relayPeer() != null && addr.circuitDestination() != null
        && addr.relayAddress().components().size() > 1;
  }

  @Override
  public Future<List<Multiaddr>> listen(Multiaddr addr, Inbound inbound) {
    if (!canListen(addr)) {
      return Future.failedFuture(new IllegalArgumentException(
          "a relay listen address is <relay addr>/p2p/<relay>/p2p-circuit, got " + addr));
    }
    this.inbound = inbound;
    Held held = relays.computeIfAbsent(addr.relayPeer(), p -> new Held(addr.relayAddress(), p));
    return reserve(held).map(v -> held.announced).onComplete(ar -> held.listenReturned = true);
  }

  /** Reserves (or refreshes) on the held relay; schedules the refresh, or a retry on failure. */
  private Future<Void> reserve(Held held) {
    if (closed) {
      return Future.failedFuture(new TransportException("transport closed"));
    }
    held.reserving = true;
    cancelTimer(held);
    return swarm.dial(held.relayAddr).compose(c -> {
      if (NAME.equals(c.info().transport())) {
        return Future.failedFuture(new TransportException("will not reserve over a relayed connection"));
      }
      return c.openStream(List.of(RelayServer.HOP));
    }).compose(stream -> {
      CircuitIo.write(stream, HopMessage.newBuilder().setType(HopMessage.Type.RESERVE).build().toByteArray());
      return CircuitIo.readOne(stream, swarm.vertx(), java.time.Duration.ofSeconds(10))
          .eventually(() -> {
            stream.end();
            return Future.succeededFuture();
          });
    }).compose(framed -> {
      HopMessage answer = parseHop(framed.message());
      if (answer == null || answer.getType() != HopMessage.Type.STATUS) {
        return Future.failedFuture(new TransportException("relay " + held.relay + " answered RESERVE with garbage"));
      }
      if (answer.getStatus() != Status.OK || !answer.hasReservation()) {
        return Future.failedFuture(new TransportException("relay " + held.relay + " refused the reservation: "
            + answer.getStatus()));
      }
      reserved(held, answer);
      return Future.<Void>succeededFuture();
    }).onComplete(ar -> {
      held.reserving = false;
      if (ar.failed()) {
        held.lastError = ar.cause().getMessage();
        LOG.info("reservation on relay {} failed: {}; again in {} ms", held.relay, held.lastError, held.retryMs);
        schedule(held, held.retryMs);
        held.retryMs = Math.min(MAX_RETRY_MS, held.retryMs * 2);
      }
    });
  }

  private void reserved(Held held, HopMessage answer) {
    long now = System.currentTimeMillis();
    held.voucher = "none";
    if (answer.getReservation().hasVoucher()) {
      // advisory (the spec does not make dialers present it yet): a bad one is only noted
      try {
        var voucher = io.tinyp2p.protocol.relay.SignedEnvelope.openVoucher(
            answer.getReservation().getVoucher().toByteArray());
        boolean ours = held.relay.equals(PeerId.fromBytes(voucher.getRelay().toByteArray()))
            && swarm.localPeer().equals(PeerId.fromBytes(voucher.getPeer().toByteArray()));
        held.voucher = ours ? "valid" : "not ours";
      } catch (IllegalArgumentException e) {
        held.voucher = "invalid";
        LOG.debug("relay {} sent a voucher that does not verify: {}", held.relay, e.getMessage());
      }
    }
    held.expiresAt = Math.max(now + 1000, answer.getReservation().getExpire() * 1000);
    held.retryMs = FIRST_RETRY_MS;
    held.lastError = null;
    List<Multiaddr> addrs = new ArrayList<>();
    for (ByteString raw : answer.getReservation().getAddrsList()) {
      try {
        Multiaddr a = Multiaddr.fromBytes(raw.toByteArray());
        if (a.isCircuit()) {
          a = a.relayAddress();
        }
        if (a != null && a.peerId() == null) {
          a = a.withPeerId(held.relay);
        }
        if (a != null && held.relay.equals(a.peerId())) {
          addrs.add(a.withCircuit());
        }
      } catch (IllegalArgumentException e) {
        LOG.debug("relay {} sent an address we do not read: {}", held.relay, e.getMessage());
      }
    }
    if (addrs.isEmpty()) {
      addrs.add(held.relayAddr.withCircuit());
    }
    List<Multiaddr> before = held.announced;
    held.announced = List.copyOf(addrs);
    if (!before.isEmpty() && !before.equals(held.announced)) {
      swarm.ownAddresses().removeListen(before);
    }
    if (held.listenReturned) {
      swarm.ownAddresses().addListen(held.announced);
    }
    long left = held.expiresAt - now;
    // refresh well before it expires: a quarter of its time ahead, at least half of it for short ones
    schedule(held, Math.max(100, left - Math.max(left / 4, Math.min(left / 2, 60_000))));
    LOG.info("reserved on relay {} for {} s: {}", held.relay, left / 1000, held.announced);
  }

  private void lost(Held held, String why) {
    if (held.expiresAt == 0 || closed) {
      return;
    }
    held.expiresAt = 0;
    swarm.ownAddresses().removeListen(held.announced);
    LOG.info("reservation on relay {} lost ({}); reserving again", held.relay, why);
    if (!held.reserving) {
      schedule(held, held.retryMs);
    }
  }

  private void schedule(Held held, long delayMs) {
    cancelTimer(held);
    if (closed) {
      return;
    }
    held.timer = swarm.vertx().setTimer(delayMs, t -> {
      held.timer = -1;
      reserve(held);
    });
  }

  private void cancelTimer(Held held) {
    if (held.timer >= 0) {
      swarm.vertx().cancelTimer(held.timer);
    }
    held.timer = -1;
  }

  /** Whether we hold a reservation on {@code peer} (its connection is kept open). */
  public boolean holdsReservation(PeerId peer) {
    Held held = relays.get(peer);
    return held != null && held.expiresAt > System.currentTimeMillis();
  }

  private static HopMessage parseHop(Buffer message) {
    try {
      HopMessage m = HopMessage.parseFrom(message.getBytes());
      return m.hasType() ? m : null;
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }

  // ---- dialing ----

  @Override
  public Future<Upgrade> dial(Multiaddr addr, PeerId expectedPeer) {
    if (!canDial(addr)) {
      return Future.failedFuture(new IllegalArgumentException(
          "cannot dial " + addr + ": need <relay addr>/p2p/<relay>/p2p-circuit/p2p/<peer>"));
    }
    Multiaddr relayAddr = addr.relayAddress();
    PeerId relay = addr.relayPeer();
    PeerId dst = addr.circuitDestination();
    Promise<Upgrade> promise = Promise.promise();
    swarm.dial(relayAddr).compose(c -> {
      if (NAME.equals(c.info().transport())) {
        return Future.failedFuture(new TransportException("will not relay over a relayed connection"));
      }
      return c.openStream(List.of(RelayServer.HOP));
    }).compose(hop -> {
      HopMessage connect = HopMessage.newBuilder().setType(HopMessage.Type.CONNECT)
          .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(dst.toBytes()))).build();
      CircuitIo.write(hop, connect.toByteArray());
      return CircuitIo.readOne(hop, swarm.vertx(), java.time.Duration.ofSeconds(10)).compose(framed -> {
        HopMessage answer = parseHop(framed.message());
        if (answer == null || answer.getType() != HopMessage.Type.STATUS || answer.getStatus() != Status.OK) {
          hop.reset();
          return Future.failedFuture(new TransportException("relay " + relay + " refused the circuit to " + dst
              + ": " + (answer == null ? "garbage" : answer.getStatus())));
        }
        Multiaddr local = relayAddr.withCircuit().withPeerId(swarm.localPeer());
        return Future.succeededFuture(new StreamLink(hop, swarm.context(), framed.rest(), local, addr));
      }, e -> {
        hop.reset();
        return Future.failedFuture(e);
      });
    }).onComplete(ar -> {
      if (ar.failed()) {
        promise.fail(ar.cause());
        return;
      }
      circuitsDialed++;
      TcpConnection connection = upgrader.upgrade(ar.result(), Direction.OUTBOUND, dst, NAME);
      promise.complete(connection);
      connection.start(); // unless the dialer aborted it in its handler
    });
    return promise.future();
  }

  // ---- the stop protocol ----

  private void onStop(P2pStream stream) {
    CircuitIo.readRequest(stream, swarm.vertx(), java.time.Duration.ofSeconds(10), StopMessage::parseFrom,
        (msg, rest) -> onStop(stream, msg, rest), why -> refuseStop(stream, Status.MALFORMED_MESSAGE, why));
  }

  private void onStop(P2pStream stream, StopMessage msg, Buffer rest) {
    if (!msg.hasType() || msg.getType() != StopMessage.Type.CONNECT) {
      refuseStop(stream, msg.hasType() ? Status.UNEXPECTED_MESSAGE : Status.MALFORMED_MESSAGE,
          "stop message of type " + (msg.hasType() ? msg.getType() : "none"));
      return;
    }
    PeerId src;
    try {
      src = PeerId.fromBytes(msg.getPeer().getId().toByteArray());
    } catch (RuntimeException e) {
      refuseStop(stream, Status.MALFORMED_MESSAGE, "stop CONNECT without a valid peer id");
      return;
    }
    if (closed || NAME.equals(stream.connection().transport())) {
      refuseStop(stream, Status.PERMISSION_DENIED, closed ? "the transport is closed"
          : "no circuit over a relayed connection");
      return;
    }
    Held held = relays.get(stream.remotePeer());
    if (held == null) {
      circuitsAcceptedUnreserved++;
    }
    accept(stream, held == null ? stream.connection().remoteAddress().withPeerId(stream.remotePeer()) : held.relayAddr,
        src, rest);
  }

  private void accept(P2pStream stream, Multiaddr relayAddr, PeerId src, Buffer early) {
    CircuitIo.write(stream, StopMessage.newBuilder().setType(StopMessage.Type.STATUS).setStatus(Status.OK)
        .build().toByteArray());
    Multiaddr local = relayAddr.withCircuit();
    StreamLink link = new StreamLink(stream, swarm.context(), early, local, local.withPeerId(src));
    TcpConnection connection = upgrader.upgrade(link, Direction.INBOUND, null, NAME);
    if ((inbound != null ? inbound : swarm.inboundOffers()).offer(connection)) {
      circuitsAccepted++;
      connection.start();
    } else {
      connection.abort();
    }
  }

  private void refuseStop(P2pStream stream, Status status, String why) {
    CircuitIo.refuse(swarm, LOG, stream, RelayServer.STOP, status, why,
        StopMessage.newBuilder().setType(StopMessage.Type.STATUS).setStatus(status).build().toByteArray());
  }

  @Override
  public Future<Void> close() {
    closed = true;
    relays.values().forEach(this::cancelTimer);
    return Future.succeededFuture();
  }

  @Override
  public Map<String, Long> counters() {
    return Map.of("circuitsDialed", circuitsDialed, "circuitsAccepted", circuitsAccepted,
        "circuitsAcceptedUnreserved", circuitsAcceptedUnreserved);
  }

  /** The reservations we hold or try to hold, for {@code /status}. */
  public JsonArray status() {
    long now = System.currentTimeMillis();
    JsonArray list = new JsonArray();
    for (Held h : relays.values()) {
      JsonObject json = new JsonObject().put("relay", h.relayAddr.toString())
          .put("reserved", h.expiresAt > now)
          .put("addrs", new JsonArray(h.announced.stream().map(Multiaddr::toString).toList()));
      if (h.expiresAt > now) {
        json.put("expiresInSeconds", (h.expiresAt - now) / 1000);
      }
      if (h.voucher != null) {
        json.put("voucher", h.voucher);
      }
      if (h.lastError != null) {
        json.put("lastError", h.lastError);
      }
      list.add(json);
    }
    return list;
  }

}
