package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tinyp2p.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DHT over HTTP: two nodes, one with a token; records put through one are got through the
 * other, providers likewise; bad keys, bad and over-long values and missing records are
 * answered with the failure codes as statuses; cross-site and unauthenticated posts are refused.
 */
class DhtHttpTest {
  static final String TOKEN = "dht-http-test-token-0123456789abcdef";
  static Vertx vertx;
  static TestNode a;
  static TestNode b;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    JsonObject kad = new JsonObject().put("allowedNamespaces", new JsonArray().add("app")).put("maxValueSize", 64);
    a = TestNode.start(vertx, new JsonObject().put("busPrefix", "dht-http-a").put("kad", kad)
        .put("http", new JsonObject().put("port", 0)));
    b = TestNode.start(vertx, new JsonObject().put("busPrefix", "dht-http-b").put("kad", kad)
        .put("bootNode", a.addr().toString())
        .put("http", new JsonObject().put("port", 0).put("authToken", TOKEN)));
    TestNode.join(a.whenTable(t -> t.contains(b.peerId())));
    TestNode.join(b.whenTable(t -> t.contains(a.peerId())));
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
    TestNode.await(vertx.close());
  }

  static String key(String text) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  static RawHttp.Response call(TestNode node, String method, String path, String headers, String body) throws IOException {
    int port = node.verticle().httpPort();
    byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    String auth = node == b ? "\r\nAuthorization: Bearer " + TOKEN : "";
    return RawHttp.exchange(port, method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + auth
        + (headers.isEmpty() ? "" : "\r\n" + headers) + (bytes == null ? "" : "\r\nContent-Length: " + bytes.length), bytes);
  }

  @Test
  void aRecordPutOverHttpIsGotFromTheOtherNode() throws Exception {
    RawHttp.Response put = call(a, "POST", "/dht/value/" + key("/app/greeting"), "", "hello over http");
    assertEquals(200, put.status(), put.body());
    assertEquals(1, new JsonObject(put.body()).getInteger("peers"));
    RawHttp.Response got = call(b, "GET", "/dht/value/" + key("/app/greeting"), "", null);
    assertEquals(200, got.status(), got.body());
    assertEquals("application/octet-stream", got.headers().get("content-type"));
    assertEquals("hello over http", got.body());
    JsonObject dht = new JsonObject(call(b, "GET", "/status", "", null).body()).getJsonObject("dht");
    assertEquals(1, dht.getInteger("records"), dht.encode());
  }

  @Test
  void providersOverHttp() throws Exception {
    byte[] mh = new byte[34];
    mh[0] = 0x12;
    mh[1] = 32;
    mh[10] = 7;
    String k = Base64.getUrlEncoder().withoutPadding().encodeToString(mh);
    RawHttp.Response provide = call(b, "POST", "/dht/provide/" + k, "", "");
    assertEquals(200, provide.status(), provide.body());
    RawHttp.Response found = call(a, "GET", "/dht/providers/" + k + "?count=1", "", null);
    assertEquals(200, found.status(), found.body());
    JsonArray providers = new JsonObject(found.body()).getJsonArray("providers");
    assertEquals(b.peerId().toBase58(), providers.getJsonObject(0).getString("peerId"));
    assertEquals(422, call(a, "GET", "/dht/providers/" + k + "?count=x", "", null).status());
    assertEquals(422, call(a, "GET", "/dht/providers/" + k + "?count=0", "", null).status());
  }

  @Test
  void failuresAreStatuses() throws Exception {
    RawHttp.Response missing = call(a, "GET", "/dht/value/" + key("/app/nobody"), "", null);
    assertEquals(410, missing.status(), missing.body());
    assertEquals("RECORD_NOT_FOUND", new JsonObject(missing.body()).getString("error"));
    assertEquals(422, call(a, "GET", "/dht/value/not*base64", "", null).status());
    RawHttp.Response forged = call(a, "POST", "/dht/value/" + key("/pk/forged"), "", "x");
    assertEquals(422, forged.status(), forged.body());
    assertEquals(422, call(a, "POST", "/dht/value/" + key("/unknown/x"), "", "x").status());
    RawHttp.Response big = call(a, "POST", "/dht/value/" + key("/app/big"), "", "x".repeat(65));
    assertEquals(413, big.status(), big.body());
  }

  @Test
  void crossSiteAndUnauthenticatedPostsAreRefused() throws Exception {
    RawHttp.Response cross = call(a, "POST", "/dht/value/" + key("/app/evil"), "Origin: http://evil.example\r\n"
        + "Content-Type: text/plain", "x");
    assertEquals(403, cross.status(), cross.body());
    int port = b.verticle().httpPort();
    RawHttp.Response noToken = RawHttp.exchange(port, "GET /dht/value/" + key("/app/greeting") + " HTTP/1.1\r\nHost: 127.0.0.1:"
        + port, null);
    assertEquals(401, noToken.status(), noToken.body());
    assertEquals(410, call(a, "GET", "/dht/value/" + key("/app/evil"), "", null).status(), "nothing was stored");
  }
}
