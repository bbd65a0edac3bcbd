package io.tinyp2p.peerstore;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.PublicKey;
import io.tinyp2p.multiaddr.Multiaddr;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What we learnt about peers from Identify: keys, addresses, protocols, agent. Bounded: at
 * most {@link #MAX_PEERS} peers (the least recently updated goes first) and
 * {@link #MAX_ADDRS} addresses and {@link #MAX_PROTOCOLS} protocols each.
 */
public final class PeerStore {
  public static final int MAX_PEERS = 10_000;
  public static final int MAX_ADDRS = 16;
  public static final int MAX_PROTOCOLS = 128;

  /** One peer as Identify described it. */
  public record PeerInfo(PeerId peerId, PublicKey publicKey, List<Multiaddr> listenAddrs,
      List<String> protocols, String protocolVersion, String agentVersion,
      Multiaddr observedAddr, long updatedAt) {

    public PeerInfo {
      listenAddrs = List.copyOf(listenAddrs.subList(0, Math.min(listenAddrs.size(), MAX_ADDRS)));
      protocols = List.copyOf(protocols.subList(0, Math.min(protocols.size(), MAX_PROTOCOLS)));
    }

    public boolean supports(String protocol) {
      return protocols.contains(protocol);
    }
  }

  private final Map<PeerId, PeerInfo> peers = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<PeerId, PeerInfo> eldest) {
      return size() > MAX_PEERS;
    }
  };

  public void put(PeerInfo info) {
    peers.put(info.peerId(), info);
  }

  /**
   * Adds addresses learnt elsewhere (a Kademlia answer) to a peer, creating an entry without
   * protocols if Identify has not described it yet. Known addresses keep their place.
   */
  public void addAddresses(PeerId peer, List<Multiaddr> addrs) {
    PeerInfo info = peers.get(peer);
    java.util.LinkedHashSet<Multiaddr> merged = new java.util.LinkedHashSet<>();
    if (info != null) {
      merged.addAll(info.listenAddrs());
    }
    merged.addAll(addrs);
    List<Multiaddr> list = new ArrayList<>(merged);
    if (info == null) {
      peers.put(peer, new PeerInfo(peer, peer.publicKey(), list, List.of(), null, null, null,
          System.currentTimeMillis()));
    } else if (list.size() != info.listenAddrs().size()) {
      peers.put(peer, new PeerInfo(peer, info.publicKey(), list, info.protocols(),
          info.protocolVersion(), info.agentVersion(), info.observedAddr(), info.updatedAt()));
    }
  }

  public PeerInfo get(PeerId peer) {
    return peers.get(peer);
  }

  public PeerInfo remove(PeerId peer) {
    return peers.remove(peer);
  }

  public List<Multiaddr> addresses(PeerId peer) {
    PeerInfo info = peers.get(peer);
    return info == null ? List.of() : info.listenAddrs();
  }

  public Collection<PeerInfo> all() {
    return Collections.unmodifiableCollection(new ArrayList<>(peers.values()));
  }

  public int size() {
    return peers.size();
  }
}
