package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The gossip of gossipsub-v1.0.md "Control Messages" (IHAVE, IWANT): at each heartbeat we
 * advertise the ids of our recent messages to peers outside the mesh ({@link #emit}, with
 * v1.1's "Adaptive Gossip Dissemination"), ask with IWANT for advertised ids we have not seen
 * ({@link #handleIHave}) and answer IWANTs from the message cache ({@link #handleIWant}).
 *
 * <p>The limits of gossipsub-v1.1.md "Spam Protection Measures" apply: per peer and heartbeat
 * we heed at most {@link GossipConfig#maxIHaveMessages()} IHAVE-carrying RPCs, ask for at most
 * {@link GossipConfig#maxIHaveLength()} ids in at most {@link #MAX_IWANT_RPCS} IWANT RPCs
 * (each asking few enough ids that the answer fits our RPC limit), and send one message to
 * one peer at most {@link GossipConfig#gossipRetransmission()} times in answer to IWANT.
 * Gossip goes only to peers that meet the gossip threshold of {@link PeerScore}.
 *
 * <p>It reads the router's mesh, fanout and topic peers, and queues what it sends in the
 * router's {@link Outbox}. Sans-IO and single-threaded; every random choice comes from the
 * router's {@link Random}.
 */
final class Gossip {
  /**
   * IWANT RPCs sent to one peer per heartbeat: js-libp2p answers no more than 10 per heartbeat
   * (its GossipsubMaxIWantMessages), and each asks for at most
   * {@link GossipConfig#iwantIdsPerRpc()} ids.
   */
  static final int MAX_IWANT_RPCS = 10;

  /** What a peer used of its budget this heartbeat. */
  private static final class Budget {
    /** IHAVE-carrying RPCs heeded. */
    int ihaves;
    /** Message ids asked of the peer with IWANT. */
    int asked;
    /** IWANT RPCs sent to the peer. */
    int iwantRpcs;
  }

  private final GossipConfig config;
  private final Random random;
  private final MessageCache mcache;
  private final SeenCache seen;
  private final Outbox outbox;
  private final PeerScore scores;
  private final GossipMetrics metrics;
  private final Map<String, Set<PeerId>> mesh;
  private final Fanout fanout;
  private final Map<String, Set<PeerId>> topicPeers;
  /** Budgets used this heartbeat; a peer without an entry has used none. */
  private final Map<PeerId, Budget> budgets = new HashMap<>();

  /**
   * @param mesh the router's joined topics and their mesh peers (read only)
   * @param topicPeers the router's topics and the peers that announced them (read only)
   */
  Gossip(GossipConfig config, Random random, MessageCache mcache, SeenCache seen, Outbox outbox,
      PeerScore scores, GossipMetrics metrics, Map<String, Set<PeerId>> mesh, Fanout fanout,
      Map<String, Set<PeerId>> topicPeers) {
    this.config = config;
    this.random = random;
    this.mcache = mcache;
    this.seen = seen;
    this.outbox = outbox;
    this.scores = scores;
    this.metrics = metrics;
    this.mesh = mesh;
    this.fanout = fanout;
    this.topicPeers = topicPeers;
  }

  /** The IHAVEs of one RPC: unseen ids of joined topics are asked for, within the budget. */
  void handleIHave(PeerId from, List<RpcProto.ControlIHave> ihaves) {
    metrics.ihavesReceived += ihaves.size();
    Budget b = budgets.computeIfAbsent(from, p -> new Budget());
    if (++b.ihaves > config.maxIHaveMessages() || b.asked >= config.maxIHaveLength()
        || b.iwantRpcs >= MAX_IWANT_RPCS) {
      metrics.ihavesIgnored += ihaves.size();
      return;
    }
    Set<ByteString> wanted = new LinkedHashSet<>();
    for (RpcProto.ControlIHave ihave : ihaves) {
      if (!mesh.containsKey(ihave.getTopicID())) {
        continue; // gossip for topics we are not in
      }
      for (ByteString id : ihave.getMessageIDsList()) {
        if (!seen.contains(id)) {
          wanted.add(id);
        }
      }
    }
    if (wanted.isEmpty()) {
      return;
    }
    List<ByteString> ask = new ArrayList<>(wanted);
    // The answer to one IWANT RPC may come as one RPC: ask few enough ids that it fits our limit.
    int perRpc = config.iwantIdsPerRpc();
    int budget = (int) Math.min(config.maxIHaveLength() - b.asked, (long) (MAX_IWANT_RPCS - b.iwantRpcs) * perRpc);
    if (ask.size() > budget) {
      Collections.shuffle(ask, random);
      ask = ask.subList(0, budget);
    }
    b.asked += ask.size();
    metrics.iwantIdsSent += ask.size();
    for (int i = 0; i < ask.size(); i += perRpc) {
      outbox.iwant(from, RpcProto.ControlIWant.newBuilder()
          .addAllMessageIDs(ask.subList(i, Math.min(ask.size(), i + perRpc))).build());
      b.iwantRpcs++;
    }
  }

  /** An IWANT: the cached messages it names, each at most gossipRetransmission times per peer. */
  void handleIWant(PeerId from, RpcProto.ControlIWant iwant) {
    metrics.iwantsReceived++;
    for (ByteString id : iwant.getMessageIDsList()) {
      RpcProto.Message m = mcache.getForPeer(id, from, config.gossipRetransmission());
      if (m != null && outbox.message(from, id, m)) {
        metrics.iwantServed++;
      }
    }
  }

  /**
   * The heartbeat's gossip: for each topic of our mesh or fanout with messages in the gossip
   * windows, an IHAVE of (at most {@link GossipConfig#maxIHaveLength()} of) their ids to
   * D_lazy, or the gossip factor's share if more, of the topic's other peers.
   */
  void emit() {
    Set<String> topics = new LinkedHashSet<>(mesh.keySet());
    topics.addAll(fanout.topics());
    for (String topic : topics) {
      List<ByteString> ids = mcache.gossipIds(topic);
      if (ids.isEmpty()) {
        continue;
      }
      Set<PeerId> exclude = new LinkedHashSet<>(mesh.getOrDefault(topic, Set.of()));
      exclude.addAll(fanout.peers(topic));
      List<PeerId> candidates = new ArrayList<>();
      for (PeerId p : topicPeers.getOrDefault(topic, Set.of())) {
        if (!exclude.contains(p) && scores.meetsGossipThreshold(p)) {
          candidates.add(p);
        }
      }
      int n = Math.max(config.dLazy(), (int) (config.gossipFactor() * candidates.size()));
      List<PeerId> targets = GossipRouter.pick(candidates, n, random);
      if (targets.isEmpty()) {
        continue;
      }
      if (ids.size() > config.maxIHaveLength()) {
        ids = GossipRouter.pick(ids, config.maxIHaveLength(), random);
      }
      RpcProto.ControlIHave ihave = RpcProto.ControlIHave.newBuilder()
          .setTopicID(topic).addAllMessageIDs(ids).build();
      for (PeerId p : targets) {
        outbox.ihave(p, ihave);
      }
    }
  }

  /** A new heartbeat: every peer's budget is whole again. */
  void heartbeat() {
    budgets.clear();
  }

  /** The peer is gone: a peer added again starts with a whole budget, as a new one does. */
  void remove(PeerId peer) {
    budgets.remove(peer);
  }
}
