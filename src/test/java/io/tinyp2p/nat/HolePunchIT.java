package io.tinyp2p.nat;

import static io.tinyp2p.nat.LabTests.async;
import static io.tinyp2p.nat.LabTests.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Figures;
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
  private static final String TOPIC = "lab";

  @Test
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void privateNodesBehindPortRestrictedNatsHolePunchThroughAJavaRelay() throws Exception {
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
      // AutoNAT asks every 10 s (not 60): three answers decide reachability; and one observer
      // suffices for an address to be tested (the lab's public hosts share a /24, which counts as one)
      JsonObject autonat = new JsonObject().put("interval", 10).put("observedThreshold", 1);
      LabNode boot = lab.startNode(bootHost, "boot", new JsonObject().put("autonat", autonat));
      LabNode relay = lab.startNode(relayHost, "relay", new JsonObject().put("autonat", autonat)
          .put("bootNode", boot.addr().toString()).put("relay", new JsonObject().put("server", true)));
      JsonObject priv = new JsonObject().put("bootNode", boot.addr().toString()).put("autonat", autonat)
          .put("relays", new JsonArray().add(relay.addr().toString()))
          .put("pubsubTopics", new JsonArray().add(TOPIC));
      CompletableFuture<LabNode> startA = start(lab, natA.host("a1"), "a1", priv);
      CompletableFuture<LabNode> startB = start(lab, natB.host("b1"), "b1", priv.copy().put("demo", true)); // echoes requests
      LabNode a = startA.get(90, TimeUnit.SECONDS);
      LabNode b = startB.get(90, TimeUnit.SECONDS);
      long up = System.nanoTime();

      // each private node holds a reservation and announces its circuit address
      for (LabNode n : List.of(a, b)) {
        n.awaitStatus("a /p2p-circuit listen address on the relay", s -> circuitAddr(s) != null, UP);
      }
      String bId = b.peerId().toBase58();
      // the boot node's routing table has b1's circuit address (identify pushed it after the reservation)
      boot.awaitStatus("b1's circuit address in the routing table", s -> s.getJsonArray("knownPeers").stream()
          .map(JsonObject.class::cast).anyMatch(p -> bId.equals(p.getString("peerId"))
              && p.getJsonArray("addrs").stream().anyMatch(x -> String.valueOf(x).contains("/p2p-circuit"))), UP);
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
      LabNode.Dial request = a.post("/request/" + bId, "over the punched hole", Duration.ofSeconds(20));
      assertTrue(request.ok(), "a1's request to b1: " + request);
      assertEquals("over the punched hole", request.body(), "b1 echoes the request");
      LabNode.Dial broadcast = publishUntilPeers(a, "a broadcast through the hole");
      JsonObject received = b.awaitEvent("the broadcast", e -> "message".equals(e.getString("type"))
          && TOPIC.equals(e.getString("topic")), Duration.ofSeconds(30));
      long flowed = System.nanoTime();
      JsonObject after = a.status();
      assertEquals(List.of(direct.getLong("openedAt")), LabNode.connectionsTo(after, bId).stream()
          .map(c -> c.getLong("openedAt")).toList(), "the request and the broadcast used the direct connection, the only one");

      // AutoNAT: private behind the NATs, public on the public segment
      for (LabNode n : List.of(a, b)) {
        awaitReachability(n, "private");
      }
      for (LabNode n : List.of(boot, relay)) {
        awaitReachability(n, "public");
      }
      figures = String.format("holepunch (Java relay, both NATs port-restricted): 4 nodes up in %d ms; reservations %d ms"
              + " later; a1 → b1 by id through the relay in %d ms; direct (hole punched, %s, attempt %d) %d ms after;"
              + " request %d ms, broadcast %s; first broadcast seen %d ms after the request",
          ms(up - t0), ms(reserved - up), dial.took().toMillis(), direct.getString("direction"),
          holePunching.getJsonObject("last").getInteger("attempt"), ms(punched - relayed), request.took().toMillis(),
          broadcast.body(), ms(flowed - punched) - request.took().toMillis());
      assertTrue(received.containsKey("topic"));
    }
    assertEquals(List.of(), NetLab.leftovers(nsPrefix, linkPrefix), "the lab left these behind");
    Figures.report(figures + "; whole run " + ms(System.nanoTime() - t0) + " ms");
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
