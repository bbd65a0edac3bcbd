package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Two nodes started with the same secret are noticed by a third they both connect to: one WARN
 * naming the PeerId and both addresses, one count in /status. Two honest nodes dialing each
 * other at once are not.
 */
class DuplicateIdentityTest {
  Vertx vertx;
  ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger("io.tinyp2p")).addAppender(logs);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger("io.tinyp2p")).detachAppender(logs);
    TestNode.await(vertx.close());
  }

  private List<String> warnings(String text) {
    synchronized (logs) {
      return logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
          .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(text)).toList();
    }
  }

  private static long duplicates(TestNode n) {
    return n.<Long>onLoop(s -> Future.succeededFuture(s.limitCounters().duplicateIdentities()));
  }

  /** Completes when {@code node} has identified {@code peer} on {@code count} connections. */
  private static CompletableFuture<Void> identifiedTimes(TestNode node, PeerId peer, int count) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    int[] seen = {0};
    node.onLoop(s -> {
      s.on(PeerIdentified.class, e -> {
        if (e.peer().equals(peer) && ++seen[0] >= count) {
          done.complete(null);
        }
      });
      return Future.succeededFuture();
    });
    return done;
  }

  @Test
  void twoNodesWithOneSecretAreWarnedAboutOnce() {
    TestNode third = TestNode.start(vertx, new JsonObject().put("busPrefix", "third"));
    String secret = KeyPair.generate().secret();
    PeerId shared = KeyPair.fromSecret(secret).peerId();
    CompletableFuture<Void> both = identifiedTimes(third, shared, 2);
    JsonObject twin = new JsonObject().put("secret", secret).put("bootNode", third.addr().toString());
    TestNode first = TestNode.start(vertx, twin.copy().put("busPrefix", "twin-1"));
    TestNode second = TestNode.start(vertx, twin.copy().put("busPrefix", "twin-2"));
    TestNode.join(both);
    List<String> warned = warnings("two nodes share the identity " + shared);
    assertEquals(1, warned.size(), "warnings: " + warned);
    int port1 = first.addr().tcpPort();
    int port2 = second.addr().tcpPort();
    assertTrue(warned.get(0).contains("/tcp/" + port1) && warned.get(0).contains("/tcp/" + port2), warned.get(0));
    assertEquals(1, duplicates(third));
    assertEquals(1, third.verticle().status().getJsonObject("limits").getLong("duplicateIdentities"));

    // a third process with that secret: still one warning for that PeerId
    second.close();
    CompletableFuture<Void> again = identifiedTimes(third, shared, 1);
    TestNode third2 = TestNode.start(vertx, twin.copy().put("busPrefix", "twin-3"));
    TestNode.join(again);
    assertEquals(1, warnings("two nodes share the identity").size());
    assertEquals(1, duplicates(third));
    third2.close();
    first.close();
    third.close();
  }

  @Test
  void aSimultaneousDialIsNotADuplicate() {
    TestNode a = TestNode.start(vertx, new JsonObject().put("busPrefix", "a"));
    TestNode b = TestNode.start(vertx, new JsonObject().put("busPrefix", "b"));
    Multiaddr aAddr = a.addr();
    Multiaddr bAddr = b.addr();
    CompletableFuture<Connection> ab = new CompletableFuture<>();
    CompletableFuture<Connection> ba = new CompletableFuture<>();
    // both dials start before either finishes its handshake
    a.verticle().swarm().context().runOnContext(v -> a.verticle().swarm().dial(bAddr)
        .onComplete(ar -> complete(ab, ar.result(), ar.cause())));
    b.verticle().swarm().context().runOnContext(v -> b.verticle().swarm().dial(aAddr)
        .onComplete(ar -> complete(ba, ar.result(), ar.cause())));
    TestNode.join(ab);
    TestNode.join(ba);
    int onA = a.onLoop(s -> Future.succeededFuture(s.connections().size()));
    int onB = b.onLoop(s -> Future.succeededFuture(s.connections().size()));
    // every connection identified, both ways
    TestNode.join(identifiedOn(a, b.peerId(), onA));
    TestNode.join(identifiedOn(b, a.peerId(), onB));
    assertEquals(0, duplicates(a));
    assertEquals(0, duplicates(b));
    assertEquals(List.of(), warnings("two nodes share the identity"));
    a.close();
    b.close();
  }

  private static void complete(CompletableFuture<Connection> f, Connection c, Throwable e) {
    if (e != null) {
      f.completeExceptionally(e);
    } else {
      f.complete(c);
    }
  }

  /**
   * Completes when every open connection of {@code node} to {@code peer} ({@code count}) has
   * been identified: the peer store's record is refreshed per identify, so we ask again on
   * each connection and wait for the answers.
   */
  private static CompletableFuture<Void> identifiedOn(TestNode node, PeerId peer, int count) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    node.onLoop(s -> {
      List<Future<?>> all = new java.util.ArrayList<>();
      for (Connection c : s.connections()) {
        if (c.remotePeer().equals(peer)) {
          all.add(node.verticle().node().identify().identify(c));
        }
      }
      assertEquals(count, all.size());
      Future.all(all).onComplete(ar -> done.complete(null));
      return Future.succeededFuture();
    });
    return done;
  }
}
