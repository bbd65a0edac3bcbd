package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.Bus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP API as a malicious web page, a careless client and curl meet it: cross-site
 * state changes and foreign Host names are refused before anything reaches the node; the
 * token guards every API route but the page's files; bodies are bounded as they stream in and
 * never written to disk; connections that do not finish their headers are closed; /events
 * streams are bounded in number and in how far a client may fall behind.
 */
class HttpSecurityTest {
  static final String TOKEN = "s3cret-token-for-the-api-0123456789";
  static Vertx vertx;
  static TestNode open; // the shipped defaults
  static TestNode guarded; // a token, an allowed origin and host, short timeouts, few event clients
  static final AtomicInteger broadcasts = new AtomicInteger();
  static final AtomicInteger requests = new AtomicInteger();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    open = TestNode.start(vertx, new JsonObject().put("busPrefix", "http-open")
        .put("http", new JsonObject().put("port", 0)));
    guarded = TestNode.start(vertx, new JsonObject().put("busPrefix", "http-guarded")
        .put("reqResp", new JsonObject().put("maxRequestSize", 64 * 1024))
        .put("http", new JsonObject().put("port", 0).put("authToken", TOKEN)
            .put("allowedOrigins", new JsonArray().add("http://localhost:3000"))
            .put("allowedHosts", new JsonArray().add("node.example"))
            .put("headerTimeout", 1).put("maxEventClients", 2).put("eventClientQueue", 16 * 1024)));
    vertx.eventBus().addOutboundInterceptor(ctx -> {
      String address = ctx.message().address();
      if (address.equals(Bus.broadcast("http-open")) || address.equals(Bus.broadcast("http-guarded"))) {
        broadcasts.incrementAndGet();
      } else if (address.equals(Bus.request("http-open")) || address.equals(Bus.request("http-guarded"))) {
        requests.incrementAndGet();
      }
      ctx.next();
    });
  }

  @AfterAll
  static void stop() {
    open.close();
    guarded.close();
    TestNode.await(vertx.close());
  }

  private static int port(TestNode node) {
    return node.verticle().httpPort();
  }

  private static RawHttp.Response post(TestNode node, String path, String headers, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return RawHttp.exchange(port(node), "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port(node)
        + (headers.isEmpty() ? "" : "\r\n" + headers) + "\r\nContent-Length: " + b.length, b);
  }

  private static RawHttp.Response get(TestNode node, String path, String headers) throws IOException {
    return RawHttp.exchange(port(node), "GET " + path + " HTTP/1.1" + (headers.contains("Host:") ? "" : "\r\nHost: 127.0.0.1:" + port(node))
        + (headers.isEmpty() ? "" : "\r\n" + headers), null);
  }

  // ---- cross-site requests ----

  @Test
  void crossSitePostsAreRefusedBeforeReachingTheNode() throws Exception {
    int before = broadcasts.get() + requests.get();
    String peer = guarded.peerId().toBase58();
    // what a no-cors fetch or a form sends from another site: no preflight
    for (String headers : new String[] {
        "Origin: http://evil.example\r\nContent-Type: text/plain",
        "Origin: null\r\nContent-Type: text/plain",
        "Sec-Fetch-Site: cross-site\r\nContent-Type: text/plain",
        "Origin: http://localhost:1234\r\nSec-Fetch-Site: same-site\r\nContent-Type: application/x-www-form-urlencoded",
        "Origin: http://evil.example\r\nContent-Type: multipart/form-data; boundary=x"}) {
      RawHttp.Response b = post(open, "/broadcast/block", headers, "hello");
      assertEquals(403, b.status(), headers + ": " + b.body());
      assertEquals("CROSS_SITE_REQUEST", new JsonObject(b.body()).getString("error"));
      RawHttp.Response r = post(open, "/request/" + peer, headers, "hello");
      assertEquals(403, r.status(), headers + ": " + r.body());
    }
    assertEquals(before, broadcasts.get() + requests.get(), "a refused request reached the node");
  }

  @Test
  void theApisOwnPageAndCurlStillPost() throws Exception {
    int before = broadcasts.get();
    // the page itself: its own origin
    RawHttp.Response page = post(open, "/broadcast/block", "Origin: http://127.0.0.1:" + port(open)
        + "\r\nSec-Fetch-Site: same-origin\r\nContent-Type: text/plain", "from the page");
    assertNotEquals(403, page.status(), page.body());
    // curl: neither Origin nor Sec-Fetch-Site
    RawHttp.Response curl = post(open, "/broadcast/block", "Content-Type: application/x-www-form-urlencoded", "from curl");
    assertNotEquals(403, curl.status(), curl.body());
    assertEquals(before + 2, broadcasts.get(), "both reached the node");
  }

  @Test
  void anAllowedOriginMayPostAndGetsCorsAnswers() throws Exception {
    RawHttp.Response pre = RawHttp.exchange(port(guarded), "OPTIONS /broadcast/block HTTP/1.1\r\nHost: 127.0.0.1:" + port(guarded)
        + "\r\nOrigin: http://localhost:3000\r\nAccess-Control-Request-Method: POST", null);
    assertEquals(204, pre.status());
    assertEquals("http://localhost:3000", pre.headers().get("access-control-allow-origin"));
    int before = broadcasts.get();
    RawHttp.Response r = post(guarded, "/broadcast/block", "Origin: http://localhost:3000\r\nSec-Fetch-Site: same-site\r\n"
        + "Authorization: Bearer " + TOKEN, "hello");
    assertNotEquals(403, r.status(), r.body());
    assertEquals("http://localhost:3000", r.headers().get("access-control-allow-origin"));
    assertEquals(before + 1, broadcasts.get());
  }

  // ---- DNS rebinding ----

  @Test
  void aForeignHostNameIsRefused() throws Exception {
    int before = broadcasts.get();
    RawHttp.Response status = get(open, "/status", "Host: rebind.evil.example:" + port(open));
    assertEquals(421, status.status(), status.body());
    assertFalse(status.body().contains(open.peerId().toBase58()), "the refusal must not carry the node's identity");
    RawHttp.Response broadcast = RawHttp.exchange(port(open), "POST /broadcast/block HTTP/1.1\r\nHost: rebind.evil.example\r\n"
        + "Content-Length: 5", "hello".getBytes());
    assertEquals(421, broadcast.status());
    assertEquals(before, broadcasts.get());
    for (String host : new String[] {"127.0.0.1:" + port(open), "localhost:" + port(open), "[::1]:" + port(open),
        "app.localhost"}) {
      assertEquals(200, get(open, "/status", "Host: " + host).status(), host);
    }
    assertEquals(200, get(guarded, "/status", "Host: node.example\r\nAuthorization: Bearer " + TOKEN).status());
    assertEquals(421, get(guarded, "/status", "Host: node.example.evil\r\nAuthorization: Bearer " + TOKEN).status());
  }

  // ---- the token ----

  @Test
  void withATokenEveryApiRouteAsksForItButThePageFilesDoNot() throws Exception {
    for (String path : new String[] {"/status", "/peers", "/healthz", "/events"}) {
      RawHttp.Response r = get(guarded, path, "");
      assertEquals(401, r.status(), path);
      assertTrue(r.headers().getOrDefault("www-authenticate", "").startsWith("Bearer"), path);
      assertEquals(401, get(guarded, path, "Authorization: Bearer not-the-token-at-all").status(), path);
    }
    int before = broadcasts.get();
    assertEquals(401, post(guarded, "/broadcast/block", "", "hello").status());
    assertEquals(before, broadcasts.get());
    RawHttp.Response ok = get(guarded, "/status", "Authorization: Bearer " + TOKEN);
    assertEquals(200, ok.status());
    assertEquals(guarded.peerId().toBase58(), new JsonObject(ok.body()).getString("peerId"));
    for (String path : new String[] {"/", "/app.js", "/style.css"}) {
      assertEquals(200, get(guarded, path, "").status(), path);
    }
  }

  // ---- bodies ----

  @Test
  void aBodyOverTheLimitIsRefusedAtItsDeclaredLengthOrAsItStreams() throws Exception {
    // declared: 60 MiB, nothing sent: the answer comes at once
    RawHttp.Response declared = RawHttp.exchange(port(open), "POST /broadcast/block HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Length: " + (60 << 20), null);
    assertEquals(413, declared.status());
    assertTrue(declared.body().contains("gossipsub.maxMessageSize"), declared.body());
    // streamed in chunks with no length: refused once past the limit (64 KiB on this node)
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port(guarded)));
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /request/" + open.peerId().toBase58() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN
          + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      byte[] chunk = new byte[8192];
      try {
        for (int i = 0; i < 64; i++) { // 512 KiB offered, 8x the limit
          out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.write(chunk);
          out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
      } catch (IOException e) {
        // closed by the node past the limit
      }
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      assertEquals(413, r.status());
      assertTrue(r.body().contains("reqResp.maxRequestSize"), r.body());
    }
  }

  @Test
  void aMultipartUploadIsNeverWrittenToDisk() throws Exception {
    Path uploads = Path.of("file-uploads");
    boolean existed = Files.exists(uploads);
    String boundary = "----tinyp2p";
    String small = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n" + "x".repeat(1000) + "\r\n--" + boundary + "--\r\n";
    RawHttp.Response r = post(open, "/broadcast/block", "Content-Type: multipart/form-data; boundary=" + boundary, small);
    assertNotEquals(413, r.status());
    RawHttp.Response big = post(open, "/broadcast/block", "Content-Type: multipart/form-data; boundary=" + boundary,
        small.replace("x".repeat(1000), "y".repeat(2 << 20)));
    assertEquals(413, big.status());
    assertEquals(existed, Files.exists(uploads), "an upload folder appeared");
  }

  // ---- slow clients ----

  @Test
  void aConnectionThatDoesNotFinishItsHeadersIsClosed() throws Exception {
    long before = httpCounter("headerTimeouts");
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port(guarded)));
      s.setSoTimeout(10_000); // a safety net: headerTimeout is 1 s
      s.getOutputStream().write("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      assertEquals(-1, in.read(), "the node answered instead of closing");
    }
    assertEquals(before + 1, httpCounter("headerTimeouts"));
  }

  @Test
  void eventStreamsAreBoundedInNumberAndInHowFarAClientFallsBehind() throws Exception {
    long dropped = httpCounter("eventClientsDropped");
    try (Socket slow = eventsClient(); Socket second = eventsClient()) {
      // a third is refused: maxEventClients is 2
      RawHttp.Response third = get(guarded, "/events", "Authorization: Bearer " + TOKEN);
      assertEquals(503, third.status(), third.body());
      // the slow client reads nothing while events pile up (the node's own events address,
      // each about 2 KiB): past 16 KiB of backlog, plus what the sockets hold, it is dropped
      JsonObject event = new JsonObject().put("type", "message").put("data", "z".repeat(2000));
      long deadline = System.nanoTime() + 30_000_000_000L;
      int published = 0;
      while (httpCounter("eventClientsDropped") == dropped && System.nanoTime() < deadline && published < 200_000) {
        for (int i = 0; i < 500; i++) {
          vertx.eventBus().publish(Bus.events("http-guarded"), event);
        }
        published += 500;
        drain(second); // the other one keeps reading
      }
      assertTrue(httpCounter("eventClientsDropped") > dropped, "the slow client was never dropped (" + published + " events)");
    }
  }

  private static Socket eventsClient() throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new InetSocketAddress("127.0.0.1", port(guarded)));
    s.setSoTimeout(10_000);
    s.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1));
    byte[] first = new byte[12];
    assertEquals(12, s.getInputStream().readNBytes(first, 0, 12), "no response to /events");
    assertTrue(new String(first, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"));
    return s;
  }

  private static void drain(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    byte[] buf = new byte[65536];
    while (in.available() > 0) {
      if (in.read(buf) < 0) {
        return;
      }
    }
  }

  private static long httpCounter(String name) throws IOException {
    RawHttp.Response r = get(guarded, "/status", "Authorization: Bearer " + TOKEN);
    return new JsonObject(r.body()).getJsonObject("http").getLong(name);
  }
}
