package io.tinyp2p.protocol.kad;

import java.time.Duration;
import java.util.Set;

/**
 * Limits and lifetimes of the Kademlia record and provider stores, with rust-libp2p's defaults:
 * records live 48 h and we republish the ones we put every 22 h; provider records live 48 h
 * and we republish our own every 12 h; at most 1024 records of at most 65 KiB, 1024 provided
 * keys with at most {@link Kademlia#K} providers each.
 *
 * @param maxRecords records held at most (ours and other peers')
 * @param maxValueSize largest record value accepted, in bytes
 * @param recordTtl how long a stored record lives
 * @param recordRepublish how often we put our own records again (they would expire otherwise)
 * @param maxProviderKeys keys with provider records held at most
 * @param maxProvidersPerKey providers held per key at most
 * @param providerTtl how long a provider record lives
 * @param providerRepublish how often we announce the keys we provide again
 * @param allowedNamespaces key namespaces ({@code /<ns>/...}) accepted besides {@code pk}, with
 *     any value (no validator); a key in any other namespace is refused
 * @param getQuorum how many peers (our own store counts as one) must return a valid record
 *     before {@code getValue} ends
 */
public record StoreConfig(int maxRecords, int maxValueSize, Duration recordTtl, Duration recordRepublish,
    int maxProviderKeys, int maxProvidersPerKey, Duration providerTtl, Duration providerRepublish,
    Set<String> allowedNamespaces, int getQuorum) {

  public StoreConfig {
    allowedNamespaces = Set.copyOf(allowedNamespaces);
    if (maxRecords < 1 || maxValueSize < 1 || maxProviderKeys < 1 || maxProvidersPerKey < 1 || getQuorum < 1) {
      throw new IllegalArgumentException("store limits and the quorum must be positive");
    }
  }

  public static StoreConfig defaults() {
    return new StoreConfig(1024, 65 * 1024, Duration.ofHours(48), Duration.ofHours(22),
        1024, Kademlia.K, Duration.ofHours(48), Duration.ofHours(12), Set.of(), 1);
  }

  public StoreConfig withAllowedNamespaces(Set<String> namespaces) {
    return new StoreConfig(maxRecords, maxValueSize, recordTtl, recordRepublish, maxProviderKeys, maxProvidersPerKey,
        providerTtl, providerRepublish, namespaces, getQuorum);
  }
}
