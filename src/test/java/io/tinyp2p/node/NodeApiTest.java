package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.client.P2pOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Nodes started from {@link P2pOptions}; connect, disconnect and peer events on the bus and over HTTP. */
class NodeApiTest {
  static Vertx vertx;
  static HttpClient http;
  static P2pVerticle alice;
  static P2pVerticle bob;
  static P2pClient aliceClient;
  static P2pClient bobClient;

  static P2pOptions options(String prefix) {
    return new P2pOptions().setAddr("/ip4/127.0.0.1/tcp/0").setBusPrefix(prefix).setHttpPort(0)
        .addPubsubTopic("news");
  }

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    P2pOptions a = options("alice");
    P2pOptions b = options("bob");
    alice = new P2pVerticle(a);
    bob = new P2pVerticle(b);
    TestNode.await(vertx.deployVerticle(alice));
    TestNode.await(vertx.deployVerticle(bob));
    aliceClient = P2pClient.create(vertx, a);
    bobClient = P2pClient.create(vertx, b);
  }

  @AfterAll
  static void stop() {
    TestNode.await(vertx.close());
  }

  static String addrOf(P2pVerticle node) {
    return node.node().swarm().listenAddresses().get(0).withPeerId(node.node().peerId()).toString();
  }

  static String idOf(P2pVerticle node) {
    return node.node().peerId().toBase58();
  }

  @Test
  void optionsAreConfJson() {
    P2pOptions o = new P2pOptions().setAddr("/ip4/127.0.0.1/tcp/4001").setSecret("5YA95JZbR8TmwAWxG95QXQRLJ2sQvL8UKrx8gb4UMhhH")
        .addBootNode("/ip4/127.0.0.1/tcp/9000/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN")
        .addPubsubTopic("block").addPubsubTopic("tx").setBusPrefix("app").setDiscoveryInterval(5)
        .setPingInterval(7).setDemo(true).setHttpPort(8123).setHttpHost("127.0.0.1")
        .setReqResp(new JsonObject().put("requestTimeout", 3)).set("gossipsub", new JsonObject().put("D", 8));
    JsonObject json = o.toJson();
    assertEquals(new JsonObject()
        .put("addr", "/ip4/127.0.0.1/tcp/4001")
        .put("secret", "5YA95JZbR8TmwAWxG95QXQRLJ2sQvL8UKrx8gb4UMhhH")
        .put("bootNode", new JsonArray().add("/ip4/127.0.0.1/tcp/9000/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"))
        .put("pubsubTopics", new JsonArray().add("block").add("tx"))
        .put("busPrefix", "app").put("discoveryInterval", 5).put("pingInterval", 7).put("demo", true)
        .put("http", new JsonObject().put("port", 8123).put("host", "127.0.0.1"))
        .put("reqResp", new JsonObject().put("requestTimeout", 3))
        .put("gossipsub", new JsonObject().put("D", 8)), json);
    assertEquals(o, new P2pOptions(json));
    assertEquals(o, new P2pOptions(o));
    assertEquals(List.of("block", "tx"), new P2pOptions(json).getPubsubTopics());
    assertEquals(8123, o.getHttp().getInteger("port"));
    assertFalse(o.toString().contains("5YA95"), "toString shows the secret: " + o);
    // what a node makes of them: the same as conf.json with these keys
    NodeConfig config = NodeConfig.from(json);
    assertEquals("/ip4/127.0.0.1/tcp/4001", config.listenAddrs().get(0).toString());
    assertEquals("app", config.busPrefix());
    assertEquals(3, config.reqResp().requestTimeout().toSeconds());
    assertEquals(8, config.gossipsub().d());
    // TCP and QUIC at once
    P2pOptions both = new P2pOptions().setAddr("/ip4/127.0.0.1/tcp/0").addAddr("/ip4/127.0.0.1/udp/0/quic-v1");
    assertEquals(List.of("/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"), both.getAddrs());
    assertEquals(List.of("quic-v1", "tcp"), NodeConfig.from(both.toJson()).transports());
  }

  @Test
  void badOptionsNameTheKey() {
    Throwable e = assertThrows(RuntimeException.class, () -> TestNode.await(vertx.deployVerticle(
        new P2pVerticle(new P2pOptions().setAddr("/ip4/127.0.0.1/tcp/0").setDiscoveryInterval(0)))));
    assertTrue(e.getMessage().contains("discoveryInterval"), e.getMessage());
    Throwable both = assertThrows(RuntimeException.class, () -> TestNode.await(vertx.deployVerticle(
        new P2pVerticle(options("both")), new DeploymentOptions().setConfig(new JsonObject().put("demo", true)))));
    assertTrue(both.getMessage().contains("P2pOptions and a deployment config"), both.getMessage());
  }

  @Test
  void connectDisconnectAndPeerEvents() {
    CompletableFuture<JsonObject> aliceSawBob = new CompletableFuture<>();
    CompletableFuture<JsonObject> aliceSawBobLeave = new CompletableFuture<>();
    var c1 = aliceClient.onPeerConnected(e -> {
      if (idOf(bob).equals(e.getString("peerId"))) {
        aliceSawBob.complete(e);
      }
    });
    var c2 = aliceClient.onPeerDisconnected(e -> {
      if (idOf(bob).equals(e.getString("peerId"))) {
        aliceSawBobLeave.complete(e);
      }
    });
    try {
      JsonObject connection = TestNode.await(bobClient.connect(addrOf(alice)));
      assertEquals(idOf(alice), connection.getString("peerId"));
      assertEquals("outbound", connection.getString("direction"));
      assertEquals("peer:connect", TestNode.join(aliceSawBob).getString("type"));
      assertTrue(bob.node().swarm().isConnected(alice.node().peerId()));

      JsonObject closed = TestNode.await(bobClient.disconnect(idOf(alice)));
      assertEquals(idOf(alice), closed.getString("peerId"));
      assertTrue(closed.getInteger("closed") >= 1, closed.encode());
      assertEquals("peer:disconnect", TestNode.join(aliceSawBobLeave).getString("type"));
      assertEquals(0, TestNode.await(bobClient.disconnect(idOf(alice))).getInteger("closed"));
    } finally {
      c1.unregister();
      c2.unregister();
    }
  }

  @Test
  void connectFailuresHaveCodes() throws Exception {
    assertEquals(Failure.BAD_REQUEST, failure(bobClient.connect("not a multiaddr")));
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    assertEquals(Failure.DIAL_FAILED, failure(bobClient.connect("/ip4/127.0.0.1/tcp/" + closedPort)));
    assertEquals(Failure.MALFORMED_PEER_ID, failure(bobClient.disconnect("12D3nope")));
  }

  @Test
  void connectAndDisconnectOverHttp() {
    JsonObject connection = new JsonObject(post("/connect", addrOf(bob), alice.httpPort(), 200));
    assertEquals(idOf(bob), connection.getString("peerId"));
    JsonObject closed = new JsonObject(post("/disconnect/" + idOf(bob), "", alice.httpPort(), 200));
    assertEquals(idOf(bob), closed.getString("peerId"));
    JsonObject refused = new JsonObject(post("/connect", "/ip4/nowhere", alice.httpPort(), 422));
    assertEquals("BAD_REQUEST", refused.getString("error"), refused.encode());
  }

  static Failure failure(io.vertx.core.Future<?> call) {
    Throwable e = assertThrows(RuntimeException.class, () -> TestNode.await(call));
    Throwable cause = e instanceof TestNode.NodeFailure ? e.getCause() : e;
    return Failure.of(assertInstanceOf(io.vertx.core.eventbus.ReplyException.class, cause));
  }

  static String post(String path, String body, int port, int expectedStatus) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI(path);
    return TestNode.await(http.request(options).compose(req -> req.send(Buffer.buffer(body))).compose(resp -> {
      assertEquals(expectedStatus, resp.statusCode(), path);
      return resp.body();
    })).toString();
  }
}
