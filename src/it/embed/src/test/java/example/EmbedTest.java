package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tinyp2p.client.P2pClient;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EmbedTest {
  @Test
  void theLibraryBringsNoLauncherClusterManagerOrLogging() {
    for (String absent : new String[] {"com.hazelcast.core.Hazelcast", "io.vertx.launcher.application.VertxApplication",
        "picocli.CommandLine", "ch.qos.logback.classic.Logger", "io.vertx.ext.web.Router"}) {
      assertThrows(ClassNotFoundException.class, () -> Class.forName(absent), absent);
    }
    assertNull(getClass().getClassLoader().getResource("logback.xml"));
  }

  @Test
  void aNodeStarts() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      P2pClient client = Embed.start(vertx, "app").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(52, client.status().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)
          .getString("peerId").length());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
