package io.tinyp2p.daemon;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.node.Node;
import io.tinyp2p.node.NodeConfig;
import io.tinyp2p.protocol.gossipsub.GossipConfig;
import io.tinyp2p.protocol.kad.Kademlia;
import io.tinyp2p.protocol.relay.RelayConfig;
import io.tinyp2p.swarm.SwarmConfig;
import io.tinyp2p.transport.tcp.TcpTransport;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.List;

/**
 * The daemon on one event loop: a node built from the daemon's flags (Identify, Ping and relayed
 * dialing always; Kademlia with {@code -dht}, pubsub with {@code -pubsub}, a relay with
 * {@code -relayService}) and the control socket that drives it.
 */
public final class DaemonVerticle extends VerticleBase {
  /** How often Kademlia looks for new peers (the daemon's peers are mostly those it is told to connect). */
  static final Duration DISCOVERY_INTERVAL = Duration.ofMinutes(5);

  private final DaemonOptions options;
  private final KeyPair identity;
  private Node node;
  private ControlServer control;
  private Multiaddr controlAddress;

  public DaemonVerticle(DaemonOptions options, KeyPair identity) {
    this.options = options;
    this.identity = identity;
  }

  @Override
  public Future<?> start() {
    PubsubRequests pubsub = options.pubsub() ? new PubsubRequests() : null;
    Node.Builder builder = Node.builder(vertx, identity)
        .swarmConfig(SwarmConfig.defaults().withSecurity(options.security()).withTransports(transports()))
        .ping(Duration.ZERO, Duration.ofSeconds(10));
    if (options.relayService()) {
      builder.relay(RelayConfig.defaults().server(true));
    }
    if (options.dht()) {
      builder.kademlia(Kademlia.Config.of(DISCOVERY_INTERVAL), options.bootstrapPeers());
    }
    if (pubsub != null) {
      builder.gossipsub(gossipConfig(), pubsub::deliver);
    }
    node = builder.build();
    if (pubsub != null) {
      pubsub.attach(node.gossipsub());
    }
    control = new ControlServer(vertx, node, pubsub);
    return node.start(options.hostAddrs())
        .compose(first -> control.listen(options.listen()))
        .onSuccess(addr -> controlAddress = addr);
  }

  /** The transports the host addresses name (QUIC first); TCP for a daemon that only dials. */
  private List<String> transports() {
    List<String> named = NodeConfig.transportsOf(options.hostAddrs());
    return named.isEmpty() ? List.of(TcpTransport.NAME) : named;
  }

  /** {@code -pubsubRouter floodsub}: floodsub only; else gossipsub, which also speaks floodsub with floodsub peers. */
  private GossipConfig gossipConfig() {
    return GossipConfig.defaults().withRouter(options.pubsubRouter().equals("floodsub")
        ? GossipConfig.Router.FLOODSUB : GossipConfig.Router.GOSSIPSUB);
  }

  @Override
  public Future<?> stop() {
    Future<Void> closing = control == null ? Future.succeededFuture() : control.close();
    return closing.eventually(() -> node == null ? Future.succeededFuture() : node.close());
  }

  /** The node (once started). */
  public Node node() {
    return node;
  }

  /** The control socket's bound address (once started). */
  public Multiaddr controlAddress() {
    return controlAddress;
  }
}
