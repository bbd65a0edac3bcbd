package io.tinyp2p.protocol.dcutr;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.AddressClass;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.dcutr.pb.DcutrProto.HolePunch;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.stream.Exchange;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.swarm.SwarmException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct Connection Upgrade through Relay ({@value #PROTOCOL_ID}): a connection that came to us
 * through a relay is replaced by a direct one, hole punched through both NATs when need be.
 *
 * <p>The peer that accepted the relayed connection ("B", us when it is inbound) first dials the
 * other's public addresses, if identify gave any (a unilateral upgrade). Else, or when that fails,
 * it opens a stream on the relayed connection, sends CONNECT with its own public addresses (as
 * peers observe them, and those AutoNAT confirmed) and times the round trip to the CONNECT that
 * comes back with the other's; it sends SYNC and, half a round trip later, dials the other's
 * addresses, as the listener. The other ("A") dials the moment SYNC arrives. Over TCP both dials
 * leave from the listen ports (see {@link io.tinyp2p.transport.tcp.TcpTransport#portReuse()}), so
 * each NAT has a mapping for the other's packets by the time they arrive, and the two SYNs make one
 * connection (a simultaneous open) on which A is the client. Three attempts, each its own
 * CONNECT and SYNC. The first direct connection wins; new streams go on it (the swarm prefers
 * direct connections) and the relayed one closes after a short grace.
 *
 * <p>Addresses are taken only as reachable as the relay the connection came through (public ones
 * for a public relay), at most {@value #MAX_ADDRS} of them, messages at most
 * {@value #MAX_MESSAGE_SIZE} bytes; a stream on a connection that is not relayed, or a message
 * out of turn, is reset. Single-threaded: the swarm's context.
 */
public final class Dcutr {
  private static final Logger LOG = LoggerFactory.getLogger(Dcutr.class);

  public static final String PROTOCOL_ID = "/libp2p/dcutr";
  /**
   * An upgrade at a time per connection, and the next attempt's stream while the last one's dials
   * still run; it keeps no connection alive.
   */
  public static final ProtocolSpec SPEC = ProtocolSpec.of(PROTOCOL_ID).maxInboundPerConnection(2).background();
  /** As the spec: larger messages are refused. */
  static final int MAX_MESSAGE_SIZE = 4096;
  /** Addresses sent, and taken from a peer's message. */
  static final int MAX_ADDRS = 16;
  /** Attempts by the side that starts (the spec's B): the first and two retries. */
  static final int ATTEMPTS = 3;
  /** How long the relayed connection stays after the direct one is up (streams on it finish). */
  static final Duration GRACE = Duration.ofSeconds(1);
  /**
   * What one attempt may take, exchange and dials: long enough for a SYN that one NAT dropped
   * (it arrived before that NAT's own mapping) to be sent again, at 1 s and 3 s.
   */
  public static final Duration TIMEOUT = Duration.ofSeconds(8);

  private final Swarm swarm;
  private final Supplier<List<Multiaddr>> ownAddrs;
  private final Duration timeout;
  private final Set<PeerId> upgrading = new HashSet<>();
  private final Set<Long> direct = new LinkedHashSet<>(); // connection ids DCUtR made
  private final Map<PeerId, List<Promise<Connection>>> arriving = new java.util.HashMap<>(); // awaiting a direct one
  private final Map<String, Long> counters = new LinkedHashMap<>();
  private JsonObject last;
  private boolean warned;

  /**
   * DCUtR on {@code swarm}; {@code ownAddrs} are the addresses we may be reachable at (listen,
   * announced, observed), filtered here; {@code timeout} bounds one attempt (exchange and dials).
   */
  public Dcutr(Swarm swarm, Supplier<List<Multiaddr>> ownAddrs, Duration timeout) {
    this.swarm = swarm;
    this.ownAddrs = ownAddrs;
    this.timeout = timeout;
    for (String key : List.of("started", "unilateral", "holePunched", "failed", "answered", "refused", "malformed")) {
      counters.put(key, 0L);
    }
    swarm.handle(SPEC, this::onStream);
    swarm.on(PeerIdentified.class, e -> {
      if (e.info().supports(PROTOCOL_ID)) {
        maybeUpgrade(e.peer());
      }
    });
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> direct.remove(e.connection().info().id()));
    swarm.on(SwarmEvent.ConnectionOpened.class, e -> {
      Connection c = e.connection();
      if (c.remoteAddress().isCircuit() && !swarm.connection(c.remotePeer()).remoteAddress().isCircuit()) {
        closeLater(c, swarm.connection(c.remotePeer())); // a relayed connection beside a direct one is of no use
      }
      List<Promise<Connection>> waiting = c.remoteAddress().isCircuit() ? null : arriving.get(c.remotePeer());
      if (waiting != null) {
        List.copyOf(waiting).forEach(p -> p.tryComplete(c));
      }
    });
  }

  /** Whether DCUtR made this connection. */
  public boolean madeDirect(long connectionId) {
    return direct.contains(connectionId);
  }

  /** Counters and the last outcome, for /status. */
  public JsonObject statusJson() {
    JsonObject json = new JsonObject();
    counters.forEach(json::put);
    if (last != null) {
      json.put("last", last.copy());
    }
    return json;
  }

  // ---- B: we accepted a relayed connection ----

  private void maybeUpgrade(PeerId peer) {
    Connection relayed = relayedInbound(peer);
    if (relayed == null || upgrading.contains(peer) || !swarm.connection(peer).remoteAddress().isCircuit()) {
      return; // no relayed inbound connection, one upgrade under way, or a direct one already
    }
    upgrading.add(peer);
    count("started");
    long t0 = System.nanoTime();
    unilateral(relayed)
        .map(c -> outcome(relayed, c, "unilateral", 0, t0))
        .recover(e -> attempt(relayed, 1, t0))
        .onComplete(ar -> {
          upgrading.remove(peer);
          if (ar.failed()) {
            count("failed");
            last = new JsonObject().put("peer", peer.toBase58()).put("result", "failed")
                .put("reason", String.valueOf(ar.cause().getMessage())).put("ms", ms(t0));
            LOG.info("no direct connection to {}: {}", peer, ar.cause().getMessage());
          }
        });
  }

  private Connection relayedInbound(PeerId peer) {
    return swarm.connections().stream()
        .filter(c -> peer.equals(c.remotePeer()) && c.remoteAddress().isCircuit() && c.direction() == Direction.INBOUND)
        .findFirst().orElse(null);
  }

  /** The peer's own public addresses, as identify gave them: dialed one after the other. */
  private Future<Connection> unilateral(Connection relayed) {
    PeerId peer = relayed.remotePeer();
    List<Multiaddr> addrs = usable(swarm.peerStore().addresses(peer), relayed);
    Future<Connection> dial = Future.failedFuture(new SwarmException(peer + " has no public address"));
    for (Multiaddr a : addrs) {
      dial = dial.recover(e -> swarm.dialDirect(a.withPeerId(peer), false).compose(Dcutr::openOrFail));
    }
    return dial;
  }

  private Future<Connection> attempt(Connection relayed, int n, long t0) {
    if (!relayed.isOpen()) {
      return Future.failedFuture(new SwarmException("the relayed connection closed"));
    }
    PeerId peer = relayed.remotePeer();
    List<Multiaddr> ours = usable(ownAddrs.get(), relayed);
    if (ours.isEmpty()) {
      return Future.failedFuture(new SwarmException("we know no public address of ours to send"));
    }
    // the exchange and the dials each have the timeout: this only ends an attempt stuck between them
    Future<Connection> done = Exchange.outbound(swarm.vertx(), timeout.multipliedBy(2), () -> new SwarmException(
        "attempt " + n + " took longer than " + 2 * timeout.toMillis() + " ms"),
        relayed.openStream(List.of(PROTOCOL_ID)), stream -> {
      long sent = System.nanoTime();
      stream.write(message(HolePunch.Type.CONNECT, ours));
      return read(stream).compose(connect -> {
        if (connect.getType() != HolePunch.Type.CONNECT) {
          return Future.failedFuture(new SwarmException("expected CONNECT, got " + connect.getType()));
        }
        // with no address of theirs to dial, SYNC still makes them dial ours
        List<Multiaddr> theirs = usable(addrs(connect), relayed);
        long rtt = System.nanoTime() - sent;
        Promise<Connection> first = directArrival(peer); // their dial may reach us before ours leaves
        stream.write(message(HolePunch.Type.SYNC, List.of()));
        stream.end();
        swarm.vertx().setTimer(Math.max(1, rtt / 2_000_000), t -> dialInto(first, theirs, peer, true));
        return first.future().map(c -> outcome(relayed, c, "holePunched", n, t0));
      });
    });
    return done.recover(e -> {
      LOG.info("DCUtR attempt {} of {} with {} failed: {}", n, ATTEMPTS, peer, e.getMessage());
      return n < ATTEMPTS ? attempt(relayed, n + 1, t0)
          : Future.failedFuture(new SwarmException(ATTEMPTS + " attempts failed, the last: " + e.getMessage()));
    });
  }

  // ---- A: the peer that accepted our relayed connection asks ----

  private void onStream(P2pStream stream) {
    Connection relayed = swarm.connections().stream().filter(c -> c.info().id() == stream.connection().id())
        .findFirst().orElse(null);
    if (relayed == null || !relayed.remoteAddress().isCircuit()) {
      count("refused"); // nothing to upgrade: the connection is direct already
      stream.reset();
      return;
    }
    PeerId peer = relayed.remotePeer();
    long t0 = System.nanoTime();
    Future<Connection> done = Exchange.outbound(swarm.vertx(), timeout.multipliedBy(3), () -> new SwarmException(
        "the exchange took longer than " + 3 * timeout.toMillis() + " ms"), Future.succeededFuture(stream), s -> read(s)
        .compose(connect -> {
      if (connect.getType() != HolePunch.Type.CONNECT) {
        return Future.failedFuture(new MalformedException("expected CONNECT, got " + connect.getType()));
      }
      List<Multiaddr> theirs = usable(addrs(connect), relayed);
      stream.write(message(HolePunch.Type.CONNECT, usable(ownAddrs.get(), relayed)));
      return read(stream).compose(sync -> {
        if (sync.getType() != HolePunch.Type.SYNC) {
          return Future.failedFuture(new MalformedException("expected SYNC, got " + sync.getType()));
        }
        stream.end();
        count("answered");
        Promise<Connection> first = directArrival(peer);
        dialInto(first, theirs, peer, false);
        return first.future().map(c -> outcome(relayed, c, "holePunched", 0, t0));
      });
    }));
    done.onFailure(e -> { // (the stream was reset)
      if (e instanceof MalformedException || e instanceof LengthPrefixed.FrameException) {
        count("malformed");
        if (!warned) {
          warned = true;
          LOG.warn("DCUtR from {}: {} (stream reset; later ones are logged at debug)", peer, e.getMessage());
        } else {
          LOG.debug("DCUtR from {}: {}", peer, e.getMessage());
        }
      } else {
        LOG.info("DCUtR asked by {} gave no direct connection: {}", peer, e.getMessage());
      }
    });
  }

  // ---- both ----

  /**
   * Dials all addresses at once into {@code first} (see {@link #directArrival}): the first direct
   * connection wins, ours or the peer's dial reaching us (with no address of theirs, only that);
   * fails it after the timeout.
   */
  private void dialInto(Promise<Connection> first, List<Multiaddr> addrs, PeerId peer, boolean asListener) {
    if (first.future().isComplete()) {
      return; // their dial made it already
    }
    List<String> failures = new ArrayList<>();
    long timer = swarm.vertx().setTimer(timeout.toMillis(), t -> first.tryFail(new SwarmException(
        "no direct connection within " + timeout.toMillis() + " ms (" + (addrs.isEmpty() ? "no address to dial, "
            + "waited for theirs" : "dialed " + addrs + (asListener ? " as the listener" : "")) + ")"
            + (failures.isEmpty() ? "" : ": " + failures))));
    first.future().onComplete(ar -> swarm.vertx().cancelTimer(timer));
    for (Multiaddr a : addrs) {
      swarm.dialDirect(a.withPeerId(peer), asListener).compose(Dcutr::openOrFail).onComplete(ar -> {
        if (ar.succeeded()) {
          if (!first.tryComplete(ar.result()) && first.future().result() != ar.result()) {
            ar.result().close(); // a second direct connection of the same upgrade
          }
        } else {
          failures.add(ar.cause().getMessage());
        }
      });
    }
  }

  /**
   * Completes with the first direct connection to {@code peer} that opens from now on: taken before
   * SYNC goes out or is answered, so that the peer's SYN, which may beat our own dial, counts.
   */
  private Promise<Connection> directArrival(PeerId peer) {
    Promise<Connection> first = Promise.promise();
    arriving.computeIfAbsent(peer, p -> new ArrayList<>()).add(first);
    first.future().onComplete(ar -> {
      List<Promise<Connection>> waiting = arriving.get(peer);
      if (waiting != null && waiting.remove(first) && waiting.isEmpty()) {
        arriving.remove(peer);
      }
    });
    return first;
  }

  private static Future<Connection> openOrFail(Connection c) {
    return c.isOpen() ? Future.succeededFuture(c) : Future.failedFuture(new SwarmException("the connection was refused"));
  }

  /** A direct connection replaces {@code relayed}: counted, shown, and the relayed one closes after the grace. */
  private Connection outcome(Connection relayed, Connection direct, String how, int attempt, long t0) {
    this.direct.add(direct.info().id());
    count(how);
    last = new JsonObject().put("peer", direct.remotePeer().toBase58()).put("result", how)
        .put("address", direct.remoteAddress().toString()).put("direction", direct.direction().name().toLowerCase())
        .put("relayedVia", String.valueOf(relayed.remoteAddress().relayPeer())).put("attempt", attempt).put("ms", ms(t0));
    LOG.info("direct connection to {} at {} ({}{}), replacing the one through relay {}", direct.remotePeer(),
        direct.remoteAddress(), how, attempt > 0 ? ", attempt " + attempt : "", relayed.remoteAddress().relayPeer());
    closeLater(relayed, direct);
    return direct;
  }

  /** Closes {@code relayed} after the grace, if {@code direct} is still open then. */
  private void closeLater(Connection relayed, Connection direct) {
    swarm.vertx().setTimer(GRACE.toMillis(), t -> {
      if (direct.isOpen()) {
        relayed.close();
      }
    });
  }

  /**
   * Of {@code addrs}, the ones worth a direct dial over {@code relayed}: TCP, not through a relay,
   * not unspecified, and as reachable as the relay (public ones for a public relay); at most
   * {@value #MAX_ADDRS}, without duplicates.
   */
  List<Multiaddr> usable(List<Multiaddr> addrs, Connection relayed) {
    Multiaddr relay = relayed.remoteAddress().relayAddress();
    AddressClass via = relay == null ? AddressClass.PUBLIC : AddressClass.of(relay);
    Set<Multiaddr> out = new LinkedHashSet<>();
    for (Multiaddr a : addrs) {
      Multiaddr bare = a.withoutPeerId();
      if (bare.isTcp() && !bare.isCircuit() && !bare.isUnspecified()
          && swarm.addressPolicy().keeps(AddressClass.of(bare), via) && out.size() < MAX_ADDRS) {
        out.add(bare);
      }
    }
    return new ArrayList<>(out);
  }

  private static List<Multiaddr> addrs(HolePunch m) {
    List<Multiaddr> out = new ArrayList<>();
    for (ByteString b : m.getObsAddrsList().subList(0, Math.min(m.getObsAddrsCount(), 4 * MAX_ADDRS))) {
      try {
        out.add(Multiaddr.fromBytes(b.toByteArray()));
      } catch (IllegalArgumentException e) {
        // an address we cannot read: the others may do
      }
    }
    return out;
  }

  private static Buffer message(HolePunch.Type type, List<Multiaddr> addrs) {
    HolePunch.Builder b = HolePunch.newBuilder().setType(type);
    addrs.forEach(a -> b.addObsAddrs(ByteString.copyFrom(a.toBytes())));
    return LengthPrefixed.frame(b.build().toByteArray());
  }

  private Future<HolePunch> read(P2pStream stream) {
    return LengthPrefixed.readOne(stream, swarm.vertx(), MAX_MESSAGE_SIZE, timeout).compose(bytes -> {
      try {
        return Future.succeededFuture(HolePunch.parseFrom(bytes.getBytes()));
      } catch (InvalidProtocolBufferException e) {
        return Future.failedFuture(new MalformedException("not a HolePunch message: " + e.getMessage()));
      }
    });
  }

  private void count(String key) {
    counters.merge(key, 1L, Long::sum);
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /** The peer broke the protocol (as opposed to a dial that failed). */
  private static final class MalformedException extends SwarmException {
    MalformedException(String message) {
      super(message);
    }
  }
}
