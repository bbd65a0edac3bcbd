package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** One test per kind of mistake; each checks the message names the key. */
class NodeConfigTest {

  private static void assertRejected(JsonObject config, String key) {
    ConfigException e = assertThrows(ConfigException.class, () -> NodeConfig.from(config));
    assertTrue(e.getMessage().contains(key), "message should name '" + key + "': " + e.getMessage());
  }

  @Test
  void defaultsAreTheOriginals() {
    NodeConfig c = NodeConfig.from(new JsonObject());
    assertEquals("/ip4/127.0.0.1/tcp/9000", c.listenAddrs().get(0).toString());
    assertTrue(c.randomSecret());
    assertEquals(Duration.ofSeconds(30), c.discoveryInterval());
    assertEquals(Duration.ofSeconds(10), c.reqResp().requestTimeout());
    assertEquals(1 << 20, c.reqResp().maxRequestSize());
    assertEquals("tinyp2p", c.busPrefix());
    assertEquals(8000, c.http().port());
  }

  @Test
  void theShippedConfigsParse() throws Exception {
    for (String file : new String[] {"conf.json", "config/boot.json", "config/node1.json", "config/node2.json"}) {
      NodeConfig c = NodeConfig.from(new JsonObject(Files.readString(Path.of(file))));
      assertFalse(c.randomSecret(), file);
    }
  }

  @Test
  void security() {
    assertEquals(java.util.List.of("noise", "tls"), NodeConfig.from(new JsonObject()).security());
    assertEquals(java.util.List.of("tls", "noise"),
        NodeConfig.from(new JsonObject().put("security", new JsonArray().add("tls").add("noise"))).security());
    assertRejected(new JsonObject().put("security", "tls"), "security must be a non-empty list");
    assertRejected(new JsonObject().put("security", new JsonArray()), "security must be a non-empty list");
    assertRejected(new JsonObject().put("security", new JsonArray().add("ssl")), "security[0] must be \"noise\" or \"tls\"");
    assertRejected(new JsonObject().put("security", new JsonArray().add("tls").add("tls")), "security lists \"tls\" twice");
    // and from the environment, comma-separated
    assertEquals(java.util.List.of("tls"), NodeConfig.from(Environment.apply(new JsonObject(),
        java.util.Map.of("TINYP2P_SECURITY", "tls"))).security());
  }

  @Test
  void autonatSection() {
    io.tinyp2p.protocol.autonat.AutoNatConfig d = NodeConfig.from(new JsonObject()).autonat();
    assertTrue(d.server() && d.client());
    assertEquals(Duration.ofSeconds(60), d.interval());
    assertEquals(3, d.confidence());
    JsonObject set = new JsonObject().put("server", false).put("interval", 5).put("confidence", 1)
        .put("perPeerLimit", 1).put("globalLimit", 2).put("candidates", new JsonArray().add("/ip4/203.0.113.7/tcp/4001"));
    io.tinyp2p.protocol.autonat.AutoNatConfig c = NodeConfig.from(new JsonObject().put("autonat", set)).autonat();
    assertFalse(c.server());
    assertEquals(Duration.ofSeconds(20), c.confirmedTtl());
    assertEquals("/ip4/203.0.113.7/tcp/4001", c.candidates().get(0).toString());
    assertRejected(new JsonObject().put("autonat", new JsonObject().put("sever", true)),
        "unknown configuration key 'autonat.sever' (allowed: candidates, client,");
    assertRejected(new JsonObject().put("autonat", new JsonObject().put("client", "yes")),
        "autonat.client must be true or false, got the string \"yes\"");
    assertRejected(new JsonObject().put("autonat", new JsonObject().put("confidence", 0)),
        "autonat.confidence must be an integer from 1 to 100, got 0");
    assertRejected(new JsonObject().put("autonat", new JsonObject().put("perPeerLimit", 5).put("globalLimit", 2)),
        "autonat.globalLimit (2) must be at least autonat.perPeerLimit (5)");
    assertRejected(new JsonObject().put("autonat", new JsonObject().put("candidates", new JsonArray().add("/ip4/0.0.0.0/tcp/4001"))),
        "autonat.candidates[0] must be /ip4|ip6/<ip>/tcp/<port>");
    assertRejected(new JsonObject().put("autonat", new JsonObject().put("candidates", new JsonArray().add("nope"))),
        "autonat.candidates[0] is not a valid multiaddr");
    assertRejected(new JsonObject().put("autonat", "on"), "autonat must be an object");
  }

  @Test
  void gossipsubRouter() {
    assertEquals(io.tinyp2p.protocol.gossipsub.GossipConfig.Router.GOSSIPSUB,
        NodeConfig.from(new JsonObject()).gossipsub().router());
    assertEquals(io.tinyp2p.protocol.gossipsub.GossipConfig.Router.FLOODSUB, NodeConfig.from(new JsonObject()
        .put("gossipsub", new JsonObject().put("router", "floodsub"))).gossipsub().router());
    assertRejected(new JsonObject().put("gossipsub", new JsonObject().put("router", "meshsub")),
        "gossipsub.router must be \"gossipsub\"");
    assertRejected(new JsonObject().put("gossipsub", new JsonObject().put("router", true)), "\"floodsub\"");
    assertEquals(io.tinyp2p.protocol.gossipsub.GossipConfig.Router.FLOODSUB, NodeConfig.from(Environment.apply(
        new JsonObject(), java.util.Map.of("TINYP2P_GOSSIPSUB_ROUTER", "floodsub"))).gossipsub().router());
  }

  @Test
  void unknownKey() {
    assertRejected(new JsonObject().put("adr", "/ip4/127.0.0.1/tcp/1"), "adr");
    assertRejected(new JsonObject().put("reqResp", new JsonObject().put("timeout", 3)), "reqResp.timeout");
  }

  @Test
  void badAddr() {
    assertRejected(new JsonObject().put("addr", "127.0.0.1:9000"), "addr");
    assertRejected(new JsonObject().put("addr", "/ip4/127.0.0.1/udp/9000"), "addr");
    assertRejected(new JsonObject().put("addr", "/dns4/localhost/tcp/9000"), "addr");
    assertRejected(new JsonObject().put("addr", 9000), "addr");
    assertRejected(new JsonObject().put("addr", new JsonArray()), "addr");
    assertRejected(new JsonObject().put("addr", new JsonArray().add("/ip4/127.0.0.1/tcp/1").add(7)), "addr[1]");
    assertRejected(new JsonObject().put("addr", new JsonArray().add("/ip4/127.0.0.1/tcp/1").add("/ip4/127.0.0.1/tcp/1")),
        "addr[1] lists /ip4/127.0.0.1/tcp/1 twice");
    assertRejected(new JsonObject().put("addr", "/ip4/127.0.0.1/udp/1/quic-v1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"),
        "addr");
  }

  @Test
  void listenAddressesNameTheTransports() {
    NodeConfig quic = NodeConfig.from(new JsonObject().put("addr", "/ip4/127.0.0.1/udp/0/quic-v1"));
    assertEquals(java.util.List.of("quic-v1"), quic.transports());
    NodeConfig both = NodeConfig.from(new JsonObject().put("addr",
        new JsonArray().add("/ip4/127.0.0.1/tcp/0").add("/ip6/::1/udp/0/quic-v1")));
    assertEquals(java.util.List.of("quic-v1", "tcp"), both.transports());
    assertEquals(2, both.listenAddrs().size());
    assertEquals(java.util.List.of("tcp"), NodeConfig.from(new JsonObject()).transports());
    NodeConfig fromEnv = NodeConfig.from(Environment.apply(new JsonObject(),
        java.util.Map.of("TINYP2P_ADDR", "/ip4/127.0.0.1/tcp/0,/ip4/127.0.0.1/udp/0/quic-v1")));
    assertEquals(java.util.List.of("quic-v1", "tcp"), fromEnv.transports());
    assertEquals(1, NodeConfig.from(new JsonObject().put("bootNode",
        "/ip4/127.0.0.1/udp/1/quic-v1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA")).bootNodes().size());
  }

  @Test
  void badSecret() {
    assertRejected(new JsonObject().put("secret", "not base58 0OIl"), "secret");
    assertRejected(new JsonObject().put("secret", "abc"), "secret");
    assertRejected(new JsonObject().put("secret", 42), "secret");
    String good = KeyPair.generate().secret();
    assertFalse(NodeConfig.from(new JsonObject().put("secret", good)).randomSecret());
  }

  @Test
  void badBootNode() {
    assertRejected(new JsonObject().put("bootNode", "/ip4/127.0.0.1/tcp/9000"), "bootNode");
    assertRejected(new JsonObject().put("bootNode", new JsonArray().add(5)), "bootNode[0]");
    assertRejected(new JsonObject().put("bootNode", "garbage"), "bootNode");
  }

  @Test
  void badNumbers() {
    assertRejected(new JsonObject().put("discoveryInterval", 0), "discoveryInterval");
    assertRejected(new JsonObject().put("discoveryInterval", "30"), "discoveryInterval");
    assertRejected(new JsonObject().put("reqResp", new JsonObject().put("requestTimeout", -1)), "reqResp.requestTimeout");
    assertRejected(new JsonObject().put("reqResp", new JsonObject().put("maxRequestSize", 1.5)), "reqResp.maxRequestSize");
    assertRejected(new JsonObject().put("reqResp", new JsonObject().put("maxResponseSize", 0)), "reqResp.maxResponseSize");
    assertRejected(new JsonObject().put("reqResp", new JsonObject().put("connectionKeepAlive", 1e9)), "reqResp.connectionKeepAlive");
  }

  @Test
  void badTopics() {
    assertRejected(new JsonObject().put("pubsubTopics", "block"), "pubsubTopics");
    assertRejected(new JsonObject().put("pubsubTopics", new JsonArray().add("")), "pubsubTopics[0]");
  }

  @Test
  void badHttp() {
    assertRejected(new JsonObject().put("http", new JsonObject().put("port", 70000)), "http.port");
    assertRejected(new JsonObject().put("http", new JsonObject().put("hots", "x")), "http.hots");
    assertRejected(new JsonObject().put("http", "on"), "http");
    assertFalse(NodeConfig.from(new JsonObject().put("http", "off")).http().enabled());
  }

  @Test
  void httpSecuritySettings() throws Exception {
    HttpConfig d = NodeConfig.from(new JsonObject()).http();
    assertEquals(java.util.List.of(), d.allowedOrigins());
    assertNull(d.authToken());
    assertEquals(10, d.headerTimeout().toSeconds());
    assertRejected(http("allowedOrigins", new JsonArray().add("evil.example")), "http.allowedOrigins");
    assertRejected(http("allowedOrigins", new JsonArray().add("http://localhost:3000/path")), "http.allowedOrigins");
    assertRejected(http("allowedOrigins", "http://localhost:3000"), "http.allowedOrigins");
    assertRejected(http("allowedHosts", new JsonArray().add("node.example:8000")), "http.allowedHosts");
    assertRejected(http("authToken", "short"), "http.authToken");
    assertRejected(http("authToken", 12345678901234567L), "http.authToken");
    assertRejected(http("authTokenFile", "/nonexistent/token"), "http.authTokenFile");
    assertRejected(new JsonObject().put("http", new JsonObject().put("authToken", "0123456789abcdef0123")
        .put("authTokenFile", "/tmp/x")), "exclude each other");
    assertRejected(http("headerTimeout", "10"), "got the string \"10\"");
    java.nio.file.Path file = java.nio.file.Files.createTempFile("tinyp2p-token", "");
    java.nio.file.Files.writeString(file, "  from-a-file-0123456789abcdef\n");
    HttpConfig c = NodeConfig.from(http("authTokenFile", file.toString())).http();
    assertEquals("from-a-file-0123456789abcdef", c.authToken());
    assertFalse(c.toString().contains(c.authToken()), "the token must not show in logs");
    assertEquals(java.util.List.of("http://localhost:3000"),
        NodeConfig.from(http("allowedOrigins", new JsonArray().add("HTTP://LocalHost:3000"))).http().allowedOrigins());
  }

  private static JsonObject http(String key, Object value) {
    return new JsonObject().put("http", new JsonObject().put(key, value));
  }

  @Test
  void aWrongTypeNamesTheTypeGiven() {
    assertRejected(new JsonObject().put("discoveryInterval", "30"), "got the string \"30\"");
    assertRejected(new JsonObject().put("demo", "yes"), "got the string \"yes\"");
    assertRejected(new JsonObject().put("pingInterval", true), "got the boolean true");
    assertRejected(new JsonObject().put("reqResp", new JsonArray()), "got a list");
  }

  @Test
  void badBusPrefix() {
    assertRejected(new JsonObject().put("busPrefix", ""), "busPrefix");
    assertRejected(new JsonObject().put("busPrefix", "has space"), "busPrefix");
    assertRejected(new JsonObject().put("busPrefix", "trailing."), "busPrefix");
  }
  @Test
  void admissionDialAndAddressLimits() {
    NodeConfig d = NodeConfig.from(new JsonObject());
    assertEquals(8, d.limits().maxPendingHandshakesPerIp());
    assertEquals(16, d.limits().maxPendingHandshakesPerSubnet());
    assertEquals(64, d.limits().maxDialsInFlight());
    assertEquals(50, d.limits().maxDialsPerSecond());
    assertEquals(Duration.ofSeconds(1), d.limits().dialBackoffInitial());
    assertEquals(Duration.ofMinutes(2), d.limits().dialBackoffMax());
    assertFalse(d.limits().allowDnsAddrs());
    NodeConfig c = NodeConfig.from(new JsonObject().put("limits", new JsonObject()
        .put("maxPendingHandshakesPerIp", 4).put("maxPendingHandshakesPerSubnet", 8)
        .put("maxDialsInFlight", 10).put("maxDialsPerSecond", 5)
        .put("dialBackoffInitial", 0.5).put("dialBackoffMax", 30).put("allowDnsAddrs", true)));
    assertEquals(4, c.limits().maxPendingHandshakesPerIp());
    assertEquals(8, c.limits().maxPendingHandshakesPerSubnet());
    assertEquals(10, c.limits().maxDialsInFlight());
    assertEquals(5, c.limits().maxDialsPerSecond());
    assertEquals(Duration.ofMillis(500), c.limits().dialBackoffInitial());
    assertEquals(Duration.ofSeconds(30), c.limits().dialBackoffMax());
    assertTrue(c.limits().allowDnsAddrs());
    // a per-IP limit above the default per-subnet one raises the latter's default with it
    assertEquals(32, NodeConfig.from(new JsonObject().put("limits", new JsonObject()
        .put("maxPendingHandshakesPerIp", 32))).limits().maxPendingHandshakesPerSubnet());
    for (String key : new String[] {"maxPendingHandshakesPerIp", "maxPendingHandshakesPerSubnet",
        "maxDialsInFlight", "maxDialsPerSecond"}) {
      assertRejected(new JsonObject().put("limits", new JsonObject().put(key, 0)), "limits." + key);
      assertRejected(new JsonObject().put("limits", new JsonObject().put(key, "many")), "limits." + key);
    }
    assertRejected(new JsonObject().put("limits", new JsonObject().put("maxPendingHandshakesPerIp", 8)
        .put("maxPendingHandshakesPerSubnet", 4)), "limits.maxPendingHandshakesPerSubnet");
    assertRejected(new JsonObject().put("limits", new JsonObject().put("dialBackoffInitial", -1)),
        "limits.dialBackoffInitial");
    assertRejected(new JsonObject().put("limits", new JsonObject().put("dialBackoffInitial", 10)
        .put("dialBackoffMax", 5)), "limits.dialBackoffMax");
    assertRejected(new JsonObject().put("limits", new JsonObject().put("allowDnsAddrs", "yes")),
        "limits.allowDnsAddrs");
  }

  @Test
  void kadStoreLimitsAndNamespaces() {
    var d = NodeConfig.from(new JsonObject()).kad();
    assertEquals(io.tinyp2p.protocol.kad.StoreConfig.defaults(), d);
    assertEquals(java.time.Duration.ofHours(48), d.recordTtl());
    var c = NodeConfig.from(new JsonObject().put("kad", new JsonObject().put("maxRecords", 10).put("maxValueSize", 100)
        .put("recordTtl", 3600).put("providerTtl", 60).put("providerRepublish", 30).put("getQuorum", 2)
        .put("allowedNamespaces", new io.vertx.core.json.JsonArray().add("app").add("v1.data")))).kad();
    assertEquals(10, c.maxRecords());
    assertEquals(100, c.maxValueSize());
    assertEquals(java.time.Duration.ofHours(1), c.recordTtl());
    assertEquals(java.time.Duration.ofSeconds(60), c.providerTtl());
    assertEquals(2, c.getQuorum());
    assertEquals(java.util.Set.of("app", "v1.data"), c.allowedNamespaces());
    assertRejected(new JsonObject().put("kad", new JsonObject().put("maxRecord", 10)), "kad.maxRecord");
    assertRejected(new JsonObject().put("kad", new JsonObject().put("maxRecords", 0)), "kad.maxRecords");
    assertRejected(new JsonObject().put("kad", new JsonObject().put("maxValueSize", "big")), "kad.maxValueSize");
    assertRejected(new JsonObject().put("kad", new JsonObject().put("recordTtl", -1)), "kad.recordTtl");
    assertRejected(new JsonObject().put("kad", new JsonObject().put("getQuorum", 21)), "kad.getQuorum");
    assertRejected(new JsonObject().put("kad", new JsonObject().put("allowedNamespaces", "app")), "kad.allowedNamespaces");
    assertRejected(new JsonObject().put("kad", new JsonObject().put("allowedNamespaces",
        new io.vertx.core.json.JsonArray().add("a/b"))), "kad.allowedNamespaces[0]");
    assertRejected(new JsonObject().put("kad", new JsonObject().put("allowedNamespaces",
        new io.vertx.core.json.JsonArray().add("pk"))), "kad.allowedNamespaces");
    assertRejected(new JsonObject().put("kad", "on"), "kad");
  }

  @Test
  void relay() {
    NodeConfig d = NodeConfig.from(new JsonObject());
    assertEquals(false, d.relay().server());
    assertTrue(d.relays().isEmpty());
    String relayAddr = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
    NodeConfig c = NodeConfig.from(new JsonObject()
        .put("relay", new JsonObject().put("server", true).put("maxReservations", 3).put("maxReservationsPerIp", 2)
            .put("maxCircuits", 5).put("maxCircuitsPerPeer", 1).put("reservationTtl", 60).put("circuitDuration", 0)
            .put("circuitBytes", 1000))
        .put("relays", new io.vertx.core.json.JsonArray().add(relayAddr)));
    assertTrue(c.relay().server());
    assertEquals(3, c.relay().maxReservations());
    assertEquals(2, c.relay().maxReservationsPerIp());
    assertEquals(5, c.relay().maxCircuits());
    assertEquals(1, c.relay().maxCircuitsPerPeer());
    assertEquals(60, c.relay().reservationTtl().toSeconds());
    assertTrue(c.relay().circuitDuration().isZero());
    assertEquals(1000, c.relay().circuitBytes());
    assertEquals(relayAddr, c.relays().get(0).toString());
    assertRejected(new JsonObject().put("relay", new JsonObject().put("server", "yes")), "relay.server");
    assertRejected(new JsonObject().put("relay", new JsonObject().put("maxCircuits", 0)), "relay.maxCircuits");
    assertRejected(new JsonObject().put("relay", new JsonObject().put("circuitBytes", -1)), "relay.circuitBytes");
    assertRejected(new JsonObject().put("relay", new JsonObject().put("reservationTtl", 0)), "relay.reservationTtl");
    assertRejected(new JsonObject().put("relay", new JsonObject().put("maxReservationz", 1)), "relay.maxReservationz");
    assertRejected(new JsonObject().put("relays", relayAddr), "relays");
    assertRejected(new JsonObject().put("relays", new io.vertx.core.json.JsonArray().add("/ip4/127.0.0.1/tcp/1")),
        "relays[0]");
    assertRejected(new JsonObject().put("relays", new io.vertx.core.json.JsonArray().add(relayAddr + "/p2p-circuit")),
        "relays[0]");
  }
}
