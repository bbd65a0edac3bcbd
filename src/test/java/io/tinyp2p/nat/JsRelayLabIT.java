package io.tinyp2p.nat;

import static io.tinyp2p.nat.LabTests.async;
import static io.tinyp2p.nat.LabTests.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Figures;
import io.tinyp2p.interop.JsPeer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Circuit Relay v2 across the NAT lab with js-libp2p on either end, the pieces a hole-punching
 * test stands on: (a) a js-libp2p relay on the public segment, a Java node behind a
 * port-restricted NAT that reserves a slot there, and a public Java node that reaches it through
 * the js relay; (b) a Java relay on the public segment, a js-libp2p peer (with DCUtR on) behind
 * another port-restricted NAT that reserves a slot there, and the public Java node that reaches it
 * through the Java relay; (c) a second js peer with DCUtR, behind the first NAT, that reaches the
 * js peer behind the second one through the Java relay: js-libp2p's DCUtR runs but, over TCP, a js
 * peer behind a NAT has no public address to offer, so the connection stays relayed (the baseline
 * a Java DCUtR is measured against). No private peer can be dialed directly, so every exchange
 * crosses a relayed connection. Skipped where a lab cannot be built.
 */
@ExtendWith(LabTests.class)
class JsRelayLabIT {

  private static final Duration UP = Duration.ofSeconds(30);
  private static final Duration CALL = Duration.ofSeconds(20);
  /** js-libp2p's debug log for DCUtR and circuit relay, in the js peers' logs. */
  private static final String DCUTR_LOG = "libp2p:dcutr*,libp2p:circuit-relay*";

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void privatePeersAreReachedThroughAJsRelayAndThroughAJavaRelay() throws Exception {
    long t0 = System.nanoTime();
    String figures;
    NetLab lab = NetLab.create();
    try (lab) {
      Host jsRelayHost = lab.publicHost("jsrelay");
      Host javaRelayHost = lab.publicHost("relay");
      Host bootHost = lab.publicHost("boot");
      Nat natA = lab.nat("nata", NetLab.NatType.PORT_RESTRICTED);
      Nat natB = lab.nat("natb", NetLab.NatType.PORT_RESTRICTED);
      Host a = natA.host("a1");
      Host b = natB.host("b1");
      Host a2 = natA.host("a2");
      long built = System.nanoTime();

      CompletableFuture<JsPeer> startJsRelay = async(() -> lab.startJs(jsRelayHost, "jsrelay",
          new JsonObject().put("relayServer", true)));
      CompletableFuture<LabNode> startJavaRelay = async(() -> lab.startNode(javaRelayHost, "relay",
          new JsonObject().put("relay", new JsonObject().put("server", true))));
      CompletableFuture<LabNode> startBoot = async(() -> lab.startNode(bootHost, "boot", new JsonObject()));
      // (c) a second js peer with DCUtR, behind nata, that dials js b1 through the Java relay
      CompletableFuture<JsPeer> startA2 = async(() -> lab.startJs(a2, "jsa2", new JsonObject().put("dcutr", true)
          .put("relayTransport", true), DCUTR_LOG));
      JsPeer jsRelay = startJsRelay.get(60, TimeUnit.SECONDS);
      String jsRelayAddr = "/ip4/" + jsRelayHost.ip() + "/tcp/" + LabNode.P2P_PORT + "/p2p/" + jsRelay.peerId();
      assertTrue(jsRelay.addrs().contains(jsRelayAddr), "the js relay listens on " + jsRelay.addrs());
      LabNode javaRelay = startJavaRelay.get(60, TimeUnit.SECONDS);
      // (a) the Java node behind nata reserves on the js relay (demo: it answers requests with an echo)
      // (without hole punching: the connection through the relay is what is under test here)
      CompletableFuture<LabNode> startA = async(() -> lab.startNode(a, "a1", new JsonObject().put("demo", true)
          .put("holePunching", false).put("relays", new JsonArray().add(jsRelayAddr))));
      // (b) the js peer behind natb reserves on the Java relay
      CompletableFuture<JsPeer> startB = async(() -> lab.startJs(b, "jsb", new JsonObject().put("dcutr", true)
          .put("relays", new JsonArray().add(javaRelay.addr().toString())), DCUTR_LOG));
      LabNode boot = startBoot.get(60, TimeUnit.SECONDS);
      LabNode nodeA = startA.get(60, TimeUnit.SECONDS);
      JsPeer jsB = startB.get(60, TimeUnit.SECONDS);
      JsPeer jsA2 = startA2.get(60, TimeUnit.SECONDS);
      long started = System.nanoTime();

      // (a) the reservation shows in a1's /status, with the js relay's public address
      JsonObject aStatus = nodeA.awaitStatus("a reservation on the js relay", s -> reservation(s) != null, UP);
      long aReserved = System.nanoTime();
      JsonObject held = reservation(aStatus);
      String aCircuit = held.getJsonArray("addrs").getString(0) + "/p2p/" + nodeA.peerId().toBase58();
      assertTrue(aCircuit.startsWith(jsRelayAddr + "/p2p-circuit/p2p/"), aCircuit + " in " + held.encode());
      assertEquals("valid", held.getString("voucher"), held.encode());
      assertTrue(aStatus.getJsonArray("listenAddrs").contains(held.getJsonArray("addrs").getString(0)),
          "a1 listens on its circuit address: " + aStatus.getJsonArray("listenAddrs"));

      // (b) the js peer's circuit address on the Java relay
      String bCircuit = circuitIn(jsB.awaitEvent(e -> circuitIn(e.getJsonArray("addrs")) != null, UP).getJsonArray("addrs"));
      long bReserved = System.nanoTime();
      assertEquals(javaRelay.addr() + "/p2p-circuit/p2p/" + jsB.peerId(), bCircuit);
      JsonObject relayStatus = javaRelay.awaitStatus("serving js b1's reservation",
          s -> s.getJsonObject("relay").getJsonObject("server").getJsonArray("reservations").size() == 1, UP);
      JsonObject served = relayStatus.getJsonObject("relay").getJsonObject("server").getJsonArray("reservations")
          .getJsonObject(0);
      assertEquals(jsB.peerId(), served.getString("peer"), served.encode());
      assertEquals(natB.publicIp(), served.getString("ip"), "the Java relay sees js b1 at natb's address: " + served);

      // a private peer cannot be dialed at its NAT's public address
      LabNode.Dial direct = boot.connect("/ip4/" + natB.publicIp() + "/tcp/" + LabNode.P2P_PORT + "/p2p/" + jsB.peerId(),
          Duration.ofSeconds(15));
      assertFalse(direct.ok(), "the boot node dialed the js peer behind natb directly: " + direct.body());

      // (a) boot → js relay → a1, and a request over it
      LabNode.Dial toA = boot.connect(aCircuit, CALL);
      assertTrue(toA.ok(), "boot could not dial a1 through the js relay: " + toA);
      assertEquals("relay", new JsonObject(toA.body()).getString("transport"), toA.body());
      LabNode.Dial askA = boot.request(nodeA.peerId().toBase58(), "hello a1", CALL);
      assertEquals(200, askA.status(), askA.body());
      assertEquals("hello a1", askA.body());
      assertTrue(LabNode.connectionsTo(boot.status(), nodeA.peerId().toBase58()).stream()
          .allMatch(c -> c.getString("remoteAddr").contains("/p2p-circuit")), "boot has a direct connection to a1");

      // (b) boot → Java relay → js b1, and a request over it (js answers with the request)
      LabNode.Dial toB = boot.connect(bCircuit, CALL);
      assertTrue(toB.ok(), "boot could not dial js b1 through the Java relay: " + toB);
      assertEquals("relay", new JsonObject(toB.body()).getString("transport"), toB.body());
      LabNode.Dial askB = boot.request(jsB.peerId(), "hello js", CALL);
      assertEquals(200, askB.status(), askB.body());
      assertEquals("hello js", askB.body());
      JsonArray bConnections = jsB.call(new JsonObject().put("cmd", "connections"), CALL).getJsonArray("connections");
      List<JsonObject> fromBoot = bConnections.stream().map(JsonObject.class::cast)
          .filter(c -> c.getString("peerId").equals(boot.peerId().toBase58())).toList();
      assertFalse(fromBoot.isEmpty(), "js b1 lists no connection from boot: " + bConnections.encode());
      // (which may be direct by now: js b1's DCUtR dials boot's public address, the unilateral upgrade,
      // and closes the relayed one; the dial's answer above showed it relayed)

      // (c) js a2 → Java relay → js b1: b1, inbound on the relayed connection, starts DCUtR, but over TCP
      // neither js peer has a public address to offer (js-libp2p's identify drops TCP observed
      // addresses), so the attempt ends before any dial and the connection stays relayed
      long c0 = System.nanoTime();
      JsonObject dialed = jsA2.call(new JsonObject().put("cmd", "dial").put("addr", bCircuit), CALL);
      long cDialed = System.nanoTime();
      assertTrue(dialed.getString("remoteAddr").contains("/p2p-circuit"), dialed.encode());
      JsonObject echoed = jsA2.call(new JsonObject().put("cmd", "request").put("peer", jsB.peerId()).put("text", "a2"), CALL);
      assertEquals("a2", echoed.getString("text"), echoed.encode());
      Thread.sleep(3000); // DCUtR's three attempts take milliseconds when no side has an address to dial
      // a2 answers b1's CONNECT and logs what b1 offered
      String offered = Files.readAllLines(jsA2.logFile()).stream()
          .filter(l -> l.contains("libp2p:dcutr B had no dialable multiaddrs")).findFirst()
          .orElseThrow(() -> new AssertionError("js a2 logged no DCUtR CONNECT from js b1; see " + jsA2.logFile()));
      offered = offered.substring(offered.indexOf(" in ") + 4);
      List<JsonObject> a2ToB = jsA2.call(new JsonObject().put("cmd", "connections"), CALL).getJsonArray("connections")
          .stream().map(JsonObject.class::cast).filter(c -> c.getString("peerId").equals(jsB.peerId())).toList();
      assertFalse(a2ToB.isEmpty(), "js a2 lost its connection to js b1");
      assertTrue(a2ToB.stream().allMatch(c -> c.getString("remoteAddr").contains("/p2p-circuit") && c.getBoolean("limited")),
          "js a2 has a direct connection to js b1 (did js-libp2p learn a public TCP address?): " + a2ToB);

      figures = String.format("natlab relays: built 8 namespaces in %d ms; js relay, Java relay, boot and the three private"
              + " peers up in %d ms; Java a1 reserved on the js relay %d ms later, js b1 on the Java relay %d ms"
              + " later (the relay sees it at %s); boot's direct dial to natb failed in %d ms; boot → js relay → a1:"
              + " dialed in %d ms, request answered in %d ms; boot → Java relay → js b1: dialed in %d ms, request"
              + " answered in %d ms; js a2 → Java relay → js b1 (both with DCUtR, no public address): dialed in %d ms,"
              + " still relayed 3 s later (b1's CONNECT offered %s)",
          ms(built - t0), ms(started - built), ms(aReserved - started), ms(bReserved - started),
          served.getString("ip"),
          direct.took().toMillis(), toA.took().toMillis(), askA.took().toMillis(), toB.took().toMillis(),
          askB.took().toMillis(), ms(cDialed - c0), offered);
    }
    assertEquals(List.of(), NetLab.leftovers(lab.namespacePrefix(), lab.linkPrefix()), "the lab left these behind");
    Figures.report(figures + "; torn down, whole run " + ms(System.nanoTime() - t0) + " ms");
  }

  /** The first reservation a status shows as held, with a circuit address; null when none. */
  private static JsonObject reservation(JsonObject status) {
    for (Object o : status.getJsonObject("relay").getJsonArray("reservations")) {
      JsonObject r = (JsonObject) o;
      if (r.getBoolean("reserved", false) && circuitIn(r.getJsonArray("addrs")) != null) {
        return r;
      }
    }
    return null;
  }

  /** The first {@code /p2p-circuit} address in a list (null when none, or no list). */
  private static String circuitIn(JsonArray addrs) {
    if (addrs == null) {
      return null;
    }
    return addrs.stream().map(Object::toString).filter(s -> s.contains("/p2p-circuit")).findFirst().orElse(null);
  }
}
