package io.tinyp2p;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.node.P2pVerticle;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A node deployed as a {@link P2pVerticle} for tests, with blocking helpers that run code on
 * the node's event loop (where the swarm must be used) and wait for the outcome.
 */
public final class TestNode implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final P2pVerticle verticle;
  private final String deploymentId;

  private TestNode(Vertx vertx, P2pVerticle verticle, String deploymentId) {
    this.vertx = vertx;
    this.verticle = verticle;
    this.deploymentId = deploymentId;
  }

  /** Deploys a node listening on a free loopback port, HTTP off, AutoNAT's client off; {@code extra} overrides. */
  public static TestNode start(Vertx vertx, JsonObject extra) {
    return start(vertx, new P2pVerticle(), extra);
  }

  /** Deploys this (not yet deployed) verticle as {@link #start(Vertx, JsonObject)} does. */
  public static TestNode start(Vertx vertx, P2pVerticle verticle, JsonObject extra) {
    JsonObject config = new JsonObject()
        .put("addr", "/ip4/127.0.0.1/tcp/0")
        .put("http", "off")
        // the AutoNAT client's dial-backs are extra short connections between test nodes: on
        // only where a test asks for it (the server is on, as in production)
        .put("autonat", new JsonObject().put("client", false))
        .mergeIn(extra);
    String id = await(vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(config)));
    return new TestNode(vertx, verticle, id);
  }

  public static TestNode start(Vertx vertx) {
    return start(vertx, new JsonObject());
  }

  public P2pVerticle verticle() {
    return verticle;
  }

  public PeerId peerId() {
    return verticle.swarm().localPeer();
  }

  /** The first listen address with /p2p/ appended. */
  public Multiaddr addr() {
    return onLoop(s -> Future.succeededFuture(s.listenAddresses().get(0).withPeerId(s.localPeer())));
  }

  /** Waits until the node announces a relayed address (a relay reservation holds) and returns it with /p2p/. */
  public Multiaddr circuitAddr() {
    CompletableFuture<Multiaddr> found = new CompletableFuture<>();
    onLoop(s -> {
      Runnable check = () -> s.listenAddresses().stream().filter(Multiaddr::isCircuit).findFirst()
          .ifPresent(a -> found.complete(a.withPeerId(s.localPeer())));
      s.on(io.tinyp2p.swarm.SwarmEvent.ListenAddressesChanged.class, e -> check.run());
      check.run();
      return Future.succeededFuture();
    });
    return join(found);
  }

  /** Runs {@code action} on the node's event loop and waits for the future it returns. */
  public <T> T onLoop(Function<Swarm, Future<T>> action) {
    return onContext(verticle.swarm().context(), () -> action.apply(verticle.swarm()));
  }

  /** Runs {@code action} on {@code context} and waits for the future it returns. */
  public static <T> T onContext(io.vertx.core.Context context, java.util.function.Supplier<Future<T>> action) {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(ar -> {
          if (ar.succeeded()) {
            result.complete(ar.result());
          } else {
            result.completeExceptionally(ar.cause());
          }
        });
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    return join(result);
  }

  /** Waits for the first event of a type that matches, subscribing on the loop first. */
  public <E extends SwarmEvent> CompletableFuture<E> expect(Class<E> type, Predicate<E> match) {
    CompletableFuture<E> result = new CompletableFuture<>();
    onLoop(s -> {
      s.on(type, e -> {
        if (match.test(e)) {
          result.complete(e);
        }
      });
      return Future.succeededFuture();
    });
    return result;
  }

  /**
   * Completes when the routing table satisfies {@code condition}, checked now and after every
   * change of the table.
   */
  public CompletableFuture<Void> whenTable(java.util.function.Predicate<io.tinyp2p.protocol.kad.RoutingTable> condition) {
    CompletableFuture<Void> ok = new CompletableFuture<>();
    onLoop(s -> {
      var kad = verticle.node().kademlia();
      kad.onTableChange(size -> {
        if (condition.test(kad.routingTable())) {
          ok.complete(null);
        }
      });
      if (condition.test(kad.routingTable())) {
        ok.complete(null);
      }
      return Future.succeededFuture();
    });
    return ok;
  }

  /**
   * Waits until this node's gossipsub mesh for {@code topic} holds at least {@code peers}
   * peers (see {@link #awaitRouter}).
   */
  public void awaitMesh(String topic, int peers) {
    awaitRouter(r -> r.meshPeers(topic).size() >= peers);
  }

  /**
   * Waits until {@code condition} holds for this node's pubsub router. The router has no
   * change events, so the node's own loop checks once per 100 ms (bounded by {@link #TIMEOUT}).
   */
  public void awaitRouter(Predicate<io.tinyp2p.protocol.gossipsub.GossipRouter> condition) {
    CompletableFuture<Void> met = new CompletableFuture<>();
    long timer = vertx.setPeriodic(100, t -> verticle.swarm().context().runOnContext(v -> {
      if (condition.test(verticle.node().gossipsub().router())) {
        met.complete(null);
      }
    }));
    try {
      join(met);
    } finally {
      vertx.cancelTimer(timer);
    }
  }

  public static <T> T await(Future<T> future) {
    return join(future.toCompletionStage().toCompletableFuture());
  }

  public static <T> T join(CompletableFuture<T> future) {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new NodeFailure(cause);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out after " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** A checked failure from the node, rethrown unchecked with its message. */
  public static final class NodeFailure extends RuntimeException {
    NodeFailure(Throwable cause) {
      super(cause.getMessage(), cause);
    }
  }

  @Override
  public void close() {
    if (vertx.deploymentIDs().contains(deploymentId)) {
      await(vertx.undeploy(deploymentId));
    }
  }

  /** A promise that completes when the event matching arrives, as a Vert.x future. */
  public static <T> Future<T> toFuture(CompletableFuture<T> cf) {
    Promise<T> p = Promise.promise();
    cf.whenComplete((v, e) -> {
      if (e != null) {
        p.fail(e);
      } else {
        p.complete(v);
      }
    });
    return p.future();
  }
}
