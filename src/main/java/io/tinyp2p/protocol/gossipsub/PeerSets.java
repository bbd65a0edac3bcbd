package io.tinyp2p.protocol.gossipsub;

import io.tinyp2p.crypto.PeerId;
import java.util.Map;
import java.util.Set;

/** Topic → peer maps (the mesh, the fanout, the topics' peers): putting a peer in and taking it out. */
final class PeerSets {
  private PeerSets() {}

  /** The peer left {@code topic}; the topic's entry stays, even if empty. */
  static void remove(Map<String, Set<PeerId>> sets, String topic, PeerId peer) {
    Set<PeerId> s = sets.get(topic);
    if (s != null) {
      s.remove(peer);
    }
  }

  /** The peer joined {@code topic}: an entry for the topic is made if need be. */
  static void join(Map<String, Set<PeerId>> sets, String topic, PeerId peer) {
    sets.computeIfAbsent(topic, t -> new java.util.LinkedHashSet<>()).add(peer);
  }

  /** The peer left {@code topic}; the topic's entry goes once empty. */
  static void leave(Map<String, Set<PeerId>> sets, String topic, PeerId peer) {
    Set<PeerId> s = sets.get(topic);
    if (s != null) {
      s.remove(peer);
      if (s.isEmpty()) {
        sets.remove(topic);
      }
    }
  }

  /** The peer is gone: it leaves every topic's set. */
  static void removeEverywhere(Map<String, Set<PeerId>> sets, PeerId peer) {
    for (Set<PeerId> s : sets.values()) {
      s.remove(peer);
    }
  }
}
