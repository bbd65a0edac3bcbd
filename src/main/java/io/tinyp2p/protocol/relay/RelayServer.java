package io.tinyp2p.protocol.relay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.relay.pb.CircuitProto.HopMessage;
import io.tinyp2p.protocol.relay.pb.CircuitProto.Limit;
import io.tinyp2p.protocol.relay.pb.CircuitProto.Peer;
import io.tinyp2p.protocol.relay.pb.CircuitProto.Reservation;
import io.tinyp2p.protocol.relay.pb.CircuitProto.Status;
import io.tinyp2p.protocol.relay.pb.CircuitProto.StopMessage;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay side of Circuit Relay v2: serves {@value #HOP}. A RESERVE gets a reservation (with
 * its expiry, our addresses, a voucher signed with our key and the circuit limits) unless the
 * relay is full; a CONNECT to a peer that holds a reservation opens {@value #STOP} to it and
 * bridges the two streams ({@link Circuit}) within the limits. Neither is served over a
 * connection that is itself relayed. Refusals carry the spec's status codes; a message that
 * does not parse is answered MALFORMED_MESSAGE, the stream closes, and it is logged once.
 *
 * <p>Built only when the node is configured as a relay: otherwise the hop protocol is not
 * registered and multistream-select refuses it. Single-threaded: the swarm's context.
 */
public final class RelayServer {
  private static final Logger LOG = LoggerFactory.getLogger(RelayServer.class);

  /** The hop protocol: clients reserve and dial through the relay. */
  public static final String HOP = "/libp2p/circuit/relay/0.2.0/hop";
  /** The stop protocol: the relay hands a circuit to its destination. */
  public static final String STOP = "/libp2p/circuit/relay/0.2.0/stop";
  /** The transport name of a relayed connection ({@link io.tinyp2p.stream.ConnectionInfo#transport()}). */
  public static final String TRANSPORT = "relay";
  /** How long a peer has to send its hop message, and the destination to answer the stop. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

  /** What the relay counts, for {@code /status}. */
  public static final class Counters {
    long reservationsAccepted;
    long reservationsRefused;
    long circuitsOpened;
    long circuitsRefused;
    long circuitsCutByData;
    long circuitsCutByDuration;
    long bytesRelayed;
    long malformed;
  }

  private record Held(PeerId peer, String ip, long expiresAt) { }

  private final Swarm swarm;
  private final RelayConfig config;
  private final Map<PeerId, Held> reservations = new LinkedHashMap<>();
  private final Map<PeerId, Integer> circuitsByPeer = new HashMap<>();
  private final Counters counters = new Counters();
  private int circuits;

  /** Serves the hop protocol on {@code swarm} with these limits. */
  public RelayServer(Swarm swarm, RelayConfig config) {
    this.swarm = swarm;
    this.config = config;
    swarm.handle(ProtocolSpec.of(HOP), this::onHop);
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> {
      PeerId peer = e.connection().remotePeer();
      if (peer != null && !swarm.isConnected(peer)) {
        reservations.remove(peer); // a reservation lasts while its peer stays connected
      }
    });
  }

  /** Whether {@code peer} holds a live reservation (its connection is kept open). */
  public boolean hasReservation(PeerId peer) {
    Held r = reservations.get(peer);
    return r != null && r.expiresAt > System.currentTimeMillis() && swarm.isConnected(peer);
  }

  /** Relayed connections open now. */
  public int circuits() {
    return circuits;
  }

  /** Live reservations now. */
  public int reservations() {
    prune();
    return reservations.size();
  }

  private void onHop(P2pStream stream) {
    CircuitIo.readRequest(stream, swarm.vertx(), READ_TIMEOUT, HopMessage::parseFrom,
        (msg, rest) -> onHop(stream, msg), why -> refuse(stream, Status.MALFORMED_MESSAGE, why));
  }

  private void onHop(P2pStream stream, HopMessage msg) {
    if (!msg.hasType()) {
      refuse(stream, Status.MALFORMED_MESSAGE, "hop message without a type");
      return;
    }
    if (TRANSPORT.equals(stream.connection().transport())) {
      refuse(stream, Status.PERMISSION_DENIED, "hop " + msg.getType() + " over a relayed connection");
      return;
    }
    switch (msg.getType()) {
      case RESERVE -> reserve(stream);
      case CONNECT -> connect(stream, msg);
      default -> refuse(stream, Status.UNEXPECTED_MESSAGE, "hop message of type " + msg.getType());
    }
  }

  /** Answers with a status and closes the stream; a malformed message is counted and logged (once per peer and interval). */
  private void refuse(P2pStream stream, Status status, String why) {
    if (status == Status.MALFORMED_MESSAGE) {
      counters.malformed++;
    }
    CircuitIo.refuse(swarm, LOG, stream, HOP, status, why,
        HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(status).build().toByteArray());
  }

  private void prune() {
    long now = System.currentTimeMillis();
    reservations.values().removeIf(r -> r.expiresAt <= now || !swarm.isConnected(r.peer));
  }

  private void reserve(P2pStream stream) {
    prune();
    PeerId peer = stream.remotePeer();
    String ip = stream.connection().remoteHost();
    if (!reservations.containsKey(peer)) {
      long sameIp = reservations.values().stream().filter(r -> r.ip.equals(ip)).count();
      if (reservations.size() >= config.maxReservations() || sameIp >= config.maxReservationsPerIp()) {
        counters.reservationsRefused++;
        refuse(stream, Status.RESERVATION_REFUSED, "relay full: " + reservations.size() + " reservations, "
            + sameIp + " from " + ip);
        return;
      }
    }
    long expire = System.currentTimeMillis() / 1000 + config.reservationTtl().toSeconds();
    reservations.put(peer, new Held(peer, ip, expire * 1000));
    counters.reservationsAccepted++;
    Reservation.Builder r = Reservation.newBuilder().setExpire(expire)
        .setVoucher(ByteString.copyFrom(SignedEnvelope.voucher(swarm.identity(), peer, expire)));
    for (Multiaddr a : publicAddrs()) {
      r.addAddrs(ByteString.copyFrom(a.toBytes()));
    }
    HopMessage answer = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK)
        .setReservation(r).setLimit(limit()).build();
    CircuitIo.write(stream, answer.toByteArray());
    stream.end();
  }

  /** Our listen addresses a client can reach us on, with our /p2p. */
  private List<Multiaddr> publicAddrs() {
    return swarm.listenAddresses().stream().filter(a -> !a.isCircuit() && !a.isUnspecified())
        .map(a -> a.withPeerId(swarm.localPeer())).toList();
  }

  private Limit limit() {
    return Limit.newBuilder().setDuration((int) config.circuitDuration().toSeconds())
        .setData(config.circuitBytes()).build();
  }

  private void connect(P2pStream hop, HopMessage msg) {
    PeerId dst;
    try {
      dst = PeerId.fromBytes(msg.getPeer().getId().toByteArray());
    } catch (RuntimeException e) {
      refuse(hop, Status.MALFORMED_MESSAGE, "CONNECT without a valid peer id");
      return;
    }
    PeerId src = hop.remotePeer();
    if (!hasReservation(dst)) {
      counters.circuitsRefused++;
      refuse(hop, Status.NO_RESERVATION, dst + " holds no reservation");
      return;
    }
    if (circuits >= config.maxCircuits() || count(src) >= config.maxCircuitsPerPeer()
        || count(dst) >= config.maxCircuitsPerPeer()) {
      counters.circuitsRefused++;
      refuse(hop, Status.RESOURCE_LIMIT_EXCEEDED, circuits + " circuits open");
      return;
    }
    take(src, 1);
    take(dst, 1);
    circuits++;
    Runnable release = () -> {
      take(src, -1);
      take(dst, -1);
      circuits--;
    };
    Connection toDst = swarm.connections().stream()
        .filter(c -> dst.equals(c.remotePeer()) && !TRANSPORT.equals(c.info().transport())).findFirst().orElse(null);
    Future<P2pStream> opened = toDst == null ? Future.failedFuture("not connected") : toDst.openStream(List.of(STOP));
    opened.compose(stop -> {
      StopMessage connect = StopMessage.newBuilder().setType(StopMessage.Type.CONNECT)
          .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(src.toBytes()))).setLimit(limit()).build();
      CircuitIo.write(stop, connect.toByteArray());
      return CircuitIo.readOne(stop, swarm.vertx(), READ_TIMEOUT).compose(framed -> {
        StopMessage answer;
        try {
          answer = StopMessage.parseFrom(framed.message().getBytes());
        } catch (InvalidProtocolBufferException e) {
          answer = null;
        }
        if (answer == null || answer.getType() != StopMessage.Type.STATUS || answer.getStatus() != Status.OK) {
          stop.reset();
          return Future.failedFuture("destination answered " + (answer == null ? "garbage" : answer.getStatus()));
        }
        HopMessage ok = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK)
            .setLimit(limit()).build();
        CircuitIo.write(hop, ok.toByteArray());
        counters.circuitsOpened++;
        new Circuit(swarm.vertx(), hop, stop, config, counters, release).start(framed.rest());
        return Future.succeededFuture();
      }, e -> {
        stop.reset();
        return Future.failedFuture(e);
      });
    }).onFailure(e -> {
      release.run();
      counters.circuitsRefused++;
      refuse(hop, Status.CONNECTION_FAILED, "stop to " + dst + " failed: " + e.getMessage());
    });
  }

  private int count(PeerId peer) {
    return circuitsByPeer.getOrDefault(peer, 0);
  }

  private void take(PeerId peer, int delta) {
    circuitsByPeer.merge(peer, delta, (a, b) -> a + b == 0 ? null : a + b);
  }

  /** What {@code /status} shows of the relay: its reservations, circuits and counters. */
  public JsonObject status() {
    prune();
    long now = System.currentTimeMillis();
    JsonArray held = new JsonArray();
    reservations.values().forEach(r -> held.add(new JsonObject().put("peer", r.peer.toString())
        .put("ip", r.ip).put("expiresInSeconds", (r.expiresAt - now) / 1000)));
    return new JsonObject().put("reservations", held).put("circuits", circuits)
        .put("reservationsAccepted", counters.reservationsAccepted)
        .put("reservationsRefused", counters.reservationsRefused)
        .put("circuitsOpened", counters.circuitsOpened).put("circuitsRefused", counters.circuitsRefused)
        .put("circuitsCutByData", counters.circuitsCutByData)
        .put("circuitsCutByDuration", counters.circuitsCutByDuration)
        .put("bytesRelayed", counters.bytesRelayed).put("malformed", counters.malformed);
  }
}
