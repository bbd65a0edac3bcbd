package io.tinyp2p.protocol.gossipsub;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.AddressClass;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The peer score of gossipsub-v1.1.md "Peer Scoring", reduced to its basics: what the router
 * counts about each peer it speaks gossipsub with, and the score computed from it. The
 * parameters are fixed (no per-topic parameters or topic weights: every counter is the peer's
 * across all topics, as if one topic of weight 1):
 *
 * <ul>
 *   <li>P1, time in mesh: +10 per minute the peer has been in one of our meshes (since the
 *       heartbeat that first saw it there), capped at +10;
 *   <li>P2, first message deliveries: +{@value #FIRST_DELIVERY_WEIGHT} per valid message the
 *       peer was first to bring, the counter capped at {@value #FIRST_DELIVERY_CAP};
 *   <li>P4, invalid messages: {@value #INVALID_WEIGHT} × the square of the messages it sent
 *       that failed validation (whoever signed them);
 *   <li>P6, IP colocation: {@value #COLOCATION_WEIGHT} × the square of the peers beyond
 *       {@value #COLOCATION_THRESHOLD} sharing its IP address. Loopback addresses are never
 *       counted, so a local test network is not punished.
 * </ul>
 *
 * The counters of P2 and P4 decay by {@value #DECAY} every heartbeat ({@link #heartbeat}); P4's
 * is zeroed below 0.01. Not implemented: P3 and P3b (mesh delivery rates), P5 (application
 * score) and P7 (behavioural penalties).
 *
 * <p>The router applies two of the spec's "Score Thresholds": below
 * {@value #GOSSIP_THRESHOLD} ({@link #meetsGossipThreshold}) a peer loses its mesh slots, is
 * not grafted and gets no gossip; below {@value #GRAYLIST_THRESHOLD} ({@link #graylisted})
 * everything it sends is ignored.
 *
 * <p>Sans-IO and single-threaded, like the router; time comes from the injected clock
 * (milliseconds).
 */
final class PeerScore {
  /** Below it a peer loses its mesh slots and gets no gossip from us. */
  static final double GOSSIP_THRESHOLD = 0;
  /** Below it everything the peer sends is ignored (v1.1's graylist). */
  static final double GRAYLIST_THRESHOLD = -80;
  static final double FIRST_DELIVERY_WEIGHT = 0.1;
  static final double FIRST_DELIVERY_CAP = 100;
  /** The factor the P2 and P4 counters are multiplied with every heartbeat. */
  static final double DECAY = 0.99;
  static final double INVALID_WEIGHT = -10;
  static final double COLOCATION_WEIGHT = -5;
  static final int COLOCATION_THRESHOLD = 3;
  /** P1's cap, reached after a minute in the mesh. */
  static final double TIME_IN_MESH_CAP = 10;

  /** What is counted about one peer. */
  private static final class Stats {
    double firstDeliveries;
    double invalidMessages;
    /** When the heartbeat first saw the peer in one of our meshes; -1 while in none. */
    long meshSince = -1;
    /** Its (non-loopback) IP address, counted in {@link #peersPerIp}; null if unknown. */
    String ip;
  }

  private final LongSupplier clock;
  private final Map<PeerId, Stats> peers = new LinkedHashMap<>();
  /** Peers per (non-loopback) IP address, for the colocation factor: O(1) per score. */
  private final Map<String, Integer> peersPerIp = new HashMap<>();

  PeerScore(LongSupplier clock) {
    this.clock = clock;
  }

  /** Starts counting for a peer (the router added it); a known peer keeps its counters. */
  void add(PeerId peer) {
    peers.putIfAbsent(peer, new Stats());
  }

  /** Forgets a peer and its address. */
  void remove(PeerId peer) {
    Stats s = peers.remove(peer);
    if (s != null) {
      forgetIp(s);
    }
  }

  /** A known peer's IP address, for P6; null and unknown peers are ignored. */
  void ip(PeerId peer, String ip) {
    Stats s = peers.get(peer);
    if (s == null || ip == null || ip.equals(s.ip)) {
      return;
    }
    forgetIp(s);
    if (!AddressClass.isLoopback(ip)) { // loopback is exempt: never counted
      s.ip = ip;
      peersPerIp.merge(ip, 1, Integer::sum);
    }
  }

  private void forgetIp(Stats s) {
    if (s.ip != null) {
      peersPerIp.computeIfPresent(s.ip, (k, n) -> n > 1 ? n - 1 : null);
      s.ip = null;
    }
  }

  /** P2: the peer was first to bring us a valid message. */
  void firstDelivery(PeerId peer) {
    Stats s = peers.get(peer);
    if (s != null) {
      s.firstDeliveries = Math.min(s.firstDeliveries + 1, FIRST_DELIVERY_CAP);
    }
  }

  /** P4: the peer sent a message that failed validation. */
  void invalidMessage(PeerId peer) {
    Stats s = peers.get(peer);
    if (s != null) {
      s.invalidMessages++;
    }
  }

  /**
   * The heartbeat's part: the counters decay, and P1's clock starts for peers now in a mesh
   * and stops for peers in none.
   *
   * @param meshes our meshes' peers, one set per joined topic
   */
  void heartbeat(Collection<? extends Set<PeerId>> meshes, long now) {
    for (Stats s : peers.values()) {
      s.firstDeliveries *= DECAY;
      s.invalidMessages *= DECAY;
      if (s.invalidMessages < 0.01) {
        s.invalidMessages = 0;
      }
    }
    Set<PeerId> meshed = new HashSet<>();
    meshes.forEach(meshed::addAll);
    for (Map.Entry<PeerId, Stats> e : peers.entrySet()) {
      Stats s = e.getValue();
      if (!meshed.contains(e.getKey())) {
        s.meshSince = -1;
      } else if (s.meshSince < 0) {
        s.meshSince = now;
      }
    }
  }

  /** The peer's score now; 0 for a peer not known. */
  double score(PeerId peer) {
    Stats s = peers.get(peer);
    if (s == null) {
      return 0;
    }
    double score = FIRST_DELIVERY_WEIGHT * s.firstDeliveries;
    if (s.meshSince >= 0) {
      score += Math.min(TIME_IN_MESH_CAP, (clock.getAsLong() - s.meshSince) / 1000.0 / 60.0 * 10);
    }
    score += INVALID_WEIGHT * s.invalidMessages * s.invalidMessages;
    if (s.ip != null) {
      int same = peersPerIp.getOrDefault(s.ip, 0);
      if (same > COLOCATION_THRESHOLD) {
        double surplus = same - COLOCATION_THRESHOLD;
        score += COLOCATION_WEIGHT * surplus * surplus;
      }
    }
    return score;
  }

  /** Whether the peer may stay in or join a mesh and get gossip: score at least 0. */
  boolean meetsGossipThreshold(PeerId peer) {
    return score(peer) >= GOSSIP_THRESHOLD;
  }

  /** Whether everything the peer sends is to be ignored. */
  boolean graylisted(PeerId peer) {
    return score(peer) < GRAYLIST_THRESHOLD;
  }
}
