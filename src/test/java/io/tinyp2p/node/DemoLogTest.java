package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.Bus;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The demo logs what it receives as a bounded preview with the size, never the whole payload. */
class DemoLogTest {
  @Test
  void aLargeBroadcastIsLoggedAsAPreview() throws Exception {
    Logger demo = (Logger) LoggerFactory.getLogger("tinyp2p.demo");
    java.util.concurrent.CompletableFuture<String> logged = new java.util.concurrent.CompletableFuture<>();
    ch.qos.logback.core.AppenderBase<ILoggingEvent> lines = new ch.qos.logback.core.AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent e) {
        if (e.getFormattedMessage().startsWith("<<<< Inbound broadcast")) {
          logged.complete(e.getFormattedMessage());
        }
      }
    };
    lines.start();
    demo.addAppender(lines);
    Vertx vertx = Vertx.vertx();
    try {
      TestNode.await(vertx.deployVerticle(new DemoVerticle(),
          new DeploymentOptions().setConfig(new JsonObject().put("busPrefix", "demo-log"))));
      byte[] big = "a new block ".repeat(75_000).getBytes(); // 900 000 bytes
      vertx.eventBus().publish(Bus.topic("demo-log", "block"), Buffer.buffer(big),
          new DeliveryOptions().addHeader(Bus.TOPIC, "block"));
      String line = logged.get(10, TimeUnit.SECONDS);
      assertTrue(line.length() < 150, () -> "a line of " + line.length() + " characters: " + line.substring(0, 200));
      assertTrue(line.contains("(900000 bytes)"), line);
    } finally {
      demo.detachAppender(lines);
      TestNode.await(vertx.close());
    }
  }
}
