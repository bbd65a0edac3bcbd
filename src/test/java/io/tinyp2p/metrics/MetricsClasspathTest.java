package io.tinyp2p.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.node.NodeMetrics;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The runnable node ({@code io.tinyp2p.Main}, Vert.x's launcher) in a JVM of its own, once with
 * the test classpath (Micrometer there: the launcher turns on Vert.x's Prometheus backend, and
 * {@code /metrics} shows Vert.x's and the JVM's metrics beside the node's) and once with every
 * Micrometer, Prometheus and vertx-micrometer-metrics jar taken out (the node runs;
 * {@code /metrics} answers 501 with the reason, {@code /history} answers as ever).
 */
class MetricsClasspathTest {
  static final String JAVA = ProcessHandle.current().info().command().orElse("java");
  /** Jars of the optional metrics dependencies and what only they bring. */
  static final List<String> METRICS_JARS = List.of("/io/micrometer/", "/io/prometheus/", "/vertx-micrometer-metrics/",
      "/org/hdrhistogram/", "/org/latencyutils/");

  static List<String> testClasspath() {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return Arrays.asList(cp.split(File.pathSeparator));
  }

  @Test
  void withoutMicrometerTheNodeRunsAndMetricsAnswer501() throws Exception {
    List<String> full = testClasspath();
    List<String> lean = full.stream().filter(e -> METRICS_JARS.stream().noneMatch(e.replace('\\', '/')::contains))
        .toList();
    assertTrue(full.stream().anyMatch(e -> e.contains("micrometer-core")), "the test classpath has Micrometer");
    assertFalse(lean.stream().anyMatch(e -> e.contains("micrometer")), lean.toString());
    try (Launched node = Launched.start(lean, "lean")) {
      HttpResponse<String> metrics = node.get("/metrics");
      assertEquals(501, metrics.statusCode(), metrics.body());
      JsonObject error = new JsonObject(metrics.body());
      assertEquals("NOT_IMPLEMENTED", error.getString("error"));
      assertTrue(error.getString("message").endsWith(NodeMetrics.UNAVAILABLE), error.getString("message"));
      assertEquals(1, metrics.body().lines().count());
      HttpResponse<String> status = node.get("/status");
      assertEquals(200, status.statusCode(), status.body());
      assertTrue(new JsonObject(status.body()).containsKey("peerId"));
      HttpResponse<String> history = node.get("/history"); // the page's charts need no Micrometer
      assertEquals(200, history.statusCode(), history.body());
      assertEquals(5000, new JsonObject(history.body()).getLong("intervalMs"));
      assertTrue(new JsonObject(history.body()).getValue("samples") instanceof io.vertx.core.json.JsonArray, history.body());
      assertFalse(node.output().contains("NoClassDefFoundError"), node.output());
      assertFalse(node.output().contains("ClassNotFoundException"), node.output());
    }
  }

  @Test
  void theLauncherTurnsOnVertxsPrometheusBackend() throws Exception {
    try (Launched node = Launched.start(testClasspath(), "full")) {
      HttpResponse<String> metrics = node.get("/metrics");
      assertEquals(200, metrics.statusCode(), metrics.body());
      assertTrue(metrics.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
      Scrape s = new Scrape(200, "", metrics.body(), Scrape.parse(metrics.body()));
      assertEquals(0, s.get("tinyp2p_connections_open", "direction", "inbound", "transport", "tcp"));
      assertTrue(s.series().keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes")), "JVM metrics");
      assertTrue(s.series().keySet().stream().anyMatch(k -> k.startsWith("vertx_")), "Vert.x metrics");
    }
  }

  /** {@code io.tinyp2p.Main -conf ...} on a classpath; its HTTP port is read from its log. */
  static final class Launched implements AutoCloseable {
    private static final Pattern HTTP_UP = Pattern.compile("HTTP status on http://127\\.0\\.0\\.1:(\\d+)/");
    private final Process process;
    private final StringBuilder output = new StringBuilder();
    private final int port;

    private Launched(List<String> classpath, String name) throws Exception {
      String conf = new JsonObject().put("addr", "/ip4/127.0.0.1/tcp/0")
          .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0)).encode();
      process = new ProcessBuilder(JAVA, "-cp", String.join(File.pathSeparator, classpath), "io.tinyp2p.Main",
          "-conf", conf).redirectErrorStream(true).start();
      CompletableFuture<Integer> up = new CompletableFuture<>();
      Thread copier = new Thread(() -> {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
          for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            synchronized (output) {
              output.append(line).append('\n');
            }
            Matcher m = HTTP_UP.matcher(line);
            if (m.find()) {
              up.complete(Integer.parseInt(m.group(1)));
            }
          }
        } catch (IOException e) {
          up.completeExceptionally(e);
        }
        up.completeExceptionally(new IllegalStateException("the node exited before its HTTP API was up:\n" + output()));
      }, "node-output-" + name);
      copier.setDaemon(true);
      copier.start();
      try {
        port = up.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        process.destroyForcibly();
        throw e;
      }
    }

    static Launched start(List<String> classpath, String name) throws Exception {
      return new Launched(classpath, name);
    }

    HttpResponse<String> get(String path) throws Exception {
      return Scrape.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    String output() {
      synchronized (output) {
        return output.toString();
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
