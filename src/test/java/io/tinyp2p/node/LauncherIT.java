package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The fat jar as users start it: a separate JVM with a config file; /status answers; SIGTERM
 * stops it cleanly and frees its ports. Also the keygen and peer-id commands.
 */
class LauncherIT {
  static final Path JAR = Path.of("target/tinyp2p-0.1.0-SNAPSHOT-fat.jar");
  static final String JAVA = ProcessHandle.current().info().command().orElse("java");

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void startsFromAConfigAnswersStatusAndStopsOnSigterm() throws Exception {
    int p2p = freePort();
    int http = freePort();
    KeyPair key = KeyPair.generate();
    Path conf = Files.createTempFile("tinyp2p-launcher", ".json");
    Files.writeString(conf, new JsonObject()
        .put("addr", "/ip4/127.0.0.1/tcp/" + p2p)
        .put("secret", key.secret())
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", http))
        .encode());
    Path log = Path.of("target/launcher-it.log");
    Process process = new ProcessBuilder(JAVA, "-jar", JAR.toString(), "-conf", conf.toString())
        .redirectErrorStream(true).start();
    CompletableFuture<Void> httpUp = new CompletableFuture<>();
    Thread copier = copyOutput(process, log, httpUp);
    try {
      httpUp.get(60, TimeUnit.SECONDS);
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/status"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      JsonObject status = new JsonObject(r.body());
      assertEquals(key.peerId().toBase58(), status.getString("peerId"));
      assertEquals("/ip4/127.0.0.1/tcp/" + p2p, status.getJsonArray("listenAddrs").getString(0));

      process.destroy(); // SIGTERM
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "did not stop on SIGTERM");
      copier.join(10_000);
      for (int port : List.of(p2p, http)) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
          assertEquals(port, s.getLocalPort());
        }
      }
      String output = Files.readString(log);
      assertTrue(output.contains("Local peer id: " + key.peerId()), output);
      assertTrue(output.contains("P2P node listening on /ip4/127.0.0.1/tcp/" + p2p), output);
    } finally {
      process.destroyForcibly();
      Files.deleteIfExists(conf);
    }
  }

  @Test
  void keygenAndPeerId() throws Exception {
    JsonObject key = new JsonObject(run("keygen").trim());
    assertEquals(key.getString("peerId"), run("peer-id", key.getString("secret")).trim());
    Process bad = new ProcessBuilder(JAVA, "-jar", JAR.toString(), "peer-id", "0OIl").redirectErrorStream(true).start();
    String out = new String(bad.getInputStream().readAllBytes());
    assertTrue(bad.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, bad.exitValue());
    assertEquals(1, out.trim().lines().count(), out);
    assertTrue(out.contains("invalid base58 character"), out);
  }

  /** A config the launcher cannot use stops it at once, with the path and what is wrong. */
  @Test
  void aMissingOrBrokenConfigStopsWithItsPath() throws Exception {
    Path missing = Path.of("target/no-such-conf.json").toAbsolutePath();
    Exited gone = start("-conf", missing.toString());
    assertEquals(2, gone.code(), gone.output());
    assertTrue(gone.output().contains(missing + " not found"), gone.output());
    Path broken = Files.createTempFile("tinyp2p-broken", ".json");
    try {
      Files.writeString(broken, "{\"addr\": \"/ip4/127.0.0.1/tcp/0\",\n");
      Exited bad = start("-conf", broken.toString());
      assertEquals(2, bad.code(), bad.output());
      assertTrue(bad.output().contains(broken + " is not valid JSON"), bad.output());
      assertFalse(bad.output().contains("listening"), "a node started anyway: " + bad.output());
    } finally {
      Files.deleteIfExists(broken);
    }
  }

  /** A port in use: the error names the listener and its address. */
  @Test
  void aBindFailureNamesTheListenerAndTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Exited p2p = start("-conf", new JsonObject().put("addr", "/ip4/127.0.0.1/tcp/" + port).put("http", "off").encode());
      assertNotEquals(0, p2p.code(), p2p.output());
      assertTrue(p2p.output().contains("P2P listener: cannot listen on /ip4/127.0.0.1/tcp/" + port), p2p.output());
      Exited http = start("-conf", new JsonObject().put("addr", "/ip4/127.0.0.1/tcp/0")
          .put("http", new JsonObject().put("port", port)).encode());
      assertNotEquals(0, http.code(), http.output());
      assertTrue(http.output().contains("HTTP API: cannot listen on 127.0.0.1:" + port), http.output());
    }
  }

  /** Copies the node's output to {@code log}; {@code httpUp} completes when its HTTP server is up. */
  private static Thread copyOutput(Process process, Path log, CompletableFuture<Void> httpUp) {
    Thread copier = new Thread(() -> {
      try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream()));
           var out = Files.newBufferedWriter(log)) {
        String line;
        while ((line = lines.readLine()) != null) {
          out.write(line);
          out.newLine();
          out.flush();
          if (line.contains("HTTP status on http://")) {
            httpUp.complete(null);
          }
        }
      } catch (IOException e) {
        httpUp.completeExceptionally(e);
      }
      httpUp.completeExceptionally(new IllegalStateException("node exited before its HTTP server was up"));
    });
    copier.start();
    return copier;
  }

  @Test
  void theEnvironmentOverridesTheConfigFile() throws Exception {
    int p2p = freePort();
    int http = freePort();
    Path conf = Files.createTempFile("tinyp2p-launcher-env", ".json");
    Files.writeString(conf, new JsonObject().put("addr", "/ip4/127.0.0.1/tcp/1").put("busPrefix", "fromfile")
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 1)).encode());
    ProcessBuilder pb = new ProcessBuilder(JAVA, "-jar", JAR.toString(), "-conf", conf.toString()).redirectErrorStream(true);
    pb.environment().put("TINYP2P_ADDR", "/ip4/127.0.0.1/tcp/" + p2p);
    pb.environment().put("TINYP2P_HTTP_PORT", String.valueOf(http));
    pb.environment().put("TINYP2P_PUBSUB_TOPICS", "from-env-1,from-env-2");
    Process process = pb.start();
    CompletableFuture<Void> httpUp = new CompletableFuture<>();
    Thread copier = copyOutput(process, Path.of("target/launcher-env-it.log"), httpUp);
    try {
      httpUp.get(60, TimeUnit.SECONDS);
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      JsonObject status = new JsonObject(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
          + "/status")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body());
      assertEquals("/ip4/127.0.0.1/tcp/" + p2p, status.getJsonArray("listenAddrs").getString(0));
      assertEquals(List.of("from-env-1", "from-env-2"), status.getJsonArray("topics").getList().stream().sorted().toList());
    } finally {
      process.destroy();
      process.waitFor(30, TimeUnit.SECONDS);
      process.destroyForcibly();
      copier.join(10_000);
      Files.deleteIfExists(conf);
    }
    ProcessBuilder bad = new ProcessBuilder(JAVA, "-jar", JAR.toString()).redirectErrorStream(true);
    bad.environment().put("TINYP2P_LIMITS_MAX_CONNECTIONS", "-3");
    Process p = bad.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "did not exit: " + out);
    assertEquals(2, p.exitValue(), out);
    assertTrue(out.contains("TINYP2P_LIMITS_MAX_CONNECTIONS") && out.contains("limits.maxConnections"), out);
  }

  private record Exited(int code, String output) {}

  private static Exited start(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(JAVA, "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "did not exit: " + out);
    return new Exited(p.exitValue(), out);
  }

  private static String run(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(JAVA, "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    return out;
  }
}
