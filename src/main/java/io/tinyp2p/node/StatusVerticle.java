package io.tinyp2p.node;

import io.tinyp2p.client.Bus;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pClient;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of a node: {@code GET /status}, {@code GET /peers}, {@code GET /healthz} and
 * the status page at {@code /}. It talks to the node only through the event bus, like any
 * other client, so it can run anywhere in the cluster. Config: {@code host}, {@code port},
 * {@code busPrefix}.
 */
public class StatusVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(StatusVerticle.class);

  private HttpServer server;
  private P2pClient client;

  @Override
  public Future<?> start() {
    String host = config().getString("host", "127.0.0.1");
    int port = config().getInteger("port", 8000);
    client = new P2pClient(vertx, config().getString("busPrefix", "tinyp2p"), Duration.ofSeconds(30));
    Router router = Router.router(vertx);
    router.get("/status").handler(ctx -> reply(ctx, client.status().map(JsonObject::encode)));
    router.get("/peers").handler(ctx -> reply(ctx, client.peers().map(a -> a.encode())));
    router.get("/healthz").handler(ctx -> reply(ctx,
        client.status().map(s -> new JsonObject().put("status", "UP").put("peerId", s.getString("peerId")).encode())));
    router.post("/request/:peerId").handler(BodyHandler.create().setBodyLimit(64L << 20));
    router.post("/request/:peerId").handler(ctx -> client.request(ctx.pathParam("peerId"), ctx.body().buffer() == null
        ? io.vertx.core.buffer.Buffer.buffer() : ctx.body().buffer()).onComplete(ar -> {
          if (ar.succeeded()) {
            ctx.response().putHeader("content-type", "application/octet-stream").end(ar.result());
          } else {
            fail(ctx, ar.cause());
          }
        }));
    router.post("/broadcast/:topic").handler(BodyHandler.create().setBodyLimit(64L << 20));
    router.post("/broadcast/:topic").handler(ctx -> reply(ctx, client.broadcast(ctx.pathParam("topic"),
        ctx.body().buffer() == null ? io.vertx.core.buffer.Buffer.buffer() : ctx.body().buffer()).map(JsonObject::encode)));
    router.get("/events").handler(this::events);
    router.get("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    return vertx.createHttpServer().requestHandler(router).listen(port, host).onSuccess(s -> {
      server = s;
      LOG.info("HTTP status on http://{}:{}/", host, s.actualPort());
    });
  }

  /**
   * Server-sent events: every event the node publishes on {@code <prefix>.events} (inbound
   * broadcasts, peers connecting and leaving), one {@code data:} line of JSON each. A
   * comment line every 15 s keeps proxies from closing an idle stream.
   */
  private void events(RoutingContext ctx) {
    var response = ctx.response();
    response.setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache")
        .putHeader("connection", "keep-alive");
    response.write(": tinyp2p events\n\n");
    var consumer = vertx.eventBus().<JsonObject>consumer(Bus.events(client.prefix()), msg -> {
      if (!response.writeQueueFull()) { // a slow browser loses events rather than our memory
        response.write("event: " + msg.body().getString("type", "event") + "\ndata: " + msg.body().encode() + "\n\n");
      }
    });
    long keepAlive = vertx.setPeriodic(15_000, t -> response.write(": keep-alive\n\n"));
    response.closeHandler(v -> {
      consumer.unregister();
      vertx.cancelTimer(keepAlive);
    });
  }

  /** The port the server listens on (useful when configured as 0). */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  private static void reply(RoutingContext ctx, Future<String> json) {
    json.onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().putHeader("content-type", "application/json").end(ar.result());
      } else {
        fail(ctx, ar.cause());
      }
    });
  }

  /** A failure as HTTP: the code as the status, and {"error", "code", "message"}. */
  private static void fail(RoutingContext ctx, Throwable cause) {
    Failure f = Failure.of(cause);
    ctx.response().setStatusCode(f.code()).putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", f.name()).put("code", f.code())
            .put("message", cause.getMessage()).encode());
  }
}
