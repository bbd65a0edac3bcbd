package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Responder;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.tls.TestCertificates;
import io.tinyp2p.transport.quic.QuicTransport;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Java ⇄ js-libp2p 3 over QUIC only (js with {@code @chainsafe/libp2p-quic}, quic-v1 with the
 * libp2p TLS certificate): identify, ping, request-response and gossipsub in both directions on
 * a QUIC connection, and a Java certificate that does not prove its key refused by js.
 */
class JsQuicInteropTest {
  static final Duration WAIT = JsTlsInteropTest.WAIT;
  static final String PREFIX = "jquic";

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
    java = TestNode.start(vertx, new JsonObject().put("busPrefix", PREFIX)
        .put("addr", "/ip4/127.0.0.1/udp/0/quic-v1")
        .put("pubsubTopics", new JsonArray().add("block"))
        .put("gossipsub", new JsonObject().put("heartbeatMs", 300)));
    client = new P2pClient(vertx, PREFIX);
    client.handleRequests(Responder::answer);
    js = JsPeer.start(new JsonObject().put("gossipsub", true).put("transports", new JsonArray().add("quic")));
    js.call(new JsonObject().put("cmd", "subscribe").put("topic", "block"), WAIT);
  }

  @AfterEach
  void stop() {
    js.close();
    java.close();
    TestNode.await(vertx.close());
  }

  private Multiaddr jsQuicAddr() {
    return js.addrs().stream().map(Multiaddr::parse).filter(Multiaddr::isQuic).findFirst().orElseThrow();
  }

  private void exercise(boolean javaDials) throws Exception {
    Multiaddr javaAddr = java.addr();
    assertTrue(javaAddr.isQuic(), javaAddr.toString());
    JsTlsInteropTest.exercise(java, client, js, javaDials, jsQuicAddr(), javaAddr, c -> {
      assertEquals(QuicTransport.NAME, c.info().transport());
      assertTrue(c.info().remoteAddress().isQuic(), c.info().remoteAddress().toString());
    }, jsOpen -> assertTrue(jsOpen.getString("remoteAddr").contains("/quic-v1"), jsOpen.encode()));
  }

  @Test
  void javaDialsJs() throws Exception {
    exercise(true);
  }

  @Test
  void jsDialsJava() throws Exception {
    exercise(false);
  }

  @Test
  void kadLookupsAndAGossipChainJsJavaJs() throws Exception {
    JsChain.run(vertx, new JsonObject().put("addr", "/ip4/127.0.0.1/udp/0/quic-v1"),
        new JsonObject().put("transports", new JsonArray().add("quic")), Multiaddr::isQuic);
  }

  private static QuicTransport forgedTransport(Context context, KeyPair identity) {
    QuicTransport.Settings settings = new QuicTransport.Settings(identity, Duration.ofSeconds(10), Duration.ofSeconds(30),
        64, 1 << 20, 4L << 20, 1 << 20, 64L << 20, Duration.ofSeconds(20));
    return new QuicTransport(context, settings, TestCertificates.forged(identity, KeyPair.generate()));
  }

  @Test
  void jsRefusesToDialAJavaListenerWhoseCertificateDoesNotProveItsKey() {
    JsTlsInteropTest.jsRefusesForgedListener(vertx, js, id -> forgedTransport(vertx.getOrCreateContext(), id),
        "/ip4/127.0.0.1/udp/0/quic-v1");
  }

  @Test
  void javaRefusesAJsListenerThatIsNotTheDialedPeer() {
    PeerId someoneElse = KeyPair.generate().peerId();
    RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
        () -> java.onLoop(s -> s.dial(jsQuicAddr().withPeerId(someoneElse))));
    assertTrue(e.getMessage().contains("expected " + someoneElse), e.getMessage());
  }

  @Test
  void jsRefusesAJavaDialerWhoseCertificateDoesNotProveItsKey() throws Exception {
    JsTlsInteropTest.jsRefusesForgedDialer(vertx, js, id -> forgedTransport(vertx.getOrCreateContext(), id), jsQuicAddr());
  }
}
