package io.tinyp2p.node;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.peerstore.PeerStoreFile;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.protocol.kad.Kademlia;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer store kept across restarts ({@code peerStoreFile}). At start the stored peers go into
 * the swarm's peer store and Kademlia bootstraps from them as from its boot nodes; while the node
 * runs, every peer seen over a connection (opened, identified, closed) is remembered with the
 * time, its addresses, protocols and agent as the peer store holds them, and the file is saved
 * every {@code peerStoreInterval} when something changed, and at stop. Peers are remembered only
 * once they reached us over an authenticated connection, and only with an address to dial; at most
 * {@link PeerStoreFile#MAX_PEERS}, the most recently seen. Runs on the node's event loop; the file
 * is written on a worker thread.
 */
final class SavedPeers {
  static final String KEY = "peerStoreFile";
  private static final Logger LOG = LoggerFactory.getLogger(SavedPeers.class);

  private final Swarm swarm;
  private final Path path;
  /** Peers seen, least recently seen first. */
  private final Map<PeerId, PeerStoreFile.Entry> seen = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<PeerId, PeerStoreFile.Entry> eldest) {
      return size() > PeerStoreFile.MAX_PEERS;
    }
  };
  private final long timer;
  private boolean dirty = true; // saved once after start, so the file exists and names who is connected
  private boolean saving;

  private SavedPeers(Swarm swarm, Path path, Duration interval) {
    this.swarm = swarm;
    this.path = path;
    swarm.on(SwarmEvent.ConnectionOpened.class, e -> seen(e.peer()));
    swarm.on(PeerIdentified.class, e -> seen(e.peer()));
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> seen(e.peer()));
    this.timer = swarm.vertx().setPeriodic(interval.toMillis(), t -> {
      if (dirty && !saving) {
        save().onFailure(e -> LOG.warn("{}", e.getMessage()));
      }
    });
  }

  /**
   * Puts the stored peers (most recently seen first) into the node's peer store and Kademlia's
   * bootstrap, and keeps the file from now on. Call it on the node's loop before the node starts.
   * Addresses are those the swarm may dial ({@link io.tinyp2p.swarm.AddressPolicy#dialable}).
   */
  static SavedPeers start(Node node, Path path, Duration interval, List<PeerStoreFile.Entry> stored) {
    Swarm swarm = node.swarm();
    SavedPeers saved = new SavedPeers(swarm, path, interval);
    List<PeerId> bootstrap = new ArrayList<>();
    for (PeerStoreFile.Entry e : stored.reversed()) { // least recently seen first: the newest stay longest
      List<Multiaddr> addrs = e.addrs().stream().filter(swarm.addressPolicy()::dialable).toList();
      if (addrs.isEmpty() || e.peerId().equals(swarm.localPeer())) {
        continue;
      }
      swarm.peerStore().put(new PeerStore.PeerInfo(e.peerId(), e.peerId().publicKey(), addrs, e.protocols(),
          null, e.agentVersion(), null, e.lastSeen()));
      saved.seen.put(e.peerId(), new PeerStoreFile.Entry(e.peerId(), addrs, e.protocols(), e.agentVersion(),
          e.lastSeen()));
      if (e.supports(Kademlia.PROTOCOL_ID)) {
        bootstrap.addFirst(e.peerId());
      }
    }
    if (node.kademlia() != null) {
      node.kademlia().bootstrapFrom(bootstrap);
    }
    LOG.info("{} {}: {} stored peers, {} to bootstrap from", KEY, path.toAbsolutePath(), saved.seen.size(),
        bootstrap.size());
    return saved;
  }

  /** A peer was seen over a connection: remembered now, as the peer store describes it. */
  private void seen(PeerId peer) {
    if (peer == null) {
      return;
    }
    PeerStoreFile.Entry old = seen.remove(peer);
    PeerStoreFile.Entry now = describe(peer, old, System.currentTimeMillis());
    if (now != null) {
      seen.put(peer, now);
      dirty = true;
    }
  }

  /** The peer as the peer store holds it now, else as it was stored; null without an address. */
  private PeerStoreFile.Entry describe(PeerId peer, PeerStoreFile.Entry old, long lastSeen) {
    PeerStore.PeerInfo info = swarm.peerStore().get(peer);
    if (info != null && !info.listenAddrs().isEmpty()) {
      return new PeerStoreFile.Entry(peer, info.listenAddrs(), info.protocols(), info.agentVersion(), lastSeen);
    }
    return old == null ? null : new PeerStoreFile.Entry(peer, old.addrs(), old.protocols(), old.agentVersion(), lastSeen);
  }

  /** What the file gets: every peer remembered, connected ones seen now. */
  private List<PeerStoreFile.Entry> snapshot(long now) {
    List<PeerStoreFile.Entry> out = new ArrayList<>(seen.size());
    for (PeerStoreFile.Entry e : seen.values()) {
      out.add(describe(e.peerId(), e, swarm.isConnected(e.peerId()) ? now : e.lastSeen()));
    }
    return out;
  }

  /** Writes the file now (on a worker thread); fails with a {@link StateFileException}. */
  Future<Void> save() {
    long now = System.currentTimeMillis();
    List<PeerStoreFile.Entry> snapshot = snapshot(now);
    dirty = false;
    saving = true;
    return swarm.vertx().<Void>executeBlocking(() -> {
      PeerStoreFile.write(path, snapshot, now);
      return null;
    }).transform(ar -> {
      saving = false;
      if (ar.succeeded()) {
        LOG.debug("{} {}: saved {} peers", KEY, path.toAbsolutePath(), snapshot.size());
        return Future.<Void>succeededFuture();
      }
      dirty = true;
      return Future.failedFuture(new StateFileException(KEY, path, "cannot be saved: " + ar.cause(), ar.cause()));
    });
  }

  /** Stops the timer and saves a last time (call it once the node's connections are closed). */
  Future<Void> close() {
    swarm.vertx().cancelTimer(timer);
    return save();
  }
}
