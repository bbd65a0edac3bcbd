package io.tinyp2p.client;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * A node's options: the keys of conf.json as a Vert.x data object. Its JSON form
 * ({@link #toJson()}, {@link #P2pOptions(JsonObject)}) is exactly a conf.json, so options built
 * in code, read from a file or taken from a deployment's config are the same thing. Values are
 * checked when a node starts with them ({@code P2pVerticle}); a bad one fails the deployment
 * with a message that names the key.
 *
 * <p>The typed setters cover the top-level keys; the sections ({@code http}, {@code reqResp},
 * {@code gossipsub}, {@code limits}, {@code kad}, {@code autonat}) are JSON objects with the keys the README lists.
 *
 * <pre>{@code
 * P2pOptions options = new P2pOptions()
 *     .setAddr("/ip4/0.0.0.0/tcp/4001")
 *     .addBootNode("/ip4/192.0.2.7/tcp/4001/p2p/12D3KooW...")
 *     .addPubsubTopic("news")
 *     .setHttpPort(8000);
 * vertx.deployVerticle(new P2pVerticle(options));
 * P2pClient client = P2pClient.create(vertx, options);
 * }</pre>
 */
@DataObject
public class P2pOptions {
  private final JsonObject json;

  /** Every key at its default. */
  public P2pOptions() {
    this.json = new JsonObject();
  }

  /** A copy of {@code other}. */
  public P2pOptions(P2pOptions other) {
    this(other.json);
  }

  /** Options from conf.json's JSON (copied; unknown keys are refused when a node starts). */
  public P2pOptions(JsonObject json) {
    this.json = json == null ? new JsonObject() : json.copy();
  }

  /** The options as conf.json (a copy). */
  public JsonObject toJson() {
    return json.copy();
  }

  // ---- top-level keys ----

  /**
   * {@code addr}: the listen multiaddrs, TCP ({@code /ip4/<ip>/tcp/<port>}) and QUIC
   * ({@code /ip4/<ip>/udp/<port>/quic-v1}); port 0 picks one. The node has the transports they name.
   */
  public List<String> getAddrs() {
    Object value = json.getValue("addr");
    return value instanceof String s ? List.of(s) : strings(value);
  }

  /** Listens on {@code addr} alone. */
  public P2pOptions setAddr(String addr) {
    return put("addr", addr);
  }

  public P2pOptions setAddrs(List<String> addrs) {
    return put("addr", new JsonArray(List.copyOf(addrs)));
  }

  public P2pOptions addAddr(String addr) {
    return setAddrs(append(getAddrs(), addr));
  }

  /** {@code secret}: base58btc of the 32-byte Ed25519 seed; unset: a random key or {@code identityFile}. */
  public String getSecret() {
    return json.getString("secret");
  }

  public P2pOptions setSecret(String secret) {
    return put("secret", secret);
  }

  /** {@code bootNode}: the {@code /p2p/} multiaddrs the node bootstraps from. */
  public List<String> getBootNodes() {
    Object value = json.getValue("bootNode");
    return value instanceof String s ? List.of(s) : strings(value);
  }

  public P2pOptions setBootNodes(List<String> bootNodes) {
    return put("bootNode", new JsonArray(List.copyOf(bootNodes)));
  }

  public P2pOptions addBootNode(String bootNode) {
    return setBootNodes(append(getBootNodes(), bootNode));
  }

  /** {@code pubsubTopics}: the gossipsub topics joined at start. */
  public List<String> getPubsubTopics() {
    return strings(json.getValue("pubsubTopics"));
  }

  public P2pOptions setPubsubTopics(List<String> topics) {
    return put("pubsubTopics", new JsonArray(List.copyOf(topics)));
  }

  public P2pOptions addPubsubTopic(String topic) {
    return setPubsubTopics(append(getPubsubTopics(), topic));
  }

  /**
   * {@code security}: the TCP security protocols, {@code "noise"} and {@code "tls"}, in the order
   * the node proposes them when dialing (a listener accepts each); unset: both, Noise first.
   */
  public List<String> getSecurity() {
    return strings(json.getValue("security"));
  }

  public P2pOptions setSecurity(List<String> protocols) {
    return put("security", new JsonArray(List.copyOf(protocols)));
  }

  /** {@code busPrefix}: the first part of every event-bus address of the node. */
  public String getBusPrefix() {
    return json.getString("busPrefix", Bus.DEFAULT_PREFIX);
  }

  public P2pOptions setBusPrefix(String prefix) {
    return put("busPrefix", prefix);
  }

  /** {@code discoveryInterval}: seconds between Kademlia's random walks (default 30). */
  public Integer getDiscoveryInterval() {
    return json.getInteger("discoveryInterval");
  }

  public P2pOptions setDiscoveryInterval(int seconds) {
    return put("discoveryInterval", seconds);
  }

  /** {@code pingInterval}: seconds between pings of each connection (default 15). */
  public Integer getPingInterval() {
    return json.getInteger("pingInterval");
  }

  public P2pOptions setPingInterval(int seconds) {
    return put("pingInterval", seconds);
  }

  /** {@code demo}: whether the demo verticle runs beside the node. */
  public boolean isDemo() {
    return json.getBoolean("demo", false);
  }

  public P2pOptions setDemo(boolean demo) {
    return put("demo", demo);
  }

  /** {@code identityFile}: the file the node reads its key from, or creates with a new one (not with a secret). */
  public String getIdentityFile() {
    return json.getString("identityFile");
  }

  public P2pOptions setIdentityFile(String path) {
    return put("identityFile", path);
  }

  /** {@code peerStoreFile}: the file the node keeps its known peers in across restarts. */
  public String getPeerStoreFile() {
    return json.getString("peerStoreFile");
  }

  public P2pOptions setPeerStoreFile(String path) {
    return put("peerStoreFile", path);
  }

  /** {@code peerStoreInterval}: seconds between saves of the peer store file (default 30). */
  public Integer getPeerStoreInterval() {
    return json.getInteger("peerStoreInterval");
  }

  public P2pOptions setPeerStoreInterval(int seconds) {
    return put("peerStoreInterval", seconds);
  }

  // ---- sections ----

  /** {@code http}: the HTTP API (host, port, enabled, authToken, ...); a copy. */
  public JsonObject getHttp() {
    return section("http");
  }

  public P2pOptions setHttp(JsonObject http) {
    return put("http", http.copy());
  }

  /** {@code http.port}. */
  public P2pOptions setHttpPort(int port) {
    return setHttp(getHttp().put("port", port));
  }

  /** {@code http.host}. */
  public P2pOptions setHttpHost(String host) {
    return setHttp(getHttp().put("host", host));
  }

  /** {@code http.enabled}: false runs the node without its HTTP API. */
  public P2pOptions setHttpEnabled(boolean enabled) {
    return setHttp(getHttp().put("enabled", enabled));
  }

  /** {@code reqResp}: request-response sizes and timeouts; a copy. */
  public JsonObject getReqResp() {
    return section("reqResp");
  }

  public P2pOptions setReqResp(JsonObject reqResp) {
    return put("reqResp", reqResp.copy());
  }

  /** {@code gossipsub}: the router (gossipsub or floodsub), mesh degrees, heartbeat, message and validation-queue limits; a copy. */
  public JsonObject getGossipsub() {
    return section("gossipsub");
  }

  public P2pOptions setGossipsub(JsonObject gossipsub) {
    return put("gossipsub", gossipsub.copy());
  }

  /** {@code limits}: connection, stream, buffer and dial limits; a copy. */
  public JsonObject getLimits() {
    return section("limits");
  }

  public P2pOptions setLimits(JsonObject limits) {
    return put("limits", limits.copy());
  }

  /** {@code kad}: the DHT's record and provider store limits and accepted namespaces; a copy. */
  public JsonObject getKad() {
    return section("kad");
  }

  public P2pOptions setKad(JsonObject kad) {
    return put("kad", kad.copy());
  }

  /** {@code autonat}: AutoNAT server and client (server, client, interval, confidence, candidates, ...); a copy. */
  public JsonObject getAutonat() {
    return section("autonat");
  }

  public P2pOptions setAutonat(JsonObject autonat) {
    return put("autonat", autonat.copy());
  }

  /** {@code autonat.server}: false answers no AutoNAT requests. */
  public P2pOptions setAutonatServer(boolean enabled) {
    return setAutonat(getAutonat().put("server", enabled));
  }

  /** {@code autonat.client}: false never asks AutoNAT servers (reachability stays unknown). */
  public P2pOptions setAutonatClient(boolean enabled) {
    return setAutonat(getAutonat().put("client", enabled));
  }

  /**
   * {@code relay}: whether the node serves as a Circuit Relay v2 relay ({@code server}) and its
   * limits ({@code maxReservations}, {@code maxReservationsPerIp}, {@code maxCircuits},
   * {@code maxCircuitsPerPeer}, {@code reservationTtl}, {@code circuitDuration},
   * {@code circuitBytes}); a copy.
   */
  public JsonObject getRelay() {
    return section("relay");
  }

  public P2pOptions setRelay(JsonObject relay) {
    return put("relay", relay.copy());
  }

  /** Makes the node a relay with the default limits (or stops it being one). */
  public P2pOptions setRelayServer(boolean server) {
    return setRelay(getRelay().put("server", server));
  }

  /** {@code relays}: the relays ({@code <addr>/p2p/<relay id>}) the node reserves a slot on. */
  public List<String> getRelays() {
    return strings(json.getValue("relays"));
  }

  public P2pOptions setRelays(List<String> relays) {
    return put("relays", new JsonArray(List.copyOf(relays)));
  }

  public P2pOptions addRelay(String relay) {
    return setRelays(append(getRelays(), relay));
  }

  /** Any key of conf.json, also the ones without a typed setter. */
  public P2pOptions set(String key, Object value) {
    return put(Objects.requireNonNull(key, "key"), value);
  }

  // ---- object ----

  @Override
  public boolean equals(Object o) {
    return o instanceof P2pOptions other && json.equals(other.json);
  }

  @Override
  public int hashCode() {
    return json.hashCode();
  }

  @Override
  public String toString() {
    JsonObject shown = json.copy();
    if (shown.containsKey("secret")) {
      shown.put("secret", "<secret>");
    }
    return "P2pOptions" + shown.encode();
  }

  private P2pOptions put(String key, Object value) {
    if (value == null) {
      json.remove(key);
    } else {
      json.put(key, value);
    }
    return this;
  }

  private JsonObject section(String key) {
    return json.getValue(key) instanceof JsonObject o ? o.copy() : new JsonObject();
  }

  private static List<String> strings(Object value) {
    if (!(value instanceof JsonArray a)) {
      return List.of();
    }
    return a.stream().map(String::valueOf).toList();
  }

  private static List<String> append(List<String> list, String value) {
    return java.util.stream.Stream.concat(list.stream(), java.util.stream.Stream.of(value)).toList();
  }
}
