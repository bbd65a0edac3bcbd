package io.tinyp2p.protocol.kad;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.kad.pb.KadProto;
import io.tinyp2p.stream.ConnectionInfo;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provider records, both sides: inbound ADD_PROVIDER (only the sender's own entry is kept,
 * with the addresses it gave that the address policy allows) and GET_PROVIDERS (the providers
 * we hold, ourselves included when we provide the key); outbound {@link Kademlia#provide} and
 * {@link Kademlia#findProviders}. The keys we provide are announced again every
 * {@link StoreConfig#providerRepublish()}. On the node's event loop.
 */
final class KadProviders {
  private static final Logger LOG = LoggerFactory.getLogger(KadProviders.class);

  private final Kademlia kad;
  private final ProviderStore store;
  private final Set<ByteBuffer> providing = new LinkedHashSet<>();

  KadProviders(Kademlia kad, ProviderStore store) {
    this.kad = kad;
    this.store = store;
  }

  ProviderStore store() {
    return store;
  }

  /** How many keys we provide. */
  int provided() {
    return providing.size();
  }

  /** Announces again the keys we provide (a timer of {@link Kademlia} calls it). */
  void republish() {
    for (ByteBuffer key : List.copyOf(providing)) {
      announce(key.array()).onFailure(e -> LOG.debug("republishing provider record {}: {}",
          KadValues.show(key.array()), e.getMessage()));
    }
  }

  private PeerId self() {
    return kad.swarm().localPeer();
  }

  private List<Multiaddr> selfAddrs() {
    return RoutingTable.normalize(kad.swarm().announcedAddresses());
  }

  // ---- client side ----

  Future<Integer> provide(byte[] key) {
    if (key.length == 0) {
      return Future.failedFuture(new DhtException(DhtException.Reason.INVALID, "the key to provide is empty"));
    }
    ByteBuffer k = ByteBuffer.wrap(key.clone());
    if (!providing.contains(k) && providing.size() >= kad.config().store().maxProviderKeys()) {
      return Future.failedFuture(new DhtException(DhtException.Reason.STORE_FULL, "we provide " + providing.size()
          + " keys already, the most the provider store holds"));
    }
    providing.add(k);
    return announce(key);
  }

  /** ADD_PROVIDER to the k closest peers; completes with how many it was written to. */
  private Future<Integer> announce(byte[] key) {
    return kad.lookup(key).compose(peers -> {
      KadProto.Message message = KadRpc.addProvider(key, self(), selfAddrs());
      List<Future<Boolean>> sent = new ArrayList<>();
      for (PeerId peer : peers) {
        sent.add(KadRpc.send(kad.swarm(), peer, message, kad.config().requestTimeout()).map(v -> true).otherwise(false));
      }
      return Future.join(sent).map(cf -> (int) sent.stream().filter(f -> Boolean.TRUE.equals(f.result())).count());
    });
  }

  Future<List<Kademlia.Provider>> find(byte[] key, int count) {
    if (count < 1) {
      return Future.failedFuture(new DhtException(DhtException.Reason.INVALID, "count must be at least 1, got " + count));
    }
    Map<PeerId, Kademlia.Provider> found = new LinkedHashMap<>();
    for (Kademlia.Provider p : local(key)) {
      if (found.size() < count) {
        found.put(p.peer(), p);
      }
    }
    if (found.size() >= count) {
      return Future.succeededFuture(List.copyOf(found.values()));
    }
    KadProto.Message request = KadRpc.getProviders(key);
    return kad.walk(key, peer -> kad.ask(peer, request).map(reply -> {
      for (KadRpc.PeerEntry entry : kad.learnPeers(reply.message().getProviderPeersList(), reply.via())) {
        if (found.size() < count) {
          found.merge(entry.peer(), new Kademlia.Provider(entry.peer(), entry.addrs()),
              (a, b) -> a.addrs().isEmpty() ? b : a);
        }
      }
      return kad.closerPeers(reply);
    }), () -> found.size() >= count).map(peers -> found.values().stream()
        .map(p -> p.addrs().isEmpty() ? new Kademlia.Provider(p.peer(), kad.swarm().peerStore().addresses(p.peer())) : p)
        .toList());
  }

  /** The providers of a key we know of: ourselves first when we provide it, then those we hold. */
  private List<Kademlia.Provider> local(byte[] key) {
    List<Kademlia.Provider> out = new ArrayList<>();
    if (providing.contains(ByteBuffer.wrap(key))) {
      out.add(new Kademlia.Provider(self(), selfAddrs()));
    }
    for (ProviderStore.Entry e : store.providers(key)) {
      if (!e.peer().equals(self())) {
        // a provider whose own addresses did not pass the address policy: those we know, if any
        out.add(new Kademlia.Provider(e.peer(), e.addrs().isEmpty() ? kad.swarm().peerStore().addresses(e.peer()) : e.addrs()));
      }
    }
    return out;
  }

  // ---- server side ----

  /**
   * An inbound ADD_PROVIDER: the provider entries naming the sender are stored with their
   * addresses; entries for other peers are ignored (the spec), and logged.
   */
  void onAdd(PeerId from, KadProto.Message request, ConnectionInfo via) {
    byte[] key = request.getKey().toByteArray();
    if (key.length == 0) {
      kad.swarm().peerLog().info(LOG, from, "kad ADD_PROVIDER from {} ignored: no key", from);
      return;
    }
    for (KadRpc.PeerEntry entry : kad.learnPeers(request.getProviderPeersList(), via)) {
      if (!entry.peer().equals(from)) {
        kad.swarm().peerLog().info(LOG, from, "kad ADD_PROVIDER from {} ignored: it names another peer {}",
            from, entry.peer());
      } else if (!store.add(key, from, entry.addrs())) {
        kad.swarm().peerLog().info(LOG, from, "kad ADD_PROVIDER from {} not stored: the provider store is full", from);
      }
    }
  }

  /** Adds the providers we know of for a GET_PROVIDERS' key to the answer. */
  void answerGet(KadProto.Message request, KadProto.Message.Builder reply) {
    for (Kademlia.Provider p : local(request.getKey().toByteArray())) {
      reply.addProviderPeers(KadRpc.encodePeer(p.peer(), p.addrs()));
    }
  }
}
