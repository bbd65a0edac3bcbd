package io.tinyp2p.swarm;

import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.transport.MuxedConnection;
import io.tinyp2p.transport.PeerNotReadingException;
import io.tinyp2p.transport.Transport;
import io.tinyp2p.transport.Upgrade;
import io.tinyp2p.transport.quic.QuicTransport;
import io.tinyp2p.transport.tcp.TcpTransport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The swarm: listeners, dialer and connections of one node, and the routing of streams by
 * protocol id. It lives on the Vert.x context that created it (a verticle's event loop) and
 * must only be called from there; that single thread is what keeps it lock-free.
 *
 * <p>Connections come from its {@link Transport}s (TCP by default): each address is listened
 * on and dialed by the first transport that takes it. The swarm admits inbound connections
 * (limits per node and IP), bounds the pending handshakes (evicting the least advanced),
 * backs off failing dials, and keeps one book of open connections whatever carried them.
 *
 * <p>One connection per peer is reused: dialing a peer that is connected, or being dialed,
 * returns that connection. Protocols register an inbound handler with {@link #handle} and
 * open streams with {@link #newStream}; they learn about connections, pings and identify
 * results through {@link #on}.
 */
public final class Swarm {
  private static final Logger LOG = LoggerFactory.getLogger(Swarm.class);

  private final Vertx vertx;
  private final Context context;
  private final KeyPair identity;
  private final SwarmConfig config;
  private final List<Transport> transports = new ArrayList<>();
  private final OwnAddresses ownAddresses = new OwnAddresses(() -> emit(new SwarmEvent.ListenAddressesChanged(localPeer())));
  private final Map<String, Route> routes = new LinkedHashMap<>();
  private final Map<PeerId, List<Connection>> connections = new LinkedHashMap<>();
  private final Map<PeerId, Future<Connection>> pendingDials = new HashMap<>();
  private final Map<Class<?>, List<Handler<?>>> listeners = new HashMap<>();
  private Map<String, io.tinyp2p.stream.Traffic> traffic; // null until traffic() is asked for
  private final PeerStore peerStore = new PeerStore();
  private java.util.function.Function<PeerId, Future<List<Multiaddr>>> peerRouting;
  private boolean closed;
  private Limits limits = Limits.defaults();
  private final Limits.Counters limitCounters = new Limits.Counters();
  private final PendingHandshakes handshakes = new PendingHandshakes(limits, limitCounters);
  private AddressPolicy addressPolicy = new AddressPolicy(limits.allowDnsAddrs(), limitCounters);
  private DialBackoff dialBackoff = new DialBackoff(limits, System::currentTimeMillis);
  /** The dial in flight to each address (host, port, transport): a second dial there waits for it. */
  private final Map<String, Future<Connection>> dialsByAddress = new HashMap<>();
  private final DuplicateIdentity duplicates = new DuplicateIdentity();
  private final PeerLog peerLog = new PeerLog(System::currentTimeMillis, LOG);
  private long keepAliveTimer = -1;
  private final long housekeepingTimer;

  /**
   * Creates a swarm with the transports {@link SwarmConfig#transports()} names, in that order,
   * bound to the current Vert.x context (call it from a verticle's start).
   *
   * @throws IllegalStateException when QUIC is asked for on a platform without its native library
   */
  public Swarm(Vertx vertx, KeyPair identity, SwarmConfig config) {
    this(vertx, identity, config, List.of());
    for (String name : config.transports()) {
      if (name.equals(QuicTransport.NAME)) {
        if (!QuicTransport.isAvailable()) {
          throw new IllegalStateException("QUIC is not available on this platform ("
              + QuicTransport.unavailabilityCause() + "); listen on /tcp addresses only");
        }
        addTransport(new QuicTransport(context, config.quic(identity)));
      } else {
        addTransport(new TcpTransport(context, config.tcp(identity)));
      }
    }
  }

  /**
   * Creates a swarm with these transports (more can be added with {@link #addTransport}),
   * bound to the current Vert.x context; the transports must live on that context too.
   */
  public Swarm(Vertx vertx, KeyPair identity, SwarmConfig config, List<Transport> transports) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.identity = identity;
    this.config = config;
    this.transports.addAll(transports);
    this.housekeepingTimer = vertx.setPeriodic(1000, t -> housekeeping());
  }

  /**
   * Adds a transport (before listening and dialing on its addresses); an address goes to the
   * first transport, in the order added, that takes it.
   */
  public void addTransport(Transport transport) {
    transports.add(transport);
  }

  /** The transports, in the order they are asked. */
  public List<Transport> transports() {
    return List.copyOf(transports);
  }

  /** Once a second: connections whose output stalled are closed, stalled streams reset; the peer log says what it left out. */
  private void housekeeping() {
    long now = System.currentTimeMillis();
    for (Connection c : connections()) {
      c.tick(now);
    }
    peerLog.flush();
  }

  /** Where lines about what remote peers did are logged, one per peer and kind in a while. */
  public PeerLog peerLog() {
    return peerLog;
  }

  public KeyPair identity() {
    return identity;
  }

  public PeerId localPeer() {
    return identity.peerId();
  }

  public SwarmConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Context context() {
    return context;
  }

  public PeerStore peerStore() {
    return peerStore;
  }

  // ---- protocols ----

  /**
   * Routes inbound streams that negotiate one of the spec's ids to {@code handler}, within the
   * spec's cap of inbound streams per connection. A second spec with the same id replaces it.
   */
  public void handle(ProtocolSpec spec, Handler<P2pStream> handler) {
    Route route = new Route(spec, handler);
    for (String id : spec.ids()) {
      routes.put(id, route);
    }
  }

  /** A registered protocol: its spec and its inbound-stream handler. */
  private record Route(ProtocolSpec spec, Handler<P2pStream> handler) {}

  /** The most inbound streams of {@code protocol} one connection may hold open. */
  int inboundCap(String protocol) {
    Route route = routes.get(protocol);
    int cap = route == null ? Integer.MAX_VALUE : route.spec().maxInboundPerConnection();
    return Math.min(cap, limits.maxInboundStreamsPerProtocol());
  }

  /**
   * Whether an open stream of {@code protocol} keeps its connection alive: as the spec of the
   * protocol says, and yes for a protocol we only dial (no spec here to say otherwise).
   */
  boolean keepsAlive(String protocol) {
    if (protocol == null) {
      return false;
    }
    Route route = routes.get(protocol);
    return route == null || route.spec().keepsAlive();
  }

  /**
   * The one log line for an inbound stream whose message was malformed, too long or too slow
   * (the reader has reset it); timeouts are counted.
   */
  public void streamReadFailed(P2pStream stream, String protocol, io.tinyp2p.stream.LengthPrefixed.FrameException e) {
    if (e.isTimeout()) {
      limitCounters.count(Limits.Closure.READ_TIMEOUT);
    }
    peerLog.info(LOG, stream.remotePeer(), "{} from {}: {}", protocol, stream.remotePeer(), e.getMessage());
  }

  /**
   * What the streams of each registered protocol carried, by protocol id, and of all other
   * protocols under {@link #OTHER_PROTOCOLS}: counted from the first call on (streams
   * negotiated before it are not). Read it on the swarm's context.
   */
  public Map<String, io.tinyp2p.stream.Traffic> traffic() {
    if (traffic == null) {
      traffic = new LinkedHashMap<>();
      routes.keySet().forEach(id -> traffic.put(id, new io.tinyp2p.stream.Traffic()));
      traffic.put(OTHER_PROTOCOLS, new io.tinyp2p.stream.Traffic());
    }
    return Collections.unmodifiableMap(traffic);
  }

  /** The key of {@link #traffic()} for the protocols no handler is registered for. */
  public static final String OTHER_PROTOCOLS = "other";

  /** A stream of {@code protocol} was negotiated: where it counts its bytes (null while nobody asked for traffic). */
  io.tinyp2p.stream.Traffic traffic(String protocol, boolean outbound) {
    if (traffic == null) {
      return null;
    }
    io.tinyp2p.stream.Traffic t = routes.containsKey(protocol)
        ? traffic.computeIfAbsent(protocol, p -> new io.tinyp2p.stream.Traffic())
        : traffic.get(OTHER_PROTOCOLS);
    t.opened(outbound);
    return t;
  }

  void streamRefused() {
    limitCounters.count(Limits.Refusal.STREAMS_PER_PROTOCOL);
  }

  public boolean supports(String protocol) {
    return routes.containsKey(protocol);
  }

  public List<String> protocols() {
    return List.copyOf(routes.keySet());
  }

  void dispatchInbound(P2pStream stream) {
    Route route = routes.get(stream.protocol());
    if (route == null) {
      stream.reset();
      return;
    }
    try {
      route.handler().handle(stream);
    } catch (RuntimeException e) {
      LOG.warn("handler of {} failed for a stream from {}", stream.protocol(), stream.remotePeer(), e);
      stream.reset();
    }
  }

  /** Opens a stream to a connected (or dialable) peer, negotiating the first protocol it supports. */
  public Future<P2pStream> newStream(PeerId peer, List<String> protocols) {
    return dial(peer).compose(connection -> connection.openStream(protocols));
  }

  public Future<P2pStream> newStream(PeerId peer, String protocol) {
    return newStream(peer, List.of(protocol));
  }

  // ---- events ----

  /** Subscribes to one kind of {@link SwarmEvent}; handlers run on the swarm's context. */
  public <E extends SwarmEvent> void on(Class<E> type, Handler<E> handler) {
    listeners.computeIfAbsent(type, k -> new ArrayList<>()).add(handler);
  }

  @SuppressWarnings("unchecked")
  public void emit(SwarmEvent event) {
    List<Handler<?>> list = listeners.get(event.getClass());
    if (list == null) {
      return;
    }
    for (Handler<?> handler : List.copyOf(list)) {
      try {
        ((Handler<SwarmEvent>) handler).handle(event);
      } catch (RuntimeException e) {
        LOG.error("listener of {} failed", event.getClass().getSimpleName(), e);
      }
    }
  }

  // ---- listening ----

  /**
   * Listens on {@code addr} with the first transport that takes it (TCP: /ip4 or /ip6
   * .../tcp/N; port 0: any free port). Completes with the first address bound.
   */
  public Future<Multiaddr> listen(Multiaddr addr) {
    Transport transport = transports.stream().filter(t -> t.canListen(addr)).findFirst().orElse(null);
    if (transport == null) {
      return Future.failedFuture(new IllegalArgumentException("no transport can listen on " + addr
          + " (transports: " + transportNames() + ")"));
    }
    return transport.listen(addr, this::offerInbound).map(bound -> {
      LOG.info("listening on {}", bound);
      ownAddresses.addListen(bound);
      return bound.get(0);
    });
  }

  private List<String> transportNames() {
    return transports.stream().map(Transport::name).toList();
  }

  /** Our listen addresses; an unspecified host (0.0.0.0, ::) is expanded to the interfaces' addresses. */
  public List<Multiaddr> listenAddresses() {
    return ownAddresses.listen();
  }

  /** What we announce (identify, our provider records): the listen addresses, then the confirmed external ones. */
  public List<Multiaddr> announcedAddresses() {
    return ownAddresses.announced();
  }

  /** Our addresses, to change: listen addresses a transport gains or loses later, confirmed external ones. */
  public OwnAddresses ownAddresses() {
    return ownAddresses;
  }

  /** How a transport that gains inbound connections outside {@link #listen} (a relay's stop protocol) offers them. */
  public Transport.Inbound inboundOffers() {
    return this::offerInbound;
  }

  /** A transport offers an inbound connection before its upgrade: admitted (room made among the pending handshakes) or refused. */
  private boolean offerInbound(Upgrade upgrade) {
    if (closed) {
      return false;
    }
    Limits.Refusal refusal = handshakes.admit(upgrade, connections());
    if (refusal != null) {
      limitCounters.count(refusal);
      LOG.debug("refused an inbound connection from {}: {}", upgrade.remoteAddress(), refusal);
      return false;
    }
    upgrade.result().onComplete(ar -> {
      if (ar.succeeded()) {
        connectionOpened(upgrade, ar.result());
      } else {
        upgradeFailed(upgrade);
      }
    });
    return true;
  }

  // ---- dialing ----

  /** The open connection to {@code peer} new streams go on: a direct one before a relayed one; or null. */
  public Connection connection(PeerId peer) {
    List<Connection> list = connections.get(peer);
    if (list == null || list.isEmpty()) {
      return null;
    }
    return list.stream().filter(c -> !c.remoteAddress().isCircuit()).findFirst().orElse(list.get(0));
  }

  public boolean isConnected(PeerId peer) {
    return connection(peer) != null;
  }

  /** Closes every connection to {@code peer} (each in order); returns how many there were. */
  public int disconnect(PeerId peer) {
    List<Connection> open = List.copyOf(connections.getOrDefault(peer, List.of()));
    open.forEach(Connection::close);
    return open.size();
  }

  /** Every open connection. */
  public List<Connection> connections() {
    List<Connection> all = new ArrayList<>();
    connections.values().forEach(all::addAll);
    return all;
  }

  /**
   * Dials a peer by id: its open connection if there is one, else the addresses the peer
   * store holds for it, one after the other.
   */
  public Future<Connection> dial(PeerId peer) {
    return dial(peer, true);
  }

  /** The open connection to the peer, else the dial to it under way, else null. */
  private Future<Connection> connectedOrDialing(PeerId peer) {
    Connection existing = connection(peer);
    return existing != null ? Future.succeededFuture(existing) : pendingDials.get(peer);
  }

  /**
   * Dials a peer by id; {@code useRouting == false} tries only the addresses already known
   * (what Kademlia's own requests need: a lookup must not start lookups).
   */
  public Future<Connection> dial(PeerId peer, boolean useRouting) {
    Future<Connection> current = connectedOrDialing(peer);
    if (current != null) {
      return current;
    }
    List<Multiaddr> addrs = peerStore.addresses(peer);
    if (!addrs.isEmpty()) {
      return dialEach(peer, inDialOrder(addrs), 0, null, true);
    }
    if (peerRouting == null || !useRouting) {
      return Future.failedFuture(new PeerNotFoundException("no known address for " + peer));
    }
    return peerRouting.apply(peer).compose(found -> found.isEmpty()
        ? Future.failedFuture(new PeerNotFoundException("no address found for " + peer))
        : dialEach(peer, inDialOrder(found), 0, null, true));
  }

  /**
   * Sets how {@link #dial(PeerId)} finds addresses the peer store lacks (Kademlia's lookup).
   * It completes with the addresses found, empty when the peer was not found.
   */
  public void peerRouting(java.util.function.Function<PeerId, Future<List<Multiaddr>>> routing) {
    this.peerRouting = routing;
  }

  /**
   * A peer's addresses in the order they are dialed: by the first of our transports that dials
   * each (QUIC before TCP when the swarm lists it first), in their own order within a transport;
   * those no transport of ours dials come last (their dial fails at once, naming why).
   */
  List<Multiaddr> inDialOrder(List<Multiaddr> addrs) {
    List<Multiaddr> sorted = new ArrayList<>(addrs);
    sorted.sort(java.util.Comparator.comparingInt(this::transportRank));
    return sorted;
  }

  private int transportRank(Multiaddr addr) {
    for (int i = 0; i < transports.size(); i++) {
      if (transports.get(i).canDial(addr)) {
        return i;
      }
    }
    return transports.size();
  }

  /** No address is known for a peer and none could be found. */
  public static final class PeerNotFoundException extends SwarmException {
    public PeerNotFoundException(String message) {
      super(message);
    }
  }

  /**
   * Dials {@code addrs[index..]} one after the other until one connects; a QUIC address races
   * the rest ({@link DialRace}). {@code join}: whether a dial already under way to the peer
   * answers instead (not for the addresses that race one).
   */
  private Future<Connection> dialEach(PeerId peer, List<Multiaddr> addrs, int index, Throwable last, boolean join) {
    if (index >= addrs.size()) {
      return Future.failedFuture(new SwarmException("all " + addrs.size() + " addresses of " + peer
          + " failed, last: " + (last == null ? "?" : last.getMessage())));
    }
    if (!addressPolicy.dialable(addrs.get(index))) {
      // learnt addresses pass the address policy; this is the last line of defence
      limitCounters.count(Limits.DialSuppression.UNDIALABLE);
      return dialEach(peer, addrs, index + 1, new SwarmException("not dialing " + addrs.get(index)
          + ": " + AddressPolicy.classify(addrs.get(index)) + " address"), join);
    }
    boolean isLast = index == addrs.size() - 1;
    Future<Connection> dial = dialAddress(addrs.get(index).withPeerId(peer), isLast, join);
    if (!addrs.get(index).isQuic() || addrs.subList(index + 1, addrs.size()).stream().allMatch(Multiaddr::isQuic)) {
      return dial.recover(e -> dialEach(peer, addrs, index + 1, e, join));
    }
    return DialRace.run(vertx, dial, () -> dialEach(peer, addrs, index + 1, null, false));
  }

  /**
   * Dials an address. When it ends in /p2p/&lt;id&gt;, an open connection to that peer is
   * reused, and a different peer answering the handshake is an error.
   */
  public Future<Connection> dial(Multiaddr addr) {
    return dialAddress(addr, true, true);
  }

  /**
   * Dials one address; {@code report} says whether a failure is a {@link SwarmEvent.DialFailed}
   * (not while other addresses of the same peer remain to be tried), {@code join} whether an
   * open connection or a dial under way to the peer answers instead.
   */
  private Future<Connection> dialAddress(Multiaddr addr, boolean report, boolean join) {
    return dialAddress(addr, report, join, null);
  }

  /**
   * Dials {@code addr} (ending in {@code /p2p/<id>}) for a direct connection to a peer we may
   * already reach through a relay, as hole punching does at the agreed moment: never answered by
   * an open connection or a dial under way, no dial backoff (the attempts are timed, and
   * repeated), and in the listener's role when {@code asListener} (see
   * {@link Transport#dialAsListener}).
   */
  public Future<Connection> dialDirect(Multiaddr addr, boolean asListener) {
    return dialAddress(addr, false, false, asListener);
  }

  /** {@code direct}: null for an ordinary dial, else a {@link #dialDirect} in that role. */
  private Future<Connection> dialAddress(Multiaddr addr, boolean report, boolean join, Boolean direct) {
    if (closed) {
      return Future.failedFuture(new SwarmException("swarm is closed"));
    }
    PeerId expected = addr.peerId();
    if (expected != null) {
      if (expected.equals(localPeer())) {
        return Future.failedFuture(new SwarmException("refusing to dial ourselves"));
      }
      Connection open = connection(expected);
      Future<Connection> current = direct != null ? null : join ? connectedOrDialing(expected)
          : open != null ? Future.succeededFuture(open) : null;
      if (current != null) {
        return current;
      }
    }
    Transport transport = transports.stream().filter(t -> t.canDial(addr)).findFirst().orElse(null);
    if (transport == null) {
      return Future.failedFuture(new SwarmException("cannot dial " + addr + ": no transport for it (transports: "
          + transportNames() + ")"));
    }
    if (addr.isUnspecified()) {
      return Future.failedFuture(new SwarmException("cannot dial " + addr + ": an unspecified address"));
    }
    if (direct != null) {
      return upgraded(addr, expected, direct ? transport.dialAsListener(addr, expected) : transport.dial(addr, expected));
    }
    String key = DialBackoff.key(addr);
    Future<Connection> busy = dialsByAddress.get(key);
    if (busy != null) {
      // one dial per address at a time; after it, a connection is reused or the backoff answers
      return busy.transform(ar -> dialAddress(addr, report, join));
    }
    DialBackoff.SuppressedException suppressed = dialBackoff.check(addr, expected);
    if (suppressed != null) {
      limitCounters.count(suppressed.reason());
      LOG.debug("{}", suppressed.getMessage());
      if (report && suppressed.reason() == Limits.DialSuppression.BACKOFF) {
        emit(new SwarmEvent.DialFailed(expected, addr.toString(), suppressed));
      }
      return Future.failedFuture(suppressed);
    }
    Promise<Connection> promise = Promise.promise();
    Future<Connection> future = promise.future();
    if (expected != null) {
      pendingDials.put(expected, future);
      future.onComplete(ar -> pendingDials.remove(expected, future));
    }
    dialBackoff.started();
    dialsByAddress.put(key, future);
    DialBackoff backoff = dialBackoff;
    future.onComplete(ar -> {
      dialsByAddress.remove(key, future);
      backoff.finished();
    });
    transport.dial(addr, expected).onComplete(ar -> {
      if (ar.failed()) {
        // the far end was not reached at all
        backoff.failed(addr, expected, false);
        SwarmException error = new SwarmException("dial " + addr + " failed: " + ar.cause().getMessage());
        if (report) {
          emit(new SwarmEvent.DialFailed(expected, addr.toString(), error));
        }
        promise.fail(error);
        return;
      }
      Upgrade upgrade = ar.result();
      if (closed) {
        upgrade.abort();
        promise.fail(new SwarmException("swarm is closed"));
        return;
      }
      handshakes.dialed(upgrade);
      upgrade.result().onComplete(up -> {
        if (up.succeeded()) {
          backoff.succeeded(addr, up.result().info().remotePeer());
          promise.complete(connectionOpened(upgrade, up.result()));
        } else {
          // past the security negotiation the far end speaks libp2p: back off only this peer there
          backoff.failed(addr, expected, upgrade.stage() >= Upgrade.SECURITY_HANDSHAKE);
          SwarmException error = new SwarmException("dial " + addr + " failed: " + up.cause().getMessage());
          if (report) {
            emit(new SwarmEvent.DialFailed(expected, addr.toString(), error));
          }
          promise.fail(error);
          upgradeFailed(upgrade);
        }
      });
    });
    return future;
  }

  /** A direct dial's upgrade, to a connection in the book (no backoff, no dial events). */
  private Future<Connection> upgraded(Multiaddr addr, PeerId expected, Future<Upgrade> dialing) {
    return dialing.compose(upgrade -> {
      if (closed) {
        upgrade.abort();
        return Future.failedFuture(new SwarmException("swarm is closed"));
      }
      handshakes.dialed(upgrade);
      return upgrade.result().transform(up -> {
        if (up.failed()) {
          upgradeFailed(upgrade);
          return Future.failedFuture(new SwarmException("dial " + addr + " failed: " + up.cause().getMessage()));
        }
        return Future.succeededFuture(connectionOpened(upgrade, up.result()));
      });
    }, e -> Future.failedFuture(new SwarmException("dial " + addr + " failed: " + e.getMessage())));
  }

  // ---- connection bookkeeping ----

  /** The rules for addresses learnt from peers (and the counters of those dropped). */
  public AddressPolicy addressPolicy() {
    return addressPolicy;
  }

  /**
   * Identify described the peer on {@code connection} with these listen addresses (as sent,
   * before the address policy): checked against the peer's other open connections for a second
   * node that uses the same identity.
   */
  public void connectionIdentified(Connection connection, List<Multiaddr> listenAddrs) {
    if (!connection.isOpen() || connection.remotePeer() == null) {
      return;
    }
    List<Connection> open = connections.getOrDefault(connection.remotePeer(), List.of());
    if (open.contains(connection) && duplicates.identified(connection, listenAddrs, open)) {
      limitCounters.countDuplicateIdentity();
    }
  }

  public Limits.Counters limitCounters() {
    return limitCounters;
  }

  /** Sets the connection, dial and address limits (before listening and dialing). */
  public void limits(Limits limits) {
    this.limits = limits;
    this.handshakes.limits(limits);
    this.addressPolicy = new AddressPolicy(limits.allowDnsAddrs(), limitCounters);
    this.dialBackoff = new DialBackoff(limits, System::currentTimeMillis);
  }

  /** An upgrade gave an open connection: it joins the book unless its peer has too many. */
  private Connection connectionOpened(Upgrade upgrade, MuxedConnection muxed) {
    handshakes.ended(upgrade);
    Connection connection = new Connection(this, muxed);
    if (!connection.isOpen()) {
      return connection;
    }
    List<Connection> existing = connections.get(connection.remotePeer());
    if (existing != null && existing.size() >= limits.maxConnectionsPerPeer()) {
      Connection relayed = connection.remoteAddress().isCircuit() ? null
          : existing.stream().filter(c -> c.remoteAddress().isCircuit()).findFirst().orElse(null);
      if (relayed == null) {
        limitCounters.count(Limits.Refusal.PER_PEER);
        connection.close();
        return connection;
      }
      relayed.close(); // a direct connection (hole punching made it) takes a relayed one's place
    }
    connections.computeIfAbsent(connection.remotePeer(), k -> new ArrayList<>()).add(connection);
    LOG.debug("connection open: {}", connection);
    emit(new SwarmEvent.ConnectionOpened(connection));
    return connection;
  }

  /** An upgrade ended without a connection: the one log line for it, unless we ended it. */
  private void upgradeFailed(Upgrade upgrade) {
    handshakes.ended(upgrade);
    Throwable reason = upgrade.closeReason();
    if (reason != null) {
      LOG.info("connection {} closed: {}", upgrade, reason.getMessage());
    }
  }

  void connectionClosed(Connection connection, Throwable reason) {
    duplicates.closed(connection);
    if (reason instanceof PeerNotReadingException e) {
      limitCounters.count(switch (e.kind()) {
        case WRITE_STALLED -> Limits.Closure.WRITE_STALLED;
        case QUEUE_OVERFLOW -> Limits.Closure.QUEUE_OVERFLOW;
      });
    }
    if (reason != null) {
      // The one log line for a connection that failed; the node carries on.
      LOG.info("connection {} closed: {}", connection, reason.getMessage());
    }
    PeerId peer = connection.remotePeer();
    List<Connection> list = peer == null ? null : connections.get(peer);
    if (list != null && list.remove(connection)) {
      if (list.isEmpty()) {
        connections.remove(peer);
      }
      emit(new SwarmEvent.ConnectionClosed(connection, reason));
    }
  }

  /**
   * Closes connections that stay idle for {@code idle}: no stream of a protocol that keeps a
   * connection alive ({@link ProtocolSpec#keepsAlive}), and not {@code inUse} (a routing-table or mesh peer). Checked every second.
   */
  public void keepAlive(java.time.Duration idle, java.util.function.Predicate<PeerId> inUse) {
    if (keepAliveTimer >= 0) {
      vertx.cancelTimer(keepAliveTimer);
    }
    keepAliveTimer = vertx.setPeriodic(1000, t -> {
      long now = System.currentTimeMillis();
      for (Connection c : connections()) {
        if (c.idleSince(now) >= idle.toMillis() && !inUse.test(c.remotePeer())
            && !pendingDials.containsKey(c.remotePeer())) {
          LOG.debug("closing idle connection {}", c);
          c.close();
        }
      }
    });
  }

  /** Closes every connection, then the transports (their listeners and sockets). */
  public Future<Void> close() {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    vertx.cancelTimer(housekeepingTimer);
    if (keepAliveTimer >= 0) {
      vertx.cancelTimer(keepAliveTimer);
    }
    for (Upgrade u : handshakes.all()) {
      u.abort();
    }
    for (Connection c : connections()) {
      c.close();
    }
    List<Future<Void>> closing = new ArrayList<>();
    transports.forEach(t -> closing.add(t.close()));
    return Future.join(closing).mapEmpty();
  }
}
