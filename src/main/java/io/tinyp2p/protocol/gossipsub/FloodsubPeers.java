package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The router's floodsub peers, {@code peers.floodsub} of gossipsub-v1.0.md "Router State":
 * peers that speak {@code /floodsub/1.0.0} with us (pubsub/README.md's RPC: subscriptions and
 * messages, no control). Gossipsub keeps them backwards compatible ("Message Processing"):
 * every message we publish or forward goes to each floodsub peer of its topic, they are never
 * in a mesh or fanout and get no gossip or other control message, and what control they send
 * is ignored. With {@link GossipConfig.Router#FLOODSUB} every peer is one of these.
 *
 * <p>A floodsub peer is scored like a gossipsub peer (an invalid message costs it P4, a first
 * delivery earns P2, the graylist silences it) and, as a mesh peer is pruned below it, gets
 * nothing from us while it is below the gossip threshold. The bounds of the gossipsub side hold
 * for it unchanged: {@link GossipConfig#maxTopicsPerPeer()} subscriptions, the message and RPC
 * size limits, the validation queue and the glue's per-peer output queue.
 *
 * <p>It holds which peers are floodsub peers and the topics they announced; the router keeps
 * each peer's own topic list (and its bound). Sans-IO and single-threaded, like the router.
 */
final class FloodsubPeers {
  private final Outbox outbox;
  private final PeerScore scores;
  private final Set<PeerId> peers = new LinkedHashSet<>();
  /** Topic → floodsub peers that announced it (never empty sets). */
  private final Map<String, Set<PeerId>> topicPeers = new LinkedHashMap<>();
  private final Map<String, Set<PeerId>> view = Collections.unmodifiableMap(topicPeers);

  FloodsubPeers(Outbox outbox, PeerScore scores) {
    this.outbox = outbox;
    this.scores = scores;
  }

  void add(PeerId peer) {
    peers.add(peer);
  }

  boolean contains(PeerId peer) {
    return peers.contains(peer);
  }

  /** The peer is gone: it leaves every topic. */
  void remove(PeerId peer) {
    if (peers.remove(peer)) {
      topicPeers.values().removeIf(s -> s.remove(peer) && s.isEmpty());
    }
  }

  void joined(String topic, PeerId peer) {
    PeerSets.join(topicPeers, topic, peer);
  }

  void left(String topic, PeerId peer) {
    PeerSets.leave(topicPeers, topic, peer);
  }

  /** Topic → the floodsub peers that announced it (a read-only live view). */
  Map<String, Set<PeerId>> view() {
    return view;
  }

  /**
   * Floods a message: queues it for every floodsub peer of its topic that meets the gossip
   * threshold, but {@code from} (who sent it to us) and {@code origin} (its author); either may
   * be null.
   *
   * @return the peers it was queued for
   */
  int flood(String topic, ByteString id, RpcProto.Message m, PeerId from, PeerId origin) {
    int copies = 0;
    for (PeerId p : topicPeers.getOrDefault(topic, Set.of())) {
      if (!p.equals(from) && !p.equals(origin) && scores.meetsGossipThreshold(p) && outbox.message(p, id, m)) {
        copies++;
      }
    }
    return copies;
  }
}
