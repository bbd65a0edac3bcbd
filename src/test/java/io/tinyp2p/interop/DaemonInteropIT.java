package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tinyp2p.Figures;
import io.tinyp2p.swarm.Version;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * libp2p's own interop suite (npm {@code @libp2p/interop}) with the fat jar's daemon mode standing
 * in for its 'go' daemons: {@code interop/js/daemon-suite.mjs} runs the suite's connect, stream,
 * DHT, pubsub and relay tests through the libp2p-daemon control protocol, js-libp2p on the other
 * side, and marks what this node cannot run (with the reason) before mocha runs. This test checks
 * that the run ended by itself with nothing failed and that every acceptance test below passed.
 *
 * <p>Output: {@code target/daemon-interop.log} (the suite's) and {@code target/daemon-<n>.log}
 * (each Java daemon's). {@code -Dtinyp2p.daemonAsJs=true} (or TINYP2P_DAEMON_AS_JS=1 in the
 * environment) makes the 'go' daemons js ones: that proves the harness alone, and the figures say so.
 */
class DaemonInteropIT {
  static final long RUN_TIMEOUT_MINUTES = 15;

  /** The tests that must have run and passed, by mocha's full title (suite title, test title). */
  static final List<String> ACCEPTANCE = List.of(
      "connection.tcp js peer to go peer over tcp",
      "connection.tcp go peer to js peer over tcp",
      "ed25519/noise/yamux echo js sender to go listener",
      "ed25519/noise/yamux echo go sender to js listener",
      "ed25519/tls/yamux echo js sender to go listener",
      "ed25519/tls/yamux echo go sender to js listener",
      "dht.peerRouting js peer to go peer",
      "dht.peerRouting go peer to js peer",
      "dht.peerRouting go peer to go peer",
      // the suite has no go-to-go content routing ("never seems to populate the routing tables")
      "dht.contentRouting js peer to go peer",
      "dht.contentRouting go peer to js peer",
      "dht.contentFetching js peer to go peer",
      "dht.contentFetching go peer to js peer",
      "dht.contentFetching go peer to go peer",
      "pubsub.floodSub js peer to go peer",
      "pubsub.floodSub go peer to js peer",
      "pubsub.floodSub go peer to go peer",
      // circuit relay v2: every trio of a dialer, a listener and a relay with the Java node in it
      "go to go over relay go connects", "go to go over relay go fails to connect without a reservation",
      "go to go over relay js connects", "go to go over relay js fails to connect without a reservation",
      "go to js over relay go connects", "go to js over relay go fails to connect without a reservation",
      "go to js over relay js connects", "go to js over relay js fails to connect without a reservation",
      "js to go over relay go connects", "js to go over relay go fails to connect without a reservation",
      "js to go over relay js connects", "js to go over relay js fails to connect without a reservation",
      "js to js over relay go connects", "js to js over relay go fails to connect without a reservation");

  @Test
  void libp2psInteropSuitePassesWhereThisNodeTakesPart() throws Exception {
    JsPeer.ensureInstalled();
    Path project = JsPeer.projectDir();
    Path target = project.resolve("target");
    Files.createDirectories(target);
    Path jar = target.resolve("tinyp2p-" + Version.VERSION + "-fat.jar").toAbsolutePath();
    assertTrue(Files.isRegularFile(jar), jar + " was not built (the test runs after package)");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java").toAbsolutePath();
    boolean asJs = Boolean.getBoolean("tinyp2p.daemonAsJs") || "1".equals(System.getenv("TINYP2P_DAEMON_AS_JS"));

    Path log = target.resolve("daemon-interop.log");
    ProcessBuilder pb = new ProcessBuilder(System.getProperty("tinyp2p.node", "node"), "daemon-suite.mjs")
        .directory(JsPeer.jsDir().toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("TINYP2P_DAEMON", new JsonArray().add(java.toString()).add("-jar").add(jar.toString()).add("daemon").encode());
    env.put("TINYP2P_DAEMON_LOG_DIR", target.toAbsolutePath().toString());
    // the suite bounds itself a little below our own bound, so that it reports what it has
    env.put("TINYP2P_SUITE_TIMEOUT_MS", Long.toString(TimeUnit.MINUTES.toMillis(RUN_TIMEOUT_MINUTES) - 60_000));
    if (asJs) {
      env.put("TINYP2P_DAEMON_AS_JS", "1");
    } else {
      env.remove("TINYP2P_DAEMON_AS_JS");
    }

    Process suite = pb.start();
    int exit;
    try {
      suite.getOutputStream().close();
      if (!suite.waitFor(RUN_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        fail("the interop suite did not end within " + RUN_TIMEOUT_MINUTES + " minutes; see " + log);
      }
      exit = suite.exitValue();
    } finally {
      // the daemons first (a killed node process cannot stop them any more), then the suite
      suite.descendants().forEach(ProcessHandle::destroyForcibly);
      suite.destroyForcibly();
      suite.waitFor(10, TimeUnit.SECONDS);
    }

    JsonObject summary = null;
    Map<String, JsonObject> tests = new LinkedHashMap<>();
    List<String> notRun = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (line.startsWith("INTEROP-SUMMARY ")) {
        summary = new JsonObject(line.substring("INTEROP-SUMMARY ".length()));
      } else if (line.startsWith("INTEROP-TEST ")) {
        JsonObject t = new JsonObject(line.substring("INTEROP-TEST ".length()));
        tests.put(t.getString("title"), t);
      } else if (line.startsWith("INTEROP-NOT-RUN ")) {
        JsonObject g = new JsonObject(line.substring("INTEROP-NOT-RUN ".length()));
        notRun.add(g.getString("reason") + ": " + g.getInteger("count"));
      }
    }
    assertNotNull(summary, "no INTEROP-SUMMARY line (exit " + exit + "); see " + log + ":\n" + tail(log));

    Figures.report(String.format("libp2p interop suite (@libp2p/interop, daemon protocol, 'go' = %s): "
            + "%d run, %d passed, %d failed, %d not run (%s)",
        asJs ? "js-libp2p, harness check only" : "tinyp2p daemon",
        summary.getInteger("run"), summary.getInteger("passed"), summary.getInteger("failed"),
        summary.getInteger("notRun"), String.join("; ", notRun)));

    List<String> failed = tests.values().stream()
        .filter(t -> "failed".equals(t.getString("state")))
        .map(t -> t.getString("title") + ": " + t.getString("error"))
        .toList();
    assertEquals(List.of(), failed, "failed interop tests; see " + log);
    assertEquals(0, summary.getInteger("failed"), "see " + log);
    assertEquals(0, exit, "daemon-suite.mjs exit code; see " + log);
    List<String> missing = new ArrayList<>();
    for (String title : ACCEPTANCE) {
      JsonObject t = tests.get(title);
      if (t == null || !"passed".equals(t.getString("state"))) {
        missing.add(title + (t == null ? " (absent)" : " (" + t.getString("state") + ")"));
      }
    }
    assertEquals(List.of(), missing, "acceptance tests that did not pass; see " + log);
    assertTrue(summary.getInteger("run") >= ACCEPTANCE.size(), summary.encode());
  }

  private static String tail(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }
}
