package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.GossipRouter.Output;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The router on simulated networks: routers wired through their {@link Output} by a FIFO
 * queue (every RPC goes through its wire encoding), heartbeats and the clock driven by the
 * test, every random choice seeded. Plus single routers driven by hand-made RPCs.
 */
class GossipRouterTest {
  static final Output NO_OUTPUT = new Output() {
    @Override
    public void send(PeerId peer, RpcProto.RPC rpc) {}

    @Override
    public void deliver(String topic, PeerId from, byte[] id, byte[] data, long seqno) {}
  };

  static final long START = 1_700_000_000_000L;
  static final String TOPIC = "blocks";

  private static final Map<Integer, KeyPair> KEYS = new HashMap<>();

  static KeyPair keyOf(int n) {
    return KEYS.computeIfAbsent(n, i -> {
      byte[] seed = new byte[32];
      seed[0] = (byte) (i.intValue() >> 8);
      seed[1] = (byte) i.intValue();
      seed[31] = 0x5a;
      return KeyPair.fromSeed(seed);
    });
  }

  static PeerId peer(int n) {
    return keyOf(1000 + n).peerId();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  record Delivered(String topic, PeerId from, ByteString id, ByteString data, long seqno) {}

  record Envelope(PeerId from, PeerId to, RpcProto.RPC rpc) {}

  /** A network of routers; RPCs wait in a queue until {@link #drain()}. */
  static final class Net {
    final AtomicLong now = new AtomicLong(START);
    final Random random;
    final GossipConfig config;
    final List<Node> nodes = new ArrayList<>();
    final Map<PeerId, Node> byId = new LinkedHashMap<>();
    final ArrayDeque<Envelope> queue = new ArrayDeque<>();
    final List<Envelope> log = new ArrayList<>();
    final List<Envelope> droppedOnLinks = new ArrayList<>();
    Predicate<Envelope> dropRule = e -> false;

    final class Node implements Output {
      final int index;
      final KeyPair key;
      final GossipRouter router;
      final List<Delivered> delivered = new ArrayList<>();

      Node(int index) {
        this.index = index;
        this.key = keyOf(index);
        this.router = new GossipRouter(key, config, this, now::get, new Random(random.nextLong()));
      }

      PeerId id() {
        return key.peerId();
      }

      @Override
      public void send(PeerId to, RpcProto.RPC rpc) {
        queue.add(new Envelope(id(), to, rpc));
      }

      @Override
      public void deliver(String topic, PeerId from, byte[] id, byte[] data, long seqno) {
        delivered.add(new Delivered(topic, from, ByteString.copyFrom(id), ByteString.copyFrom(data), seqno));
      }

      long deliveries(ByteString id) {
        return delivered.stream().filter(d -> d.id().equals(id)).count();
      }
    }

    Net(int n, GossipConfig config, long seed) {
      this.random = new Random(seed);
      this.config = config;
      for (int i = 0; i < n; i++) {
        Node node = new Node(i);
        nodes.add(node);
        byId.put(node.id(), node);
      }
    }

    /** a dials b. */
    void connect(int a, int b) {
      nodes.get(a).router.addPeer(nodes.get(b).id(), true);
      nodes.get(b).router.addPeer(nodes.get(a).id(), false);
    }

    void disconnect(int a, int b) {
      PeerId pa = nodes.get(a).id();
      PeerId pb = nodes.get(b).id();
      nodes.get(a).router.removePeer(pb);
      nodes.get(b).router.removePeer(pa);
      queue.removeIf(e -> (e.from().equals(pa) && e.to().equals(pb)) || (e.from().equals(pb) && e.to().equals(pa)));
    }

    void connectAll() {
      for (int a = 0; a < nodes.size(); a++) {
        for (int b = a + 1; b < nodes.size(); b++) {
          connect(a, b);
        }
      }
    }

    /** A ring plus random chords: connected, sparse. */
    void connectSparse(int chords) {
      Set<Long> links = new HashSet<>();
      int n = nodes.size();
      for (int i = 0; i < n; i++) {
        link(links, i, (i + 1) % n);
      }
      while (links.size() < n + chords) {
        int a = random.nextInt(n);
        int b = random.nextInt(n);
        if (a != b) {
          link(links, a, b);
        }
      }
    }

    private void link(Set<Long> links, int a, int b) {
      if (links.add((long) Math.min(a, b) * 1_000_000 + Math.max(a, b))) {
        connect(a, b);
      }
    }

    /**
     * Delivers queued RPCs until none is left; every router verifies what it received right
     * away (as if its validation slices kept up).
     */
    void drain() {
      int steps = 0;
      validateAll();
      while (!queue.isEmpty()) {
        Envelope e = queue.poll();
        log.add(e);
        if (dropRule.test(e)) {
          droppedOnLinks.add(e);
          continue;
        }
        RpcProto.RPC wire;
        try {
          wire = RpcProto.RPC.parseFrom(e.rpc().toByteArray());
        } catch (InvalidProtocolBufferException ex) {
          throw new AssertionError(ex);
        }
        GossipRouter to = byId.get(e.to()).router;
        to.handleRpc(e.from(), wire);
        to.validateQueued(Integer.MAX_VALUE, Long.MAX_VALUE);
        assertTrue(++steps < 1_000_000, "the network does not settle");
      }
    }

    void validateAll() {
      for (Node node : nodes) {
        node.router.validateQueued(Integer.MAX_VALUE, Long.MAX_VALUE);
      }
    }

    void heartbeats(int count) {
      for (int i = 0; i < count; i++) {
        now.addAndGet(config.heartbeatInterval().toMillis());
        for (Node node : nodes) {
          node.router.heartbeat();
        }
        drain();
      }
    }

    void subscribeAll(String topic) {
      for (Node node : nodes) {
        node.router.subscribe(topic);
      }
      drain();
    }

    Node node(int i) {
      return nodes.get(i);
    }

    void assertMeshSymmetric(String topic) {
      for (Node a : nodes) {
        for (PeerId b : a.router.meshPeers(topic)) {
          assertTrue(byId.get(b).router.meshPeers(topic).contains(a.id()),
              "mesh link " + a.index + " -> " + byId.get(b).index + " is one-way");
        }
      }
    }
  }

  // ------------------------------------------------------------------ networks

  @Test
  void everyMessageReachesEverySubscriberExactlyOnceOnASparseNetwork() {
    Net net = new Net(20, GossipConfig.defaults(), 1);
    net.connectSparse(25);
    net.drain();
    net.subscribeAll(TOPIC);
    net.heartbeats(5);
    GossipConfig c = net.config;
    for (Net.Node node : net.nodes) {
      int peers = node.router.topicPeers(TOPIC).size();
      int mesh = node.router.meshSizes().get(TOPIC);
      if (peers >= c.dLo()) {
        assertTrue(mesh >= c.dLo() && mesh <= c.dHi(), "node " + node.index + ": mesh " + mesh);
      } else {
        assertEquals(node.router.topicPeers(TOPIC), node.router.meshPeers(TOPIC),
            "node " + node.index + " has fewer than D_lo peers: all of them are in its mesh");
      }
    }
    net.assertMeshSymmetric(TOPIC);
    assertTrue(net.nodes.stream().anyMatch(n -> n.router.topicPeers(TOPIC).size() >= c.dLo()));
    assertTrue(net.nodes.stream().anyMatch(n -> n.router.topicPeers(TOPIC).size() < c.dLo()));

    Map<ByteString, Integer> publisher = new LinkedHashMap<>();
    for (int i = 0; i < 30; i++) {
      int from = net.random.nextInt(net.nodes.size());
      GossipRouter.PublishResult r = net.node(from).router.publish(TOPIC, bytes("message " + i));
      assertTrue(r.peers() > 0);
      publisher.put(ByteString.copyFrom(r.id()), from);
      if (i % 3 == 0) {
        net.drain(); // some published while others are still in flight
      }
    }
    net.drain();
    net.heartbeats(4); // gossip about them must not deliver anything twice
    for (Map.Entry<ByteString, Integer> e : publisher.entrySet()) {
      for (Net.Node node : net.nodes) {
        assertEquals(node.index == e.getValue() ? 0 : 1, node.deliveries(e.getKey()),
            "node " + node.index + ", message from node " + e.getValue());
      }
    }
    for (Net.Node node : net.nodes) {
      assertEquals(30 - publisher.values().stream().filter(p -> p == node.index).count(),
          node.delivered.size(), "node " + node.index);
      for (Delivered d : node.delivered) {
        assertEquals(TOPIC, d.topic());
        Net.Node author = net.nodes.get(publisher.get(d.id()));
        assertEquals(author.id(), d.from());
      }
    }
  }

  @Property(tries = 8, seed = "20240607")
  void randomSparseNetworksWithChurnDeliverExactlyOnce(@ForAll long seed, @ForAll boolean flood) {
    Net net = new Net(14, GossipConfig.builder().floodPublish(flood).build(), seed);
    net.connectSparse(12);
    net.drain();
    net.subscribeAll(TOPIC);
    net.heartbeats(3);
    // a ring link goes away: the graph stays connected, the meshes repair themselves
    int cut = net.random.nextInt(14);
    net.disconnect(cut, (cut + 1) % 14);
    net.heartbeats(3);
    net.assertMeshSymmetric(TOPIC);
    List<ByteString> ids = new ArrayList<>();
    List<Integer> from = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      int p = net.random.nextInt(14);
      ids.add(ByteString.copyFrom(net.node(p).router.publish(TOPIC, bytes("m" + i)).id()));
      from.add(p);
    }
    net.drain();
    net.heartbeats(2);
    for (int i = 0; i < ids.size(); i++) {
      for (Net.Node node : net.nodes) {
        assertEquals(node.index == from.get(i) ? 0 : 1, node.deliveries(ids.get(i)),
            "seed " + seed + ", node " + node.index + ", message " + i);
      }
    }
  }

  @Test
  void meshesConvergeWithinBoundsOnADenseNetworkAndCarryMessages() {
    Net net = new Net(20, GossipConfig.defaults(), 2);
    net.connectAll();
    net.drain();
    net.subscribeAll(TOPIC);
    net.heartbeats(10);
    GossipConfig c = net.config;
    for (Net.Node node : net.nodes) {
      assertEquals(19, node.router.topicPeers(TOPIC).size());
      int mesh = node.router.meshSizes().get(TOPIC);
      assertTrue(mesh >= c.dLo() && mesh <= c.dHi(), "node " + node.index + ": mesh " + mesh);
    }
    net.assertMeshSymmetric(TOPIC);
    // Without flood publishing a message travels the mesh only, and still reaches everyone.
    Net quiet = new Net(20, GossipConfig.builder().floodPublish(false).build(), 3);
    quiet.connectAll();
    quiet.drain();
    quiet.subscribeAll(TOPIC);
    quiet.heartbeats(10);
    GossipRouter.PublishResult r = quiet.node(7).router.publish(TOPIC, bytes("hello"));
    assertEquals(quiet.node(7).router.meshSizes().get(TOPIC).intValue(), r.peers());
    quiet.drain();
    long copies = 0;
    for (Net.Node node : quiet.nodes) {
      assertEquals(node.index == 7 ? 0 : 1, node.deliveries(ByteString.copyFrom(r.id())));
      copies += node.router.counters().get("forwarded");
    }
    // each node forwards to at most its mesh (minus the sender): bounded amplification
    assertTrue(copies <= 20L * c.dHi(), "copies " + copies);
    // Flood publishing sends our own message to every peer of the topic.
    GossipRouter.PublishResult f = net.node(3).router.publish(TOPIC, bytes("flood"));
    assertEquals(19, f.peers());
    net.drain();
    for (Net.Node node : net.nodes) {
      assertEquals(node.index == 3 ? 0 : 1, node.deliveries(ByteString.copyFrom(f.id())));
    }
  }

  @Test
  void unsubscribeStopsDeliveryAndResubscribingAfterTheBackoffRestoresIt() {
    Net net = new Net(8, GossipConfig.defaults(), 4);
    net.connectAll();
    net.drain();
    net.subscribeAll(TOPIC);
    net.heartbeats(3);
    Net.Node leaver = net.node(5);
    leaver.router.unsubscribe(TOPIC);
    net.drain();
    assertEquals(Set.of(), leaver.router.topics());
    assertFalse(leaver.router.meshSizes().containsKey(TOPIC));
    for (Net.Node node : net.nodes) {
      assertFalse(node.router.meshPeers(TOPIC).contains(leaver.id()), "node " + node.index);
      assertFalse(node.router.topicPeers(TOPIC).contains(leaver.id()), "node " + node.index);
      if (node != leaver) {
        // the PRUNEs of the leaver carried the unsubscribe backoff
        assertTrue(node.router.isBackingOff(TOPIC, leaver.id()));
      }
    }
    net.heartbeats(3);
    List<ByteString> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(ByteString.copyFrom(net.node(i).router.publish(TOPIC, bytes("after " + i)).id()));
    }
    net.drain();
    net.heartbeats(3);
    for (ByteString id : ids) {
      assertEquals(0, leaver.deliveries(id));
    }
    assertEquals(0, leaver.router.counters().get("received"), "nobody sends it the topic any more");
    for (Net.Node node : net.nodes) {
      if (node != leaver) {
        assertEquals(node.index < 5 ? 4 : 5, ids.stream().filter(id -> node.deliveries(id) == 1).count());
      }
    }
    // After the unsubscribe backoff (10 s, plus slack) it can join again.
    net.heartbeats(13);
    leaver.router.subscribe(TOPIC);
    net.drain();
    net.heartbeats(2);
    assertTrue(leaver.router.meshSizes().get(TOPIC) >= net.config.dLo());
    ByteString again = ByteString.copyFrom(net.node(0).router.publish(TOPIC, bytes("again")).id());
    net.drain();
    assertEquals(1, leaver.deliveries(again));
  }

  @Test
  void ihaveAndIwantRecoverAMessageLostOnEveryDirectLink() {
    // Small meshes so that every node has topic peers outside its mesh to gossip with.
    GossipConfig config = GossipConfig.builder().d(2).dLo(1).dHi(3).dLazy(6).dOut(0).build();
    Net net = new Net(8, config, 5);
    net.connectAll();
    net.drain();
    net.subscribeAll(TOPIC);
    net.heartbeats(5);
    Net.Node victim = net.node(4);
    assertTrue(victim.router.meshSizes().get(TOPIC) <= 3);
    RpcProto.Message[] lost = new RpcProto.Message[1];
    net.dropRule = e -> e.to().equals(victim.id()) && e.rpc().getPublishCount() > 0;
    GossipRouter.PublishResult r = net.node(1).router.publish(TOPIC, bytes("lost on the way"));
    ByteString id = ByteString.copyFrom(r.id());
    net.drain();
    assertEquals(0, victim.deliveries(id));
    assertFalse(net.droppedOnLinks.isEmpty());
    lost[0] = net.droppedOnLinks.get(0).rpc().getPublish(0);
    for (Net.Node node : net.nodes) {
      if (node != victim && node.index != 1) {
        assertEquals(1, node.deliveries(id), "node " + node.index);
      }
    }
    net.dropRule = e -> false;
    net.heartbeats(1);
    assertEquals(1, victim.deliveries(id), "recovered through IHAVE/IWANT");
    assertTrue(victim.router.counters().get("iwantIdsSent") >= 1);
    assertTrue(net.nodes.stream().mapToLong(n -> n.router.counters().get("iwantServed")).sum() >= 1);
    // the recovered message is the one published, byte for byte
    Delivered d = victim.delivered.get(victim.delivered.size() - 1);
    assertEquals(lost[0].getData(), d.data());
    assertEquals(net.node(1).id(), d.from());
    net.heartbeats(3);
    assertEquals(1, victim.deliveries(id));
  }

  @Test
  void colocatedPeersScoreBelowZeroAndLeaveTheMesh() {
    Net net = new Net(8, GossipConfig.defaults(), 6);
    net.connectAll();
    net.drain();
    net.subscribeAll(TOPIC);
    net.heartbeats(3);
    Net.Node victim = net.node(0);
    // five peers behind one public address (threshold 3): each scores -5 * (5 - 3)^2 = -20
    for (int i = 1; i <= 5; i++) {
      victim.router.peerAddress(net.node(i).id(), "192.0.2.7");
    }
    for (int i = 6; i < 8; i++) {
      victim.router.peerAddress(net.node(i).id(), "127.0.0.1"); // loopback: exempt
    }
    assertTrue(victim.router.score(net.node(1).id()) < 0);
    assertTrue(victim.router.score(net.node(6).id()) >= 0);
    net.heartbeats(1);
    for (int i = 1; i <= 5; i++) {
      assertFalse(victim.router.meshPeers(TOPIC).contains(net.node(i).id()), "colocated peer " + i + " kept its slot");
    }
    assertTrue(victim.router.counters().get("prunedForScore") > 0);
  }

  @Test
  void invalidAndDuplicateMessagesAreDroppedCountedAndNotForwarded() {
    Net net = new Net(8, GossipConfig.defaults(), 6);
    net.connectAll();
    net.drain();
    net.subscribeAll(TOPIC);
    net.heartbeats(3);
    Net.Node victim = net.node(0);
    Net.Node author = net.node(1);
    Net.Node attacker = net.node(2);
    ByteString realId = ByteString.copyFrom(author.router.publish(TOPIC, bytes("real")).id());
    net.drain();
    assertEquals(1, victim.deliveries(realId));

    RpcProto.Message good = MessageSigning.sign(author.key, TOPIC, bytes("fresh"), 77);
    RpcProto.Message forgedSignature = good.toBuilder().setData(ByteString.copyFromUtf8("forged")).build();
    RpcProto.Message keyMismatch = MessageSigning.sign(attacker.key, TOPIC, bytes("mine"), 78).toBuilder()
        .setFrom(ByteString.copyFrom(author.id().toBytes()))
        .setKey(ByteString.copyFrom(attacker.key.publicKey().marshal())).build();
    RpcProto.Message noSeqno = good.toBuilder().clearSeqno().build();
    RpcProto.Message noSignature = good.toBuilder().clearSignature().build();
    RpcProto.Message noTopic = good.toBuilder().clearTopic().build();
    RpcProto.Message otherTopic = MessageSigning.sign(author.key, "elsewhere", bytes("x"), 79);
    RpcProto.Message selfOrigin = MessageSigning.sign(victim.key, TOPIC, bytes("not from this life"), 80);
    RpcProto.Message tooLarge = MessageSigning.sign(author.key, TOPIC, new byte[GossipConfig.MIB], 81);
    RpcProto.Message duplicate = null;
    for (Envelope e : net.log) {
      if (e.to().equals(victim.id()) && e.rpc().getPublishCount() > 0) {
        duplicate = e.rpc().getPublish(0);
      }
    }
    List<RpcProto.Message> bad = List.of(forgedSignature, keyMismatch, noSeqno, noSignature, noTopic,
        otherTopic, selfOrigin, tooLarge, duplicate);
    int logMark = net.log.size();
    long duplicatesBefore = victim.router.dropped(DropReason.DUPLICATE);
    long validatedBefore = victim.router.counters().get("validated");
    assertEquals(duplicatesBefore, victim.router.counters().get("dropped"), "copies of the real message via other links");
    victim.router.handleRpc(attacker.id(), RpcProto.RPC.newBuilder().addAllPublish(bad).build());
    // the cheaply refused ones are not even queued, nor the second message of the same id
    // (forged and unsigned copies of "fresh") from the same peer
    assertEquals(4, victim.router.queuedForValidation());
    victim.router.validateQueued(Integer.MAX_VALUE, Long.MAX_VALUE);
    assertTrue(net.queue.isEmpty(), "nothing is forwarded");
    net.drain();
    assertEquals(1, victim.delivered.size());
    assertEquals(1, victim.router.dropped(DropReason.INVALID_SIGNATURE));
    assertEquals(1, victim.router.dropped(DropReason.KEY_MISMATCH));
    assertEquals(1, victim.router.dropped(DropReason.MISSING_SEQNO));
    assertEquals(0, victim.router.dropped(DropReason.MISSING_SIGNATURE), "refused as a second copy");
    assertEquals(validatedBefore + 4, victim.router.counters().get("validated"), "signature checks");
    assertEquals(1, victim.router.dropped(DropReason.MISSING_TOPIC));
    assertEquals(1, victim.router.dropped(DropReason.NOT_SUBSCRIBED));
    assertEquals(1, victim.router.dropped(DropReason.SELF_ORIGIN));
    assertEquals(1, victim.router.dropped(DropReason.TOO_LARGE));
    assertEquals(duplicatesBefore + 2, victim.router.dropped(DropReason.DUPLICATE));
    Map<String, Long> counters = victim.router.counters();
    assertEquals(duplicatesBefore + 9, counters.get("dropped"));
    assertEquals(1, counters.get("dropped.keyMismatch"));

    // Three invalid messages sink the attacker below the graylist: it is ignored from now on.
    assertTrue(victim.router.score(attacker.id()) < PeerScore.GRAYLIST_THRESHOLD);
    victim.router.handleRpc(attacker.id(), RpcProto.RPC.newBuilder().addPublish(good).build());
    assertEquals(1, victim.router.counters().get("graylisted"));
    assertEquals(1, victim.delivered.size());

    // A forgery first (from another peer) does not shadow the real message with the same id.
    Net.Node relay = net.node(3);
    receive(victim.router, relay.id(), RpcProto.RPC.newBuilder().addPublish(forgedSignature).build());
    assertEquals(2, victim.router.dropped(DropReason.INVALID_SIGNATURE));
    receive(victim.router, relay.id(), RpcProto.RPC.newBuilder().addPublish(good).build());
    assertEquals(2, victim.delivered.size());
    assertEquals(bytes("fresh").length, victim.delivered.get(1).data().size());
    int forwardedGood = net.queue.size();
    assertTrue(forwardedGood > 0, "the valid message is forwarded to the mesh");
    for (Envelope e : net.queue) {
      assertFalse(e.to().equals(relay.id()), "not back to its sender");
      assertFalse(e.to().equals(author.id()), "not to its author");
      assertEquals(List.of(good), e.rpc().getPublishList());
    }
    net.drain();
    for (Envelope e : net.log.subList(logMark, net.log.size())) {
      for (RpcProto.Message m : e.rpc().getPublishList()) {
        assertTrue(m.equals(good), "only the valid message travels, not " + m.getData().toStringUtf8());
      }
    }
  }

  // ------------------------------------------------------------------ single routers

  static final class Capture implements Output {
    final List<Envelope> sent = new ArrayList<>();
    final List<Delivered> delivered = new ArrayList<>();
    final PeerId self;

    Capture(PeerId self) {
      this.self = self;
    }

    @Override
    public void send(PeerId peer, RpcProto.RPC rpc) {
      sent.add(new Envelope(self, peer, rpc));
    }

    @Override
    public void deliver(String topic, PeerId from, byte[] id, byte[] data, long seqno) {
      delivered.add(new Delivered(topic, from, ByteString.copyFrom(id), ByteString.copyFrom(data), seqno));
    }

    List<RpcProto.RPC> to(PeerId peer) {
      return sent.stream().filter(e -> e.to().equals(peer)).map(Envelope::rpc).toList();
    }

    List<RpcProto.ControlPrune> prunesTo(PeerId peer) {
      return to(peer).stream().flatMap(r -> r.getControl().getPruneList().stream()).toList();
    }

    List<RpcProto.ControlGraft> graftsTo(PeerId peer) {
      return to(peer).stream().flatMap(r -> r.getControl().getGraftList().stream()).toList();
    }
  }

  /** An RPC received and its messages verified at once. */
  static void receive(GossipRouter r, PeerId from, RpcProto.RPC rpc) {
    r.handleRpc(from, rpc);
    r.validateQueued(Integer.MAX_VALUE, Long.MAX_VALUE);
  }

  static RpcProto.RPC subscribeRpc(String topic) {
    return RpcProto.RPC.newBuilder()
        .addSubscriptions(RpcProto.RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid(topic)).build();
  }

  static RpcProto.RPC graftRpc(String topic) {
    return RpcProto.RPC.newBuilder().setControl(RpcProto.ControlMessage.newBuilder()
        .addGraft(RpcProto.ControlGraft.newBuilder().setTopicID(topic))).build();
  }

  static RpcProto.RPC pruneRpc(String topic, long backoffSeconds) {
    return RpcProto.RPC.newBuilder().setControl(RpcProto.ControlMessage.newBuilder()
        .addPrune(RpcProto.ControlPrune.newBuilder().setTopicID(topic).setBackoff(backoffSeconds))).build();
  }

  final AtomicLong now = new AtomicLong(START);
  final KeyPair me = keyOf(999);
  final Capture out = new Capture(me.peerId());

  GossipRouter router(GossipConfig config) {
    return new GossipRouter(me, config, out, now::get, new Random(42));
  }

  @Test
  void publishingWithNobodyToSendToReachesZeroPeers() {
    GossipRouter r = router(GossipConfig.defaults());
    assertEquals(0, r.publish(TOPIC, bytes("alone")).peers());
    r.addPeer(peer(1), true);
    r.handleRpc(peer(1), subscribeRpc("other"));
    assertEquals(0, r.publish(TOPIC, bytes("nobody on this topic")).peers());
    r.subscribe(TOPIC);
    assertEquals(0, r.publish(TOPIC, bytes("joined, still alone")).peers());
    GossipRouter quiet = new GossipRouter(keyOf(998), GossipConfig.builder().floodPublish(false).build(), out, now::get, new Random(1));
    assertEquals(0, quiet.publish(TOPIC, bytes("x")).peers());
    assertEquals(Set.of(), quiet.fanoutPeers(TOPIC));
    assertEquals(3, r.counters().get("published"));
    assertEquals(0, r.counters().get("publishedCopies"));
    assertTrue(out.sent.stream().noneMatch(e -> e.rpc().getPublishCount() > 0));
  }

  @Test
  void theHelloCarriesOurSubscriptionsAndChangesAreAnnounced() {
    GossipRouter r = router(GossipConfig.defaults());
    r.subscribe("a");
    r.subscribe("b");
    r.addPeer(peer(1), false);
    RpcProto.RPC hello = out.to(peer(1)).get(0);
    assertEquals(List.of("a", "b"), hello.getSubscriptionsList().stream().map(RpcProto.RPC.SubOpts::getTopicid).toList());
    assertTrue(hello.getSubscriptionsList().stream().allMatch(RpcProto.RPC.SubOpts::getSubscribe));
    r.unsubscribe("a");
    RpcProto.RPC bye = out.to(peer(1)).get(1);
    assertEquals("a", bye.getSubscriptions(0).getTopicid());
    assertFalse(bye.getSubscriptions(0).getSubscribe());
    r.addPeer(peer(1), false);
    assertEquals(2, out.to(peer(1)).size(), "adding a peer twice sends nothing");
    r.handleRpc(peer(2), subscribeRpc("a"));
    assertEquals(1, r.counters().get("rpcsFromUnknownPeers"));
  }

  @Test
  void graftDuringBackoffIsAnsweredWithPrune() {
    GossipRouter r = router(GossipConfig.defaults());
    PeerId b = peer(1);
    r.addPeer(b, false);
    r.subscribe(TOPIC);
    r.handleRpc(b, subscribeRpc(TOPIC));
    r.heartbeat();
    assertEquals(Set.of(b), r.meshPeers(TOPIC), "below D_lo: the heartbeat grafts");
    assertEquals(1, out.graftsTo(b).size());

    r.handleRpc(b, pruneRpc(TOPIC, 60));
    assertEquals(Set.of(), r.meshPeers(TOPIC));
    assertTrue(r.isBackingOff(TOPIC, b));
    now.addAndGet(1000);
    r.heartbeat();
    assertEquals(1, out.graftsTo(b).size(), "no graft during the backoff");

    now.addAndGet(9000);
    r.handleRpc(b, graftRpc(TOPIC));
    assertEquals(Set.of(), r.meshPeers(TOPIC));
    List<RpcProto.ControlPrune> prunes = out.prunesTo(b);
    assertEquals(1, prunes.size());
    assertEquals(TOPIC, prunes.get(0).getTopicID());
    assertEquals(60, prunes.get(0).getBackoff());
    assertEquals(1, r.counters().get("graftsRefused"));

    // the refused GRAFT extended the backoff to 60 s from then
    now.addAndGet(59_000);
    r.handleRpc(b, graftRpc(TOPIC));
    assertEquals(2, out.prunesTo(b).size());
    now.addAndGet(60_001);
    r.handleRpc(b, graftRpc(TOPIC));
    assertEquals(Set.of(b), r.meshPeers(TOPIC), "accepted once the backoff is over");
    assertEquals(2, out.prunesTo(b).size());
  }

  @Test
  void graftsForTopicsWeAreNotInAreIgnored() {
    GossipRouter r = router(GossipConfig.defaults());
    PeerId b = peer(1);
    r.addPeer(b, false);
    int before = out.sent.size();
    r.handleRpc(b, graftRpc("unknown"));
    assertEquals(before, out.sent.size());
    assertEquals(1, r.counters().get("graftsIgnored"));
  }

  @Test
  void anOversubscribedMeshIsPrunedToDKeepingOutboundPeers() {
    GossipRouter r = router(GossipConfig.defaults());
    r.subscribe(TOPIC);
    for (int i = 0; i < 15; i++) {
      r.addPeer(peer(i), i >= 13);
      r.handleRpc(peer(i), subscribeRpc(TOPIC));
    }
    for (int i = 0; i < 13; i++) {
      r.handleRpc(peer(i), graftRpc(TOPIC));
    }
    assertEquals(12, r.meshSizes().get(TOPIC));
    assertEquals(1, out.prunesTo(peer(12)).size(), "at D_hi inbound GRAFTs are refused");
    r.handleRpc(peer(13), graftRpc(TOPIC));
    r.handleRpc(peer(14), graftRpc(TOPIC));
    assertEquals(14, r.meshSizes().get(TOPIC), "outbound peers are still accepted");
    int mark = out.sent.size();
    r.heartbeat();
    Map<PeerId, Integer> rpcs = new HashMap<>();
    for (Envelope e : out.sent.subList(mark, out.sent.size())) {
      assertEquals(1, rpcs.merge(e.to(), 1, Integer::sum), "one RPC per peer and heartbeat");
    }
    Set<PeerId> mesh = r.meshPeers(TOPIC);
    assertEquals(6, mesh.size());
    assertTrue(mesh.contains(peer(13)) && mesh.contains(peer(14)), "D_out = 2 outbound peers stay");
    int pruned = 0;
    for (int i = 0; i < 15; i++) {
      if (i == 12) {
        continue;
      }
      if (!mesh.contains(peer(i))) {
        pruned++;
        assertEquals(1, out.prunesTo(peer(i)).size());
        assertEquals(60, out.prunesTo(peer(i)).get(0).getBackoff());
        assertTrue(r.isBackingOff(TOPIC, peer(i)));
      }
    }
    assertEquals(8, pruned);
    assertEquals(8, rpcs.size());
  }

  @Test
  void theMeshKeepsDOutOutboundPeersWhenItHasEnough() {
    GossipRouter r = router(GossipConfig.defaults());
    r.subscribe(TOPIC);
    for (int i = 0; i < 8; i++) {
      r.addPeer(peer(i), i >= 6);
      r.handleRpc(peer(i), subscribeRpc(TOPIC));
    }
    for (int i = 0; i < 6; i++) {
      r.handleRpc(peer(i), graftRpc(TOPIC));
    }
    assertEquals(6, r.meshSizes().get(TOPIC));
    r.heartbeat();
    assertEquals(8, r.meshSizes().get(TOPIC), "the two outbound peers are grafted for D_out");
    assertEquals(1, out.graftsTo(peer(6)).size());
    assertEquals(1, out.graftsTo(peer(7)).size());
  }

  @Test
  void withoutFloodPublishingTheFanoutIsUsedAndExpires() {
    GossipRouter r = router(GossipConfig.builder().floodPublish(false).build());
    for (int i = 0; i < 10; i++) {
      r.addPeer(peer(i), true);
      r.handleRpc(peer(i), subscribeRpc(TOPIC));
    }
    assertEquals(6, r.publish(TOPIC, bytes("one")).peers());
    Set<PeerId> fanout = r.fanoutPeers(TOPIC);
    assertEquals(6, fanout.size());
    assertEquals(6, r.publish(TOPIC, bytes("two")).peers());
    assertEquals(fanout, r.fanoutPeers(TOPIC));
    r.removePeer(fanout.iterator().next());
    now.addAndGet(1000);
    r.heartbeat();
    assertEquals(6, r.fanoutPeers(TOPIC).size(), "topped up");
    now.addAndGet(59_000);
    r.heartbeat();
    assertEquals(Set.of(), r.fanoutPeers(TOPIC), "60 s after the last publish");
    // joining the topic turns fanout peers into mesh peers
    r.publish(TOPIC, bytes("three"));
    Set<PeerId> f2 = r.fanoutPeers(TOPIC);
    r.subscribe(TOPIC);
    assertEquals(f2, r.meshPeers(TOPIC));
    assertEquals(Set.of(), r.fanoutPeers(TOPIC));
  }

  @Test
  void iwantIsServedFromTheCacheAtMostThreeTimesPerPeer() {
    GossipRouter r = router(GossipConfig.defaults());
    PeerId b = peer(1);
    r.addPeer(b, false);
    r.handleRpc(b, subscribeRpc(TOPIC));
    ByteString id = ByteString.copyFrom(r.publish(TOPIC, bytes("cached")).id());
    RpcProto.RPC iwant = RpcProto.RPC.newBuilder().setControl(RpcProto.ControlMessage.newBuilder()
        .addIwant(RpcProto.ControlIWant.newBuilder().addMessageIDs(id).addMessageIDs(ByteString.copyFromUtf8("unknown")))).build();
    int before = out.to(b).size();
    for (int i = 0; i < 5; i++) {
      r.handleRpc(b, iwant);
    }
    List<RpcProto.RPC> answers = out.to(b).subList(before, out.to(b).size());
    assertEquals(3, answers.size());
    assertTrue(answers.stream().allMatch(a -> a.getPublishCount() == 1));
    assertEquals(3, r.counters().get("iwantServed"));
  }

  @Test
  void ihaveIsAnsweredWithIwantForUnseenIdsOfJoinedTopicsOnly() {
    GossipRouter r = router(GossipConfig.defaults());
    PeerId b = peer(1);
    r.addPeer(b, false);
    r.subscribe(TOPIC);
    ByteString mine = ByteString.copyFrom(r.publish(TOPIC, bytes("known")).id());
    ByteString unseen = ByteString.copyFromUtf8("unseen id");
    RpcProto.RPC ihave = RpcProto.RPC.newBuilder().setControl(RpcProto.ControlMessage.newBuilder()
        .addIhave(RpcProto.ControlIHave.newBuilder().setTopicID(TOPIC).addMessageIDs(mine).addMessageIDs(unseen))
        .addIhave(RpcProto.ControlIHave.newBuilder().setTopicID("not joined").addMessageIDs(ByteString.copyFromUtf8("other")))).build();
    int before = out.to(b).size();
    r.handleRpc(b, ihave);
    List<RpcProto.RPC> answers = out.to(b).subList(before, out.to(b).size());
    assertEquals(1, answers.size());
    assertEquals(List.of(unseen), answers.get(0).getControl().getIwant(0).getMessageIDsList());
    // at most 10 IHAVE RPCs are heeded per peer and heartbeat
    for (int i = 0; i < 20; i++) {
      r.handleRpc(b, ihave);
    }
    assertEquals(before + 10, out.to(b).size());
    assertEquals(11 * 2, r.counters().get("ihavesIgnored"), "11 RPCs of 2 IHAVEs each");
    r.heartbeat();
    int mark = out.to(b).size();
    r.handleRpc(b, ihave);
    assertTrue(out.to(b).subList(mark, out.to(b).size()).stream().anyMatch(x -> x.getControl().getIwantCount() == 1));
  }

  @Test
  void largeBatchesAreSplitIntoRpcsWithinTheLimit() {
    GossipConfig config = GossipConfig.builder().maxMessageSize(4096).build();
    GossipRouter r = router(config);
    PeerId b = peer(1);
    r.addPeer(b, false);
    r.handleRpc(b, subscribeRpc(TOPIC));
    List<ByteString> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ids.add(ByteString.copyFrom(r.publish(TOPIC, new byte[3000]).id()));
    }
    assertThrows(IllegalArgumentException.class, () -> r.publish(TOPIC, new byte[5000]));
    int before = out.to(b).size();
    r.handleRpc(b, RpcProto.RPC.newBuilder().setControl(RpcProto.ControlMessage.newBuilder()
        .addIwant(RpcProto.ControlIWant.newBuilder().addAllMessageIDs(ids))).build());
    List<RpcProto.RPC> answers = out.to(b).subList(before, out.to(b).size());
    assertTrue(answers.size() > 1);
    assertEquals(40, answers.stream().mapToInt(RpcProto.RPC::getPublishCount).sum());
    assertTrue(answers.stream().allMatch(a -> a.getSerializedSize() <= config.maxRpcSize()));
  }

  // ------------------------------------------------------------------ validation queue

  /** An RPC publishing {@code count} messages signed by {@code author}, data "tag i". */
  static RpcProto.RPC signedRpc(KeyPair author, String tag, int count, int dataLength) {
    RpcProto.RPC.Builder rpc = RpcProto.RPC.newBuilder();
    for (int i = 0; i < count; i++) {
      byte[] data = java.util.Arrays.copyOf(bytes(tag + " " + i), Math.max(dataLength, (tag + " " + i).length()));
      rpc.addPublish(MessageSigning.sign(author, TOPIC, data, 1 + i));
    }
    return rpc.build();
  }

  /** The default configuration with other validation queue limits. */
  static GossipConfig queueLimits(int perPeer, int perTopic, int bytes) {
    return GossipConfig.builder().validationQueuePerPeer(perPeer).validationQueuePerTopic(perTopic)
        .validationQueueBytes(bytes).build();
  }

  /** A router in TOPIC with peers 1..n subscribed to it. */
  GossipRouter joined(GossipConfig config, int n) {
    GossipRouter r = router(config);
    r.subscribe(TOPIC);
    for (int i = 1; i <= n; i++) {
      r.addPeer(peer(i), false);
      r.handleRpc(peer(i), subscribeRpc(TOPIC));
    }
    return r;
  }

  List<String> deliveredTags() {
    return out.delivered.stream().map(d -> d.data().toStringUtf8().replace("\0", "")).toList();
  }

  @Test
  void aFloodingPeerIsThrottledAtItsCapAndPeersAreServedRoundRobin() {
    GossipRouter r = joined(queueLimits(4, 100, 64 * GossipConfig.MIB), 2);
    r.handleRpc(peer(1), signedRpc(keyOf(10), "a", 10, 0));
    r.handleRpc(peer(2), signedRpc(keyOf(11), "b", 2, 0));
    assertEquals(6, r.queuedForValidation());
    assertEquals(6, r.dropped(DropReason.THROTTLED_PEER), "the newest six of the flooding peer");
    assertEquals(0, r.counters().get("validated"), "nothing verified inside handleRpc");
    assertTrue(out.delivered.isEmpty());

    assertEquals(3, r.validateQueued(3, Long.MAX_VALUE));
    assertEquals(List.of("a 0", "b 0", "a 1"), deliveredTags());
    assertEquals(0, r.validateQueued(100, Long.MAX_VALUE));
    assertEquals(List.of("a 0", "b 0", "a 1", "b 1", "a 2", "a 3"), deliveredTags());
    Map<String, Long> c = r.counters();
    assertEquals(6, c.get("validationQueued"));
    assertEquals(6, c.get("validated"));
    assertEquals(0, c.get("validationQueue"));
    assertEquals(0, c.get("validationQueueBytes"));
    assertEquals(6, c.get("dropped.throttledPeer"));
    // the byte budget of a call ends it after the message that crosses it
    r.handleRpc(peer(1), signedRpc(keyOf(12), "c", 3, 0));
    assertEquals(2, r.validateQueued(100, 1));
  }

  @Test
  void aRelayedFloodFromOneAuthorDoesNotCrowdOutTheRelaysOtherAuthors() {
    GossipRouter r = joined(queueLimits(4, 100, 64 * GossipConfig.MIB), 1);
    r.handleRpc(peer(1), signedRpc(keyOf(70), "flood", 6, 0)); // relayed: one author, 4 queued, 2 dropped
    assertEquals(2, r.dropped(DropReason.THROTTLED_PEER));
    r.handleRpc(peer(1), signedRpc(keyOf(71), "own", 2, 0));
    assertEquals(4, r.queuedForValidation());
    assertEquals(4, r.dropped(DropReason.THROTTLED_PEER), "two flood messages made room");
    r.validateQueued(Integer.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(List.of("flood 0", "flood 1", "own 0", "own 1"), deliveredTags());
  }

  @Test
  void aFullTopicMakesRoomForAPeerHoldingLessOfIt() {
    int cap = 10;
    GossipRouter r = joined(queueLimits(100, cap, 64 * GossipConfig.MIB), 6);
    int sent = 0;
    for (int sybil = 1; sybil <= 5; sybil++) {
      r.handleRpc(peer(sybil), signedRpc(keyOf(20 + sybil), "sybil" + sybil, 10, 0));
      sent += 10;
      assertTrue(r.queuedForValidation() <= cap, "never over the topic cap: " + r.queuedForValidation());
    }
    // the honest peer arrives last, with one message, into a full topic
    r.handleRpc(peer(6), signedRpc(keyOf(30), "honest", 1, 0));
    sent++;
    assertEquals(cap, r.queuedForValidation());
    r.validateQueued(Integer.MAX_VALUE, Long.MAX_VALUE);
    assertTrue(deliveredTags().contains("honest 0"), deliveredTags().toString());
    long throttled = r.dropped(DropReason.THROTTLED_TOPIC);
    assertEquals(sent, out.delivered.size() + throttled, "every message delivered or counted");
    // max-min fair: every peer ends up with about the same share of the ten slots
    Map<String, Long> perPeer = new java.util.TreeMap<>();
    for (String tag : deliveredTags()) {
      perPeer.merge(tag.substring(0, tag.indexOf(' ')), 1L, Long::sum);
    }
    assertTrue(perPeer.values().stream().allMatch(n -> n <= 3), perPeer.toString());
  }

  @Test
  void theByteBudgetIsSharedTheSameWay() {
    GossipRouter r = joined(queueLimits(100, 1000, 8 * 1024), 2);
    r.handleRpc(peer(1), signedRpc(keyOf(40), "big", 4, 3000));
    assertEquals(2, r.queuedForValidation());
    assertEquals(2, r.dropped(DropReason.THROTTLED_MEMORY));
    r.handleRpc(peer(2), signedRpc(keyOf(41), "other", 1, 3000));
    assertEquals(2, r.queuedForValidation(), "the other peer's message took the flooder's newest slot");
    assertEquals(3, r.dropped(DropReason.THROTTLED_MEMORY));
    assertTrue(r.counters().get("validationQueueBytes") <= 8 * 1024);
    r.validateQueued(Integer.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(List.of("big 0", "other 0"), deliveredTags());
  }

  @Test
  void queuedCopiesAreVerifiedOnceAndAForgeryQueuedFirstDoesNotShadowTheRealMessage() {
    GossipRouter r = joined(GossipConfig.defaults(), 4);
    RpcProto.RPC real = signedRpc(keyOf(50), "real", 1, 0);
    RpcProto.Message genuine = real.getPublish(0);
    RpcProto.Message forged = genuine.toBuilder().setData(ByteString.copyFromUtf8("forged")).build();
    r.handleRpc(peer(1), RpcProto.RPC.newBuilder().addPublish(forged).build());
    r.handleRpc(peer(2), real);
    r.handleRpc(peer(3), real);
    r.handleRpc(peer(3), real); // the same peer again: refused while its first copy waits
    assertEquals(3, r.queuedForValidation());
    assertEquals(1, r.dropped(DropReason.DUPLICATE));
    r.validateQueued(Integer.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(List.of("real 0"), deliveredTags());
    assertEquals(1, r.dropped(DropReason.INVALID_SIGNATURE));
    assertEquals(2, r.dropped(DropReason.DUPLICATE), "the third copy was never verified");
    assertEquals(2, r.counters().get("validated"));
    // and once seen, copies are refused before they are even queued
    r.handleRpc(peer(4), real);
    assertEquals(0, r.queuedForValidation());
    assertEquals(3, r.dropped(DropReason.DUPLICATE));
  }

  @Test
  void messagesOfAPeerThatLeavesOrIsGraylistedAreNotVerified() {
    GossipRouter r = joined(GossipConfig.defaults(), 2);
    r.handleRpc(peer(1), signedRpc(keyOf(60), "gone", 5, 0));
    r.removePeer(peer(1));
    assertEquals(0, r.queuedForValidation());
    // three bad signatures sink a peer below the graylist; its next RPC is ignored and the
    // rest of its queue goes unverified
    RpcProto.RPC.Builder bad = RpcProto.RPC.newBuilder();
    for (RpcProto.Message m : signedRpc(keyOf(61), "bad", 10, 0).getPublishList()) {
      bad.addPublish(m.toBuilder().setSignature(ByteString.copyFrom(new byte[64])));
    }
    r.handleRpc(peer(2), bad.build());
    r.validateQueued(3, Long.MAX_VALUE);
    assertEquals(3, r.counters().get("validated"));
    r.handleRpc(peer(2), subscribeRpc(TOPIC));
    assertEquals(1, r.counters().get("graylisted"));
    assertEquals(7, r.dropped(DropReason.GRAYLISTED));
    assertEquals(0, r.queuedForValidation());
  }

  @Test
  void iwantsAskFewEnoughIdsThatEachAnswerFitsTheRpcLimit() {
    GossipConfig config = GossipConfig.defaults();
    GossipRouter r = joined(config, 1);
    PeerId b = peer(1);
    RpcProto.ControlIHave.Builder ihave = RpcProto.ControlIHave.newBuilder().setTopicID(TOPIC);
    for (int i = 0; i < 30; i++) {
      ihave.addMessageIDs(ByteString.copyFromUtf8("unseen " + i));
    }
    RpcProto.RPC rpc = RpcProto.RPC.newBuilder().setControl(RpcProto.ControlMessage.newBuilder().addIhave(ihave)).build();
    int before = out.to(b).size();
    r.handleRpc(b, rpc);
    List<RpcProto.RPC> iwants = out.to(b).subList(before, out.to(b).size());
    // 1 MiB messages, a limit of 1 MiB + 64 KiB: one id per IWANT, ten IWANT RPCs per heartbeat
    assertEquals(1, config.iwantIdsPerRpc());
    assertEquals(Gossip.MAX_IWANT_RPCS, iwants.size());
    for (RpcProto.RPC x : iwants) {
      int ids = x.getControl().getIwantList().stream().mapToInt(RpcProto.ControlIWant::getMessageIDsCount).sum();
      assertEquals(1, ids);
      assertTrue((long) ids * (config.maxMessageSize() + 6) + GossipConfig.IWANT_ANSWER_CONTROL <= config.maxRpcSize());
    }
    GossipConfig small = GossipConfig.builder().maxMessageSize(4096).build();
    assertEquals(8, small.iwantIdsPerRpc());
    assertTrue(8L * (4096 + 6) + GossipConfig.IWANT_ANSWER_CONTROL <= small.maxRpcSize());
    assertEquals(10, r.counters().get("iwantIdsSent"));
    r.handleRpc(b, rpc);
    assertEquals(before + 10, out.to(b).size(), "no more IWANTs this heartbeat");
    r.heartbeat();
    int mark = out.to(b).size();
    r.handleRpc(b, rpc);
    assertEquals(mark + 10, out.to(b).size(), "ten more after the heartbeat");
  }

  @Test
  void contentHashIdsRefuseRepublishingTheSameData() {
    GossipRouter r = router(GossipConfig.builder().messageIdFn(GossipConfig.MessageIdFn.CONTENT_HASH).build());
    byte[] id = r.publish(TOPIC, bytes("same")).id();
    assertEquals(32, id.length);
    assertThrows(IllegalStateException.class, () -> r.publish(TOPIC, bytes("same")));
    now.addAndGet(120_000);
    r.heartbeat();
    assertEquals(ByteString.copyFrom(id), ByteString.copyFrom(r.publish(TOPIC, bytes("same")).id()));
  }

  @Test
  void seqnosIncreaseFromTheClockInNanoseconds() {
    GossipRouter r = router(GossipConfig.defaults());
    PeerId b = peer(1);
    r.addPeer(b, false);
    r.handleRpc(b, subscribeRpc(TOPIC));
    r.publish(TOPIC, bytes("1"));
    r.publish(TOPIC, bytes("2"));
    List<RpcProto.Message> sent = out.to(b).stream().flatMap(x -> x.getPublishList().stream()).toList();
    long s1 = MessageSigning.seqno(sent.get(0));
    long s2 = MessageSigning.seqno(sent.get(1));
    assertTrue(s1 > START * 1_000_000L);
    assertEquals(s1 + 1, s2);
  }
}
