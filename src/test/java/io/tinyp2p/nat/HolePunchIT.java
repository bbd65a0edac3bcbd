package io.tinyp2p.nat;

import static io.tinyp2p.nat.LabTests.async;
import static io.tinyp2p.nat.LabTests.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Figures;
import io.tinyp2p.interop.JsPeer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two nodes behind NATs that filter by address and port (neither reachable from outside) find
 * each other through Kademlia on a public boot node, connect through a public Circuit Relay v2
 * relay on which each holds a reservation, and DCUtR replaces the relayed connection with a direct
 * one: both dial from their listen ports at the agreed moment, and the two SYNs cross the NATs as
 * one TCP connection. A request and a broadcast then flow over it (the relayed connection is gone);
 * {@code /status} shows the path; AutoNAT says private behind the NATs and public outside. Skipped,
 * with the reason printed, where a lab cannot be built.
 */
@ExtendWith(LabTests.class)
class HolePunchIT {
  private static final Duration UP = Duration.ofSeconds(60);
  private static final Duration CALL = Duration.ofSeconds(30);
  private static final String TOPIC = "lab";
  /**
   * AutoNAT asks every 10 s (not 60), three answers deciding; one observer suffices for an address
   * to be tested (the lab's public hosts share a /24, which counts as one observer).
   */
  private static final JsonObject AUTONAT = new JsonObject().put("interval", 10).put("observedThreshold", 1);

  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void privateNodesBehindPortRestrictedNatsHolePunchThroughAJavaRelay() throws Exception {
    javaPairHolePunches(false);
  }

  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void privateNodesBehindPortRestrictedNatsHolePunchThroughAJsRelay() throws Exception {
    javaPairHolePunches(true);
  }

  /**
   * The pair a1 (behind nata) and b1 (behind natb), both NATs port-restricted: reservations on the
   * relay (Java, or js-libp2p's circuit-relay-v2 server), a1 reaches b1 by its id, DCUtR punches
   * the hole, a request and a broadcast go over it, and AutoNAT tells private from public.
   */
  private void javaPairHolePunches(boolean jsRelay) throws Exception {
    long t0 = System.nanoTime();
    String nsPrefix;
    String linkPrefix;
    String figures;
    try (NetLab lab = NetLab.create()) {
      nsPrefix = lab.namespacePrefix();
      linkPrefix = lab.linkPrefix();
      Host relayHost = lab.publicHost("relay");
      Host bootHost = lab.publicHost("boot");
      Nat natA = lab.nat("nata", NetLab.NatType.PORT_RESTRICTED);
      Nat natB = lab.nat("natb", NetLab.NatType.PORT_RESTRICTED);
      LabNode boot = lab.startNode(bootHost, jsRelay ? "jsboot" : "boot", new JsonObject().put("autonat", AUTONAT));
      LabNode javaRelay = null;
      String relayAddr;
      if (jsRelay) {
        JsPeer relay = lab.startJs(relayHost, "jsrelay", new JsonObject().put("relayServer", true));
        relayAddr = "/ip4/" + relayHost.ip() + "/tcp/" + LabNode.P2P_PORT + "/p2p/" + relay.peerId();
      } else {
        javaRelay = lab.startNode(relayHost, "relay", new JsonObject().put("autonat", AUTONAT)
            .put("bootNode", boot.addr().toString()).put("relay", new JsonObject().put("server", true)));
        relayAddr = javaRelay.addr().toString();
      }
      JsonObject priv = privateConfig(boot, relayAddr);
      String p = jsRelay ? "js" : ""; // each test's logs under its own names
      CompletableFuture<LabNode> startA = start(lab, natA.host(p + "a1"), p + "a1", priv);
      CompletableFuture<LabNode> startB = start(lab, natB.host(p + "b1"), p + "b1", priv.copy().put("demo", true)); // echoes requests
      LabNode a = startA.get(90, TimeUnit.SECONDS);
      LabNode b = startB.get(90, TimeUnit.SECONDS);
      long up = System.nanoTime();

      // each private node holds a reservation and announces its circuit address
      for (LabNode n : List.of(a, b)) {
        n.awaitStatus("a /p2p-circuit listen address on the relay", s -> circuitAddr(s) != null, UP);
      }
      String bId = b.peerId().toBase58();
      awaitCircuitInRoutingTable(boot, bId);
      long reserved = System.nanoTime();
      b.collectEvents();

      // a1 knows b1 only by its id: Kademlia finds the circuit address, the dial goes through the relay
      LabNode.Dial dial = a.connect("/p2p/" + bId, Duration.ofSeconds(40));
      assertTrue(dial.ok(), "a1 could not reach b1 by its id: " + dial);
      JsonObject first = new JsonObject(dial.body());
      assertEquals("relayed", first.getString("path"), "the first connection: " + first);
      long relayed = System.nanoTime();

      // DCUtR: a direct connection replaces the relayed one, on both sides
      JsonObject aStatus = a.awaitStatus("only a hole-punched connection to b1", s -> onlyHolePunched(s, bId), UP);
      JsonObject bStatus = b.awaitStatus("only a hole-punched connection to a1",
          s -> onlyHolePunched(s, a.peerId().toBase58()), UP);
      long punched = System.nanoTime();
      JsonObject direct = LabNode.connectionsTo(aStatus, bId).get(0);
      assertTrue(direct.getString("remoteAddr").startsWith("/ip4/" + natB.publicIp() + "/tcp/"),
          "a1's direct connection should be to natb's public address: " + direct);
      assertTrue(LabNode.connectionsTo(bStatus, a.peerId().toBase58()).get(0).getString("remoteAddr")
          .startsWith("/ip4/" + natA.publicIp() + "/tcp/"), "b1's direct connection: " + bStatus.getJsonArray("connections"));
      JsonObject holePunching = bStatus.getJsonObject("holePunching");
      assertEquals(true, holePunching.getBoolean("portReuse"), "b1 dials from its listen port: " + holePunching);
      assertEquals("holePunched", holePunching.getJsonObject("last").getString("result"), "b1's DCUtR: " + holePunching);

      // a request and a broadcast over it
      LabNode.Dial request = a.request(bId, "over the punched hole", Duration.ofSeconds(20));
      assertTrue(request.ok(), "a1's request to b1: " + request);
      assertEquals("over the punched hole", request.body(), "b1 echoes the request");
      LabNode.Dial broadcast = publishUntilPeers(a, "a broadcast through the hole");
      b.awaitEvent("the broadcast", e -> "message".equals(e.getString("type")) && TOPIC.equals(e.getString("topic")),
          Duration.ofSeconds(30));
      long flowed = System.nanoTime();
      assertEquals(List.of(direct.getLong("openedAt")), LabNode.connectionsTo(a.status(), bId).stream()
          .map(c -> c.getLong("openedAt")).toList(), "the request and the broadcast used the direct connection, the only one");

      // AutoNAT: private behind the NATs, public on the public segment
      for (LabNode n : List.of(a, b)) {
        awaitReachability(n, "private");
      }
      awaitReachability(boot, "public");
      if (javaRelay != null) {
        awaitReachability(javaRelay, "public");
      }
      figures = String.format("holepunch (%s relay, both NATs port-restricted): nodes up in %d ms; reservations %d ms"
              + " later; a1 → b1 by id through the relay in %d ms; direct (hole punched, %s, attempt %d) %d ms after;"
              + " request %d ms, broadcast to %d peer(s), seen %d ms after the request",
          jsRelay ? "js" : "Java", ms(up - t0), ms(reserved - up), dial.took().toMillis(), direct.getString("direction"),
          holePunching.getJsonObject("last").getInteger("attempt"), ms(punched - relayed), request.took().toMillis(),
          new JsonObject(broadcast.body()).getInteger("peers"), ms(flowed - punched) - request.took().toMillis());
    }
    assertEquals(List.of(), NetLab.leftovers(nsPrefix, linkPrefix), "the lab left these behind");
    Figures.report(figures + "; whole run " + ms(System.nanoTime() - t0) + " ms");
  }

  /**
   * A js-libp2p peer behind a port-restricted NAT finds a Java node behind a full cone through
   * Kademlia and reaches it through the Java relay; DCUtR (the Java node starts it, as the side the
   * relayed connection came in to) gives the js peer the Java node's public address, the js peer
   * dials it on SYNC, and the full cone lets the SYN in to the Java node's listen port, which its own
   * dials (from that port) mapped. Over TCP this is the only way round: js-libp2p dials from
   * ephemeral ports and offers no public address of its own (its identify drops TCP observations),
   * so only the js peer's SYN can make the connection, and only a NAT that filters by nothing lets it
   * in. The Java node's AutoNAT client is off: behind a full cone it would find itself public,
   * announce the address, and the js peer would dial it directly, with no relay to upgrade from.
   */
  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void aJsPeerBehindANatHolePunchesToAJavaNodeBehindAFullCone() throws Exception {
    long t0 = System.nanoTime();
    String nsPrefix;
    String linkPrefix;
    String figures;
    try (NetLab lab = NetLab.create()) {
      nsPrefix = lab.namespacePrefix();
      linkPrefix = lab.linkPrefix();
      Host relayHost = lab.publicHost("relay");
      Host bootHost = lab.publicHost("boot");
      Nat natA = lab.nat("nata", NetLab.NatType.PORT_RESTRICTED);
      Nat natB = lab.nat("natb", NetLab.NatType.FULL_CONE);
      LabNode boot = lab.startNode(bootHost, "fboot", new JsonObject().put("autonat", AUTONAT));
      LabNode relay = lab.startNode(relayHost, "frelay", new JsonObject().put("autonat", AUTONAT)
          .put("bootNode", boot.addr().toString()).put("relay", new JsonObject().put("server", true)));
      CompletableFuture<JsPeer> startJs = async(() -> lab.startJs(natA.host("a2"), "jsa", new JsonObject()
          .put("dcutr", true).put("relayTransport", true).put("kad", true).put("gossipsub", true),
          "libp2p:dcutr*,libp2p:circuit-relay*,libp2p:connection-manager*")); // js-libp2p's log, for a failure
      JsonObject config = privateConfig(boot, relay.addr().toString()).put("demo", true)
          .put("autonat", new JsonObject().put("client", false));
      LabNode b = start(lab, natB.host("fb1"), "fb1", config).get(90, TimeUnit.SECONDS);
      JsPeer js = startJs.get(90, TimeUnit.SECONDS);
      long up = System.nanoTime();
      String bId = b.peerId().toBase58();
      b.awaitStatus("a /p2p-circuit listen address on the relay", s -> circuitAddr(s) != null, UP);
      awaitCircuitInRoutingTable(boot, bId);
      b.collectEvents();
      js.call(new JsonObject().put("cmd", "dial").put("addr", boot.addr().toString()), CALL);
      js.call(new JsonObject().put("cmd", "subscribe").put("topic", TOPIC), CALL);
      long reserved = System.nanoTime();

      // the js peer knows b1 by its id only: its Kademlia lookup through the boot node finds the circuit address
      JsonObject found = js.call(new JsonObject().put("cmd", "findPeer").put("peer", bId), CALL);
      assertTrue(found.encode().contains("/p2p-circuit"), "the js peer's lookup of b1: " + found.encode());
      // (the lookup itself may connect, to ask b1: through the relay, as the dial does; a dial
      // whose relayed connection is cut as the hole-punched one takes its place fails in js-libp2p
      // and is made again: it then finds the direct connection)
      for (int attempt = 1; ; attempt++) {
        try {
          js.call(new JsonObject().put("cmd", "dial").put("peer", bId), CALL);
          break;
        } catch (JsPeer.JsPeerException e) {
          if (attempt == 3) {
            throw e;
          }
        }
      }
      JsonObject first = b.awaitEvent("the js peer's first connection", e -> "peer:connect".equals(e.getString("type"))
          && js.peerId().equals(e.getString("peerId")), UP);
      assertTrue(first.getString("remoteAddr").contains("/p2p-circuit"), "the js peer's first connection: " + first);
      long relayed = System.nanoTime();

      JsonObject bStatus = b.awaitStatus("only a hole-punched connection to the js peer",
          s -> onlyHolePunched(s, js.peerId()), UP);
      long punched = System.nanoTime();
      JsonObject direct = LabNode.connectionsTo(bStatus, js.peerId()).get(0);
      assertTrue(direct.getString("remoteAddr").startsWith("/ip4/" + natA.publicIp() + "/tcp/"),
          "b1's direct connection comes from nata: " + direct);
      assertEquals("inbound", direct.getString("direction"), "the js peer's SYN made it: " + direct);
      JsonArray jsConnections = js.call(new JsonObject().put("cmd", "connections"), CALL).getJsonArray("connections");
      List<JsonObject> jsToB = jsConnections.stream().map(JsonObject.class::cast)
          .filter(c -> bId.equals(c.getString("peerId")) && "open".equals(c.getString("status"))).toList();
      assertEquals(1, jsToB.size(), "the js peer's connections to b1: " + jsConnections.encode());
      assertTrue(jsToB.get(0).getString("remoteAddr").startsWith("/ip4/" + natB.publicIp() + "/tcp/4001"),
          "the js peer's connection to b1 is direct: " + jsToB);

      // a request from the js peer, a broadcast from b1, both over the direct connection
      JsonObject answer = js.call(new JsonObject().put("cmd", "request").put("peer", bId)
          .put("text", "from js over the hole"), CALL);
      assertEquals("from js over the hole", answer.getString("text"), "b1's echo: " + answer.encode());
      LabNode.Dial broadcast = publishUntilPeers(b, "from b1 to js");
      js.awaitEvent(e -> "pubsub:message".equals(e.getString("event")) && TOPIC.equals(e.getString("topic")),
          Duration.ofSeconds(30));
      long flowed = System.nanoTime();
      assertEquals(List.of(direct.getLong("openedAt")), LabNode.connectionsTo(b.status(), js.peerId()).stream()
          .map(c -> c.getLong("openedAt")).toList(), "the request and the broadcast used the direct connection");
      awaitReachability(boot, "public");
      figures = String.format("holepunch (js peer behind a port-restricted NAT, Java node behind a full cone, Java"
              + " relay): up in %d ms; reservation and DHT %d ms later; js → b1 by id through the relay in %d ms;"
              + " direct %d ms after; request, broadcast (%s) and its arrival %d ms",
          ms(up - t0), ms(reserved - up), ms(relayed - reserved), ms(punched - relayed), broadcast.body(),
          ms(flowed - punched));
    }
    assertEquals(List.of(), NetLab.leftovers(nsPrefix, linkPrefix), "the lab left these behind");
    Figures.report(figures + "; whole run " + ms(System.nanoTime() - t0) + " ms");
  }

  private static JsonObject privateConfig(LabNode boot, String relayAddr) {
    return new JsonObject().put("bootNode", boot.addr().toString()).put("autonat", AUTONAT)
        .put("relays", new JsonArray().add(relayAddr)).put("pubsubTopics", new JsonArray().add(TOPIC));
  }

  /** The boot node's routing table has the peer's circuit address (identify pushed it after the reservation). */
  private static void awaitCircuitInRoutingTable(LabNode boot, String peerId) throws Exception {
    try {
      boot.awaitStatus(peerId + "'s circuit address in the routing table", s -> s.getJsonArray("knownPeers").stream()
          .map(JsonObject.class::cast).anyMatch(p -> peerId.equals(p.getString("peerId"))
              && p.getJsonArray("addrs").stream().anyMatch(x -> String.valueOf(x).contains("/p2p-circuit"))), UP);
    } catch (AssertionError e) {
      throw new AssertionError("boot's routing table: " + boot.status().getJsonArray("knownPeers").encode(), e);
    }
  }

  /** Publishes on the topic until the node has a peer for it (the subscription is gossiped first). */
  private static LabNode.Dial publishUntilPeers(LabNode node, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      LabNode.Dial d = node.post("/broadcast/" + TOPIC, text, Duration.ofSeconds(10));
      if (d.ok() || System.nanoTime() > deadline) {
        assertTrue(d.ok(), "the broadcast: " + d);
        return d;
      }
      Thread.sleep(200);
    }
  }

  static boolean onlyHolePunched(JsonObject status, String peerId) {
    List<JsonObject> to = LabNode.connectionsTo(status, peerId);
    return to.size() == 1 && "holePunched".equals(to.get(0).getString("path"));
  }

  static String circuitAddr(JsonObject status) {
    for (Object a : status.getJsonArray("listenAddrs", new JsonArray())) {
      if (String.valueOf(a).contains("/p2p-circuit")) {
        return String.valueOf(a);
      }
    }
    return null;
  }

  static void awaitReachability(LabNode node, String expected) throws Exception {
    try {
      node.awaitStatus("AutoNAT reachability " + expected, s -> expected.equals(reachability(s)), UP);
    } catch (AssertionError e) {
      throw new AssertionError(node.name() + ": AutoNAT says " + node.status().getJsonObject("autonat").encode(), e);
    }
  }

  static String reachability(JsonObject status) {
    JsonObject autonat = status.getJsonObject("autonat");
    return autonat == null ? null : autonat.getString("reachability");
  }

  private static CompletableFuture<LabNode> start(NetLab lab, Host host, String name, JsonObject config) {
    return async(() -> lab.startNode(host, name, config));
  }
}
