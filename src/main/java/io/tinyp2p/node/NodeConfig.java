package io.tinyp2p.node;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.gossipsub.GossipConfig;
import io.tinyp2p.protocol.kad.StoreConfig;
import io.tinyp2p.swarm.Limits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The node's configuration, parsed from JSON (conf.json or a verticle's config) with the
 * original tinyp2p's settings. Every value is checked; a bad value or an unknown key is a
 * {@link ConfigException} naming the key and what is allowed.
 *
 * @param identity the key pair; with no {@code secret} in the JSON a random one ({@link #randomSecret}), or null
 *     when it is read from (or created in) {@link State#identityFile()} at start
 * @param listenAddrs {@code addr}: the addresses to listen on, TCP ({@code /ip4|ip6/<ip>/tcp/<port>})
 *     and QUIC ({@code /ip4|ip6/<ip>/udp/<port>/quic-v1}); the node has the transports they name
 *     ({@link #transports()})
 * @param security the TCP security protocols ("noise", "tls") in the order we propose them when
 *     dialing; a listener accepts each of them
 * @param kad the {@code kad} section: limits and lifetimes of the DHT's record and provider stores,
 *     the record namespaces accepted besides {@code /pk/}, and the quorum of {@code getValue}
 * @param autonat the {@code autonat} section: AutoNAT server and client, observed addresses
 * @param relay the {@code relay} section: whether the node serves as a Circuit Relay v2 relay, and
 *     its limits on reservations and circuits
 * @param relays {@code relays}: the relays the node reserves a slot on, to be reachable through them
 * @param holePunching {@code holePunching} (default true): upgrade connections through a relay to
 *     direct ones by DCUtR
 */
public record NodeConfig(
    List<Multiaddr> listenAddrs,
    KeyPair identity,
    boolean randomSecret,
    List<Multiaddr> bootNodes,
    Duration discoveryInterval,
    List<String> pubsubTopics,
    ReqResp reqResp,
    HttpConfig http,
    String busPrefix,
    Duration pingInterval,
    boolean demo,
    GossipConfig gossipsub,
    Limits limits,
    Duration handshakeTimeout,
    int maxStreamsPerConnection,
    int yamuxReceiveWindow,
    long maxQueuedBytesPerConnection,
    Duration writeStallTimeout,
    State state,
    List<String> security,
    StoreConfig kad,
    io.tinyp2p.protocol.autonat.AutoNatConfig autonat,
    io.tinyp2p.protocol.relay.RelayConfig relay,
    List<Multiaddr> relays,
    boolean holePunching) {

  /** Request-response settings. */
  public record ReqResp(Duration connectionKeepAlive, Duration requestTimeout,
      int maxRequestSize, int maxResponseSize) {}

  /**
   * What the node keeps across restarts (a null path: nothing): its key ({@code identityFile})
   * and its peer store ({@code peerStoreFile}, saved every {@code peerStoreInterval} when it
   * changed, and at stop).
   */
  public record State(java.nio.file.Path identityFile, java.nio.file.Path peerStoreFile,
      Duration peerStoreInterval) {}


  public static final String DEFAULT_ADDR = "/ip4/127.0.0.1/tcp/9000";
  private static final Set<String> KEYS = Set.of("addr", "secret", "bootNode", "discoveryInterval",
      "pubsubTopics", "reqResp", "http", "busPrefix", "pingInterval", "demo", "gossipsub", "limits",
      "identityFile", "peerStoreFile", "peerStoreInterval", "security", "kad", "autonat",
      "relay", "relays", "holePunching");
  private static final Set<String> KAD_KEYS = Set.of("maxRecords", "maxValueSize", "recordTtl", "recordRepublish",
      "maxProviderKeys", "maxProvidersPerKey", "providerTtl", "providerRepublish", "allowedNamespaces", "getQuorum");
  private static final Set<String> LIMIT_KEYS = Set.of("maxConnections", "maxConnectionsPerPeer",
      "maxConnectionsPerIp", "maxPendingHandshakes", "exemptLoopback", "handshakeTimeout",
      "maxStreamsPerConnection", "maxInboundStreamsPerProtocol", "yamuxReceiveWindow",
      "maxQueuedBytesPerConnection", "writeStallTimeout", "maxPendingHandshakesPerIp", "maxPendingHandshakesPerSubnet",
      "maxDialsInFlight", "maxDialsPerSecond", "dialBackoffInitial", "dialBackoffMax", "allowDnsAddrs");
  private static final Set<String> GOSSIP_KEYS = Set.of("D", "D_lo", "D_hi", "D_lazy", "heartbeatMs",
      "maxMessageSize", "messageId", "floodPublish", "validationQueuePerPeer", "validationQueuePerTopic",
      "validationQueueBytes", "router");
  private static final Set<String> REQ_RESP_KEYS = Set.of("connectionKeepAlive", "requestTimeout",
      "maxRequestSize", "maxResponseSize");

  /**
   * The keys of each section: "" for the top level, then {@code http}, {@code reqResp}, {@code gossipsub},
   * {@code limits}, {@code kad}, {@code autonat}, {@code relay}.
   */
  static java.util.Map<String, Set<String>> sections() {
    return java.util.Map.of("", KEYS, "http", HttpConfig.KEYS, "reqResp", REQ_RESP_KEYS, "gossipsub", GOSSIP_KEYS,
        "limits", LIMIT_KEYS, "kad", KAD_KEYS, "autonat", AutoNatSection.KEYS, "relay", RelaySettings.KEYS);
  }

  public static NodeConfig from(JsonObject json) {
    if (json == null) {
      json = new JsonObject();
    }
    unknownKeys(json, KEYS, "");
    List<Multiaddr> addr = listenAddrs(json);
    Object secretValue = json.getValue("secret");
    State state = state(json);
    KeyPair identity;
    boolean random = secretValue == null && state.identityFile() == null;
    if (random) {
      identity = KeyPair.generate();
    } else if (secretValue == null) {
      identity = null; // read from, or created in, state.identityFile() when the node starts
    } else if (secretValue instanceof String s) {
      try {
        identity = KeyPair.fromSecret(s);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("secret: " + e.getMessage()
            + " (expected base58btc of a 32-byte Ed25519 seed, e.g. from ./run.sh keygen)");
      }
    } else {
      throw new ConfigException("secret must be a string (base58btc of a 32-byte Ed25519 seed), got "
          + ConfigValues.describe(secretValue));
    }
    List<Multiaddr> boot = new ArrayList<>();
    Object bootValue = json.getValue("bootNode");
    if (bootValue instanceof String s) {
      boot.add(bootAddr(s));
    } else if (bootValue instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        if (!(a.getValue(i) instanceof String s)) {
          throw new ConfigException("bootNode[" + i + "] must be a string multiaddr");
        }
        boot.add(bootAddr(s));
      }
    } else if (bootValue != null) {
      throw new ConfigException("bootNode must be a /p2p/ multiaddr or a list of them");
    }
    Duration discovery = seconds(json, "discoveryInterval", 30, 1, 86_400);
    List<String> topics = new ArrayList<>();
    Object topicsValue = json.getValue("pubsubTopics");
    if (topicsValue instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        if (!(a.getValue(i) instanceof String s) || !validTopic(s)) {
          throw new ConfigException("pubsubTopics[" + i + "] must be a non-empty string of at most 256 characters");
        }
        topics.add(s);
      }
    } else if (topicsValue != null) {
      throw new ConfigException("pubsubTopics must be a list of topic names");
    }
    JsonObject rr = object(json, "reqResp");
    unknownKeys(rr, REQ_RESP_KEYS, "reqResp.");
    ReqResp reqResp = new ReqResp(
        seconds(rr, "connectionKeepAlive", 10, 1, 86_400, "reqResp."),
        seconds(rr, "requestTimeout", 10, 1, 3_600, "reqResp."),
        integer(rr, "maxRequestSize", 1 << 20, 1, 64 << 20, "reqResp."),
        integer(rr, "maxResponseSize", 1 << 20, 1, 64 << 20, "reqResp."));
    HttpConfig http;
    Object httpValue = json.getValue("http");
    if (httpValue == null) {
      http = HttpConfig.defaults();
    } else if (Boolean.FALSE.equals(httpValue) || "off".equals(httpValue)) {
      http = HttpConfig.off();
    } else if (httpValue instanceof JsonObject h) {
      http = HttpConfig.from(h, "http.", Set.of());
    } else {
      throw new ConfigException("http must be an object {\"host\", \"port\", ...}, or \"off\" / false, got "
          + ConfigValues.describe(httpValue));
    }
    Object prefixValue = json.getValue("busPrefix", "tinyp2p");
    if (!(prefixValue instanceof String prefix) || !prefix.matches("[A-Za-z0-9_.-]{1,64}")
        || prefix.startsWith(".") || prefix.endsWith(".")) {
      throw new ConfigException("busPrefix must be 1-64 characters of letters, digits, '_', '-' and '.'"
          + " (not starting or ending with '.'), got " + ConfigValues.describe(prefixValue));
    }
    Duration ping = seconds(json, "pingInterval", 15, 1, 3_600);
    Object demo = json.getValue("demo", false);
    if (!(demo instanceof Boolean)) {
      throw new ConfigException("demo must be true or false, got " + ConfigValues.describe(demo));
    }
    return new NodeConfig(addr, identity, random, List.copyOf(boot), discovery, List.copyOf(topics),
        reqResp, http, prefix, ping, (Boolean) demo, gossip(object(json, "gossipsub")),
        limits(object(json, "limits")), seconds(object(json, "limits"), "handshakeTimeout", 10, 1, 300, "limits."),
        integer(object(json, "limits"), "maxStreamsPerConnection", 1024, 1, 100_000, "limits."),
        integer(object(json, "limits"), "yamuxReceiveWindow", 256 * 1024, 256 * 1024, 64 << 20, "limits."),
        (long) integer(object(json, "limits"), "maxQueuedBytesPerConnection",
            defaultQueuedBytes(reqResp, gossipsubMaxMessageSize(json)), 1 << 20, Integer.MAX_VALUE, "limits."),
        seconds(object(json, "limits"), "writeStallTimeout", 20, 1, 3_600, "limits."), state, security(json),
        kad(object(json, "kad")), AutoNatSection.from(object(json, "autonat")),
        RelaySettings.relay(object(json, "relay")), RelaySettings.relays(json), topLevelBool(json, "holePunching", true));
  }

  private static boolean topLevelBool(JsonObject json, String key, boolean dflt) {
    Object v = json.getValue(key, dflt);
    if (!(v instanceof Boolean b)) {
      throw new ConfigException(key + " must be true or false, got " + ConfigValues.describe(v));
    }
    return b;
  }

  /** The {@code kad} section: the DHT's store limits (times in seconds) and accepted namespaces. */
  private static StoreConfig kad(JsonObject k) {
    unknownKeys(k, KAD_KEYS, "kad.");
    StoreConfig d = StoreConfig.defaults();
    int week = 7 * 86_400;
    List<String> namespaces = new ArrayList<>();
    Object ns = k.getValue("allowedNamespaces");
    if (ns instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        if (!(a.getValue(i) instanceof String s) || !s.matches("[A-Za-z0-9_.-]{1,64}")) {
          throw new ConfigException("kad.allowedNamespaces[" + i + "] must be a namespace name of 1-64 letters, digits,"
              + " '_', '-' and '.' (\"app\" allows keys /app/...), got " + ConfigValues.describe(a.getValue(i)));
        }
        namespaces.add(s);
      }
    } else if (ns != null) {
      throw new ConfigException("kad.allowedNamespaces must be a list of namespace names like [\"app\"], got "
          + ConfigValues.describe(ns));
    }
    if (namespaces.contains("pk")) {
      throw new ConfigException("kad.allowedNamespaces must not list \"pk\": /pk/ records are always accepted,"
          + " when their public key matches their key");
    }
    return new StoreConfig(
        integer(k, "maxRecords", d.maxRecords(), 1, 1_000_000, "kad."),
        integer(k, "maxValueSize", d.maxValueSize(), 1, 1 << 20, "kad."),
        seconds(k, "recordTtl", (int) d.recordTtl().toSeconds(), 1, week, "kad."),
        seconds(k, "recordRepublish", (int) d.recordRepublish().toSeconds(), 1, week, "kad."),
        integer(k, "maxProviderKeys", d.maxProviderKeys(), 1, 1_000_000, "kad."),
        integer(k, "maxProvidersPerKey", d.maxProvidersPerKey(), 1, 1000, "kad."),
        seconds(k, "providerTtl", (int) d.providerTtl().toSeconds(), 1, week, "kad."),
        seconds(k, "providerRepublish", (int) d.providerRepublish().toSeconds(), 1, week, "kad."),
        java.util.Set.copyOf(namespaces),
        integer(k, "getQuorum", d.getQuorum(), 1, io.tinyp2p.protocol.kad.Kademlia.K, "kad."));
  }

  /**
   * {@code addr}: one listen multiaddr or a non-empty list of them, each TCP or QUIC on an IP
   * literal, no two alike.
   */
  private static List<Multiaddr> listenAddrs(JsonObject json) {
    Object v = json.getValue("addr", DEFAULT_ADDR);
    List<Object> items = v instanceof JsonArray a ? a.getList() : List.of(v);
    if (items.isEmpty()) {
      throw new ConfigException("addr must be a listen multiaddr or a non-empty list of them, like " + DEFAULT_ADDR);
    }
    List<Multiaddr> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String key = v instanceof JsonArray ? "addr[" + i + "]" : "addr";
      Object item = items.get(i);
      if (!(item instanceof String text)) {
        throw new ConfigException(key + " must be a multiaddr string like " + DEFAULT_ADDR + ", got "
            + ConfigValues.describe(item));
      }
      Multiaddr m;
      try {
        m = Multiaddr.parse(text);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key + " is not a valid multiaddr: " + e.getMessage());
      }
      boolean ip = text.startsWith("/ip4/") || text.startsWith("/ip6/");
      if (!ip || m.peerId() != null || !(m.isTcp() || m.isQuic())) {
        throw new ConfigException(key + " must be /ip4|ip6/<ip>/tcp/<port> or /ip4|ip6/<ip>/udp/<port>/quic-v1, got " + m);
      }
      if (out.contains(m)) {
        throw new ConfigException(key + " lists " + m + " twice");
      }
      out.add(m);
    }
    return List.copyOf(out);
  }

  /**
   * The transports the listen addresses name, in the order a peer's addresses are dialed: QUIC
   * before TCP (as rust- and go-libp2p do), a node listening on QUIC only dials QUIC only.
   */
  public List<String> transports() {
    return transportsOf(listenAddrs);
  }

  /** The transports {@code addrs} name, QUIC first (see {@link #transports()}). */
  public static List<String> transportsOf(List<Multiaddr> addrs) {
    List<String> names = new ArrayList<>();
    if (addrs.stream().anyMatch(Multiaddr::isQuic)) {
      names.add(io.tinyp2p.transport.quic.QuicTransport.NAME);
    }
    if (addrs.stream().anyMatch(Multiaddr::isTcp)) {
      names.add(io.tinyp2p.transport.tcp.TcpTransport.NAME);
    }
    return List.copyOf(names);
  }

  /** {@code security}: a non-empty list of distinct names out of "noise" and "tls", most preferred first. */
  private static List<String> security(JsonObject json) {
    Object v = json.getValue("security");
    if (v == null) {
      return io.tinyp2p.swarm.SwarmConfig.DEFAULT_SECURITY;
    }
    String allowed = " (allowed: \"noise\", \"tls\"; e.g. [\"noise\", \"tls\"], the order of preference when dialing)";
    if (!(v instanceof JsonArray a) || a.isEmpty()) {
      throw new ConfigException("security must be a non-empty list of security protocols" + allowed + ", got "
          + ConfigValues.describe(v));
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      Object item = a.getValue(i);
      if (!"noise".equals(item) && !"tls".equals(item)) {
        throw new ConfigException("security[" + i + "] must be \"noise\" or \"tls\", got " + ConfigValues.describe(item)
            + allowed);
      }
      if (names.contains(item)) {
        throw new ConfigException("security lists \"" + item + "\" twice" + allowed);
      }
      names.add((String) item);
    }
    return List.copyOf(names);
  }

  /** identityFile, peerStoreFile and peerStoreInterval. */
  private static State state(JsonObject json) {
    java.nio.file.Path identityFile = path(json, "identityFile");
    java.nio.file.Path peerStoreFile = path(json, "peerStoreFile");
    if (identityFile != null && json.getValue("secret") != null) {
      throw new ConfigException("secret and identityFile are both set: give one of them (secret: the key in the"
          + " config; identityFile: a file the node reads its key from, or creates)");
    }
    if (identityFile != null && identityFile.toAbsolutePath().normalize()
        .equals(peerStoreFile == null ? null : peerStoreFile.toAbsolutePath().normalize())) {
      throw new ConfigException("identityFile and peerStoreFile must be two different files, both are " + identityFile);
    }
    if (peerStoreFile == null && json.getValue("peerStoreInterval") != null) {
      throw new ConfigException("peerStoreInterval is set but peerStoreFile is not (the interval is how often"
          + " peerStoreFile is saved)");
    }
    return new State(identityFile, peerStoreFile, seconds(json, "peerStoreInterval", 30, 1, 86_400));
  }

  private static java.nio.file.Path path(JsonObject json, String key) {
    Object v = json.getValue(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw new ConfigException(key + " must be a file path (a non-empty string), got " + ConfigValues.describe(v));
    }
    try {
      return java.nio.file.Path.of(s);
    } catch (java.nio.file.InvalidPathException e) {
      throw new ConfigException(key + " is not a valid file path: " + e.getMessage());
    }
  }

  /**
   * Bytes a connection may hold for a peer that does not read: 64 MiB, or twice the largest
   * message the node may send if that is more.
   */
  private static int defaultQueuedBytes(ReqResp reqResp, int gossipMax) {
    long largest = Math.max(Math.max(reqResp.maxRequestSize(), reqResp.maxResponseSize()), gossipMax);
    return (int) Math.min(Integer.MAX_VALUE, Math.max(64L << 20, 2 * largest + (1 << 20)));
  }

  private static int gossipsubMaxMessageSize(JsonObject json) {
    Object g = json.getValue("gossipsub");
    return g instanceof JsonObject o && o.getValue("maxMessageSize") instanceof Number n ? n.intValue() : 0;
  }

  private static Limits limits(JsonObject l) {
    unknownKeys(l, LIMIT_KEYS, "limits.");
    Limits d = Limits.defaults();
    int perIp = integer(l, "maxPendingHandshakesPerIp", d.maxPendingHandshakesPerIp(), 1, 100_000, "limits.");
    int perSubnet = integer(l, "maxPendingHandshakesPerSubnet", Math.max(perIp, d.maxPendingHandshakesPerSubnet()),
        1, 100_000, "limits.");
    if (perSubnet < perIp) {
      throw new ConfigException("limits.maxPendingHandshakesPerSubnet (" + perSubnet
          + ") must be at least limits.maxPendingHandshakesPerIp (" + perIp + ")");
    }
    Duration backoff = seconds(l, "dialBackoffInitial", (int) d.dialBackoffInitial().toSeconds(), 0, 3_600, "limits.");
    Duration backoffMax = seconds(l, "dialBackoffMax", (int) Math.max(d.dialBackoffMax().toSeconds(), backoff.toSeconds()),
        0, 86_400, "limits.");
    if (backoffMax.compareTo(backoff) < 0) {
      throw new ConfigException("limits.dialBackoffMax (" + backoffMax.toMillis() / 1000.0
          + " s) must be at least limits.dialBackoffInitial (" + backoff.toMillis() / 1000.0 + " s)");
    }
    return new Limits(
        integer(l, "maxConnections", d.maxConnections(), 1, 1_000_000, "limits."),
        integer(l, "maxConnectionsPerPeer", d.maxConnectionsPerPeer(), 1, 100, "limits."),
        integer(l, "maxConnectionsPerIp", d.maxConnectionsPerIp(), 1, 1_000_000, "limits."),
        integer(l, "maxPendingHandshakes", d.maxPendingHandshakes(), 1, 100_000, "limits."),
        bool(l, "exemptLoopback", d.exemptLoopback()),
        integer(l, "maxInboundStreamsPerProtocol", d.maxInboundStreamsPerProtocol(), 1, 100_000, "limits."),
        perIp, perSubnet,
        integer(l, "maxDialsInFlight", d.maxDialsInFlight(), 1, 100_000, "limits."),
        integer(l, "maxDialsPerSecond", d.maxDialsPerSecond(), 1, 100_000, "limits."),
        backoff, backoffMax,
        bool(l, "allowDnsAddrs", d.allowDnsAddrs()));
  }

  private static boolean bool(JsonObject l, String key, boolean dflt) {
    Object v = l.getValue(key, dflt);
    if (!(v instanceof Boolean b)) {
      throw new ConfigException("limits." + key + " must be true or false, got " + ConfigValues.describe(v));
    }
    return b;
  }

  /** A topic name: 1 to 256 characters. */
  public static boolean validTopic(String topic) {
    return topic != null && !topic.isEmpty() && topic.length() <= 256;
  }

  private static GossipConfig gossip(JsonObject g) {
    unknownKeys(g, GOSSIP_KEYS, "gossipsub.");
    GossipConfig dflt = GossipConfig.defaults();
    int d = integer(g, "D", dflt.d(), 1, 100, "gossipsub.");
    int dLo = integer(g, "D_lo", Math.min(dflt.dLo(), d), 0, d, "gossipsub.");
    int dHi = integer(g, "D_hi", Math.max(dflt.dHi(), d), d, 1000, "gossipsub.");
    int dLazy = integer(g, "D_lazy", dflt.dLazy(), 0, 1000, "gossipsub.");
    int heartbeat = integer(g, "heartbeatMs", (int) dflt.heartbeatInterval().toMillis(), 50, 60_000, "gossipsub.");
    int maxSize = integer(g, "maxMessageSize", dflt.maxMessageSize(), 1024, 64 << 20, "gossipsub.");
    Object id = g.getValue("messageId", "default");
    GossipConfig.MessageIdFn fn;
    if ("default".equals(id)) {
      fn = GossipConfig.MessageIdFn.DEFAULT;
    } else if ("content-hash".equals(id)) {
      fn = GossipConfig.MessageIdFn.CONTENT_HASH;
    } else {
      throw new ConfigException("gossipsub.messageId must be \"default\" (from + seqno) or \"content-hash\", got "
          + ConfigValues.describe(id));
    }
    Object flood = g.getValue("floodPublish", true);
    if (!(flood instanceof Boolean)) {
      throw new ConfigException("gossipsub.floodPublish must be true or false, got " + ConfigValues.describe(flood));
    }
    int queuePerPeer = integer(g, "validationQueuePerPeer", dflt.validationQueuePerPeer(), 1, 1_000_000, "gossipsub.");
    int queuePerTopic = integer(g, "validationQueuePerTopic", dflt.validationQueuePerTopic(), 1, 10_000_000, "gossipsub.");
    int queueBytes = integer(g, "validationQueueBytes", dflt.validationQueueBytes(), 64 * 1024, Integer.MAX_VALUE, "gossipsub.");
    int dOut = Math.min(dflt.dOut(), Math.max(0, Math.min(dLo - 1, d / 2)));
    Object router = g.getValue("router", "gossipsub");
    if (!"gossipsub".equals(router) && !"floodsub".equals(router)) {
      throw new ConfigException("gossipsub.router must be \"gossipsub\" (the default: gossipsub, also speaking"
          + " /floodsub/1.0.0 with floodsub peers) or \"floodsub\" (floodsub only), got " + ConfigValues.describe(router));
    }
    return GossipConfig.builder()
        .router("floodsub".equals(router) ? GossipConfig.Router.FLOODSUB : GossipConfig.Router.GOSSIPSUB)
        .d(d).dLo(dLo).dHi(dHi).dLazy(dLazy).dOut(dOut)
        .heartbeatInterval(java.time.Duration.ofMillis(heartbeat))
        .maxMessageSize(maxSize).messageIdFn(fn).floodPublish((Boolean) flood)
        .validationQueuePerPeer(queuePerPeer).validationQueuePerTopic(queuePerTopic).validationQueueBytes(queueBytes)
        .build();
  }

  private static void unknownKeys(JsonObject json, Set<String> allowed, String prefix) {
    for (String key : json.fieldNames()) {
      if (!allowed.contains(key)) {
        throw new ConfigException("unknown configuration key '" + prefix + key + "' (allowed: "
            + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
      }
    }
  }

  private static JsonObject object(JsonObject json, String key) {
    Object v = json.getValue(key);
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject o)) {
      throw new ConfigException(key + " must be an object, got " + ConfigValues.describe(v));
    }
    return o;
  }

  private static Multiaddr multiaddr(JsonObject json, String key, String dflt) {
    Object v = json.getValue(key, dflt);
    if (!(v instanceof String s)) {
      throw new ConfigException(key + " must be a multiaddr string like " + DEFAULT_ADDR + ", got " + ConfigValues.describe(v));
    }
    try {
      return Multiaddr.parse(s);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + " is not a valid multiaddr: " + e.getMessage());
    }
  }

  private static Multiaddr bootAddr(String s) {
    Multiaddr m;
    try {
      m = Multiaddr.parse(s);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("bootNode '" + s + "' is not a valid multiaddr: " + e.getMessage());
    }
    if (m.peerId() == null || !(m.isTcp() || m.isQuic())) {
      throw new ConfigException("bootNode '" + s + "' must be <host>/tcp/<port>/p2p/<peer id> or "
          + "<ip>/udp/<port>/quic-v1/p2p/<peer id>");
    }
    return m;
  }

  private static Duration seconds(JsonObject json, String key, int dflt, int min, int max) {
    return seconds(json, key, dflt, min, max, "");
  }

  private static Duration seconds(JsonObject json, String key, int dflt, int min, int max, String prefix) {
    return ConfigValues.seconds(json, key, dflt, min, max, prefix);
  }

  private static int integer(JsonObject json, String key, int dflt, int min, int max, String prefix) {
    return ConfigValues.integer(json, key, dflt, min, max, prefix);
  }
}
