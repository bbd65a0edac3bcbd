package io.tinyp2p.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * A typed facade over a node's event-bus API. Works from any verticle or thread, in the
 * node's JVM or on another node of a clustered Vert.x. Failures are
 * {@link ReplyException}s whose {@code failureCode()} is one of {@link Failure}; a missing node
 * shows as {@link Failure#NOT_RUNNING}.
 *
 * <p>The {@code ...Blocking} variants wait for the reply; call them from worker or virtual
 * threads, never from an event loop (they throw {@link IllegalStateException} there).
 */
public final class P2pClient {
  private final Vertx vertx;
  private final String prefix;
  private final Duration timeout;
  private volatile Context replyContext;

  public P2pClient(Vertx vertx) {
    this(vertx, Bus.DEFAULT_PREFIX);
  }

  public P2pClient(Vertx vertx, String prefix) {
    this(vertx, prefix, Duration.ofSeconds(60));
  }

  /** @param timeout how long to wait for any reply (the node enforces its own request timeout) */
  public P2pClient(Vertx vertx, String prefix, Duration timeout) {
    this.vertx = vertx;
    this.prefix = prefix;
    this.timeout = timeout;
  }

  /** A client of the node on the default prefix. */
  public static P2pClient create(Vertx vertx) {
    return new P2pClient(vertx);
  }

  /**
   * A client of the node that runs with these options: their {@code busPrefix}, and a reply
   * timeout that outlasts their {@code reqResp.requestTimeout}.
   */
  public static P2pClient create(Vertx vertx, P2pOptions options) {
    long requestTimeout = options.getReqResp().getValue("requestTimeout") instanceof Number n ? n.longValue() : 10;
    return new P2pClient(vertx, options.getBusPrefix(), Duration.ofSeconds(Math.max(60, requestTimeout + 10)));
  }

  public String prefix() {
    return prefix;
  }

  /** The node's status, as {@code GET /status} shows it. */
  public Future<JsonObject> status() {
    return call(Bus.status(prefix), null, options()).map(m -> (JsonObject) m.body());
  }

  /**
   * The node's last 15 minutes, as {@code GET /history} shows them: {@code {"intervalMs",
   * "windowMs", "samples": [...]}} (see the README).
   */
  public Future<JsonObject> history() {
    return call(Bus.history(prefix), null, options()).map(m -> (JsonObject) m.body());
  }

  /**
   * The node's metrics in the Prometheus text format 0.0.4, as {@code GET /metrics} shows them;
   * fails with {@link Failure#NOT_IMPLEMENTED} when the node runs without Micrometer.
   */
  public Future<String> metrics() {
    return call(Bus.metrics(prefix), null, options()).map(m -> (String) m.body());
  }

  /** The peers the node knows, with their addresses. */
  public Future<JsonArray> peers() {
    return call(Bus.peers(prefix), null, options()).map(m -> (JsonArray) m.body());
  }

  /** Sends a request to a peer and completes with its response. */
  public Future<Buffer> request(String peerId, Buffer payload) {
    return call(Bus.request(prefix), payload, options().addHeader(Bus.PEER, peerId))
        .map(m -> (Buffer) m.body());
  }

  /** Publishes on a topic; completes with {@code {"id": ..., "peers": n}}. */
  public Future<JsonObject> broadcast(String topic, Buffer payload) {
    return call(Bus.broadcast(prefix), payload, options().addHeader(Bus.TOPIC, topic))
        .map(m -> (JsonObject) m.body());
  }

  /**
   * Connects to a multiaddr ({@code /ip4/.../tcp/...}, with {@code /p2p/<peer>} to insist on
   * that peer); completes with the connection ({@code peerId}, {@code remoteAddr},
   * {@code direction}, {@code openedAt}, {@code streams}), an open one if there is one.
   */
  public Future<JsonObject> connect(String multiaddr) {
    return call(Bus.connect(prefix), multiaddr, options()).map(m -> (JsonObject) m.body());
  }

  /** Closes every connection to the peer; completes with {@code {"peerId", "closed": n}}. */
  public Future<JsonObject> disconnect(String peerId) {
    return call(Bus.disconnect(prefix), null, options().addHeader(Bus.PEER, peerId)).map(m -> (JsonObject) m.body());
  }

  /**
   * Peers connecting: {@code {"type": "peer:connect", "peerId", "remoteAddr", "at"}}, once per
   * connection. Unregister the consumer to stop.
   */
  public MessageConsumer<JsonObject> onPeerConnected(Handler<JsonObject> handler) {
    return onEvent("peer:connect", handler);
  }

  /** Peers leaving: {@code {"type": "peer:disconnect", "peerId", "at"}}, once per closed connection. */
  public MessageConsumer<JsonObject> onPeerDisconnected(Handler<JsonObject> handler) {
    return onEvent("peer:disconnect", handler);
  }

  private MessageConsumer<JsonObject> onEvent(String type, Handler<JsonObject> handler) {
    return vertx.eventBus().<JsonObject>consumer(Bus.events(prefix), msg -> {
      if (type.equals(msg.body().getString("type"))) {
        handler.handle(msg.body());
      }
    });
  }

  /** Joins a topic at run time; completes with {@code {"topics": [...]}}. */
  public Future<JsonObject> subscribe(String topic) {
    return call(Bus.subscribe(prefix), null, options().addHeader(Bus.TOPIC, topic)).map(m -> (JsonObject) m.body());
  }

  /** Leaves a topic; completes with {@code {"topics": [...]}}. */
  public Future<JsonObject> unsubscribe(String topic) {
    return call(Bus.unsubscribe(prefix), null, options().addHeader(Bus.TOPIC, topic)).map(m -> (JsonObject) m.body());
  }

  /**
   * Listens to a topic's inbound broadcasts (headers {@code from}, {@code topic}, {@code id}).
   * The node must have joined the topic ({@code pubsubTopics} or {@link #subscribe}).
   */
  public MessageConsumer<Buffer> onBroadcast(String topic, Handler<Message<Buffer>> handler) {
    return vertx.eventBus().consumer(Bus.topic(prefix, topic), handler);
  }

  /**
   * Answers the node's inbound requests: {@code handler} gets the requester's PeerId and the
   * payload and completes with the response; a failed future is the error response. It runs
   * on the caller's context; for blocking work use a worker verticle or executeBlocking.
   * Unregister the returned consumer to stop answering.
   */
  public MessageConsumer<Object> handleRequests(BiFunction<String, Buffer, Future<Buffer>> handler) {
    return vertx.eventBus().consumer(Bus.inboundRequest(prefix), msg -> {
      if (!(msg.body() instanceof Buffer payload)) {
        msg.fail(Failure.BAD_REQUEST.code(), "inbound request without a Buffer body");
        return;
      }
      Future<Buffer> response;
      try {
        response = handler.apply(msg.headers().get(Bus.PEER), payload);
      } catch (RuntimeException e) {
        response = Future.failedFuture(e);
      }
      response.onComplete(ar -> {
        if (ar.succeeded() && ar.result() != null) {
          msg.reply(ar.result());
        } else {
          msg.fail(Failure.REMOTE_ERROR.code(), ar.failed() ? String.valueOf(ar.cause().getMessage()) : "no response");
        }
      });
    });
  }

  // ---- the DHT (keys and values are raw bytes; a CID's multihash for content) ----

  /**
   * Puts a record ({@code <prefix>.dht.put}): the node validates and stores it and sends it to
   * the closest peers; completes with how many stored it. Fails with {@link Failure#BAD_REQUEST}
   * for an invalid record, {@link Failure#NO_PEERS} when no peer stored it.
   */
  public Future<Integer> putValue(byte[] key, byte[] value) {
    return dht(Bus.dhtPut(prefix), keyed(key).put("valueBase64", BASE64.encodeToString(value)))
        .map(reply -> reply.getInteger("peers"));
  }

  /** Gets a record's value ({@code <prefix>.dht.get}); fails with {@link Failure#RECORD_NOT_FOUND} when there is none. */
  public Future<byte[]> getValue(byte[] key) {
    return dht(Bus.dhtGet(prefix), keyed(key)).map(reply -> java.util.Base64.getDecoder().decode(reply.getString("valueBase64")));
  }

  /** Announces that the node provides {@code key} ({@code <prefix>.dht.provide}); completes with how many peers were told. */
  public Future<Integer> provide(byte[] key) {
    return dht(Bus.dhtProvide(prefix), keyed(key)).map(reply -> reply.getInteger("peers"));
  }

  /** Up to {@code count} providers of {@code key} ({@code <prefix>.dht.providers}): {@code [{"peerId", "addrs"}]}. */
  public Future<JsonArray> findProviders(byte[] key, int count) {
    return dht(Bus.dhtProviders(prefix), keyed(key).put("count", count)).map(reply -> reply.getJsonArray("providers"));
  }

  public byte[] getValueBlocking(byte[] key) {
    return await(() -> getValue(key));
  }

  public int putValueBlocking(byte[] key, byte[] value) {
    return await(() -> putValue(key, value));
  }

  private static final java.util.Base64.Encoder BASE64 = java.util.Base64.getEncoder();

  private static JsonObject keyed(byte[] key) {
    return new JsonObject().put("keyBase64", BASE64.encodeToString(key));
  }

  private Future<JsonObject> dht(String address, JsonObject body) {
    return call(address, body, options()).map(m -> (JsonObject) m.body());
  }

  public JsonObject statusBlocking() {
    return await(this::status);
  }

  public JsonArray peersBlocking() {
    return await(this::peers);
  }

  public Buffer requestBlocking(String peerId, Buffer payload) {
    return await(() -> request(peerId, payload));
  }

  public JsonObject broadcastBlocking(String topic, Buffer payload) {
    return await(() -> broadcast(topic, payload));
  }

  private DeliveryOptions options() {
    return new DeliveryOptions().setSendTimeout(timeout.toMillis());
  }

  private Future<Message<Object>> call(String address, Object body, DeliveryOptions options) {
    return vertx.eventBus().request(address, body, options).recover(e -> {
      if (e instanceof ReplyException re && re.failureType() != ReplyFailure.RECIPIENT_FAILURE) {
        Failure f = Failure.of(re);
        String why = f == Failure.NOT_RUNNING
            ? "no tinyp2p node answers on " + address
            : "no reply from " + address + " within " + timeout.toMillis() + " ms";
        return Future.failedFuture(f.exception(why));
      }
      return Future.failedFuture(e);
    });
  }

  /**
   * Sends from an event-loop context of the client's own, so the reply is handled there and
   * not on the caller's context: a worker verticle blocked here would otherwise never see it.
   */
  private <T> T await(Supplier<Future<T>> call) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("blocking P2pClient call on an event loop: use the Future API");
    }
    Context context = replyContext();
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        result.complete(ar.result());
      } else {
        result.completeExceptionally(ar.cause());
      }
    }));
    try {
      return result.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw Failure.TIMEOUT.exception("no reply within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the node", e);
    }
  }

  /**
   * The client's own event-loop context, made on first use. {@link Vertx#getOrCreateContext()}
   * creates a new event-loop context only when asked from a thread that has no Vert.x context;
   * a blocking caller is usually on one (a worker's or a virtual-thread verticle's), where it
   * would get that very context back. So it is asked from a short-lived thread of our own.
   */
  private Context replyContext() {
    Context context = replyContext;
    if (context != null) {
      return context;
    }
    Context[] created = new Context[1];
    Thread thread = Thread.ofVirtual().name("tinyp2p-client-context")
        .start(() -> created[0] = vertx.getOrCreateContext());
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the node", e);
    }
    return replyContext = created[0];
  }
}
