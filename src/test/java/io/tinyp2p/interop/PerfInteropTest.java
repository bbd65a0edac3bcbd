package io.tinyp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A js-libp2p perf client (interop/js/bench/perf-client.mjs) measures against our /perf/1.0.0 server. */
class PerfInteropTest {

  @Test
  void jsClientMeasuresAgainstOurServer() throws Exception {
    JsPeer.ensureInstalled();
    Vertx vertx = Vertx.vertx();
    try (TestNode java = TestNode.start(vertx)) {
      long up = 8L << 20;
      long down = 16L << 20;
      Process client = new ProcessBuilder("node", "--import", "../polyfill.mjs", "perf-client.mjs",
          java.addr().toString(), Long.toString(up), Long.toString(down))
          .directory(JsPeer.jsDir().resolve("bench").toFile())
          .redirectError(Path.of("target/perf-client.log").toAbsolutePath().toFile())
          .start();
      String out = new String(client.getInputStream().readAllBytes()).trim();
      assertTrue(client.waitFor(120, TimeUnit.SECONDS));
      List<String> lines = out.lines().toList();
      JsonObject result = new JsonObject(lines.get(lines.size() - 1));
      assertEquals(0, client.exitValue(), out);
      assertTrue(result.getBoolean("ok"), out);
      assertEquals(up, result.getLong("uploadBytes"));
      assertEquals(down, result.getLong("downloadBytes"));
      assertTrue(result.getDouble("uploadMBps") > 0 && result.getDouble("downloadMBps") > 0, out);
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
