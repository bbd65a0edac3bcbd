package io.tinyp2p.protocol.reqresp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Responder;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.KeyPair;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Request-response between two Java nodes through the event bus and HTTP. */
class RequestResponseTest {
  static final int TIMEOUT_S = 2;
  static Vertx vertx;
  static TestNode a;
  static TestNode b;
  static P2pClient clientA;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    JsonObject reqResp = new JsonObject().put("requestTimeout", TIMEOUT_S)
        .put("maxRequestSize", 64 * 1024).put("maxResponseSize", 64 * 1024);
    a = TestNode.start(vertx, new JsonObject().put("busPrefix", "rr-a").put("reqResp", reqResp)
        .put("http", new JsonObject().put("port", 0)));
    // b waits longer for its application than a waits for b: a's timeout is what a sees
    b = TestNode.start(vertx, new JsonObject().put("busPrefix", "rr-b")
        .put("reqResp", reqResp.copy().put("requestTimeout", 2 * TIMEOUT_S)));
    new P2pClient(vertx, "rr-b").handleRequests(Responder::answer);
    new P2pClient(vertx, "rr-a").handleRequests(Responder::answer);
    a.onLoop(s -> s.dial(b.addr()));
    clientA = new P2pClient(vertx, "rr-a");
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
    TestNode.await(vertx.close());
  }

  private static void assertFailure(Failure expected, Supplier<Future<?>> call) {
    ReplyException e = assertThrows(ReplyException.class, () -> TestNode.await(call.get()));
    assertEquals(expected.code(), e.failureCode(), e.getMessage());
  }

  @Test
  void echoBothWays() {
    assertEquals("hello b", TestNode.await(clientA.request(b.peerId().toBase58(), Buffer.buffer("hello b"))).toString());
    P2pClient clientB = new P2pClient(vertx, "rr-b");
    assertEquals("hello a", TestNode.await(clientB.request(a.peerId().toBase58(), Buffer.buffer("hello a"))).toString());
  }

  @Test
  void errorResponseIsARemoteError() {
    assertFailure(Failure.REMOTE_ERROR, () -> clientA.request(b.peerId().toBase58(), Buffer.buffer("fail")));
  }

  @Test
  void silentResponderTimesOutWithinTheRequestTimeout() {
    long start = System.nanoTime();
    assertFailure(Failure.TIMEOUT, () -> clientA.request(b.peerId().toBase58(), Buffer.buffer("never")));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms < TIMEOUT_S * 1000 + 1000, "took " + ms + " ms");
  }

  @Test
  void tooLargeRequestFailsBeforeSending() {
    long inboundBefore = b.onLoop(s -> Future.succeededFuture(b.verticle().node().requestResponse().stats().inbound()));
    assertFailure(Failure.REQUEST_TOO_LARGE, () -> clientA.request(b.peerId().toBase58(), Buffer.buffer(new byte[64 * 1024 + 1])));
    long inboundAfter = b.onLoop(s -> Future.succeededFuture(b.verticle().node().requestResponse().stats().inbound()));
    assertEquals(inboundBefore, inboundAfter);
  }

  @Test
  void tooLargeResponseFails() {
    assertFailure(Failure.RESPONSE_TOO_LARGE, () -> clientA.request(b.peerId().toBase58(), Buffer.buffer("big:" + (64 * 1024 + 1))));
    assertEquals(64 * 1024, TestNode.await(clientA.request(b.peerId().toBase58(), Buffer.buffer("big:" + 64 * 1024))).length());
  }

  @Test
  void malformedAndUnknownPeers() {
    assertFailure(Failure.MALFORMED_PEER_ID, () -> clientA.request("12D3KooWnope", Buffer.buffer("x")));
    assertFailure(Failure.PEER_NOT_FOUND, () -> clientA.request(KeyPair.generate().peerId().toBase58(), Buffer.buffer("x")));
  }

  @Test
  void tenThousandRequestsWith64InFlight() {
    int total = 10_000;
    CompletableFuture<Integer> done = new CompletableFuture<>();
    vertx.runOnContext(v -> new Object() {
      int sent;
      int ok;
      int finished;

      void next() {
        if (sent >= total) {
          return;
        }
        int i = sent++;
        byte[] payload = new byte[100];
        new java.util.Random(i).nextBytes(payload);
        clientA.request(b.peerId().toBase58(), Buffer.buffer(payload)).onComplete(ar -> {
          if (ar.succeeded() && java.util.Arrays.equals(payload, ar.result().getBytes())) {
            ok++;
          }
          if (++finished == total) {
            done.complete(ok);
          }
          next();
        });
      }

      void start() {
        for (int i = 0; i < 64; i++) {
          next();
        }
      }
    }.start());
    assertEquals(total, (int) TestNode.join(done));
  }

  @Test
  void fromAWorkerThreadWithTheBlockingVariant() {
    CompletableFuture<Buffer> response = new CompletableFuture<>();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        response.complete(new P2pClient(vertx, "rr-a").requestBlocking(b.peerId().toBase58(), Buffer.buffer("worker")));
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER));
    assertEquals("worker", TestNode.join(response).toString());
  }

  @Test
  void httpEndpoint() {
    int port = a.verticle().httpPort();
    record Reply(int status, Buffer body) {}
    java.util.function.BiFunction<String, Buffer, Reply> post = (path, body) -> TestNode.await(
        vertx.createHttpClient().request(HttpMethod.POST, port, "127.0.0.1", path)
            .compose(req -> req.send(body))
            .compose(resp -> resp.body().map(bytes -> new Reply(resp.statusCode(), bytes))));
    Reply ok = post.apply("/request/" + b.peerId(), Buffer.buffer("over http"));
    assertEquals(200, ok.status());
    assertEquals("over http", ok.body().toString());
    Reply failed = post.apply("/request/" + b.peerId(), Buffer.buffer("fail"));
    assertEquals(424, failed.status());
    assertEquals("REMOTE_ERROR", failed.body().toJsonObject().getString("error"));
    Reply malformed = post.apply("/request/nonsense", Buffer.buffer("x"));
    assertEquals(400, malformed.status());
    assertEquals(Failure.MALFORMED_PEER_ID.code(), malformed.body().toJsonObject().getInteger("code"));
  }

  @Test
  void countersShowInStatus() {
    TestNode.await(clientA.request(b.peerId().toBase58(), Buffer.buffer("count me")));
    JsonObject requests = TestNode.await(clientA.status()).getJsonObject("requests");
    assertTrue(requests.getLong("outbound") >= 1, requests.encode());
    assertTrue(requests.getJsonObject("latencyMs").getInteger("samples") >= 1, requests.encode());
  }

}
