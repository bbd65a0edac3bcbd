package io.tinyp2p.node;

import io.tinyp2p.client.Bus;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pOptions;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.util.Preview;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.Version;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import io.tinyp2p.protocol.gossipsub.GossipRouter;
import io.tinyp2p.protocol.gossipsub.Gossipsub;
import io.tinyp2p.protocol.identify.Identify;
import io.tinyp2p.protocol.perf.Perf;
import io.tinyp2p.protocol.kad.Kademlia;
import io.tinyp2p.protocol.kad.RoutingTable;
import io.tinyp2p.protocol.reqresp.RequestException;
import io.tinyp2p.protocol.reqresp.RequestResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.tinyp2p.protocol.ping.Ping;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmConfig;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node: owns the swarm and every protocol on this verticle's event loop. Deploy it with
 * a JSON config (see {@link NodeConfig}); a bad config fails the deployment with a message
 * naming the key.
 */
public class P2pVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(P2pVerticle.class);

  private NodeConfig config;
  private Node node;
  private Swarm swarm;
  private Ping ping;
  private Identify identify;
  private StatusVerticle statusVerticle;
  private RequestResponse reqResp;
  private Kademlia kademlia;
  private Gossipsub gossipsub;
  private Perf perf;
  private NodeMetrics metrics;
  private SavedPeers savedPeers;
  private History history;
  private Duration historyInterval = History.INTERVAL;
  private ConnectedPeers connectedPeers;
  private boolean stopping;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final P2pOptions options;
  private boolean httpConfigured;
  private final long startedAt = System.currentTimeMillis();

  /** A node configured by its deployment's config: conf.json's keys. */
  public P2pVerticle() {
    this.options = null;
  }

  /** A node with these options (copied); its deployment then carries no config. */
  public P2pVerticle(P2pOptions options) {
    this.options = new P2pOptions(java.util.Objects.requireNonNull(options, "options"));
  }

  @Override
  public Future<?> start() {
    JsonObject source = config();
    if (options != null) {
      if (!source.isEmpty()) {
        return Future.failedFuture(new ConfigException("the node was given P2pOptions and a deployment config:"
            + " give one of them"));
      }
      source = options.toJson();
    }
    try {
      config = NodeConfig.from(source);
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    httpConfigured = source.containsKey("http");
    return StoredState.load(vertx, config).compose(this::startNode);
  }

  private Future<?> startNode(StoredState stored) {
    if (config.state().identityFile() != null) {
      LOG.info(stored.createdIdentity() ? "new identity {} written to identityFile {}" : "identity {} read from identityFile {}",
          stored.identity().peerId(), config.state().identityFile().toAbsolutePath());
    }
    if (config.randomSecret()) {
      LOG.info("no secret configured: using a random identity {}", config.identity().peerId());
    }
    Node.Builder builder = Node.builder(vertx, stored.identity())
        .swarmConfig(SwarmConfig.defaults()
            .withHandshakeTimeout(config.handshakeTimeout())
            .withWriteStallTimeout(config.writeStallTimeout())
            .withSecurity(config.security())
            .withTransports(config.transports())
            .withYamux(SwarmConfig.defaults().yamux().withMaxStreams(config.maxStreamsPerConnection())
                .withReceiveWindow(config.yamuxReceiveWindow())
                .withMaxQueuedBytes(config.maxQueuedBytesPerConnection())))
        .limits(config.limits())
        .ping(config.pingInterval(), Duration.ofSeconds(10))
        .requestResponse(new RequestResponse.Config(config.reqResp().requestTimeout(),
            config.reqResp().maxRequestSize(), config.reqResp().maxResponseSize()), this::inboundRequest)
        .kademlia(Kademlia.Config.of(config.discoveryInterval()).withStore(config.kad()), config.bootNodes())
        .relay(config.relay())
        .relays(config.relays())
        .gossipsub(config.gossipsub(), this::deliver)
        .perf()
        .keepAlive(config.reqResp().connectionKeepAlive())
        .autoNat(config.autonat());
    if (config.holePunching()) {
      builder.holePunching();
    }
    node = builder.build();
    swarm = node.swarm();
    identify = node.identify();
    ping = node.ping();
    reqResp = node.requestResponse();
    kademlia = node.kademlia();
    gossipsub = node.gossipsub();
    perf = node.perf();
    config.pubsubTopics().forEach(gossipsub::subscribe);
    metrics = NodeMetrics.attach(vertx, node, Bus.metrics(config.busPrefix()));
    history = History.start(vertx, node, historyInterval);
    connectedPeers = new ConnectedPeers(node);
    swarm.on(SwarmEvent.ConnectionOpened.class, e -> {
      LOG.info("connected to {} ({})", e.peer(), e.connection());
      publishEvent(new JsonObject().put("type", "peer:connect").put("peerId", e.peer().toBase58())
          .put("remoteAddr", e.connection().remoteAddress().toString()));
    });
    swarm.on(io.tinyp2p.protocol.autonat.ReachabilityChanged.class, e -> publishEvent(new JsonObject()
        .put("type", "reachability").put("reachability", e.reachability().json())
        .put("confirmedAddrs", new JsonArray(e.confirmedAddrs().stream().map(Multiaddr::toString).toList()))));
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> {
      LOG.info("disconnected from {}", e.peer());
      publishEvent(new JsonObject().put("type", "peer:disconnect").put("peerId", e.peer().toBase58()));
    });
    LOG.info("Local peer id: {}", swarm.localPeer());
    if (config.state().peerStoreFile() != null) {
      savedPeers = SavedPeers.start(node, config.state().peerStoreFile(), config.state().peerStoreInterval(),
          stored.peers());
    }
    registerBus();
    return node.start(config.listenAddrs())
        .recover(e -> Future.failedFuture(new IllegalStateException("P2P listener: " + e.getMessage()
            + " (set addr to free ports)", e)))
        .compose(addr -> {
          for (Multiaddr a : swarm.listenAddresses()) {
            LOG.info("P2P node listening on {}", a.withPeerId(swarm.localPeer()));
          }
          return startHttp();
        })
        .compose(v -> {
          if (!config.demo()) {
            return Future.succeededFuture();
          }
          return vertx.deployVerticle(new DemoVerticle(),
              new DeploymentOptions().setConfig(new JsonObject().put("busPrefix", config.busPrefix())));
        })
        .onFailure(e -> { // a failed deployment is not stopped: its meters and timers go now
          metrics.close();
          history.close();
        });
  }

  private Future<?> startHttp() {
    if (!config.http().enabled()) {
      return Future.succeededFuture();
    }
    if (!webOnClasspath()) {
      // vertx-web is an optional dependency: an embedding application that did not ask for the
      // HTTP API runs without it; one that configured it learns what is missing
      if (httpConfigured) {
        return Future.failedFuture(new ConfigException("http: the HTTP API needs io.vertx:vertx-web on the"
            + " classpath (add the dependency, or set http.enabled to false)"));
      }
      LOG.info("HTTP API off: io.vertx:vertx-web is not on the classpath");
      return Future.succeededFuture();
    }
    statusVerticle = new StatusVerticle();
    JsonObject httpConfig = config.http().toJson().put("busPrefix", config.busPrefix())
        .put("maxRequestSize", config.reqResp().maxRequestSize())
        .put("maxMessageSize", config.gossipsub().maxMessageSize())
        .put("maxValueSize", config.kad().maxValueSize());
    return vertx.deployVerticle(statusVerticle, new DeploymentOptions().setConfig(httpConfig));
  }

  private static boolean webOnClasspath() {
    try {
      Class.forName("io.vertx.ext.web.Router", false, P2pVerticle.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** The event-bus API of DESIGN.md, served on this verticle's event loop. */
  private void registerBus() {
    String prefix = config.busPrefix();
    EventBus bus = vertx.eventBus();
    consumers.add(bus.consumer(Bus.status(prefix), msg -> msg.reply(status())));
    consumers.add(bus.consumer(Bus.peers(prefix), msg -> msg.reply(knownPeers())));
    consumers.add(bus.consumer(Bus.history(prefix), msg -> msg.reply(history.toJson())));
    consumers.add(bus.<Object>consumer(Bus.request(prefix), msg -> {
      PeerId target = peerHeader(msg);
      if (target == null) {
        return;
      }
      if (!(msg.body() instanceof Buffer payload)) {
        msg.reply(Failure.BAD_REQUEST.exception("the request body must be a Buffer"));
        return;
      }
      if (stopping) {
        msg.reply(Failure.NOT_RUNNING.exception("the node is stopping"));
        return;
      }
      reqResp.request(target, payload).onComplete(ar -> {
        if (ar.succeeded()) {
          msg.reply(ar.result());
        } else if (ar.cause() instanceof RequestException re) {
          msg.reply(busFailure(re.failure()).exception(re.getMessage()));
        } else {
          msg.reply(Failure.INTERNAL_ERROR.exception(String.valueOf(ar.cause())));
        }
      });
    }));
    consumers.add(bus.<Object>consumer(Bus.broadcast(prefix), msg -> {
      String topic = msg.headers().get(Bus.TOPIC);
      if (topic == null || topic.isEmpty()) {
        msg.reply(Failure.BAD_REQUEST.exception("header '" + Bus.TOPIC + "' is required"));
        return;
      }
      if (!(msg.body() instanceof Buffer payload)) {
        msg.reply(Failure.BAD_REQUEST.exception("the broadcast body must be a Buffer"));
        return;
      }
      if (payload.length() > config.gossipsub().maxMessageSize() - 1024) {
        msg.reply(Failure.REQUEST_TOO_LARGE.exception("a broadcast of " + payload.length()
            + " bytes does not fit gossipsub.maxMessageSize " + config.gossipsub().maxMessageSize()));
        return;
      }
      GossipRouter.PublishResult result;
      try {
        result = gossipsub.publish(topic, payload.getBytes());
      } catch (IllegalArgumentException e) {
        msg.reply(Failure.REQUEST_TOO_LARGE.exception(e.getMessage()));
        return;
      } catch (IllegalStateException e) {
        // a content-hash id seen before: the same data was published within the seen TTL
        msg.reply(Failure.BAD_REQUEST.exception("duplicate broadcast: " + e.getMessage()));
        return;
      }
      if (result.peers() == 0) {
        msg.reply(Failure.NO_PEERS.exception("no peer to send the broadcast on '" + topic + "' to"));
        return;
      }
      msg.reply(new JsonObject().put("id", messageId(result.id())).put("peers", result.peers()));
    }));
    consumers.add(bus.<Object>consumer(Bus.connect(prefix), msg -> {
      Multiaddr addr;
      try {
        addr = Multiaddr.parse(msg.body() instanceof String s ? s : null);
      } catch (RuntimeException e) {
        msg.reply(Failure.BAD_REQUEST.exception("the body must be a multiaddr like /ip4/192.0.2.7/tcp/4001[/p2p/<peer>], or /p2p/<peer> alone"
            + (msg.body() instanceof String ? ": " + e.getMessage() : "")));
        return;
      }
      if (stopping) {
        msg.reply(Failure.NOT_RUNNING.exception("the node is stopping"));
        return;
      }
      // a bare /p2p/<id> is dialed by peer id: its known addresses, else a Kademlia lookup
      boolean byId = addr.components().size() == 1 && addr.peerId() != null;
      (byId ? swarm.dial(addr.peerId()) : swarm.dial(addr)).onComplete(ar -> msg.reply(ar.succeeded() ? connectionJson(ar.result())
          : Failure.DIAL_FAILED.exception("cannot connect to " + addr + ": " + ar.cause().getMessage())));
    }));
    consumers.add(bus.<Object>consumer(Bus.disconnect(prefix), msg -> {
      PeerId peer = peerHeader(msg);
      if (peer != null) {
        msg.reply(new JsonObject().put("peerId", peer.toBase58()).put("closed", swarm.disconnect(peer)));
      }
    }));
    DhtCommands.register(bus, prefix, kademlia, () -> stopping, consumers);
    topicCommand(bus, Bus.subscribe(prefix), gossipsub::subscribe);
    topicCommand(bus, Bus.unsubscribe(prefix), gossipsub::unsubscribe);
  }

  /** Bytes of an inbound broadcast's data that its event on {@code <prefix>.events} carries at most. */
  public static final int EVENT_PREVIEW_BYTES = 1024;

  /** Message ids on the bus: base64url without padding. */
  static String messageId(byte[] id) {
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(id);
  }

  /** An inbound broadcast: once to {@code <prefix>.topic.<name>}, and to the events stream. */
  private void deliver(String topic, PeerId from, byte[] id, byte[] data) {
    if (stopping) {
      return;
    }
    String messageId = messageId(id);
    DeliveryOptions headers = new DeliveryOptions()
        .addHeader(Bus.FROM, from.toBase58()).addHeader(Bus.TOPIC, topic).addHeader(Bus.ID, messageId);
    vertx.eventBus().publish(Bus.topic(config.busPrefix(), topic), Buffer.buffer(data), headers);
    // the events stream is a dashboard's: a preview of the data, never all of it (a peer
    // chooses its size, and every events subscriber would hold a copy)
    Preview.Cut preview = Preview.cut(data, EVENT_PREVIEW_BYTES);
    publishEvent(new JsonObject().put("type", "message").put("topic", topic)
        .put("from", from.toBase58()).put("id", messageId)
        .put("data", preview.data()).put("encoding", preview.encoding())
        .put("size", data.length).put("truncated", preview.truncated()));
  }

  /**
   * An inbound request goes to {@code <prefix>.inbound.request}; the consumer's reply is the
   * response. No consumer, a failure or no reply in time: the error response.
   */
  private Future<Buffer> inboundRequest(PeerId peer, Buffer payload) {
    DeliveryOptions options = new DeliveryOptions()
        .addHeader(Bus.PEER, peer.toBase58())
        .setSendTimeout(config.reqResp().requestTimeout().toMillis());
    return vertx.eventBus().<Object>request(Bus.inboundRequest(config.busPrefix()), payload, options)
        .compose(reply -> reply.body() instanceof Buffer b
            ? Future.succeededFuture(b)
            : Future.failedFuture("the reply to an inbound request must be a Buffer"));
  }

  /** Publishes a dashboard event on {@code <prefix>.events}. */
  private void publishEvent(JsonObject event) {
    if (!stopping) {
      vertx.eventBus().publish(Bus.events(config.busPrefix()), event.put("at", System.currentTimeMillis()));
    }
  }

  /** The node status: what {@code GET /status} and {@code <prefix>.status} answer. */
  public JsonObject status() {
    JsonArray connections = new JsonArray();
    for (Connection c : swarm.connections()) {
      connections.add(connectionJson(c).mergeIn(connectedPeers.json(c)));
    }
    JsonArray listen = new JsonArray();
    swarm.listenAddresses().forEach(a -> listen.add(a.toString()));
    return new JsonObject()
        .put("peerId", swarm.localPeer().toBase58())
        .put("listenAddrs", listen)
        .put("connections", connections)
        .put("knownPeers", knownPeers())
        .put("topics", new JsonArray(List.copyOf(gossipsub.router().topics())))
        .put("gossipsub", gossipStatus())
        .put("limits", swarm.limitCounters().statusJson())
        .put("transports", transportsJson())
        .put("requests", reqResp.stats().toJson())
        .put("dht", dhtStatus())
        .put("autonat", node.autoNat().statusJson())
        .put("relay", relayStatus())
        .put("holePunching", node.dcutr() == null ? new JsonObject().put("enabled", false)
            : node.dcutr().statusJson().put("enabled", true).put("portReuse", portReuse()))
        .put("jvm", jvmStatus())
        .put("uptimeMs", System.currentTimeMillis() - startedAt)
        .put("version", Version.VERSION);
  }

  /**
   * Circuit Relay v2: the reservations we hold on relays ({@code reservations}) and, when we are a
   * relay ({@code server}), the reservations we serve, the circuits open and what the limits cut.
   */
  private JsonObject relayStatus() {
    JsonObject json = new JsonObject().put("reservations", node.relayTransport() == null ? new JsonArray()
        : node.relayTransport().status());
    if (node.relayServer() != null) {
      json.put("server", node.relayServer().status());
    }
    return json;
  }

  /** What the DHT holds: records, keys with provider records, keys we provide. */
  private JsonObject dhtStatus() {
    Kademlia.StoreStats stats = kademlia.storeStats();
    return new JsonObject().put("records", stats.records()).put("providerKeys", stats.providerKeys())
        .put("provided", stats.provided());
  }

  /** Each transport with what it listens on and what it counts, in the order a peer's addresses are dialed. */
  private JsonArray transportsJson() {
    JsonArray out = new JsonArray();
    for (var t : swarm.transports()) {
      JsonObject json = new JsonObject().put("name", t.name()).put("listening", new JsonArray(swarm.listenAddresses()
          .stream().filter(a -> t.canListen(a)).map(Multiaddr::toString).toList()));
      new java.util.TreeMap<>(t.counters()).forEach(json::put);
      out.add(json);
    }
    return out;
  }

  /** Whether TCP dials leave from the listen port (what TCP hole punching needs). */
  private boolean portReuse() {
    return swarm.transports().stream().anyMatch(t -> t instanceof io.tinyp2p.transport.tcp.TcpTransport tcp && tcp.portReuse());
  }

  /**
   * A connection as {@code /status} and {@code connect} show it; {@code path}: "relayed" (through
   * a relay), "holePunched" (direct, made by DCUtR from a relayed one) or "direct".
   */
  private JsonObject connectionJson(Connection c) {
    JsonObject json = new JsonObject();
    if (io.tinyp2p.transport.relay.RelayTransport.NAME.equals(c.info().transport())) {
      // a relayed connection is limited: the relay ends it past its duration or data
      json.put("limited", true).put("relayedVia", String.valueOf(c.remoteAddress().relayPeer())).put("path", "relayed");
    } else {
      json.put("path", node.dcutr() != null && node.dcutr().madeDirect(c.info().id()) ? "holePunched" : "direct");
    }
    return json
        .put("peerId", c.remotePeer().toBase58())
        .put("remoteAddr", c.remoteAddress().toString())
        .put("direction", c.direction().json())
        .put("transport", c.info().transport())
        .put("security", c.info().security())
        .put("openedAt", c.openedAt())
        .put("streams", c.streamCount());
  }

  /**
   * Heap figures in bytes: used now, the maximum, and used after the last collection of each
   * heap pool (summed), the number that shows what the node really holds.
   */
  private static JsonObject jvmStatus() {
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    long afterGc = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      MemoryUsage collected = pool.getCollectionUsage();
      if (pool.getType() == MemoryType.HEAP && collected != null) {
        afterGc += collected.getUsed();
      }
    }
    return new JsonObject().put("heapUsed", heap.getUsed()).put("heapMax", heap.getMax()).put("heapAfterGc", afterGc);
  }

  /** The router, mesh and topic-peer sizes per topic, and message counters (in, out, dropped by reason). */
  private JsonObject gossipStatus() {
    GossipRouter r = gossipsub.router();
    JsonObject counters = new JsonObject();
    gossipsub.counters().forEach(counters::put);
    return new JsonObject()
        .put("router", r.config().router().name().toLowerCase(java.util.Locale.ROOT))
        .put("mesh", new JsonObject(new java.util.HashMap<>(r.meshSizes())))
        .put("topicPeers", new JsonObject(new java.util.HashMap<>(r.topicPeerCounts())))
        .put("counters", counters);
  }

  /** Known peers: the Kademlia routing table, with addresses. */
  public JsonArray knownPeers() {
    JsonArray peers = new JsonArray();
    for (RoutingTable.Entry entry : kademlia.routingTable().all()) {
      JsonArray addrs = new JsonArray();
      entry.addrs().forEach(a -> addrs.add(a.toString()));
      peers.add(new JsonObject().put("peerId", entry.peer().toBase58()).put("addrs", addrs));
    }
    return peers;
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    List<Future<?>> closing = new ArrayList<>();
    consumers.forEach(c -> closing.add(c.unregister()));
    if (metrics != null) {
      closing.add(metrics.close());
    }
    if (history != null) {
      history.close();
    }
    if (node != null) {
      Future<Void> closed = node.close();
      closing.add(closed);
      if (savedPeers != null) {
        closing.add(closed.transform(ar -> savedPeers.close())); // after the connections' last sightings
      }
    }
    return Future.join(closing);
  }

  /** Samples the history every {@code interval} instead of {@link History#INTERVAL} (before deployment; tests). */
  void historyInterval(Duration interval) {
    this.historyInterval = interval;
  }

  /** The node's history (tests take samples with it on the node's loop). */
  History history() {
    return history;
  }

  /** What /status shows of connected peers, and the last round trips it keeps. */
  ConnectedPeers connectedPeers() {
    return connectedPeers;
  }

  /** The HTTP port the status server listens on, or -1 when HTTP is off. */
  public int httpPort() {
    return statusVerticle == null ? -1 : statusVerticle.actualPort();
  }

  /** The node this verticle runs: its swarm and protocols. */
  public Node node() {
    return node;
  }

  /** The node's swarm: {@code node().swarm()}. */
  public Swarm swarm() {
    return swarm;
  }

  /** The PeerId in a command's {@code peer} header; a missing or malformed one is answered here (null). */
  private static PeerId peerHeader(io.vertx.core.eventbus.Message<?> msg) {
    String peer = msg.headers().get(Bus.PEER);
    if (peer == null) {
      msg.reply(Failure.BAD_REQUEST.exception("header '" + Bus.PEER + "' (the PeerId) is required"));
      return null;
    }
    try {
      return PeerId.parse(peer);
    } catch (IllegalArgumentException e) {
      msg.reply(Failure.MALFORMED_PEER_ID.exception(e.getMessage()));
      return null;
    }
  }

  /** A bus command on one topic (subscribe, unsubscribe): it replies with the topics we are in. */
  private void topicCommand(EventBus bus, String address, java.util.function.Consumer<String> action) {
    consumers.add(bus.<Object>consumer(address, msg -> {
      String topic = msg.headers().get(Bus.TOPIC);
      if (!NodeConfig.validTopic(topic)) {
        msg.reply(Failure.BAD_REQUEST.exception("header '" + Bus.TOPIC + "' must be a topic name of 1-256 characters"));
        return;
      }
      action.accept(topic);
      msg.reply(new JsonObject().put("topics", new JsonArray(List.copyOf(gossipsub.router().topics()))));
    }));
  }

  /** The event bus's failure code for how a request failed (the protocol knows nothing of the bus). */
  static Failure busFailure(RequestException.Failure failure) {
    return switch (failure) {
      case PEER_NOT_FOUND -> Failure.PEER_NOT_FOUND;
      case REQUEST_TOO_LARGE -> Failure.REQUEST_TOO_LARGE;
      case REMOTE_ERROR -> Failure.REMOTE_ERROR;
      case INTERNAL_ERROR -> Failure.INTERNAL_ERROR;
      case DIAL_FAILED -> Failure.DIAL_FAILED;
      case TIMEOUT -> Failure.TIMEOUT;
      case RESPONSE_TOO_LARGE -> Failure.RESPONSE_TOO_LARGE;
    };
  }
}
