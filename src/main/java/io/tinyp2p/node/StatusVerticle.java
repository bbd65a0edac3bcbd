package io.tinyp2p.node;

import io.tinyp2p.client.Bus;
import io.tinyp2p.client.Failure;
import io.tinyp2p.client.P2pClient;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of a node: {@code GET /status}, {@code GET /peers}, {@code GET /healthz},
 * {@code GET /history} (the last 15 minutes, for the page's charts),
 * {@code GET /metrics} (Prometheus),
 * {@code POST /request/<peer>}, {@code POST /broadcast/<topic>}, {@code GET /events}, the DHT
 * ({@code GET|POST /dht/value/<key>}, {@code POST /dht/provide/<key>},
 * {@code GET /dht/providers/<key>}; keys as base64url) and the status page at {@code /}. It talks to the node only through the event bus, like any other
 * client, so it can run anywhere in the cluster.
 *
 * <p>Config: the {@link HttpConfig} keys ({@code host}, {@code port}, {@code allowedOrigins},
 * {@code allowedHosts}, {@code authToken} or {@code authTokenFile}, {@code headerTimeout},
 * {@code idleTimeout}, {@code maxEventClients}, {@code eventClientQueue}) and
 * {@code busPrefix}, {@code maxRequestSize}, {@code maxMessageSize} (the body limits of the
 * two POST routes).
 *
 * <p>What it defends against (see {@link HttpGuard}): web pages driving the API (cross-site
 * POSTs, DNS rebinding), bodies larger than the node would send (refused as they stream in;
 * nothing is ever written to disk), connections that never finish their headers, and
 * {@code /events} clients that do not read.
 */
public class StatusVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(StatusVerticle.class);
  static final Set<String> EXTRA_KEYS = Set.of("busPrefix", "maxRequestSize", "maxMessageSize", "maxValueSize");
  /** Routes that need the token (when one is set); everything else is the page's own files. */
  /** Longest body of {@code POST /connect}: a multiaddr's text. */
  private static final int MAX_MULTIADDR_TEXT = 2048;
  private static final Set<String> API_ROUTES = Set.of("status", "peers", "healthz", "events", "request", "broadcast",
      "connect", "disconnect", "metrics", "history", "dht");
  /** What Prometheus' registry writes: its text exposition format 0.0.4. */
  static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private static final long KEEP_ALIVE_MS = 15_000;

  private HttpConfig config;
  private HttpGuard guard;
  private HttpServer server;
  private P2pClient client;
  private int maxRequestSize;
  private int maxMessageSize;
  private int maxValueSize;
  private final Set<HttpServerResponse> eventClients = new LinkedHashSet<>();
  private final Map<HttpConnection, Long> headerTimers = new WeakHashMap<>();
  private MessageConsumer<JsonObject> events;
  private long keepAliveTimer = -1;
  private final Map<String, Long> counters = new TreeMap<>();

  @Override
  public Future<?> start() {
    try {
      config = HttpConfig.from(config(), "http.", EXTRA_KEYS);
      maxRequestSize = ConfigValues.integer(config(), "maxRequestSize", 1 << 20, 0, Integer.MAX_VALUE, "");
      maxMessageSize = ConfigValues.integer(config(), "maxMessageSize", 1 << 20, 0, Integer.MAX_VALUE, "");
      maxValueSize = ConfigValues.integer(config(), "maxValueSize", 65 * 1024, 0, Integer.MAX_VALUE, "");
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    guard = new HttpGuard(config);
    for (String c : new String[] {"refusedHost", "refusedCrossSite", "unauthorized", "bodyTooLarge", "headerTimeouts",
        "eventClientsRefused", "eventClientsDropped"}) {
      counters.put(c, 0L);
    }
    client = new P2pClient(vertx, config().getString("busPrefix", Bus.DEFAULT_PREFIX), Duration.ofSeconds(30));
    Router router = Router.router(vertx);
    router.route().handler(this::guard);
    router.get("/status").handler(ctx -> reply(ctx, client.status().map(s -> s.put("http", httpStatus()).encode())));
    router.get("/peers").handler(ctx -> reply(ctx, client.peers().map(a -> a.encode())));
    router.get("/history").handler(ctx -> reply(ctx, client.history().map(JsonObject::encode)));
    router.get("/metrics").handler(ctx -> reply(ctx, METRICS_CONTENT_TYPE, client.metrics()));
    router.get("/healthz").handler(ctx -> reply(ctx,
        client.status().map(s -> new JsonObject().put("status", "UP").put("peerId", s.getString("peerId")).encode())));
    router.post("/request/:peerId").handler(ctx -> readBody(ctx, maxRequestSize, "reqResp.maxRequestSize", body ->
        client.request(ctx.pathParam("peerId"), body).onComplete(ar -> {
          if (ar.succeeded()) {
            ctx.response().putHeader("content-type", "application/octet-stream").end(ar.result());
          } else {
            fail(ctx, ar.cause());
          }
        })));
    router.post("/broadcast/:topic").handler(ctx -> readBody(ctx, maxMessageSize, "gossipsub.maxMessageSize", body ->
        reply(ctx, client.broadcast(ctx.pathParam("topic"), body).map(JsonObject::encode))));
    router.post("/connect").handler(ctx -> readBody(ctx, MAX_MULTIADDR_TEXT, "the longest multiaddr", body ->
        reply(ctx, client.connect(body.toString().trim()).map(JsonObject::encode))));
    router.post("/disconnect/:peerId").handler(ctx ->
        reply(ctx, client.disconnect(ctx.pathParam("peerId")).map(JsonObject::encode)));
    dhtRoutes(router);
    router.get("/events").handler(this::events);
    router.get("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    events = vertx.eventBus().consumer(Bus.events(client.prefix()), msg -> fanOut(
        Buffer.buffer("event: " + msg.body().getString("type", "event") + "\ndata: " + msg.body().encode() + "\n\n")));
    keepAliveTimer = vertx.setPeriodic(KEEP_ALIVE_MS, t -> fanOut(Buffer.buffer(": keep-alive\n\n")));
    HttpServerOptions options = new HttpServerOptions()
        .setIdleTimeout((int) config.idleTimeout().toMillis()).setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setHttp2ClearTextEnabled(false); // (its detection holds a connection back until it has sent enough)
    String where = config.host() + ":" + config.port();
    return vertx.createHttpServer(options)
        .connectionHandler(this::onConnection)
        .requestHandler(req -> {
          cancelHeaderTimer(req.connection());
          req.response().endHandler(v -> startHeaderTimer(req.connection())); // the next request's headers
          router.handle(req);
        })
        .listen(config.port(), config.host())
        .recover(e -> Future.failedFuture(new IllegalStateException("HTTP API: cannot listen on " + where + ": "
            + e.getMessage() + " (set http.port to a free port, or \"http\": \"off\")", e)))
        .onSuccess(s -> {
          server = s;
          LOG.info("HTTP status on http://{}:{}/", config.host(), s.actualPort());
          if (!guard.tokenRequired() && !io.tinyp2p.multiaddr.AddressClass.isLoopback(config.host(), true)) {
            LOG.warn("the HTTP API listens on {} without a token: anyone who can reach it can send requests and "
                + "broadcasts in this node's name (set http.authToken or http.authTokenFile)", config.host());
          }
        });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(keepAliveTimer);
    return events == null ? Future.succeededFuture() : events.unregister();
  }


  // ---- the DHT ----

  /**
   * The DHT routes; {@code <key>} is the key's bytes in base64url (padding optional):
   * {@code GET /dht/value/<key>} answers the value's bytes, {@code POST /dht/value/<key>} puts
   * the body as the value ({@code {"peers"}}), {@code POST /dht/provide/<key>} announces that we
   * provide it ({@code {"peers"}}), {@code GET /dht/providers/<key>[?count=n]} lists providers.
   */
  private void dhtRoutes(Router router) {
    router.get("/dht/value/:key").handler(ctx -> withKey(ctx, key -> client.getValue(key).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().putHeader("content-type", "application/octet-stream").end(Buffer.buffer(ar.result()));
      } else {
        fail(ctx, ar.cause());
      }
    })));
    router.post("/dht/value/:key").handler(ctx -> withKey(ctx, key -> readBody(ctx, maxValueSize, "kad.maxValueSize",
        body -> reply(ctx, client.putValue(key, body.getBytes()).map(n -> new JsonObject().put("peers", n).encode())))));
    router.post("/dht/provide/:key").handler(ctx -> withKey(ctx, key ->
        reply(ctx, client.provide(key).map(n -> new JsonObject().put("peers", n).encode()))));
    router.get("/dht/providers/:key").handler(ctx -> withKey(ctx, key -> {
      int count;
      try {
        count = Integer.parseInt(ctx.request().getParam("count", "20"));
      } catch (NumberFormatException e) {
        fail(ctx, Failure.BAD_REQUEST.exception("count must be an integer from 1 to 100"));
        return;
      }
      reply(ctx, client.findProviders(key, count).map(a -> new JsonObject().put("providers", a).encode()));
    }));
  }

  private static void withKey(RoutingContext ctx, Handler<byte[]> then) {
    byte[] key;
    try {
      key = java.util.Base64.getUrlDecoder().decode(ctx.pathParam("key"));
    } catch (IllegalArgumentException e) {
      fail(ctx, Failure.BAD_REQUEST.exception("the key in the path must be base64url: " + e.getMessage()));
      return;
    }
    then.handle(key);
  }

  // ---- the guard ----

  private void guard(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String host = req.getHeader(HttpHeaders.HOST);
    if (!guard.hostAllowed(host)) {
      count("refusedHost");
      refuse(ctx, 421, "MISDIRECTED_REQUEST", "Host " + host + " is not a name of this API (loopback names, IP "
          + "addresses and http.allowedHosts are)");
      return;
    }
    String origin = req.getHeader(HttpHeaders.ORIGIN);
    String allowed = origin == null ? null : guard.allowedOrigin(origin);
    if (allowed != null) {
      ctx.response().putHeader("access-control-allow-origin", allowed).putHeader("vary", "Origin");
      if (req.method().name().equals("OPTIONS") && req.getHeader("access-control-request-method") != null) {
        ctx.response().setStatusCode(204).putHeader("access-control-allow-methods", "GET, POST")
            .putHeader("access-control-allow-headers", "authorization, content-type")
            .putHeader("access-control-max-age", "600").end();
        return;
      }
    }
    String why = guard.crossSite(req.method().name(), origin, req.getHeader("sec-fetch-site"), host);
    if (why != null) {
      count("refusedCrossSite");
      refuse(ctx, 403, "CROSS_SITE_REQUEST", "refused: " + why);
      return;
    }
    if (guard.tokenRequired() && isApiRoute(req.path()) && !guard.authorized(req.getHeader(HttpHeaders.AUTHORIZATION))) {
      count("unauthorized");
      ctx.response().putHeader("www-authenticate", "Bearer realm=\"tinyp2p\"");
      refuse(ctx, 401, "UNAUTHORIZED", "this node's API asks for its token: Authorization: Bearer <http.authToken>");
      return;
    }
    ctx.next();
  }

  private static boolean isApiRoute(String path) {
    if (path == null) {
      return true;
    }
    String p = path.startsWith("/") ? path.substring(1) : path;
    int slash = p.indexOf('/');
    return API_ROUTES.contains(slash < 0 ? p : p.substring(0, slash));
  }

  private static void refuse(RoutingContext ctx, int status, String error, String message) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
        .putHeader("connection", "close")
        .end(new JsonObject().put("error", error).put("code", status).put("message", message).encode());
  }

  // ---- connections: header timeout ----

  private void onConnection(HttpConnection connection) {
    startHeaderTimer(connection);
    connection.closeHandler(v -> cancelHeaderTimer(connection));
  }

  /** From now on, the connection has {@code headerTimeout} to send a request's headers. */
  private void startHeaderTimer(HttpConnection connection) {
    cancelHeaderTimer(connection);
    long id = vertx.setTimer(config.headerTimeout().toMillis(), t -> {
      if (headerTimers.remove(connection) != null) {
        count("headerTimeouts");
        connection.close();
      }
    });
    headerTimers.put(connection, id);
  }

  private void cancelHeaderTimer(HttpConnection connection) {
    Long id = headerTimers.remove(connection);
    if (id != null) {
      vertx.cancelTimer(id);
    }
  }

  // ---- bodies ----

  /**
   * Reads the body up to {@code limit} bytes, then hands it on; a body over the limit (as
   * declared, or as it streams in) is answered 413 and its connection closed, having held at
   * most {@code limit} bytes. Form and multipart bodies are bytes like any other.
   */
  private void readBody(RoutingContext ctx, int limit, String limitKey, Handler<Buffer> then) {
    HttpServerRequest req = ctx.request();
    String declared = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null) {
      long n;
      try {
        n = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        n = Long.MAX_VALUE;
      }
      if (n > limit) {
        tooLarge(ctx, limit, limitKey, n);
        return;
      }
    }
    Buffer body = Buffer.buffer();
    boolean[] refused = {false};
    req.handler(chunk -> {
      if (refused[0]) {
        return;
      }
      if (body.length() + chunk.length() > limit) {
        refused[0] = true;
        tooLarge(ctx, limit, limitKey, -1);
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> {
      if (!refused[0]) {
        then.handle(body);
      }
    });
    req.resume();
  }

  private void tooLarge(RoutingContext ctx, int limit, String limitKey, long declared) {
    count("bodyTooLarge");
    HttpServerResponse response = ctx.response();
    response.setStatusCode(413).putHeader("content-type", "application/json").putHeader("connection", "close")
        .end(new JsonObject().put("error", "PAYLOAD_TOO_LARGE").put("code", 413)
            .put("message", "body " + (declared >= 0 ? "of " + declared + " bytes " : "") + "over the limit of "
                + limit + " bytes (" + limitKey + ")").encode())
        .onComplete(ar -> ctx.request().connection().close());
  }

  // ---- events ----

  /**
   * Server-sent events: every event the node publishes on {@code <prefix>.events} (inbound
   * broadcasts with a preview of their data, peers connecting and leaving), one {@code data:}
   * line of JSON each. A comment line every 15 s keeps proxies from closing an idle stream.
   * A client that falls {@code eventClientQueue} bytes behind is disconnected (a browser
   * reconnects by itself), so slow clients cost bounded memory each, and there are at most
   * {@code maxEventClients} of them.
   */
  private void events(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    if (eventClients.size() >= config.maxEventClients()) {
      count("eventClientsRefused");
      refuse(ctx, 503, "TOO_MANY_EVENT_CLIENTS", eventClients.size() + " /events streams are open, the most "
          + "http.maxEventClients allows");
      return;
    }
    response.setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache")
        .putHeader("connection", "keep-alive");
    response.setWriteQueueMaxSize(config.eventClientQueue());
    response.write(": tinyp2p events\n\n");
    eventClients.add(response);
    response.closeHandler(v -> eventClients.remove(response));
  }

  private void fanOut(Buffer frame) {
    for (HttpServerResponse client : java.util.List.copyOf(eventClients)) {
      if (client.writeQueueFull()) {
        eventClients.remove(client);
        count("eventClientsDropped");
        client.reset(); // it fell too far behind: it reconnects and starts afresh
      } else {
        client.write(frame);
      }
    }
  }

  // ---- replies ----

  private JsonObject httpStatus() {
    JsonObject out = new JsonObject().put("eventClients", eventClients.size());
    counters.forEach(out::put);
    return out;
  }

  private void count(String counter) {
    counters.merge(counter, 1L, Long::sum);
  }

  /** The port the server listens on (useful when configured as 0). */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  private static void reply(RoutingContext ctx, Future<String> json) {
    reply(ctx, "application/json", json);
  }

  private static void reply(RoutingContext ctx, String contentType, Future<String> body) {
    body.onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().putHeader("content-type", contentType).end(ar.result());
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
