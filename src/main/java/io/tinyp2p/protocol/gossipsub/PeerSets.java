package io.tinyp2p.protocol.gossipsub;

import io.tinyp2p.crypto.PeerId;
import java.util.Map;
import java.util.Set;

/** Topic → peer maps (the mesh, the fanout): taking a peer out of them. */
final class PeerSets {
  private PeerSets() {}

  /** The peer left {@code topic}; the topic's entry stays, even if empty. */
  static void remove(Map<String, Set<PeerId>> sets, String topic, PeerId peer) {
    Set<PeerId> s = sets.get(topic);
    if (s != null) {
      s.remove(peer);
    }
  }

  /** The peer is gone: it leaves every topic's set. */
  static void removeEverywhere(Map<String, Set<PeerId>> sets, PeerId peer) {
    for (Set<PeerId> s : sets.values()) {
      s.remove(peer);
    }
  }
}
