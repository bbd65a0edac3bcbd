package io.tinyp2p.protocol.kad;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The provider records this node holds: per key, the peers that said they provide it, with
 * their addresses; at most {@link StoreConfig#maxProviderKeys()} keys and
 * {@link StoreConfig#maxProvidersPerKey()} providers per key, each entry dropped
 * {@link StoreConfig#providerTtl()} after it was last added. Full: a new key or a new provider is
 * refused (after dropping what expired); a provider already held is refreshed. Single-threaded.
 */
public final class ProviderStore {
  /** A provider of a key, with the addresses it gave, and when the entry expires (epoch ms). */
  public record Entry(PeerId peer, List<Multiaddr> addrs, long expiresAt) {}

  private final StoreConfig config;
  private final LongSupplier clock;
  private final Map<ByteBuffer, Map<PeerId, Entry>> byKey = new LinkedHashMap<>();

  public ProviderStore(StoreConfig config, LongSupplier clock) {
    this.config = config;
    this.clock = clock;
  }

  /** Adds or refreshes a provider of {@code key}; false when the store or the key is full. */
  public boolean add(byte[] key, PeerId peer, List<Multiaddr> addrs) {
    ByteBuffer k = ByteBuffer.wrap(key.clone());
    Map<PeerId, Entry> providers = byKey.get(k);
    if (providers == null) {
      if (byKey.size() >= config.maxProviderKeys()) {
        expire();
        if (byKey.size() >= config.maxProviderKeys()) {
          return false;
        }
      }
      providers = new LinkedHashMap<>();
      byKey.put(k, providers);
    }
    if (!providers.containsKey(peer) && providers.size() >= config.maxProvidersPerKey()) {
      dropExpired(providers, clock.getAsLong());
      if (providers.size() >= config.maxProvidersPerKey()) {
        return false;
      }
    }
    providers.put(peer, new Entry(peer, List.copyOf(addrs), clock.getAsLong() + config.providerTtl().toMillis()));
    return true;
  }

  /** The live providers of {@code key}, oldest first (expired ones are dropped). */
  public List<Entry> providers(byte[] key) {
    ByteBuffer k = ByteBuffer.wrap(key);
    Map<PeerId, Entry> providers = byKey.get(k);
    if (providers == null) {
      return List.of();
    }
    dropExpired(providers, clock.getAsLong());
    if (providers.isEmpty()) {
      byKey.remove(k);
      return List.of();
    }
    return new ArrayList<>(providers.values());
  }

  /** Drops every expired entry (and keys left without providers); returns how many entries. */
  public int expire() {
    long now = clock.getAsLong();
    int dropped = 0;
    for (Iterator<Map<PeerId, Entry>> it = byKey.values().iterator(); it.hasNext(); ) {
      Map<PeerId, Entry> providers = it.next();
      dropped += dropExpired(providers, now);
      if (providers.isEmpty()) {
        it.remove();
      }
    }
    return dropped;
  }

  private static int dropExpired(Map<PeerId, Entry> providers, long now) {
    int before = providers.size();
    providers.values().removeIf(e -> e.expiresAt() <= now);
    return before - providers.size();
  }

  /** Keys with at least one provider entry (expired ones included until they are dropped). */
  public int keys() {
    return byKey.size();
  }
}
