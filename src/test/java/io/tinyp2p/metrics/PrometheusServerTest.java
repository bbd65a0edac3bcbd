package io.tinyp2p.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus server (Debian's {@code prometheus}; .ci/run installs it) scrapes a node's
 * {@code /metrics} every second with the API's bearer token, and its query API then answers
 * with the node's series: the request and the broadcast the test made, and the scrape itself
 * up. Prometheus runs on a free loopback port with its data in a temporary directory, both
 * gone at the end whatever happened.
 */
class PrometheusServerTest {
  static final Path PROMETHEUS = Path.of(System.getenv().getOrDefault("PROMETHEUS", "/usr/bin/prometheus"));
  static final String TOKEN = "prometheus-scrapes-with-this-token";
  static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void prometheusScrapesTheNodeAndAnswersWithItsSeries() throws Exception {
    assertTrue(Files.isExecutable(PROMETHEUS), "Debian's prometheus is needed: apt-get install prometheus (.ci/run does it)");
    Vertx vertx = Vertx.vertx();
    Path dir = Files.createTempDirectory("tinyp2p-prometheus");
    Process prometheus = null;
    try (TestNode a = TestNode.start(vertx, new JsonObject().put("busPrefix", "prom-a")
            .put("pubsubTopics", new JsonArray().add("blocks")).put("gossipsub", new JsonObject().put("heartbeatMs", 200))
            .put("http", new JsonObject().put("port", 0).put("authToken", TOKEN)))) {
      var identified = a.expect(PeerIdentified.class, e -> true);
      try (TestNode b = TestNode.start(vertx, new JsonObject().put("busPrefix", "prom-b").put("bootNode", a.addr().toString())
          .put("pubsubTopics", new JsonArray().add("blocks")).put("gossipsub", new JsonObject().put("heartbeatMs", 200)))) {
        TestNode.join(identified);
        b.awaitMesh("blocks", 1);
        new P2pClient(vertx, "prom-b").handleRequests((peer, request) -> io.vertx.core.Future.succeededFuture(request));
        TestNode.await(new P2pClient(vertx, "prom-a").request(b.peerId().toBase58(), Buffer.buffer("to be scraped")));
        CompletableFuture<Void> got = new CompletableFuture<>();
        new P2pClient(vertx, "prom-a").onBroadcast("blocks", m -> got.complete(null));
        TestNode.await(new P2pClient(vertx, "prom-b").broadcast("blocks", Buffer.buffer("a block")));
        TestNode.join(got);

        int port = freePort();
        Files.writeString(dir.resolve("prometheus.yml"), """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: tinyp2p
                metrics_path: /metrics
                authorization:
                  credentials: %s
                static_configs:
                  - targets: ['127.0.0.1:%d']
            """.formatted(TOKEN, a.verticle().httpPort()));
        prometheus = new ProcessBuilder(PROMETHEUS.toString(),
            "--config.file=" + dir.resolve("prometheus.yml"),
            "--storage.tsdb.path=" + dir.resolve("data"),
            "--web.listen-address=127.0.0.1:" + port,
            "--log.level=warn")
            .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();

        assertEquals(1, awaitValue(port, "up{job=\"tinyp2p\"}", 1, prometheus, dir), "the scrape is up");
        assertEquals(1, awaitValue(port, "tinyp2p_reqresp_outbound_requests_total{outcome=\"ok\"}", 1, prometheus, dir));
        assertEquals(1, awaitValue(port, "tinyp2p_reqresp_request_duration_seconds_count", 1, prometheus, dir));
        assertEquals(1, awaitValue(port, "tinyp2p_gossipsub_messages_delivered_total{topic=\"blocks\"}", 1, prometheus, dir));
        assertEquals(1, awaitValue(port, "sum(tinyp2p_connections_open)", 1, prometheus, dir));
      }
    } finally {
      if (prometheus != null) {
        prometheus.destroy();
        if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
      TestNode.await(vertx.close());
      deleteTree(dir);
    }
  }

  /**
   * Asks Prometheus for {@code query} until it answers with {@code expected} (or {@link #WAIT}
   * passes, or Prometheus exits); returns the last value seen (NaN if none).
   */
  static double awaitValue(int port, String query, double expected, Process prometheus, Path dir) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
        + URLEncoder.encode(query, StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + WAIT.toNanos();
    double last = Double.NaN;
    String answer = "";
    while (System.nanoTime() < deadline) {
      if (!prometheus.isAlive()) {
        throw new AssertionError("prometheus exited with " + prometheus.exitValue() + ":\n"
            + Files.readString(dir.resolve("prometheus.log")));
      }
      try {
        HttpResponse<String> r = Scrape.HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        answer = r.body();
        if (r.statusCode() == 200) {
          JsonArray result = new JsonObject(r.body()).getJsonObject("data").getJsonArray("result");
          if (!result.isEmpty()) {
            last = Double.parseDouble(result.getJsonObject(0).getJsonArray("value").getString(1));
            if (last == expected) {
              return last;
            }
          }
        }
      } catch (IOException e) {
        answer = e.toString(); // not listening yet
      }
      Thread.sleep(200); // Prometheus has no push for "a scrape happened": poll its API
    }
    throw new AssertionError(query + ": no " + expected + " within " + WAIT + "; last answer " + answer
        + "\nprometheus log:\n" + Files.readString(dir.resolve("prometheus.log")));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
