package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNet;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.transport.relay.RelayTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Circuit Relay v2 with js-libp2p 3 ({@code @libp2p/circuit-relay-v2}) both ways: a js relay
 * ({@code circuitRelayServer}) that a Java node reserves on and that a Java and a js peer dial it
 * through; and a Java relay that a js node ({@code circuitRelayTransport}) reserves on and that a
 * Java and a js peer dial it through. Every exchange crosses the relayed connection.
 */
class JsRelayInteropTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension
  final TestNet net = new TestNet();
  final Vertx vertx = net.vertx;

  @BeforeAll
  static void install() {
    JsPeer.ensureInstalled();
  }

  private TestNode java(String prefix, JsonObject extra) {
    return net.java(new JsonObject().put("busPrefix", prefix).mergeIn(extra));
  }

  private JsPeer js(JsonObject options) {
    return net.js(options);
  }

  private static String tcpAddr(JsPeer p) {
    return p.addrs().stream().filter(a -> !a.contains("p2p-circuit")).findFirst().orElseThrow();
  }

  /** The js peer's circuit address once its reservation holds. */
  private static String circuitAddr(JsPeer p) {
    JsonArray now = p.call(new JsonObject().put("cmd", "addrs")).getJsonArray("addrs");
    for (Object a : now) {
      if (a.toString().contains("/p2p-circuit/")) {
        return a.toString();
      }
    }
    return p.awaitEvent(e -> "addrs".equals(e.getString("event"))
            && e.getJsonArray("addrs").stream().anyMatch(a -> a.toString().contains("/p2p-circuit/")), WAIT)
        .getJsonArray("addrs").stream().map(Object::toString).filter(a -> a.contains("/p2p-circuit/"))
        .findFirst().orElseThrow();
  }

  @Test
  void javaReservesOnAJsRelayAndJavaAndJsDialItThroughThere() {
    JsPeer relay = js(new JsonObject().put("relayServer", true));
    TestNode a = java("ja", new JsonObject().put("relays", new JsonArray().add(tcpAddr(relay))));
    Multiaddr circuit = a.circuitAddr();
    assertEquals(relay.peerId(), circuit.relayPeer().toString());
    // js-libp2p's voucher is a signed envelope our code opens and verifies
    JsonObject held = TestNode.await(new P2pClient(vertx, "ja").status()).getJsonObject("relay")
        .getJsonArray("reservations").getJsonObject(0);
    assertEquals("valid", held.getString("voucher"), held.encode());
    new P2pClient(vertx, "ja").handleRequests((peer, payload) -> Future.succeededFuture(
        Buffer.buffer("java answers ").appendBuffer(payload)));

    // a Java node through the js relay
    java("jb", new JsonObject());
    JsonObject shown = TestNode.await(new P2pClient(vertx, "jb").connect(circuit.toString()));
    assertEquals(RelayTransport.NAME, shown.getString("transport"), shown.encode());
    Buffer reply = TestNode.await(new P2pClient(vertx, "jb").request(a.peerId().toString(), Buffer.buffer("b")));
    assertEquals("java answers b", reply.toString());

    // a js node through the js relay
    JsPeer c = js(new JsonObject().put("relayTransport", true));
    c.call(new JsonObject().put("cmd", "dial").put("addr", circuit.toString()), WAIT);
    JsonObject answer = c.call(new JsonObject().put("cmd", "request").put("peer", a.peerId().toString())
        .put("text", "c"), WAIT);
    assertEquals("java answers c", answer.getString("text"));
    JsonArray open = c.call(new JsonObject().put("cmd", "connections")).getJsonArray("connections");
    assertTrue(open.stream().map(JsonObject.class::cast).anyMatch(o -> o.getString("peerId").equals(a.peerId().toString())
        && o.getString("remoteAddr").contains("/p2p-circuit") && o.getBoolean("limited")), open.encode());
  }

  @Test
  void jsReservesOnAJavaRelayAndJavaAndJsDialItThroughThere() {
    TestNode relay = java("jr", new JsonObject().put("relay", new JsonObject().put("server", true)));
    JsPeer d = js(new JsonObject().put("relays", new JsonArray().add(relay.addr().toString())));
    String circuit = circuitAddr(d);
    assertTrue(circuit.startsWith(relay.addr().toString() + "/p2p-circuit/p2p/" + d.peerId()), circuit);

    // a Java node through the Java relay to the js node (js answers a request with the request)
    java("jb", new JsonObject());
    JsonObject shown = TestNode.await(new P2pClient(vertx, "jb").connect(circuit));
    assertEquals(RelayTransport.NAME, shown.getString("transport"), shown.encode());
    Buffer reply = TestNode.await(new P2pClient(vertx, "jb").request(d.peerId(), Buffer.buffer("from java")));
    assertEquals("from java", reply.toString());

    // a js node through the Java relay to the js node
    JsPeer e = js(new JsonObject().put("relayTransport", true));
    e.call(new JsonObject().put("cmd", "dial").put("addr", circuit), WAIT);
    JsonObject echoed = e.call(new JsonObject().put("cmd", "echo").put("peer", d.peerId()).put("streams", 2)
        .put("bytes", 4096), WAIT);
    assertEquals(2, echoed.getInteger("streams"), echoed.encode());
    JsonArray open = e.call(new JsonObject().put("cmd", "connections")).getJsonArray("connections");
    assertTrue(open.stream().map(JsonObject.class::cast).anyMatch(o -> o.getString("peerId").equals(d.peerId())
        && o.getString("remoteAddr").contains("/p2p-circuit") && o.getBoolean("limited")), open.encode());

    JsonObject server = TestNode.await(new P2pClient(vertx, "jr").status()).getJsonObject("relay")
        .getJsonObject("server");
    assertEquals(1, server.getJsonArray("reservations").size(), server.encode());
    assertTrue(server.getLong("circuitsOpened") >= 2, server.encode());
  }
}
