package io.tinyp2p.node;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.protocol.gossipsub.GossipRouter;
import io.tinyp2p.protocol.ping.PingEvent;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * What {@code /status} tells of each connected peer besides its connection: the agent and
 * protocols it announced in Identify, its gossipsub score and the last ping round trip. The
 * last round trip is kept here for connected peers only (one entry each, dropped with the
 * peer's last connection). On the node's event loop.
 */
final class ConnectedPeers {
  /** The most characters of a peer's string (agent, protocol id) that {@code /status} carries. */
  static final int MAX_TEXT = 256;

  private final Node node;
  private final Map<PeerId, Duration> lastRtt = new HashMap<>();

  ConnectedPeers(Node node) {
    this.node = node;
    Swarm swarm = node.swarm();
    swarm.on(PingEvent.Succeeded.class, e -> {
      if (swarm.isConnected(e.peer())) {
        lastRtt.put(e.peer(), e.rtt());
      }
    });
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> {
      if (!swarm.isConnected(e.peer())) {
        lastRtt.remove(e.peer());
      }
    });
  }

  /**
   * The peer fields of a connection's {@code /status} entry: {@code agentVersion} (null until
   * Identify), {@code protocols}, {@code gossipScore} (null when the peer does not speak
   * gossipsub with us) and {@code pingMs} (null before the first ping).
   */
  JsonObject json(Connection c) {
    PeerId peer = c.remotePeer();
    PeerStore.PeerInfo info = node.swarm().peerStore().get(peer);
    JsonArray protocols = new JsonArray();
    if (info != null) {
      info.protocols().forEach(p -> protocols.add(cut(p)));
    }
    GossipRouter router = node.gossipsub() == null ? null : node.gossipsub().router();
    Duration rtt = lastRtt.get(peer);
    return new JsonObject()
        .put("agentVersion", info == null ? null : cut(info.agentVersion()))
        .put("protocols", protocols)
        .put("gossipScore", router != null && router.hasPeer(peer) ? router.score(peer) : null)
        .put("pingMs", rtt == null ? null : History.round3(rtt.toNanos() / 1e6));
  }

  /** Peers choose these strings: at most {@link #MAX_TEXT} characters of them. */
  static String cut(String s) {
    if (s == null || s.length() <= MAX_TEXT) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(MAX_TEXT - 1)) ? MAX_TEXT - 1 : MAX_TEXT;
    return s.substring(0, end) + "…";
  }

  /** How many peers have a round trip kept (the bound: connected peers). */
  int tracked() {
    return lastRtt.size();
  }
}
