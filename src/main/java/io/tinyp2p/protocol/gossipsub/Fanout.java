package io.tinyp2p.protocol.gossipsub;

import io.tinyp2p.crypto.PeerId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The fanout of gossipsub-v1.0.md "Fanout": for each topic we publish to without having
 * joined it, D of its peers that get our messages (only without flood publishing, which sends
 * them to every peer of the topic). The set is chosen at the first publish, topped up to D by
 * the heartbeat ({@link #maintain}), and dropped {@link GossipConfig#fanoutTtl()} after the
 * last publish or when we join the topic ({@link #take}: its peers become the mesh's first
 * candidates). Sans-IO and single-threaded; every random choice comes from the router's
 * {@link Random}.
 */
final class Fanout {
  private final GossipConfig config;
  private final Random random;
  /** Topic → fanout peers. */
  private final Map<String, Set<PeerId>> peers = new LinkedHashMap<>();
  private final Map<String, Long> lastPublished = new HashMap<>();

  Fanout(GossipConfig config, Random random) {
    this.config = config;
    this.random = random;
  }

  /**
   * The peers a message we publish to a topic we are not in goes to: the topic's fanout,
   * chosen now (D of {@code topicPeers}) if it has none; publishing restarts its TTL.
   */
  Set<PeerId> forPublish(String topic, Set<PeerId> topicPeers, long now) {
    Set<PeerId> f = peers.get(topic);
    if (f == null || f.isEmpty()) {
      f = new LinkedHashSet<>(GossipRouter.pick(new ArrayList<>(topicPeers), config.d(), random));
      if (!f.isEmpty()) {
        peers.put(topic, f);
      }
    }
    if (!f.isEmpty()) {
      lastPublished.put(topic, now);
    }
    return f;
  }

  /** Forgets a topic's fanout (we join the topic); returns its peers, or null if it had none. */
  Set<PeerId> take(String topic) {
    Set<PeerId> f = peers.remove(topic);
    lastPublished.remove(topic);
    return f;
  }

  /** The peer left the topic. */
  void remove(String topic, PeerId peer) {
    PeerSets.remove(peers, topic, peer);
  }

  /** The peer is gone. */
  void remove(PeerId peer) {
    PeerSets.removeEverywhere(peers, peer);
  }

  /**
   * The heartbeat's part: fanouts whose TTL has passed since the last publish are dropped, the
   * others lose the peers that left the topic and are topped up to D.
   *
   * @param topicPeers topic → peers that announced it
   */
  void maintain(long now, Map<String, Set<PeerId>> topicPeers) {
    long ttl = config.fanoutTtl().toMillis();
    for (Iterator<Map.Entry<String, Set<PeerId>>> it = peers.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Set<PeerId>> e = it.next();
      String topic = e.getKey();
      Long last = lastPublished.get(topic);
      if (last == null || now - last >= ttl) {
        it.remove();
        lastPublished.remove(topic);
        continue;
      }
      Set<PeerId> f = e.getValue();
      Set<PeerId> members = topicPeers.getOrDefault(topic, Set.of());
      f.removeIf(p -> !members.contains(p));
      if (f.size() < config.d()) {
        List<PeerId> candidates = new ArrayList<>();
        for (PeerId p : members) {
          if (!f.contains(p)) {
            candidates.add(p);
          }
        }
        f.addAll(GossipRouter.pick(candidates, config.d() - f.size(), random));
      }
    }
  }

  /** Topics with a fanout, in the order they got it (a read-only live view). */
  Set<String> topics() {
    return Collections.unmodifiableSet(peers.keySet());
  }

  /** A topic's fanout peers (a live view; empty if it has none). */
  Set<PeerId> peers(String topic) {
    return peers.getOrDefault(topic, Set.of());
  }
}
