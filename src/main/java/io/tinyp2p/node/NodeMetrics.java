package io.tinyp2p.node;

import io.tinyp2p.client.Failure;
import io.tinyp2p.protocol.gossipsub.DropReason;
import io.tinyp2p.protocol.gossipsub.GossipRouter;
import io.tinyp2p.protocol.gossipsub.Gossipsub;
import io.tinyp2p.protocol.gossipsub.TopicCounters;
import io.tinyp2p.protocol.kad.Kademlia;
import io.tinyp2p.protocol.reqresp.RequestException;
import io.tinyp2p.protocol.reqresp.RequestResponse;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.stream.Traffic;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.transport.Transport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's metrics: what its swarm and protocols count (plain fields, on the node's event
 * loop, whether metrics are on or not) read into {@link MetricSample}s and handed to a
 * {@link MetricsExporter}, which the node's {@code <prefix>.metrics} bus address scrapes in the
 * Prometheus text format. The exporter is Micrometer's Prometheus registry
 * ({@code io.tinyp2p.metrics}), there only when Micrometer is on the classpath; without it the
 * address answers {@link Failure#NOT_IMPLEMENTED}.
 *
 * <p>Labels take values from bounded sets only, whatever peers send: protocol ids of
 * registered protocols (else {@code other}), topics we joined (else {@code other}), reasons
 * and outcomes of fixed enums, directions and transport names. No PeerId is a label.
 *
 * <p>The samples are read on the node's loop before every scrape and once a second (for
 * whoever else scrapes a registry shared with Vert.x); the meters read the last samples, so
 * scraping from another thread never touches the node's state.
 */
public final class NodeMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(NodeMetrics.class);
  /** Why the metrics address answers 501 when Micrometer is not on the classpath. */
  public static final String UNAVAILABLE = "metrics are off: this node runs without Micrometer (add "
      + "io.micrometer:micrometer-registry-prometheus and io.vertx:vertx-micrometer-metrics to the classpath)";
  /** The label value of protocols and topics that are not named (not registered, not joined). */
  public static final String OTHER = "other";
  private static final long REFRESH_MS = 1000;

  private final Vertx vertx;
  private final Node node;
  private final MetricsExporter exporter;
  private final MessageConsumer<Object> consumer;
  private final long refreshTimer;
  /** Connections opened and closed, by "direction transport". */
  private final Map<String, long[]> connectionTotals = new LinkedHashMap<>();
  private final EnumMap<Kademlia.LookupOutcome, Long> lookups = new EnumMap<>(Kademlia.LookupOutcome.class);

  private NodeMetrics(Vertx vertx, Node node, MetricsExporter exporter, String address) {
    this.vertx = vertx;
    this.node = node;
    this.exporter = exporter;
    this.consumer = vertx.eventBus().consumer(address, msg -> {
      if (this.exporter == null) {
        msg.reply(Failure.NOT_IMPLEMENTED.exception(UNAVAILABLE));
        return;
      }
      refresh();
      vertx.executeBlocking(this.exporter::scrape, false).onComplete(ar -> {
        if (ar.succeeded()) {
          msg.reply(ar.result());
        } else {
          msg.reply(Failure.INTERNAL_ERROR.exception("scrape failed: " + ar.cause()));
        }
      });
    });
    if (exporter == null) {
      refreshTimer = -1;
      return;
    }
    Swarm swarm = node.swarm();
    swarm.traffic(); // streams count their bytes from now on
    swarm.on(SwarmEvent.ConnectionOpened.class, e -> connectionTotal(e.connection())[0]++);
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> connectionTotal(e.connection())[1]++);
    if (node.requestResponse() != null) {
      node.requestResponse().stats().onLatency(exporter.timer("tinyp2p.reqresp.request.duration",
          "Outbound requests, from the call to the response (requests that got one)"));
    }
    if (node.kademlia() != null) {
      LongConsumer duration = exporter.timer("tinyp2p.kad.lookup.duration", "Kademlia lookups, from start to end");
      node.kademlia().onLookup((outcome, nanos) -> {
        lookups.merge(outcome, 1L, Long::sum);
        duration.accept(nanos);
      });
    }
    refresh();
    refreshTimer = vertx.setPeriodic(REFRESH_MS, t -> refresh());
  }

  /** Whether Micrometer's core and Prometheus registry are on the classpath (checked once). */
  public static boolean available() {
    return Availability.AVAILABLE;
  }

  /** Whether, besides, vertx-micrometer-metrics is there: Vert.x can keep a Prometheus registry of its own. */
  public static boolean vertxBackendAvailable() {
    return Availability.VERTX_BACKEND;
  }

  /** Looked up when first asked (class initialisation runs once, whichever thread asks). */
  private static final class Availability {
    static final boolean AVAILABLE = loadable("io.micrometer.core.instrument.MeterRegistry")
        && loadable("io.micrometer.prometheusmetrics.PrometheusMeterRegistry");
    static final boolean VERTX_BACKEND = AVAILABLE && loadable("io.vertx.micrometer.MicrometerMetricsOptions");
  }

  private static boolean loadable(String className) {
    try {
      Class.forName(className, false, NodeMetrics.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * Starts the metrics of a node (call it on the node's loop, after the node is built) and
   * answers scrapes on {@code address}: with the Prometheus text, or 501 without Micrometer.
   */
  public static NodeMetrics attach(Vertx vertx, Node node, String address) {
    MetricsExporter exporter = null;
    if (available()) {
      exporter = io.tinyp2p.metrics.PrometheusExporter.create(vertx);
      LOG.debug("metrics: {}", exporter.sharesVertxRegistry() ? "in Vert.x's Prometheus registry"
          : "in a Prometheus registry of the node's own");
    }
    return new NodeMetrics(vertx, node, exporter, address);
  }

  /** Whether metrics are exported (Micrometer is there). */
  public boolean enabled() {
    return exporter != null;
  }

  /** Stops answering scrapes and removes the node's meters. */
  public Future<Void> close() {
    if (refreshTimer >= 0) {
      vertx.cancelTimer(refreshTimer);
    }
    if (exporter != null) {
      exporter.close();
    }
    return consumer.unregister();
  }

  private long[] connectionTotal(Connection c) {
    return connectionTotals.computeIfAbsent(c.direction().json() + " " + c.info().transport(), k -> new long[2]);
  }

  private void refresh() {
    exporter.update(collect());
  }

  // ---- the samples ----

  /** Every sample of the node now; on the node's loop. */
  Collection<MetricSample> collect() {
    Samples s = new Samples();
    swarm(s, node.swarm());
    if (node.gossipsub() != null) {
      gossipsub(s, node.gossipsub());
    }
    if (node.requestResponse() != null) {
      requestResponse(s, node.requestResponse().stats());
    }
    if (node.kademlia() != null) {
      s.gauge("tinyp2p.kad.routing.table.peers", "Peers in the Kademlia routing table", null,
          node.kademlia().routingTable().size());
      for (Kademlia.LookupOutcome o : Kademlia.LookupOutcome.values()) {
        s.counter("tinyp2p.kad.lookups", "Kademlia lookups ended, by outcome", null, lookups.getOrDefault(o, 0L),
            "outcome", label(o.name()));
      }
    }
    return s.all();
  }

  private void swarm(Samples s, Swarm swarm) {
    Map<String, Integer> open = new LinkedHashMap<>();
    for (Transport t : swarm.transports()) {
      for (Direction d : Direction.values()) {
        open.put(d.json() + " " + t.name(), 0);
        connectionTotals.computeIfAbsent(d.json() + " " + t.name(), k -> new long[2]);
      }
    }
    int streams = 0;
    for (Connection c : swarm.connections()) {
      open.merge(c.direction().json() + " " + c.info().transport(), 1, Integer::sum);
      streams += c.streamCount();
    }
    open.forEach((key, n) -> s.gauge("tinyp2p.connections.open", "Open connections", null, n, directionTransport(key)));
    connectionTotals.forEach((key, n) -> {
      s.counter("tinyp2p.connections.opened", "Connections opened", null, n[0], directionTransport(key));
      s.counter("tinyp2p.connections.closed", "Connections closed", null, n[1], directionTransport(key));
    });
    s.gauge("tinyp2p.streams.open", "Open streams, all connections and protocols", null, streams);
    swarm.traffic().forEach((protocol, t) -> traffic(s, protocol, t));
    JsonObject limits = swarm.limitCounters().statusJson();
    for (String key : limits.fieldNames()) {
      Object v = limits.getValue(key);
      String name = "tinyp2p.limits." + snake(key);
      String help = "Limits: " + key + " (see /status limits." + key + ")";
      if (v instanceof JsonObject byReason) {
        for (String reason : byReason.fieldNames()) {
          s.counter(name, help, null, byReason.getLong(reason), "reason", label(reason));
        }
      } else if (v instanceof Number n) {
        s.counter(name, help, null, n.doubleValue());
      }
    }
  }

  private static void traffic(Samples s, String protocol, Traffic traffic) {
    Traffic.Totals t = traffic.totals();
    String label = protocol; // a registered protocol's id, or Swarm.OTHER_PROTOCOLS: "other"
    s.counter("tinyp2p.streams.opened", "Streams negotiated, by protocol and who opened them", null,
        t.inboundStreams(), "protocol", label, "direction", Direction.INBOUND.json());
    s.counter("tinyp2p.streams.opened", "Streams negotiated, by protocol and who opened them", null,
        t.outboundStreams(), "protocol", label, "direction", Direction.OUTBOUND.json());
    s.counter("tinyp2p.stream.received", "Bytes streams delivered to their protocol", "bytes", t.bytesReceived(),
        "protocol", label);
    s.counter("tinyp2p.stream.sent", "Bytes protocols wrote to their streams", "bytes", t.bytesSent(),
        "protocol", label);
  }

  /** The /status gossipsub counters that are gauges, not totals. */
  private static final Set<String> GOSSIP_GAUGES = Set.of("validationQueue", "validationQueueBytes", "receivedQueued");

  private static void gossipsub(Samples s, Gossipsub gossipsub) {
    GossipRouter router = gossipsub.router();
    Set<String> topics = router.topics();
    router.topicCounters().forEach((topic, c) -> topic(s, topic, c));
    topic(s, OTHER, router.otherTopicCounters());
    Map<String, Integer> mesh = router.meshSizes();
    Map<String, Integer> topicPeers = router.topicPeerCounts();
    for (String topic : topics) {
      s.gauge("tinyp2p.gossipsub.mesh.peers", "Peers in our mesh of a topic we joined", null,
          mesh.getOrDefault(topic, 0), "topic", topic);
      s.gauge("tinyp2p.gossipsub.topic.peers", "Peers that announced a topic we joined", null,
          topicPeers.getOrDefault(topic, 0), "topic", topic);
    }
    router.scoreBands().forEach((band, n) -> s.gauge("tinyp2p.gossipsub.peers",
        "Gossipsub peers by score band (graylisted < -80 <= negative < 0 = zero < positive)", null, n, "score", band));
    Set<String> perTopic = new java.util.HashSet<>(Set.of("received", "delivered", "dropped"));
    for (DropReason r : DropReason.values()) {
      perTopic.add(r.counterName());
    }
    gossipsub.counters().forEach((key, n) -> {
      if (GOSSIP_GAUGES.contains(key)) {
        s.gauge("tinyp2p.gossipsub." + snake(key), "Gossipsub: " + key + " now (see /status)", null, n);
      } else if (!perTopic.contains(key)) {
        s.counter("tinyp2p.gossipsub." + snake(key), "Gossipsub: " + key + " (see /status)", null, n);
      }
    });
  }

  private static void topic(Samples s, String topic, TopicCounters c) {
    s.counter("tinyp2p.gossipsub.messages.received", "Gossipsub messages received (before any check), by topic",
        null, c.received(), "topic", topic);
    s.counter("tinyp2p.gossipsub.messages.delivered", "Gossipsub messages delivered to the application, by topic",
        null, c.delivered(), "topic", topic);
    for (DropReason r : DropReason.values()) {
      long n = c.dropped(r);
      if (n > 0) {
        s.counter("tinyp2p.gossipsub.messages.dropped", "Gossipsub messages dropped, by topic and reason", null, n,
            "topic", topic, "reason", label(r.name()));
      }
    }
  }

  private static void requestResponse(Samples s, RequestResponse.Stats stats) {
    String help = "Outbound requests ended, by outcome (ok: a response; else the failure code)";
    s.counter("tinyp2p.reqresp.outbound.requests", help, null, stats.succeeded(), "outcome", "ok");
    for (RequestException.Failure f : RequestException.Failure.values()) {
      s.counter("tinyp2p.reqresp.outbound.requests", help, null, stats.failures(f), "outcome", label(f.name()));
    }
    s.counter("tinyp2p.reqresp.inbound.requests", "Inbound requests", null, stats.inbound());
    s.counter("tinyp2p.reqresp.inbound.failed", "Inbound requests answered with the error response or reset", null,
        stats.inboundFailed());
  }

  private static String[] directionTransport(String key) {
    int space = key.indexOf(' ');
    return new String[] {"direction", key.substring(0, space), "transport", key.substring(space + 1)};
  }

  /** An enum name as a label value: {@code DIAL_FAILED} → {@code dial_failed}. */
  static String label(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /** A /status counter name as part of a metric name: {@code dropped.slowPeer} → {@code dropped.slow_peer}. */
  static String snake(String key) {
    StringBuilder sb = new StringBuilder();
    for (char c : key.toCharArray()) {
      if (Character.isUpperCase(c)) {
        sb.append('_').append(Character.toLowerCase(c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Samples by key; two with one key (a joined topic named "other") add up. */
  private static final class Samples {
    private final Map<String, MetricSample> byKey = new LinkedHashMap<>();

    void counter(String name, String help, String unit, double value, String... tags) {
      add(new MetricSample(name, MetricSample.Kind.COUNTER, help, unit, List.of(tags), value));
    }

    void gauge(String name, String help, String unit, double value, String... tags) {
      add(new MetricSample(name, MetricSample.Kind.GAUGE, help, unit, List.of(tags), value));
    }

    private void add(MetricSample sample) {
      byKey.merge(sample.key(), sample, (a, b) -> new MetricSample(a.name(), a.kind(), a.help(), a.unit(), a.tags(),
          a.value() + b.value()));
    }

    Collection<MetricSample> all() {
      return new ArrayList<>(byKey.values());
    }
  }
}
