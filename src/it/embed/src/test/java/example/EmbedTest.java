package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tinyp2p.client.P2pClient;
import io.tinyp2p.client.P2pOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The README's embedding example, run as an application that depends on the installed library. */
class EmbedTest {
  Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() throws Exception {
    await(vertx.close());
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void theLibraryBringsNoLauncherClusterManagerOrLogging() {
    for (String absent : new String[] {"com.hazelcast.core.Hazelcast", "io.vertx.launcher.application.VertxApplication",
        "picocli.CommandLine", "ch.qos.logback.classic.Logger", "io.vertx.ext.web.Router",
        "io.micrometer.core.instrument.MeterRegistry"}) {
      assertThrows(ClassNotFoundException.class, () -> Class.forName(absent), absent);
    }
    assertNull(getClass().getClassLoader().getResource("logback.xml"));
  }

  @Test
  void twoNodesRequestAndBroadcast() throws Exception {
    P2pOptions first = new P2pOptions().setAddr("/ip4/127.0.0.1/tcp/0").setBusPrefix("first").addPubsubTopic("news");
    P2pClient a = await(Embed.start(vertx, first));
    JsonObject status = await(a.status());
    String aAddr = status.getJsonArray("listenAddrs").getString(0) + "/p2p/" + status.getString("peerId");
    P2pOptions second = new P2pOptions().setAddr("/ip4/127.0.0.1/tcp/0").setBusPrefix("second").addPubsubTopic("news")
        .addBootNode(aAddr);
    CompletableFuture<String> received = new CompletableFuture<>();
    P2pClient b = await(Embed.start(vertx, second));
    b.onBroadcast("news", msg -> received.complete(msg.body().toString()));

    assertEquals("HELLO", await(b.request(status.getString("peerId"), Buffer.buffer("hello"))).toString());
    await(untilAccepted(() -> a.broadcast("news", Buffer.buffer("breaking")), 100));
    assertEquals("breaking", received.get(30, TimeUnit.SECONDS));
  }

  /** Retries while the node has no peer in the topic yet (gossipsub's subscriptions travel first). */
  Future<JsonObject> untilAccepted(java.util.function.Supplier<Future<JsonObject>> publish, int attempts) {
    Promise<JsonObject> done = Promise.promise();
    publish.get().onSuccess(done::complete).onFailure(e -> {
      if (attempts <= 1) {
        done.fail(e);
      } else {
        vertx.setTimer(100, t -> untilAccepted(publish, attempts - 1).onComplete(done));
      }
    });
    return done.future();
  }
}
