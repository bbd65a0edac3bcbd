package io.tinyp2p.swarm;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices two live nodes that authenticate with the same PeerId (one secret configured on two
 * hosts or processes): each connection's Identify listen addresses are kept, and a peer's two
 * open connections are two nodes when their listen addresses differ and either have nothing in
 * common or come from different IPs. A simultaneous dial between two nodes (one connection
 * each way, the same listen addresses) is not one. Warned once per PeerId (at most
 * {@link #MAX_WARNED} remembered).
 */
final class DuplicateIdentity {
  private static final Logger LOG = LoggerFactory.getLogger(DuplicateIdentity.class);
  static final int MAX_WARNED = 1024;

  private final Map<Connection, Set<Multiaddr>> listenAddrs = new HashMap<>();
  private final Set<PeerId> warned = new LinkedHashSet<>();

  /**
   * Records what Identify said on {@code connection}; true when this shows a second node with
   * the same identity among {@code open} (the peer's open connections) for the first time.
   */
  boolean identified(Connection connection, Collection<Multiaddr> addrs, List<Connection> open) {
    Set<Multiaddr> mine = new LinkedHashSet<>();
    for (Multiaddr a : addrs) {
      mine.add(a.withoutPeerId());
    }
    listenAddrs.put(connection, mine);
    PeerId peer = connection.remotePeer();
    if (warned.contains(peer)) {
      return false;
    }
    for (Connection other : open) {
      Set<Multiaddr> theirs = other == connection ? null : listenAddrs.get(other);
      if (theirs == null || !twoNodes(connection, mine, other, theirs)) {
        continue;
      }
      if (warned.size() >= MAX_WARNED) {
        warned.remove(warned.iterator().next());
      }
      warned.add(peer);
      LOG.warn("two nodes share the identity {}: one at {} listening on {}, another at {} listening on {};"
          + " give each node its own secret", peer, other.remoteAddress(), theirs, connection.remoteAddress(), mine);
      return true;
    }
    return false;
  }

  private static boolean twoNodes(Connection a, Set<Multiaddr> aAddrs, Connection b, Set<Multiaddr> bAddrs) {
    if (aAddrs.equals(bAddrs)) {
      return false;
    }
    boolean disjoint = !aAddrs.isEmpty() && !bAddrs.isEmpty() && java.util.Collections.disjoint(aAddrs, bAddrs);
    boolean otherIp = !a.remoteAddress().host().equals(b.remoteAddress().host());
    return disjoint || otherIp;
  }

  void closed(Connection connection) {
    listenAddrs.remove(connection);
  }
}
