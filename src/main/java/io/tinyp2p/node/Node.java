package io.tinyp2p.node;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.autonat.AutoNat;
import io.tinyp2p.protocol.autonat.AutoNatConfig;
import io.tinyp2p.protocol.dcutr.Dcutr;
import io.tinyp2p.protocol.gossipsub.GossipConfig;
import io.tinyp2p.protocol.gossipsub.Gossipsub;
import io.tinyp2p.protocol.identify.Identify;
import io.tinyp2p.protocol.kad.Kademlia;
import io.tinyp2p.protocol.perf.Perf;
import io.tinyp2p.protocol.ping.Ping;
import io.tinyp2p.protocol.relay.RelayConfig;
import io.tinyp2p.protocol.relay.RelayServer;
import io.tinyp2p.protocol.reqresp.RequestResponse;
import io.tinyp2p.swarm.Limits;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmConfig;
import io.tinyp2p.transport.relay.RelayTransport;
import io.tinyp2p.transport.tcp.TcpTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * One libp2p node: a swarm and the protocols on it, assembled from options in one place. The
 * node verticle, the benchmarks and the tests all build their nodes here, so they run the same
 * wiring. Identify is always there (the other protocols learn what a peer speaks from it); ping,
 * request-response, Kademlia, Gossipsub and perf are there when their options are set.
 *
 * <p>With TCP the node also has the relay transport (Circuit Relay v2: dialing and reserving
 * through relays, and the stop protocol that accepts relayed connections); it serves as a relay
 * ({@link #relayServer()}) only when {@link Builder#relay} says so.
 *
 * <p>Each protocol but Identify is null unless its option was set in the {@link Builder}.
 * Build it on the event loop that is to own it (a verticle's {@code start()}): the swarm
 * binds to the current context, and everything here must be called from it.
 *
 * <pre>{@code
 * Node node = Node.builder(vertx, KeyPair.generate())
 *     .ping(Duration.ofSeconds(15), Duration.ofSeconds(10))
 *     .requestResponse(config, (peer, request) -> Future.succeededFuture(request))
 *     .build();
 * node.start(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
 * }</pre>
 */
public record Node(Swarm swarm, Identify identify, Ping ping, RequestResponse requestResponse,
    Kademlia kademlia, Gossipsub gossipsub, Perf perf, AutoNat autoNat, RelayTransport relayTransport,
    RelayServer relayServer, List<Multiaddr> relays, Dcutr dcutr) {

  private static Node assemble(Builder b) {
    Swarm swarm = new Swarm(b.vertx, b.identity, b.swarmConfig);
    swarm.limits(b.limits);
    // circuits are upgraded like TCP sockets: the relay transport needs the TCP transport
    TcpTransport tcp = swarm.transports().stream().filter(TcpTransport.class::isInstance)
        .map(TcpTransport.class::cast).findFirst().orElse(null);
    RelayTransport relayTransport = tcp == null ? null : new RelayTransport(swarm, tcp);
    if (relayTransport != null) {
      swarm.addTransport(relayTransport);
    }
    AutoNat autoNat = b.autoNatConfig == null ? null : new AutoNat(swarm, b.autoNatConfig);
    Node node = new Node(swarm, new Identify(swarm),
        b.pingTimeout == null ? null : new Ping(swarm, b.pingInterval, b.pingTimeout),
        b.reqRespConfig == null ? null : new RequestResponse(swarm, b.reqRespConfig, b.reqRespHandler),
        b.kadConfig == null ? null : new Kademlia(swarm, b.kadConfig, b.bootNodes),
        b.gossipConfig == null ? null : new Gossipsub(swarm, b.gossipConfig, b.delivery),
        b.perf ? new Perf(swarm) : null,
        autoNat, relayTransport,
        b.relayConfig.server() ? new RelayServer(swarm, b.relayConfig) : null, b.relays,
        b.holePunching ? new Dcutr(swarm, () -> reachableAt(swarm, autoNat), Dcutr.TIMEOUT) : null);
    if (b.keepAlive != null) {
      // a connection stays while it carries a stream that keeps it alive, or links a routing
      // table or mesh peer; otherwise it closes after this long idle
      swarm.keepAlive(b.keepAlive, node::inUse);
    }
    return node;
  }

  /**
   * Where peers may reach us directly, for hole punching: the addresses AutoNAT confirmed and
   * those peers observe (normalised to our listen port), then what we announce and listen on.
   */
  private static List<Multiaddr> reachableAt(Swarm swarm, AutoNat autoNat) {
    java.util.Set<Multiaddr> out = new java.util.LinkedHashSet<>();
    if (autoNat != null) {
      out.addAll(autoNat.confirmedAddrs());
      out.addAll(autoNat.observed().counts().keySet());
    }
    out.addAll(swarm.announcedAddresses());
    out.addAll(swarm.listenAddresses());
    return List.copyOf(out);
  }

  /** Whether a peer is part of a routing table or a gossip mesh, or holds (or gave us) a relay reservation: its connection is kept. */
  private boolean inUse(PeerId peer) {
    return (relayTransport != null && relayTransport.holdsReservation(peer))
        || (relayServer != null && relayServer.hasReservation(peer))
        || (kademlia != null && kademlia.routingTable().contains(peer))
        || (gossipsub != null && gossipsub.router().hasPeer(peer));
  }

  public static Builder builder(Vertx vertx, KeyPair identity) {
    return new Builder(vertx, identity);
  }

  /** Listens on {@code addr}, then starts discovery (Kademlia dials its boot nodes); completes with the first bound address. */
  public Future<Multiaddr> start(Multiaddr addr) {
    return start(List.of(addr));
  }

  /**
   * Listens on each of {@code addrs} (each with the transport that takes it), then starts
   * discovery; completes with the first bound address of the first (null when {@code addrs} is
   * empty: a node that only dials), or fails naming the address that could not be listened on.
   */
  public Future<Multiaddr> start(List<Multiaddr> addrs) {
    Future<List<Multiaddr>> bound = Future.succeededFuture(new ArrayList<>());
    for (Multiaddr addr : addrs) {
      bound = bound.compose(list -> swarm.listen(addr)
          .recover(e -> Future.failedFuture(new IllegalStateException("cannot listen on " + addr + ": " + e.getMessage(), e)))
          .map(first -> {
            list.add(first);
            return list;
          }));
    }
    return bound.map(list -> {
      if (kademlia != null) {
        kademlia.start();
      }
      reserveOnRelays();
      return list.isEmpty() ? null : list.get(0);
    });
  }

  /**
   * Reserves a slot on each configured relay (listening on {@code <relay>/p2p-circuit}); a relay
   * that cannot be reached now is tried again in the background, so this never fails the start.
   */
  private void reserveOnRelays() {
    for (Multiaddr relay : relays) {
      Multiaddr circuit = relay.withCircuit();
      swarm.listen(circuit).onFailure(e -> org.slf4j.LoggerFactory.getLogger(Node.class)
          .info("no reservation on relay {} yet: {}", relay, e.getMessage()));
    }
  }

  /** Stops discovery and the gossip heartbeat, then closes every connection and listener. */
  public Future<Void> close() {
    if (autoNat != null) {
      autoNat.stop();
    }
    if (kademlia != null) {
      kademlia.stop();
    }
    if (gossipsub != null) {
      gossipsub.stop();
    }
    return swarm.close();
  }

  public PeerId peerId() {
    return swarm.localPeer();
  }

  /** The options of a node; every protocol but Identify is off until set. */
  public static final class Builder {
    private final Vertx vertx;
    private final KeyPair identity;
    private SwarmConfig swarmConfig = SwarmConfig.defaults();
    private Limits limits = Limits.defaults();
    private Duration pingInterval;
    private Duration pingTimeout;
    private RequestResponse.Config reqRespConfig;
    private BiFunction<PeerId, Buffer, Future<Buffer>> reqRespHandler;
    private Kademlia.Config kadConfig;
    private List<Multiaddr> bootNodes = List.of();
    private GossipConfig gossipConfig;
    private Gossipsub.Delivery delivery;
    private boolean perf;
    private Duration keepAlive;
    private AutoNatConfig autoNatConfig;
    private boolean holePunching;
    private RelayConfig relayConfig = RelayConfig.defaults();
    private List<Multiaddr> relays = List.of();

    private Builder(Vertx vertx, KeyPair identity) {
      this.vertx = vertx;
      this.identity = identity;
    }

    public Builder swarmConfig(SwarmConfig config) {
      this.swarmConfig = config;
      return this;
    }

    public Builder limits(Limits limits) {
      this.limits = limits;
      return this;
    }

    /** Ping every connection every {@code interval} (zero: answer pings, send none on a timer). */
    public Builder ping(Duration interval, Duration timeout) {
      this.pingInterval = interval;
      this.pingTimeout = timeout;
      return this;
    }

    /** Request-response; {@code handler} answers inbound requests and must not block. */
    public Builder requestResponse(RequestResponse.Config config, BiFunction<PeerId, Buffer, Future<Buffer>> handler) {
      this.reqRespConfig = config;
      this.reqRespHandler = handler;
      return this;
    }

    /** Kademlia discovery, bootstrapping from {@code bootNodes}. */
    public Builder kademlia(Kademlia.Config config, List<Multiaddr> bootNodes) {
      this.kadConfig = config;
      this.bootNodes = List.copyOf(bootNodes);
      return this;
    }

    /** Gossipsub; {@code delivery} receives the messages of subscribed topics. */
    public Builder gossipsub(GossipConfig config, Gossipsub.Delivery delivery) {
      this.gossipConfig = config;
      this.delivery = delivery;
      return this;
    }

    /** The perf protocol (a throughput benchmark peers may run against us). */
    public Builder perf() {
      this.perf = true;
      return this;
    }

    /** Close connections idle for this long that link no routing-table or mesh peer. */
    public Builder keepAlive(Duration idle) {
      this.keepAlive = idle;
      return this;
    }

    /** AutoNAT (server, client or both, as {@code config} says) and the external addresses it confirms. */
    /**
     * Upgrades relayed connections to direct ones by DCUtR (hole punching where both ends are
     * behind NATs). TCP hole punching needs dials from the listen port: Vert.x on its epoll
     * transport (see {@link TcpTransport#portReuse()}).
     */
    public Builder holePunching() {
      this.holePunching = true;
      return this;
    }

    public Builder autoNat(AutoNatConfig config) {
      this.autoNatConfig = config;
      return this;
    }

    /** Serves as a Circuit Relay v2 relay when {@code config.server()}, with its limits. */
    public Builder relay(RelayConfig config) {
      this.relayConfig = config;
      return this;
    }

    /**
     * Relays to reserve a slot on once started ({@code <addr>/p2p/<relay>} each): the node is
     * then reachable at {@code <relay addr>/p2p/<relay>/p2p-circuit/p2p/<us>}.
     */
    public Builder relays(List<Multiaddr> relays) {
      for (Multiaddr r : relays) {
        if (r.peerId() == null || r.isCircuit()) {
          throw new IllegalArgumentException("a relay is <addr>/p2p/<relay id>, got " + r);
        }
      }
      this.relays = List.copyOf(relays);
      return this;
    }

    /** Assembles the node on the current Vert.x context. */
    public Node build() {
      return assemble(this);
    }
  }
}
