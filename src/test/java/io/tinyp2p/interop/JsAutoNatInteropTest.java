package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.autonat.AutoNat;
import io.tinyp2p.protocol.autonat.AutoNatClient;
import io.tinyp2p.protocol.autonat.Reachability;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.protocol.autonat.pb.AutoNatProto.Message;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** AutoNAT v1 with js-libp2p's @libp2p/autonat, both ways, on 127.0.0.1. */
class JsAutoNatInteropTest {
  /** A js peer with @libp2p/autonat (JsPeer installs the js packages when they are missing). */
  final JsPeer js = JsPeer.start(new JsonObject().put("port", 0).put("autonat", true));
  final Vertx vertx = Vertx.vertx();
  TestNode java;

  @AfterEach
  void closeAll() {
    try (js) {
      if (java != null) {
        java.close();
      }
    } finally {
      TestNode.await(vertx.close());
    }
  }

  JsonObject askJava(JsonObject extra) {
    return js.call(new JsonObject().put("cmd", "autonatDial").put("peer", java.peerId().toBase58()).mergeIn(extra));
  }

  /**
   * js asks a Java server with its own DIAL request (js-libp2p's autonat client never asks about
   * loopback addresses, it tests public ones only): its listen address is dialed back, a closed
   * port is a dial error, another IP is refused without a dial, a request for another peer is bad.
   */
  @Test
  void jsAsksJavaServer() throws Exception {
    java = TestNode.start(vertx, new JsonObject().put("autonat", new JsonObject().put("client", false)));
    js.call(new JsonObject().put("cmd", "dial").put("addr", java.addr().toString()));

    JsonObject ok = askJava(new JsonObject());
    assertEquals("OK", ok.getString("status"), ok.encode());
    String jsAddr = js.addrs().get(0).replaceAll("/p2p/[^/]+$", "");
    assertEquals(jsAddr, ok.getString("addr"), ok.encode());

    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    JsonObject error = askJava(new JsonObject().put("addrs", new JsonArray().add("/ip4/127.0.0.1/tcp/" + closed)));
    assertEquals("E_DIAL_ERROR", error.getString("status"), error.encode());

    try (ServerSocketChannel victim = ServerSocketChannel.open()) {
      victim.bind(new InetSocketAddress("127.0.0.2", 0));
      victim.configureBlocking(false);
      int port = ((InetSocketAddress) victim.getLocalAddress()).getPort();
      JsonObject refused = askJava(new JsonObject().put("addrs", new JsonArray().add("/ip4/127.0.0.2/tcp/" + port)));
      assertEquals("E_DIAL_REFUSED", refused.getString("status"), refused.encode());
      assertEquals(null, victim.accept(), "the other IP was never dialed");
    }

    JsonObject bad = askJava(new JsonObject().put("peerIdInRequest", KeyPair.generate().peerId().toBase58()));
    assertEquals("E_BAD_REQUEST", bad.getString("status"), bad.encode());

    var counters = java.onLoop(s -> Future.succeededFuture(java.verticle().node().autoNat().serverCounters()));
    assertEquals(2L, counters.get("dialBacks"), counters.toString());
  }

  /**
   * A Java client asks js-libp2p's server, which takes the request and answers by its own rules:
   * it never dials private or loopback addresses, nor its own host, so on 127.0.0.1 the answer is
   * E_DIAL_REFUSED, which says nothing about our reachability.
   */
  @Test
  void javaClientAsksJsServer() {
    java = TestNode.start(vertx, new JsonObject().put("autonat", new JsonObject().put("client", false)
        .put("server", false)));
    PeerId jsId = PeerId.parse(js.peerId());
    var identified = java.expect(PeerIdentified.class, e -> e.peer().equals(jsId));
    java.onLoop(s -> s.dial(Multiaddr.parse(js.addrs().get(0))));
    assertTrue(TestNode.join(identified).info().supports(AutoNat.PROTOCOL_ID), "js announces autonat");

    AutoNat autoNat = java.verticle().node().autoNat();
    List<AutoNatClient.Answer> answers = java.onLoop(s -> autoNat.probe());
    assertEquals(1, answers.size(), answers.toString());
    AutoNatClient.Answer answer = answers.get(0);
    assertEquals(jsId, answer.server());
    assertEquals(Message.ResponseStatus.E_DIAL_REFUSED, answer.status(), answer.text());
    assertEquals(Reachability.UNKNOWN, java.onLoop(s -> Future.succeededFuture(autoNat.reachability())));
    JsonObject status = java.onLoop(s -> Future.succeededFuture(java.verticle().status())).getJsonObject("autonat");
    assertEquals(1L, status.getJsonObject("client").getLong("refused"), status.encode());
  }
}
