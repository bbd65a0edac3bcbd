package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Responder;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.tls.TestCertificates;
import io.tinyp2p.transport.MuxedConnection;
import io.tinyp2p.transport.Transport;
import io.tinyp2p.transport.Upgrade;
import io.tinyp2p.transport.tcp.TcpTransport;
import io.tinyp2p.yamux.YamuxConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Java ⇄ js-libp2p 3 over {@code /tls/1.0.0} only (js with {@code @libp2p/tls}): identify, ping,
 * request-response and gossipsub in both directions, and a Java certificate that does not prove
 * its key refused by js.
 */
class JsTlsInteropTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String PREFIX = "jtls";

  Vertx vertx;
  TestNode java;
  P2pClient client;
  JsPeer js;

  @BeforeAll
  static void install() {
    JsPeer.ensureInstalled();
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    java = TestNode.start(vertx, new JsonObject().put("busPrefix", PREFIX).put("security", new JsonArray().add("tls"))
        .put("pubsubTopics", new JsonArray().add("block"))
        .put("gossipsub", new JsonObject().put("heartbeatMs", 300)));
    client = new P2pClient(vertx, PREFIX);
    client.handleRequests(Responder::answer);
    js = JsPeer.start(new JsonObject().put("port", 0).put("gossipsub", true).put("security", new JsonArray().add("tls")));
    js.call(new JsonObject().put("cmd", "subscribe").put("topic", "block"), WAIT);
  }

  @AfterEach
  void stop() {
    js.close();
    java.close();
    TestNode.await(vertx.close());
  }

  @Test
  void javaDialsJs() throws Exception {
    exercise(true);
  }

  @Test
  void jsDialsJava() throws Exception {
    exercise(false);
  }

  private void exercise(boolean javaDials) throws Exception {
    exercise(java, client, js, javaDials, Multiaddr.parse(js.addrs().get(0)), java.addr(), c ->
        assertEquals(TcpTransport.TLS, c.info().security()), jsOpen -> {
          assertEquals("/tls/1.0.0", jsOpen.getString("encryption"), jsOpen.encode());
          assertEquals("/yamux/1.0.0", jsOpen.getString("multiplexer"), jsOpen.encode());
        });
  }

  /**
   * One side dials the other at the address given; then identify, ping, request-response and
   * gossipsub run both ways over that connection. {@code connectionCheck} and {@code jsOpenCheck}
   * look at the connection as Java and js see it.
   */
  static void exercise(TestNode java, P2pClient client, JsPeer js, boolean javaDials, Multiaddr jsAddr,
      Multiaddr javaAddr, java.util.function.Consumer<Connection> connectionCheck,
      java.util.function.Consumer<JsonObject> jsOpenCheck) throws Exception {
    PeerId jsId = PeerId.parse(js.peerId());
    String javaId = java.peerId().toBase58();
    var identified = java.expect(PeerIdentified.class, e -> e.peer().equals(jsId));
    var opened = java.expect(SwarmEvent.ConnectionOpened.class, e -> e.peer().equals(jsId));
    if (javaDials) {
      java.onLoop(s -> s.dial(jsAddr));
    } else {
      JsonObject dial = js.call(new JsonObject().put("cmd", "dial").put("addr", javaAddr.toString()), WAIT);
      assertEquals(javaId, dial.getString("peerId"));
    }
    Connection c = TestNode.join(opened).connection();
    connectionCheck.accept(c);
    JsonObject jsOpen = js.awaitEvent(JsPeer.event("connection:open", javaId), WAIT);
    jsOpenCheck.accept(jsOpen);

    // identify both ways
    assertArrayEquals(js.publicKeyProtobuf(), TestNode.join(identified).info().publicKey().marshal());
    JsonObject jsKnows = js.awaitEvent(JsPeer.event("identify", javaId), WAIT);
    assertTrue(jsKnows.getString("agentVersion").startsWith("tinyp2p-jvm/"), jsKnows.encode());

    // ping both ways
    assertTrue(java.<Duration>onLoop(s -> java.verticle().node().ping().ping(jsId)).toNanos() > 0);
    JsonObject jsPing = js.call(new JsonObject().put("cmd", "ping").put("peer", javaId), WAIT);
    assertTrue(jsPing.getNumber("rttMs").doubleValue() >= 0);

    // request-response both ways
    assertEquals("hello js", TestNode.await(client.request(js.peerId(), Buffer.buffer("hello js"))).toString());
    JsonObject answer = js.call(new JsonObject().put("cmd", "request").put("peer", javaId).put("text", "hello java"), WAIT);
    assertEquals("hello java", answer.getString("text"));

    // gossipsub both ways
    java.awaitMesh("block", 1);
    CompletableFuture<String> atJava = new CompletableFuture<>();
    client.onBroadcast("block", m -> {
      if (m.body().toString().equals("from js")) {
        atJava.complete(m.headers().get("from"));
      }
    });
    js.call(new JsonObject().put("cmd", "publish").put("topic", "block").put("text", "from js"), WAIT);
    assertEquals(js.peerId(), atJava.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    int mark = js.events().size();
    JsonObject sent = TestNode.await(client.broadcast("block", Buffer.buffer("from java")));
    assertTrue(sent.getInteger("peers") >= 1, sent.encode());
    JsonObject got = js.awaitEvent(mark, e -> "pubsub:message".equals(e.getString("event"))
        && "from java".equals(JsGossipInteropTest.text(e)), WAIT);
    assertEquals(javaId, got.getString("from"));
  }

  @Test
  void kadLookupsAndAGossipChainJsJavaJs() throws Exception {
    JsChain.run(vertx, new JsonObject().put("security", new JsonArray().add("tls")),
        new JsonObject().put("security", new JsonArray().add("tls")), Multiaddr::isTcp);
  }

  /** A bare TCP transport, TLS only, whose certificate claims {@code identity} but was signed by another key. */
  private static TcpTransport forgedTransport(Context context, KeyPair identity) {
    TcpTransport.Settings settings = new TcpTransport.Settings(identity, Duration.ofSeconds(10), Duration.ofSeconds(5),
        YamuxConfig.defaults(), Duration.ofSeconds(1), Duration.ofSeconds(20), List.of("tls"));
    return new TcpTransport(context, settings, TestCertificates.forged(identity, KeyPair.generate()));
  }

  static <T> T on(Context context, java.util.function.Supplier<Future<T>> action) {
    return TestNode.onContext(context, action);
  }

  @Test
  void jsRefusesToDialAJavaListenerWhoseCertificateDoesNotProveItsKey() {
    jsRefusesForgedListener(vertx, js, id -> forgedTransport(vertx.getOrCreateContext(), id), "/ip4/127.0.0.1/tcp/0");
  }

  @Test
  void jsRefusesAJavaDialerWhoseCertificateDoesNotProveItsKey() throws Exception {
    // TLS 1.3: our handshake completes before js checked our certificate; then js hangs up
    jsRefusesForgedDialer(vertx, js, id -> forgedTransport(vertx.getOrCreateContext(), id),
        Multiaddr.parse(js.addrs().get(0)));
  }

  /**
   * js refuses to dial a Java listener whose certificate claims a key that did not sign it:
   * {@code forged} makes a bare transport (on the current context) with such a certificate for
   * the identity it is given; it listens on {@code listenOn}.
   */
  static void jsRefusesForgedListener(Vertx vertx, JsPeer js, java.util.function.Function<KeyPair, Transport> forged,
      String listenOn) {
    KeyPair bad = KeyPair.generate();
    Context context = vertx.getOrCreateContext();
    Transport transport = on(context, () -> Future.succeededFuture(forged.apply(bad)));
    try {
      Multiaddr addr = on(context, () -> transport.listen(Multiaddr.parse(listenOn), u -> true)).get(0);
      JsPeer.JsPeerException e = assertThrows(JsPeer.JsPeerException.class, () -> js.call(
          new JsonObject().put("cmd", "dial").put("addr", addr.withPeerId(bad.peerId()).toString()), WAIT));
      assertFalse(e.getMessage().isEmpty());
    } finally {
      on(context, transport::close);
    }
  }

  /** js refuses a Java dialer (a bare transport from {@code forged}) whose certificate does not prove its key. */
  static void jsRefusesForgedDialer(Vertx vertx, JsPeer js, java.util.function.Function<KeyPair, Transport> forged,
      Multiaddr jsAddr) throws Exception {
    KeyPair bad = KeyPair.generate();
    Context context = vertx.getOrCreateContext();
    Transport transport = on(context, () -> Future.succeededFuture(forged.apply(bad)));
    try {
      CompletableFuture<Throwable> ended = new CompletableFuture<>();
      context.runOnContext(v -> transport.dial(jsAddr, PeerId.parse(js.peerId()))
          .compose(Upgrade::result).onComplete(ar -> {
            if (ar.failed()) {
              ended.complete(ar.cause());
            } else {
              MuxedConnection connection = ar.result();
              connection.closeHandler(reason -> ended.complete(reason == null ? new Exception("closed") : reason));
            }
          }));
      assertTrue(ended.get(WAIT.toSeconds(), TimeUnit.SECONDS) != null);
      JsonObject connections = js.call(new JsonObject().put("cmd", "connections"), WAIT);
      assertFalse(connections.encode().contains(bad.peerId().toBase58()), connections.encode());
      assertTrue(js.events().stream().noneMatch(e -> "connection:open".equals(e.getString("event"))
          && bad.peerId().toBase58().equals(e.getString("peerId"))), "js opened a connection to the forged peer");
    } finally {
      on(context, transport::close);
    }
  }
}
