package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Floodsub between Java nodes: floodsub-only nodes ({@code "gossipsub": {"router": "floodsub"}})
 * with each other and with default nodes (whose gossipsub router speaks floodsub with them),
 * duplicates, and a hostile floodsub peer.
 */
class FloodsubTest {
  static final String TOPIC = "block";
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    TestNode.await(vertx.close());
  }

  private TestNode node(String prefix, boolean floodsubOnly) {
    JsonObject gossip = new JsonObject().put("heartbeatMs", 200);
    if (floodsubOnly) {
      gossip.put("router", "floodsub");
    }
    return TestNode.start(vertx, new JsonObject().put("busPrefix", prefix)
        .put("pubsubTopics", new JsonArray().add(TOPIC)).put("gossipsub", gossip));
  }

  /** {@code from} dials {@code to}; returns once each knows the other as a subscriber of the topic. */
  private static void link(TestNode from, TestNode to) {
    from.onLoop(s -> s.dial(to.addr()));
    awaitSubscribers(from, to);
    awaitSubscribers(to, from);
  }

  /** Waits until {@code n} knows each of {@code peers} as a subscriber of the topic. */
  private static void awaitSubscribers(TestNode n, TestNode... peers) {
    n.awaitRouter(r -> java.util.Arrays.stream(peers).allMatch(p -> r.topicPeers(TOPIC).contains(p.peerId())));
  }

  private static <T> T onRouter(TestNode n, java.util.function.Function<GossipRouter, T> read) {
    return n.onLoop(s -> Future.succeededFuture(read.apply(n.verticle().node().gossipsub().router())));
  }

  /** Whether {@code condition} holds for the node's router now. */
  private static boolean holds(TestNode n, java.util.function.Predicate<GossipRouter> condition) {
    return FloodsubTest.<Boolean>onRouter(n, condition::test);
  }

  /** The bodies delivered on a node's topic address, each with how often it came. */
  private Map<String, AtomicInteger> received(String prefix) {
    Map<String, AtomicInteger> got = new ConcurrentHashMap<>();
    new P2pClient(vertx, prefix).onBroadcast(TOPIC,
        m -> got.computeIfAbsent(m.body().toString(), k -> new AtomicInteger()).incrementAndGet());
    return got;
  }

  /** Broadcasts {@code text} from the node of {@code prefix}; returns the peers it went to. */
  private int broadcast(String prefix, String text) {
    return TestNode.await(new P2pClient(vertx, prefix).broadcast(TOPIC, Buffer.buffer(text))).getInteger("peers");
  }

  /** The delivery counts must reach 1 for each text (bounded by {@link TestNode#TIMEOUT}). */
  private void awaitDelivered(TestNode n, Map<String, AtomicInteger> got, String... texts) {
    n.awaitRouter(r -> java.util.Arrays.stream(texts).allMatch(got::containsKey));
  }

  @Test
  void floodsubOnlyAndGossipsubNodesExchangeBothWays() {
    try (TestNode flood = node("fo", true); TestNode gossip = node("go", false)) {
      Map<String, AtomicInteger> atFlood = received("fo");
      Map<String, AtomicInteger> atGossip = received("go");
      link(gossip, flood);
      assertTrue(holds(gossip, r -> r.isFloodsubPeer(flood.peerId())), "the gossipsub node speaks floodsub with it");
      // the floodsub-only node advertises floodsub alone
      gossip.awaitRouter(r -> gossip.verticle().swarm().peerStore().get(flood.peerId()) != null);
      List<String> protocols = gossip.onLoop(s -> Future.succeededFuture(
          s.peerStore().get(flood.peerId()).protocols()));
      assertTrue(protocols.contains(Gossipsub.FLOODSUB), protocols.toString());
      assertFalse(protocols.contains(Gossipsub.MESHSUB_1_1) || protocols.contains(Gossipsub.MESHSUB_1_0), protocols.toString());

      assertEquals(1, broadcast("fo", "from floodsub"));
      assertEquals(1, broadcast("go", "from gossipsub"));
      awaitDelivered(gossip, atGossip, "from floodsub");
      awaitDelivered(flood, atFlood, "from gossipsub");
      // a floodsub peer is never in a mesh
      assertTrue(holds(gossip, r -> r.meshPeers(TOPIC).isEmpty()));
      assertTrue(holds(flood, r -> r.meshPeers(TOPIC).isEmpty()));
    }
  }

  /** Three nodes of bus prefixes {@code <p>a}, {@code <p>b}, {@code <p>c}, floodsub-only but maybe b, b linked to a and to c. */
  private record Line(TestNode a, TestNode b, TestNode c) implements AutoCloseable {
    static Line of(FloodsubTest test, String prefix, boolean floodsubOnlyB) {
      Line line = new Line(test.node(prefix + "a", true), test.node(prefix + "b", floodsubOnlyB), test.node(prefix + "c", true));
      link(line.b, line.a);
      link(line.b, line.c);
      return line;
    }

    @Override
    public void close() {
      a.close();
      b.close();
      c.close();
    }
  }

  @Test
  void nodeBuilderAssemblesAFloodsubOnlyNode() {
    for (GossipConfig.Router router : GossipConfig.Router.values()) {
      List<String> protocols = TestNode.onContext(vertx.getOrCreateContext(), () -> {
        io.tinyp2p.node.Node node = io.tinyp2p.node.Node.builder(vertx, io.tinyp2p.crypto.KeyPair.generate())
            .gossipsub(GossipConfig.defaults().withRouter(router), (topic, from, id, data) -> { })
            .build();
        List<String> advertised = node.swarm().protocols();
        return node.close().map(advertised);
      });
      assertTrue(protocols.contains(Gossipsub.FLOODSUB), router + ": " + protocols);
      assertEquals(router == GossipConfig.Router.GOSSIPSUB, protocols.contains(Gossipsub.MESHSUB_1_1), router + ": " + protocols);
      assertEquals(router == GossipConfig.Router.GOSSIPSUB, protocols.contains(Gossipsub.MESHSUB_1_0), router + ": " + protocols);
    }
  }

  @Test
  void threeFloodsubOnlyNodesInALineForward() {
    Map<String, AtomicInteger> atA = received("la");
    Map<String, AtomicInteger> atC = received("lc");
    try (Line line = Line.of(this, "l", true)) {
      broadcast("la", "a to c");
      broadcast("lc", "c to a");
      awaitDelivered(line.c(), atC, "a to c");
      awaitDelivered(line.a(), atA, "c to a");
      assertFalse(holds(line.c(), r -> r.topicPeers(TOPIC).contains(line.a().peerId())), "a and c are not connected");
      assertEquals(1, atC.get("a to c").get());
      assertEquals(1, atA.get("c to a").get());
      // b forwarded each message once
      assertEquals(2L, FloodsubTest.<Long>onRouter(line.b(), r -> r.counters().get("forwarded")));
    }
  }

  @Test
  void aMessageThatArrivesTwiceIsDeliveredOnce() {
    // a triangle of two floodsub-only nodes and a gossipsub one: a's message reaches c from a and through b
    Map<String, AtomicInteger> atB = received("tb");
    Map<String, AtomicInteger> atC = received("tc");
    try (Line line = Line.of(this, "t", false)) {
      link(line.c(), line.a());
      assertEquals(2, broadcast("ta", "twice"));
      // c gets a's copy and b's forward of it, whatever the order: one of them is dropped as a
      // duplicate (b sees a second copy only when c's came from a first, so b is not waited on)
      line.c().awaitRouter(r -> r.dropped(DropReason.DUPLICATE) >= 1);
      awaitDelivered(line.c(), atC, "twice");
      awaitDelivered(line.b(), atB, "twice");
      assertEquals(1, atC.get("twice").get());
      assertEquals(1, atB.get("twice").get());
    }
  }

  @Test
  void aHostileFloodsubPeersOversizeOrGarbageRpcClosesItsStreamAndIsLoggedOnce() throws Exception {
    Capture logs = new Capture();
    logs.start();
    Logger root = (Logger) LoggerFactory.getLogger("io.tinyp2p");
    root.addAppender(logs);
    try (TestNode victim = node("hv", true); TestNode attacker = node("ha", false)) {
      int max = FloodsubTest.<Integer>onRouter(victim, r -> r.config().maxRpcSize());
      // twice each: a length prefix over the RPC limit, and bytes that are no RPC
      Buffer oversize = Buffer.buffer(io.tinyp2p.util.Varint.encode(max + 1L)).appendBytes(new byte[64]);
      Buffer garbage = io.tinyp2p.stream.LengthPrefixed.frame(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
      for (Buffer bad : List.of(oversize, garbage, oversize, garbage)) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        attacker.onLoop(s -> s.dial(victim.addr())
            .compose(c -> c.openStream(List.of(Gossipsub.FLOODSUB)))
            .compose(stream -> {
              stream.closeHandler(v -> closed.complete(null));
              return stream.write(bad);
            }));
        closed.get(30, TimeUnit.SECONDS);
      }
      Map<String, Long> counters = victim.onLoop(s -> Future.succeededFuture(
          victim.verticle().node().gossipsub().counters()));
      assertEquals(2L, counters.get("rpcsRefused"), counters.toString());
      assertEquals(2L, counters.get("rpcsMalformed"), counters.toString());
      String who = "floodsub from " + attacker.peerId();
      List<String> lines;
      synchronized (logs) {
        lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).filter(l -> l.contains(who)).toList();
      }
      assertEquals(1, lines.stream().filter(l -> l.contains("exceeds the limit")).count(), lines.toString());
      assertEquals(1, lines.stream().filter(l -> l.contains("malformed RPC")).count(), lines.toString());
      // the attacker's own pubsub stream still works: it is a subscriber, and gets messages
      awaitSubscribers(victim, attacker);
      Map<String, AtomicInteger> atAttacker = received("ha");
      broadcast("hv", "still served");
      awaitDelivered(attacker, atAttacker, "still served");
    } finally {
      root.detachAppender(logs);
    }
  }

  /** Collects log events. */
  static final class Capture extends ListAppender<ILoggingEvent> {
    @Override
    protected void append(ILoggingEvent e) {
      synchronized (this) {
        super.append(e);
      }
    }
  }
}
