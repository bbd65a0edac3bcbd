package io.tinyp2p.bench;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.node.Node;
import io.tinyp2p.protocol.gossipsub.GossipConfig;
import io.tinyp2p.protocol.gossipsub.Gossipsub;
import io.tinyp2p.protocol.perf.Perf;
import io.tinyp2p.protocol.reqresp.RequestResponse;
import io.tinyp2p.swarm.Limits;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmConfig;
import io.tinyp2p.transport.quic.QuicTransport;
import io.tinyp2p.transport.tcp.TcpTransport;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A node for benchmarks: the swarm with Identify, Ping, perf, request-response (echo) and,
 * when asked, Gossipsub — what the js side runs too — without discovery timers or the bus.
 * It has one transport, TCP (Noise, Yamux) unless told QUIC ({@value QuicTransport#NAME}), and
 * listens on 127.0.0.1 with it.
 */
final class BenchNode extends VerticleBase {
  static final int WINDOW = Integer.getInteger("tinyp2p.bench.window", 256 * 1024);
  private final GossipConfig gossip;
  private final Gossipsub.Delivery delivery;
  Node node;
  Swarm swarm;
  Perf perf;
  RequestResponse reqResp;
  Gossipsub gossipsub;
  Multiaddr addr;

  private final Limits limits;
  private final String transport;

  BenchNode(GossipConfig gossip, Gossipsub.Delivery delivery, Limits limits, String transport) {
    this.gossip = gossip;
    this.delivery = delivery;
    this.limits = limits;
    this.transport = transport;
  }

  /**
   * The defaults with the dial rate limit lifted: the connection workload dials as fast as it
   * can (the limit is a defence against being used as a dialer, not a cost of a dial).
   */
  static Limits benchLimits() {
    Limits d = Limits.defaults();
    return new Limits(d.maxConnections(), d.maxConnectionsPerPeer(), d.maxConnectionsPerIp(),
        d.maxPendingHandshakes(), d.exemptLoopback(), d.maxInboundStreamsPerProtocol(), d.maxPendingHandshakesPerIp(),
        d.maxPendingHandshakesPerSubnet(), d.maxDialsInFlight(), 1_000_000, d.dialBackoffInitial(), d.dialBackoffMax(),
        d.allowDnsAddrs());
  }

  @Override
  public Future<?> start() {
    Node.Builder builder = Node.builder(vertx, KeyPair.generate())
        .swarmConfig(SwarmConfig.defaults().withYamux(SwarmConfig.defaults().yamux().withReceiveWindow(WINDOW))
            .withTransports(List.of(transport)))
        .limits(limits)
        .ping(Duration.ZERO, Duration.ofSeconds(10))
        .perf()
        .requestResponse(new RequestResponse.Config(Duration.ofSeconds(30), 1 << 20, 1 << 20),
            (peer, request) -> Future.succeededFuture(request));
    if (gossip != null) {
      builder.gossipsub(gossip, delivery);
    }
    node = builder.build();
    swarm = node.swarm();
    perf = node.perf();
    reqResp = node.requestResponse();
    gossipsub = node.gossipsub();
    Multiaddr listen = transport.equals(QuicTransport.NAME) ? Multiaddr.quic("127.0.0.1", 0) : Multiaddr.tcp("127.0.0.1", 0);
    return node.start(listen).map(a -> {
      addr = a.withPeerId(swarm.localPeer());
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    return node.close();
  }

  static BenchNode deploy(Vertx vertx, GossipConfig gossip, Gossipsub.Delivery delivery) {
    return deploy(vertx, new BenchNode(gossip, delivery, benchLimits(), TcpTransport.NAME));
  }

  /** A node without Gossipsub, with these limits. */
  static BenchNode deploy(Vertx vertx, Limits limits) {
    return deploy(vertx, new BenchNode(null, null, limits, TcpTransport.NAME));
  }

  /** A node without Gossipsub on {@code transport} ({@value TcpTransport#NAME} or {@value QuicTransport#NAME}). */
  static BenchNode deploy(Vertx vertx, String transport) {
    return deploy(vertx, new BenchNode(null, null, benchLimits(), transport));
  }

  private static BenchNode deploy(Vertx vertx, BenchNode node) {
    await(vertx.deployVerticle(node));
    return node;
  }

  /** Runs {@code action} on the node's event loop and waits for its result. */
  <T> T onLoop(Function<BenchNode, Future<T>> action) {
    CompletableFuture<T> result = new CompletableFuture<>();
    swarm.context().runOnContext(v -> action.apply(this).onComplete(ar -> {
      if (ar.succeeded()) {
        result.complete(ar.result());
      } else {
        result.completeExceptionally(ar.cause());
      }
    }));
    return join(result);
  }

  static <T> T await(Future<T> f) {
    return join(f.toCompletionStage().toCompletableFuture());
  }

  static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get(300, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getCause() != null ? e.getCause() : e);
    }
  }

  static Buffer payload(int size) {
    return Buffer.buffer(new byte[size]);
  }
}
