package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.protocol.ping.PingEvent;
import io.tinyp2p.Figures;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.node.ConfigException;
import io.tinyp2p.node.NodeConfig;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmConfig;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.util.Varint;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Load shedding of gossipsub validation, end to end: a node from a plain config, a crowd of
 * sybil identities flooding it with validly signed messages, an honest neighbour pinging and
 * broadcasting throughout, and fresh identities dialing in; and RPCs over the size limit,
 * refused at their length prefix.
 */
class GossipShedTest {
  static final String TOPIC = "block";
  static final int SYBILS = 50;
  static final int MESSAGES = 100_000;
  static final int PER_RPC = 100;

  @Test
  void aSignedSybilFloodIsShedWhileHonestPingsBroadcastsAndNewPeersGetThrough() throws Exception {
    Vertx vertx = Vertx.vertx();
    JsonObject plain = new JsonObject().put("pubsubTopics", new JsonArray().add(TOPIC));
    try (TestNode victim = TestNode.start(vertx, plain.copy().put("busPrefix", "sv"));
         TestNode honest = TestNode.start(vertx, plain.copy().put("busPrefix", "sh")
             .put("bootNode", victim.addr().toString()));
         TestNode attacker = TestNode.start(vertx, new JsonObject().put("busPrefix", "sa"));
         TestNode newcomers = TestNode.start(vertx, new JsonObject().put("busPrefix", "sn"))) {
      PeerId victimId = victim.peerId();
      PeerId honestId = honest.peerId();
      Multiaddr victimAddr = victim.addr();
      victim.awaitMesh(TOPIC, 1);
      TestNode.join(victim.whenTable(t -> t.contains(honestId)));
      TestNode.join(honest.whenTable(t -> t.contains(victimId)));
      AtomicInteger pingFailures = new AtomicInteger();
      victim.onLoop(s -> on(s, PingEvent.Failed.class, e -> e.peer().equals(honestId), pingFailures));
      honest.onLoop(s -> on(s, PingEvent.Failed.class, e -> e.peer().equals(victimId), pingFailures));

      // the sybils: one identity, one connection and one gossipsub stream each, all from 127.0.0.1
      KeyPair[] keys = IntStream.range(0, SYBILS).mapToObj(i -> KeyPair.generate()).toArray(KeyPair[]::new);
      List<List<Buffer>> frames = IntStream.range(0, SYBILS).parallel()
          .mapToObj(i -> frames(keys[i], i)).toList();
      List<P2pStream> streams = new ArrayList<>();
      for (KeyPair key : keys) {
        streams.add(attacker.onLoop(s -> new Swarm(s.vertx(), key, SwarmConfig.defaults()).dial(victimAddr)
            .compose(c -> c.openStream(List.of(Gossipsub.MESHSUB_1_1)))));
      }

      // honest traffic every 200 ms: a ping and a broadcast each way; a fresh identity every 2 s
      List<Long> rttMicros = new CopyOnWriteArrayList<>();
      List<String> pingErrors = new CopyOnWriteArrayList<>();
      Set<String> atVictim = ConcurrentHashMap.newKeySet();
      Set<String> atHonest = ConcurrentHashMap.newKeySet();
      new P2pClient(vertx, "sv").onBroadcast(TOPIC, m -> keep(atVictim, m.body().toString(), "honest "));
      new P2pClient(vertx, "sh").onBroadcast(TOPIC, m -> keep(atHonest, m.body().toString(), "victim "));
      P2pClient honestClient = new P2pClient(vertx, "sh");
      P2pClient victimClient = new P2pClient(vertx, "sv");
      AtomicInteger ticks = new AtomicInteger();
      List<String> broadcastErrors = new CopyOnWriteArrayList<>();
      long pinger = honest.onLoop(s -> Future.succeededFuture(s.vertx().setPeriodic(200, t -> {
        int n = ticks.getAndIncrement();
        honest.verticle().node().ping().ping(victimId).onComplete(ar -> {
          if (ar.succeeded()) {
            rttMicros.add(ar.result().toNanos() / 1000);
          } else {
            pingErrors.add(ar.cause().getMessage());
          }
        });
        honestClient.broadcast(TOPIC, Buffer.buffer("honest " + n)).onFailure(e -> broadcastErrors.add(e.getMessage()));
        victimClient.broadcast(TOPIC, Buffer.buffer("victim " + n)).onFailure(e -> broadcastErrors.add(e.getMessage()));
      })));
      List<Long> joinMillis = new CopyOnWriteArrayList<>();
      List<String> joinErrors = new CopyOnWriteArrayList<>();
      long dialer = newcomers.onLoop(s -> Future.succeededFuture(s.vertx().setPeriodic(2000, t -> {
        long t0 = System.nanoTime();
        new Swarm(s.vertx(), KeyPair.generate(), SwarmConfig.defaults()).dial(victimAddr).onComplete(ar -> {
          if (ar.succeeded()) {
            joinMillis.add((System.nanoTime() - t0) / 1_000_000);
          } else {
            joinErrors.add(ar.cause().getMessage());
          }
        });
      })));

      // how late a 10 ms timer of the victim's event loop fires: its responsiveness
      List<Long> lagMicros = new CopyOnWriteArrayList<>();
      long[] last = {System.nanoTime()};
      long lagTimer = victim.onLoop(s -> Future.succeededFuture(s.vertx().setPeriodic(10, t -> {
        long now = System.nanoTime();
        lagMicros.add(Math.max(0, (now - last[0]) / 1000 - 10_000));
        last[0] = now;
      })));

      // the flood: every frame written at once, round-robin over the sybils' streams
      long floodStart = System.nanoTime();
      attacker.onLoop(s -> {
        for (int r = 0; r < frames.get(0).size(); r++) {
          for (int i = 0; i < SYBILS; i++) {
            streams.get(i).write(frames.get(i).get(r));
          }
        }
        return Future.succeededFuture();
      });
      // until the victim has received every message and its validation queue is empty
      awaitCounters(vertx, victim, c -> c.get("received") >= MESSAGES && c.get("validationQueue") == 0, 120);
      long floodMillis = (System.nanoTime() - floodStart) / 1_000_000;
      victim.onLoop(s -> Future.succeededFuture(s.vertx().cancelTimer(lagTimer)));
      List<Long> lags = new ArrayList<>(lagMicros);
      Collections.sort(lags);
      int ticksDuringFlood = ticks.get();
      // one more second of honest traffic, then stop it and let the last broadcasts land
      int lastTick = ticksDuringFlood + 5;
      assertTrue(awaitTrue(vertx, () -> ticks.get() >= lastTick, 30));
      honest.onLoop(s -> Future.succeededFuture(s.vertx().cancelTimer(pinger)));
      newcomers.onLoop(s -> Future.succeededFuture(s.vertx().cancelTimer(dialer)));
      int published = ticks.get();
      // every outcome is in within the ping timeout; the broadcasts are then delivered or lost
      awaitTrue(vertx, () -> rttMicros.size() + pingErrors.size() == published
          && atVictim.size() + broadcastErrors.size() >= published && atHonest.size() >= published, 15);

      Map<String, Long> c = victim.onLoop(s -> Future.succeededFuture(victim.verticle().node().gossipsub().counters()));
      List<Long> rtts = new ArrayList<>(rttMicros);
      Collections.sort(rtts);
      long throttled = c.get("dropped.throttledPeer") + c.get("dropped.throttledTopic") + c.get("dropped.throttledMemory");
      Figures.report(String.format("gossip shedding: %d sybils sent %d signed messages; the victim took %d ms to receive "
              + "and shed them: %d verified, %d throttled (peer %d, topic %d, memory %d), %d duplicates unverified, "
              + "%d delivered, %d slices; its event loop ran a 10 ms timer late by p50 %.1f ms, p99 %.1f ms, "
              + "max %.1f ms", SYBILS, MESSAGES, floodMillis, c.get("validated"), throttled,
          c.get("dropped.throttledPeer"), c.get("dropped.throttledTopic"), c.get("dropped.throttledMemory"),
          c.get("dropped.duplicate"), c.get("delivered"), c.get("validationSlices"), pct(lags, 50), pct(lags, 99),
          pct(lags, 100)));
      Figures.report(String.format("gossip shedding: honest pings every 200 ms: %d/%d ok (%d during the flood), "
              + "rtt p50 %.1f ms, p99 %.1f ms, max %.1f ms; honest broadcasts %d/%d reached the victim, %d/%d "
              + "the honest peer; new identities admitted %d/%d (slowest %d ms); ping failures between the "
              + "honest pair %d", rtts.size(), published, ticksDuringFlood, pct(rtts, 50), pct(rtts, 99),
          pct(rtts, 100), atVictim.size(), published, atHonest.size(), published, joinMillis.size(),
          joinMillis.size() + joinErrors.size(), joinMillis.stream().mapToLong(x -> x).max().orElse(0),
          pingFailures.get()));

      assertEquals(List.of(), broadcastErrors, "every broadcast was accepted");
      assertEquals(List.of(), pingErrors, "every honest ping succeeds");
      assertTrue(ticksDuringFlood >= 2, "pings ran during the flood: " + ticksDuringFlood);
      assertEquals(0, pingFailures.get(), "no ping failure between the honest pair");
      assertTrue(victim.<Boolean>onLoop(s -> Future.succeededFuture(victim.verticle().node().kademlia().routingTable().contains(honestId))));
      assertTrue(honest.<Boolean>onLoop(s -> Future.succeededFuture(honest.verticle().node().kademlia().routingTable().contains(victimId))));
      assertEquals(published, atVictim.size(), "every honest broadcast reached the victim");
      assertEquals(published, atHonest.size(), "every broadcast of the victim reached the honest peer");
      assertEquals(List.of(), joinErrors, "every new identity got in");
      assertTrue(joinMillis.size() >= 1, "new identities dialed during the flood");
      assertTrue(throttled > 0, "the flood was shed: " + c);
      assertTrue(c.get("validated") < MESSAGES, "not every message was verified: " + c);
      assertTrue(c.get("validationSlices") > 1, c.toString());
    } finally {
      TestNode.await(vertx.close());
    }
  }

  @Test
  void rpcsOverTheLimitAreRefusedAtTheirLengthPrefix() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNode victim = TestNode.start(vertx, new JsonObject().put("busPrefix", "ov")
             .put("pubsubTopics", new JsonArray().add(TOPIC)));
         TestNode attacker = TestNode.start(vertx, new JsonObject().put("busPrefix", "oa"))) {
      int limit = victim.onLoop(s -> Future.succeededFuture(victim.verticle().node().gossipsub().router().config().maxRpcSize()));
      assertEquals(GossipConfig.MIB + 64 * 1024, limit, "1 MiB messages plus room for control");
      Multiaddr addr = victim.addr();
      int streams = 40;
      List<Long> resetMicros = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        // the prefix of a 4 MiB RPC and its first 16 KiB: the stream is reset without waiting for the rest
        long micros = attacker.<Long>onLoop(s -> s.dial(addr)
            .compose(c -> c.openStream(List.of(Gossipsub.MESHSUB_1_1)))
            .compose(stream -> {
              Promise<Long> reset = Promise.promise();
              long t0 = System.nanoTime();
              stream.closeHandler(v -> reset.tryComplete((System.nanoTime() - t0) / 1000));
              stream.handler(b -> { });
              Buffer head = Varint.append(Buffer.buffer(), 4L << 20).appendBytes(new byte[16 * 1024]);
              stream.write(head);
              return reset.future();
            }));
        resetMicros.add(micros);
      }
      Map<String, Long> c = victim.onLoop(s -> Future.succeededFuture(victim.verticle().node().gossipsub().counters()));
      assertEquals(streams, c.get("rpcsRefused"), c.toString());
      assertEquals(0, c.get("dropped.tooLarge"), "refused before parsing, not dropped after: " + c);
      Collections.sort(resetMicros);
      Figures.report(String.format("gossip RPC limit %d bytes: %d streams announcing a 4 MiB RPC reset after its prefix, "
          + "%d counted (rpcsRefused), reset p50 %.1f ms, max %.1f ms, of the 4 MiB only 16 KiB sent", limit, streams,
          c.get("rpcsRefused"), resetMicros.get(streams / 2) / 1000.0, resetMicros.get(streams - 1) / 1000.0));
      // a message over the size limit that still fits the RPC limit is parsed and dropped, counted
      KeyPair mallory = attacker.verticle().swarm().identity();
      RpcProto.RPC big = RpcProto.RPC.newBuilder()
          .addSubscriptions(RpcProto.RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid(TOPIC))
          .addPublish(MessageSigning.sign(mallory, TOPIC, new byte[GossipConfig.MIB], 1)).build();
      attacker.onLoop(s -> s.dial(addr).compose(conn -> conn.openStream(List.of(Gossipsub.MESHSUB_1_1)))
          .compose(stream -> stream.write(LengthPrefixed.frame(big.toByteArray()))));
      awaitCounters(vertx, victim, x -> x.get("dropped.tooLarge") == 1, 30);
    } finally {
      TestNode.await(vertx.close());
    }
  }

  @Test
  void validationQueueKeysAreReadAndChecked() {
    JsonObject json = new JsonObject().put("gossipsub", new JsonObject()
        .put("validationQueuePerPeer", 32).put("validationQueuePerTopic", 1000).put("validationQueueBytes", 1 << 20));
    GossipConfig g = NodeConfig.from(json).gossipsub();
    assertEquals(32, g.validationQueuePerPeer());
    assertEquals(1000, g.validationQueuePerTopic());
    assertEquals(1 << 20, g.validationQueueBytes());
    GossipConfig d = NodeConfig.from(new JsonObject()).gossipsub();
    assertEquals(256, d.validationQueuePerPeer());
    assertEquals(4096, d.validationQueuePerTopic());
    assertEquals(64 << 20, d.validationQueueBytes());
    for (String key : List.of("validationQueuePerPeer", "validationQueuePerTopic", "validationQueueBytes")) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> NodeConfig.from(new JsonObject().put("gossipsub", new JsonObject().put(key, 0))));
      assertTrue(e.getMessage().contains("gossipsub." + key), e.getMessage());
    }
  }

  // ---------------------------------------------------------------- helpers

  /** One sybil's messages, in RPCs of PER_RPC, the first one also subscribing to the topic. */
  private static List<Buffer> frames(KeyPair key, int sybil) {
    List<Buffer> out = new ArrayList<>();
    int perSybil = MESSAGES / SYBILS;
    for (int start = 0; start < perSybil; start += PER_RPC) {
      RpcProto.RPC.Builder rpc = RpcProto.RPC.newBuilder();
      if (start == 0) {
        rpc.addSubscriptions(RpcProto.RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid(TOPIC));
      }
      for (int j = start; j < Math.min(perSybil, start + PER_RPC); j++) {
        rpc.addPublish(MessageSigning.sign(key, TOPIC, ("sybil " + sybil + "/" + j).getBytes(), j + 1));
      }
      out.add(LengthPrefixed.frame(rpc.build().toByteArray()));
    }
    return out;
  }

  private static <E extends SwarmEvent> Future<Void> on(Swarm s, Class<E> type, Predicate<E> match, AtomicInteger count) {
    s.on(type, e -> {
      if (match.test(e)) {
        count.incrementAndGet();
      }
    });
    return Future.succeededFuture();
  }

  private static void keep(Set<String> into, String body, String prefix) {
    if (body.startsWith(prefix)) {
      into.add(body);
    }
  }

  private static double pct(List<Long> sortedMicros, int p) {
    if (sortedMicros.isEmpty()) {
      return Double.NaN;
    }
    int i = Math.min(sortedMicros.size() - 1, (int) Math.ceil(p / 100.0 * sortedMicros.size()) - 1);
    return sortedMicros.get(Math.max(0, i)) / 1000.0;
  }

  /** Waits, checking on the node's loop every 50 ms, until its gossip counters satisfy the condition. */
  private static void awaitCounters(Vertx vertx, TestNode node, Predicate<Map<String, Long>> condition, int seconds)
      throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    long timer = vertx.setPeriodic(50, t -> node.verticle().swarm().context().runOnContext(v -> {
      if (condition.test(node.verticle().node().gossipsub().counters())) {
        done.complete(null);
      }
    }));
    try {
      done.get(seconds, TimeUnit.SECONDS);
    } finally {
      vertx.cancelTimer(timer);
    }
  }

  /** Waits until the condition holds, checked every 50 ms; false after {@code seconds}. */
  private static boolean awaitTrue(Vertx vertx, java.util.function.BooleanSupplier condition, int seconds)
      throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    long timer = vertx.setPeriodic(50, t -> {
      if (condition.getAsBoolean()) {
        done.complete(null);
      }
    });
    try {
      done.get(seconds, TimeUnit.SECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } finally {
      vertx.cancelTimer(timer);
    }
  }
}
