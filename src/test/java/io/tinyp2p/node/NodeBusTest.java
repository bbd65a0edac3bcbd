package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.Bus;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The event-bus API and HTTP status of two nodes in one JVM: boot and node1. */
class NodeBusTest {
  static Vertx vertx;
  static TestNode boot;
  static TestNode node1;
  static io.vertx.core.http.HttpClient HTTP;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    HTTP = vertx.createHttpClient();
    boot = TestNode.start(vertx, new JsonObject().put("busPrefix", "boot")
        .put("http", new JsonObject().put("port", 0)));
    var connected = boot.expect(PeerIdentified.class, e -> true);
    node1 = TestNode.start(vertx, new JsonObject().put("busPrefix", "node1")
        .put("bootNode", boot.addr().toString())
        .put("http", new JsonObject().put("port", 0)));
    TestNode.join(connected);
    TestNode.join(node1.whenTable(t -> t.contains(boot.peerId())));
    TestNode.join(boot.whenTable(t -> t.contains(node1.peerId())));
    new P2pClient(vertx, "node1").handleRequests(io.tinyp2p.Responder::answer);
  }

  @AfterAll
  static void stop() {
    node1.close();
    boot.close();
    TestNode.await(vertx.close());
  }

  /** A user verticle that asks the node for its status over the bus. */
  static final class Asker extends VerticleBase {
    final CompletableFuture<JsonObject> status = new CompletableFuture<>();

    @Override
    public Future<?> start() {
      new P2pClient(vertx, "boot").status().compose(st -> new P2pClient(vertx, "boot")
          .request(node1.peerId().toBase58(), Buffer.buffer("from a verticle"))
          .map(r -> st.put("response", r.toString()))).onComplete(ar -> {
        if (ar.succeeded()) {
          status.complete(ar.result());
        } else {
          status.completeExceptionally(ar.cause());
        }
      });
      return Future.succeededFuture();
    }
  }

  @Test
  void statusFromAnotherVerticle() {
    Asker asker = new Asker();
    TestNode.await(vertx.deployVerticle(asker));
    JsonObject status = TestNode.join(asker.status);
    assertEquals(boot.peerId().toBase58(), status.getString("peerId"));
    assertTrue(status.getLong("uptimeMs") >= 0);
    assertTrue(status.getString("version").length() > 0);
    assertEquals("from a verticle", status.getString("response"));
  }

  @Test
  void blockingVariantsFromAWorkerThread() {
    CompletableFuture<JsonArray> peers = new CompletableFuture<>();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        // a worker verticle's start runs on a worker thread: blocking is allowed here
        peers.complete(new P2pClient(vertx, "node1").peersBlocking());
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER));
    JsonArray known = TestNode.join(peers);
    assertTrue(known.stream().map(o -> ((JsonObject) o).getString("peerId")).anyMatch(boot.peerId().toBase58()::equals),
        known.encode());
  }

  @Test
  void blockingVariantsFromAVirtualThreadVerticle() {
    CompletableFuture<JsonObject> status = new CompletableFuture<>();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        status.complete(new P2pClient(vertx, "boot").statusBlocking());
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD));
    assertEquals(boot.peerId().toBase58(), TestNode.join(status).getString("peerId"));
  }

  @Test
  void blockingOnTheEventLoopIsRefused() {
    CompletableFuture<Throwable> error = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      try {
        new P2pClient(vertx, "boot").statusBlocking();
        error.complete(null);
      } catch (Throwable t) {
        error.complete(t);
      }
    });
    assertInstanceOf(IllegalStateException.class, TestNode.join(error));
  }

  @Test
  void eachStatusListsTheOtherUnderConnections() {
    for (TestNode[] pair : new TestNode[][] {{boot, node1}, {node1, boot}}) {
      int port = pair[0].verticle().httpPort();
      JsonObject status = getJson(port, "/status");
      JsonArray connections = status.getJsonArray("connections");
      assertEquals(1, connections.size(), status.encodePrettily());
      JsonObject c = connections.getJsonObject(0);
      assertEquals(pair[1].peerId().toBase58(), c.getString("peerId"));
      assertTrue(c.getString("remoteAddr").startsWith("/ip4/127.0.0.1/tcp/"));
      assertTrue(c.containsKey("openedAt") && c.containsKey("streams") && c.containsKey("direction"));
      assertTrue(status.getJsonArray("knownPeers").encode().contains(pair[1].peerId().toBase58()));
    }
  }

  @Test
  void healthz() {
    int port = boot.verticle().httpPort();
    JsonObject health = getJson(port, "/healthz");
    assertEquals("UP", health.getString("status"));
  }

  @Test
  void malformedRequestsGetFailureCodes() {
    P2pClient client = new P2pClient(vertx, "boot");
    assertCode(Failure.MALFORMED_PEER_ID, () -> TestNode.await(client.request("not-a-peer", Buffer.buffer("x"))));
    assertCode(Failure.BAD_REQUEST, () -> TestNode.await(vertx.eventBus().request(Bus.request("boot"), Buffer.buffer("x"))));
    assertCode(Failure.BAD_REQUEST, () -> TestNode.await(vertx.eventBus().request(Bus.broadcast("boot"),
        Buffer.buffer("x"), new DeliveryOptions())));
    assertCode(Failure.NOT_RUNNING, () -> TestNode.await(new P2pClient(vertx, "nobody").status()));
  }

  /**
   * GET with a 10 s request timeout, asked at most twice: one CI run saw a /healthz request
   * go unanswered (not reproduced since); a second silence still fails the test.
   */
  private static JsonObject getJson(int port, String path) {
    io.vertx.core.http.RequestOptions options = new io.vertx.core.http.RequestOptions()
        .setMethod(io.vertx.core.http.HttpMethod.GET).setPort(port).setHost("127.0.0.1")
        .setURI(path).setIdleTimeout(10_000);
    java.util.function.Supplier<Future<JsonObject>> get = () -> HTTP.request(options)
        .compose(req -> req.send()).compose(resp -> resp.body()).map(Buffer::toJsonObject);
    return TestNode.await(get.get().recover(e -> get.get()));
  }

  private static void assertCode(Failure expected, Runnable call) {
    ReplyException e = assertThrows(ReplyException.class, call::run);
    assertEquals(expected.code(), e.failureCode(), e.getMessage());
  }

}
