package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Responder;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /tinyp2p/req-resp/1.0.0 between Java and the js harness, both directions. */
class JsRequestResponseTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static Vertx vertx;
  static TestNode java;
  static JsPeer js;
  static P2pClient client;

  @BeforeAll
  static void start() {
    JsPeer.ensureInstalled();
    vertx = Vertx.vertx();
    java = TestNode.start(vertx, new JsonObject().put("busPrefix", "jrr")
        .put("reqResp", new JsonObject().put("requestTimeout", 2).put("maxRequestSize", 4096).put("maxResponseSize", 4096)));
    client = new P2pClient(vertx, "jrr");
    client.handleRequests(Responder::answer);
    js = JsPeer.start(new JsonObject().put("port", 0));
    java.onLoop(s -> s.dial(Multiaddr.parse(js.addrs().get(0))));
  }

  @AfterAll
  static void stop() {
    js.close();
    java.close();
    TestNode.await(vertx.close());
  }

  private static void assertFailure(Failure expected, Supplier<Future<?>> call) {
    ReplyException e = assertThrows(ReplyException.class, () -> TestNode.await(call.get()));
    assertEquals(expected.code(), e.failureCode(), e.getMessage());
  }

  @Test
  void javaAsksJs() {
    String peer = js.peerId();
    assertEquals("hello js", TestNode.await(client.request(peer, Buffer.buffer("hello js"))).toString());
    assertFailure(Failure.REMOTE_ERROR, () -> client.request(peer, Buffer.buffer("fail")));
    long start = System.nanoTime();
    assertFailure(Failure.TIMEOUT, () -> client.request(peer, Buffer.buffer("never")));
    assertTrue((System.nanoTime() - start) / 1_000_000 < 3000);
    assertFailure(Failure.REQUEST_TOO_LARGE, () -> client.request(peer, Buffer.buffer(new byte[4097])));
    assertFailure(Failure.RESPONSE_TOO_LARGE, () -> client.request(peer, Buffer.buffer("big:100000")));
    assertEquals(4096, TestNode.await(client.request(peer, Buffer.buffer("big:4096"))).length());
  }

  @Test
  void jsAsksJava() {
    String peer = java.peerId().toBase58();
    JsonObject ok = js.call(new JsonObject().put("cmd", "request").put("peer", peer).put("text", "hello java"), WAIT);
    assertEquals("hello java", ok.getString("text"));
    assertJsError("RemoteError", new JsonObject().put("text", "fail"));
    assertJsError("Timeout", new JsonObject().put("text", "never").put("timeoutMs", 1000));
    assertJsError("ResponseTooLarge", new JsonObject().put("text", "big:3000").put("maxResponseSize", 1000));
  }

  private static void assertJsError(String name, JsonObject request) {
    JsPeer.JsPeerException e = assertThrows(JsPeer.JsPeerException.class, () -> js.call(
        request.put("cmd", "request").put("peer", java.peerId().toBase58()), WAIT));
    assertTrue(e.getMessage().contains(name), e.getMessage());
  }
}
