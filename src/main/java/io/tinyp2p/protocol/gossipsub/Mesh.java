package io.tinyp2p.protocol.gossipsub;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The meshes of the topics we joined, and the rules that shape them: gossipsub-v1.0.md
 * "Mesh Maintenance" and the control messages GRAFT and PRUNE, with gossipsub-v1.1.md's
 * "Outbound Mesh Quotas" (D_out), "PRUNE Backoff" ({@link Backoff}) and the score's gossip
 * threshold ({@link PeerScore}: mesh peers below it are pruned, peers below it are not
 * grafted).
 *
 * <ul>
 *   <li>{@link #join}: up to D peers of the topic (its fanout peers first) are grafted;
 *       {@link #leave}: every mesh peer is pruned with the unsubscribe backoff;
 *   <li>a GRAFT is refused with a PRUNE (and the backoff extended) while a backoff runs, and
 *       from an inbound peer once the mesh has D_hi peers; GRAFTs for topics we are not in
 *       are ignored; a PRUNE starts the backoff it announces;
 *   <li>the heartbeat prunes negative-score peers ({@link #pruneNegativeScores}), then
 *       ({@link #maintain}) grafts up to D below D_lo, prunes down to D above D_hi keeping
 *       D_out outbound peers, and grafts outbound peers while fewer than D_out are in.
 * </ul>
 *
 * What it grafts and prunes is queued in the router's {@link Outbox}. It reads the router's
 * topic peers and asks it which peers are still known and which are outbound. Sans-IO and
 * single-threaded; every random choice comes from the router's {@link Random}.
 */
final class Mesh {
  private final GossipConfig config;
  private final Random random;
  private final Backoff backoff;
  private final PeerScore scores;
  private final Outbox outbox;
  private final GossipMetrics metrics;
  private final Fanout fanout;
  private final Map<String, Set<PeerId>> topicPeers;
  private final Predicate<PeerId> known;
  private final Predicate<PeerId> outbound;
  /** Joined topic → mesh peers. A key exists exactly for each joined topic. */
  private final Map<String, Set<PeerId>> mesh = new LinkedHashMap<>();
  private final Map<String, Set<PeerId>> view = Collections.unmodifiableMap(mesh);

  /**
   * @param topicPeers the router's topics and the peers that announced them (read only)
   * @param known whether the router still has a peer
   * @param outbound whether we dialed a peer's connection (it counts for D_out)
   */
  Mesh(GossipConfig config, Random random, Backoff backoff, PeerScore scores, Outbox outbox,
      GossipMetrics metrics, Fanout fanout, Map<String, Set<PeerId>> topicPeers,
      Predicate<PeerId> known, Predicate<PeerId> outbound) {
    this.config = config;
    this.random = random;
    this.backoff = backoff;
    this.scores = scores;
    this.outbox = outbox;
    this.metrics = metrics;
    this.fanout = fanout;
    this.topicPeers = topicPeers;
    this.known = known;
    this.outbound = outbound;
  }

  /** Joined topic → its mesh peers (a read-only live view). */
  Map<String, Set<PeerId>> view() {
    return view;
  }

  /** A joined topic's mesh peers (live), or null if we are not in the topic. */
  Set<PeerId> get(String topic) {
    return mesh.get(topic);
  }

  /** JOIN(topic): grafts up to D peers not backing off, the topic's fanout peers first. */
  void join(String topic) {
    Set<PeerId> m = new LinkedHashSet<>();
    Set<PeerId> f = fanout.take(topic);
    if (f != null) {
      for (PeerId p : f) {
        if (!backoff.contains(topic, p)) {
          m.add(p);
        }
      }
    }
    if (m.size() < config.d()) {
      List<PeerId> candidates = new ArrayList<>();
      for (PeerId p : topicPeers.getOrDefault(topic, Set.of())) {
        if (!m.contains(p) && !backoff.contains(topic, p)) {
          candidates.add(p);
        }
      }
      m.addAll(pick(candidates, config.d() - m.size()));
    }
    mesh.put(topic, m);
    for (PeerId p : m) {
      outbox.graft(p, topic);
    }
  }

  /** LEAVE(topic): prunes every mesh peer, announcing the unsubscribe backoff. */
  void leave(String topic) {
    Set<PeerId> m = mesh.remove(topic);
    long backoffMillis = config.unsubscribeBackoff().toMillis();
    for (PeerId p : m) {
      backoff.add(topic, p, backoffMillis);
      outbox.prune(p, topic, backoffMillis);
    }
  }

  /** The peer left the topic. */
  void remove(String topic, PeerId peer) {
    PeerSets.remove(mesh, topic, peer);
  }

  /** The peer is gone. */
  void remove(PeerId peer) {
    PeerSets.removeEverywhere(mesh, peer);
  }

  /** A GRAFT from a peer that is {@code outbound} or not. */
  void handleGraft(PeerId from, boolean outbound, RpcProto.ControlGraft graft) {
    metrics.graftsReceived++;
    String topic = graft.getTopicID();
    Set<PeerId> m = mesh.get(topic);
    if (m == null) {
      // v1.1 "Spam Protection Measures": GRAFTs for topics we are not in are ignored.
      metrics.graftsIgnored++;
      return;
    }
    if (m.contains(from)) {
      return;
    }
    long pruneBackoff = config.pruneBackoff().toMillis();
    if (backoff.running(topic, from)) {
      // Grafting during the backoff: refuse and extend it (v1.1 "PRUNE Backoff").
      metrics.graftsRefused++;
      backoff.add(topic, from, pruneBackoff);
      outbox.prune(from, topic, pruneBackoff);
      return;
    }
    if (m.size() >= config.dHi() && !outbound) {
      // Oversubscribed: only outbound peers are still accepted (v1.1 "Outbound Mesh Quotas").
      metrics.graftsRefused++;
      backoff.add(topic, from, pruneBackoff);
      outbox.prune(from, topic, pruneBackoff);
      return;
    }
    m.add(from);
  }

  /** A PRUNE: the peer leaves the mesh and we honour the backoff it announces. */
  void handlePrune(PeerId from, RpcProto.ControlPrune prune) {
    metrics.prunesReceived++;
    String topic = prune.getTopicID();
    Set<PeerId> m = mesh.get(topic);
    if (m == null) {
      return;
    }
    m.remove(from);
    long seconds = Backoff.honouredSeconds(prune, config.pruneBackoff().toSeconds());
    backoff.add(topic, from, seconds * 1000);
    // Peer exchange records are ignored: we do no peer exchange.
  }

  /** Mesh peers whose score fell below the gossip threshold are pruned (with backoff). */
  void pruneNegativeScores() {
    long pruneBackoff = config.pruneBackoff().toMillis();
    for (Map.Entry<String, Set<PeerId>> e : mesh.entrySet()) {
      for (Iterator<PeerId> it = e.getValue().iterator(); it.hasNext(); ) {
        PeerId p = it.next();
        if (!scores.meetsGossipThreshold(p)) {
          it.remove();
          backoff.add(e.getKey(), p, pruneBackoff);
          outbox.prune(p, e.getKey(), pruneBackoff);
          metrics.prunedForScore++;
        }
      }
    }
  }

  /** The heartbeat's mesh repair: D_lo ≤ size ≤ D_hi, with D_out outbound peers if possible. */
  void maintain() {
    for (Map.Entry<String, Set<PeerId>> e : mesh.entrySet()) {
      String topic = e.getKey();
      Set<PeerId> m = e.getValue();
      m.removeIf(p -> !known.test(p));
      if (m.size() < config.dLo()) {
        List<PeerId> candidates = graftCandidates(topic, m, false);
        for (PeerId p : pick(candidates, config.d() - m.size())) {
          m.add(p);
          outbox.graft(p, topic);
        }
      } else if (m.size() > config.dHi()) {
        List<PeerId> shuffled = pick(new ArrayList<>(m), m.size());
        List<PeerId> keep = new ArrayList<>(shuffled.subList(0, config.d()));
        List<PeerId> drop = new ArrayList<>(shuffled.subList(config.d(), shuffled.size()));
        int outbound = countOutbound(keep);
        // Keep D_out outbound peers if we have them: swap outbound peers of the pruned
        // set for inbound survivors.
        for (int i = 0; i < drop.size() && outbound < config.dOut(); i++) {
          PeerId candidate = drop.get(i);
          if (!this.outbound.test(candidate)) {
            continue;
          }
          for (int j = keep.size() - 1; j >= 0; j--) {
            if (!this.outbound.test(keep.get(j))) {
              drop.set(i, keep.get(j));
              keep.set(j, candidate);
              outbound++;
              break;
            }
          }
        }
        long pruneBackoff = config.pruneBackoff().toMillis();
        for (PeerId p : drop) {
          m.remove(p);
          backoff.add(topic, p, pruneBackoff);
          outbox.prune(p, topic, pruneBackoff);
        }
      }
      if (m.size() >= config.dLo()) {
        int outbound = countOutbound(m);
        if (outbound < config.dOut()) {
          for (PeerId p : pick(graftCandidates(topic, m, true), config.dOut() - outbound)) {
            m.add(p);
            outbox.graft(p, topic);
          }
        }
      }
    }
  }

  private List<PeerId> graftCandidates(String topic, Set<PeerId> current, boolean outboundOnly) {
    List<PeerId> out = new ArrayList<>();
    for (PeerId p : topicPeers.getOrDefault(topic, Set.of())) {
      if (!current.contains(p) && !backoff.contains(topic, p) && (!outboundOnly || outbound.test(p))
          && scores.meetsGossipThreshold(p)) {
        out.add(p);
      }
    }
    return out;
  }

  private int countOutbound(Collection<PeerId> ps) {
    int n = 0;
    for (PeerId p : ps) {
      if (outbound.test(p)) {
        n++;
      }
    }
    return n;
  }

  private <T> List<T> pick(List<T> from, int n) {
    return GossipRouter.pick(from, n, random);
  }
}
