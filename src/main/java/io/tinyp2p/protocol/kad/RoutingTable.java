package io.tinyp2p.protocol.kad;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Kademlia k-buckets around the local peer. Bucket {@code i} holds peers whose keys share
 * exactly {@code i} leading bits with ours (0: the far half of the keyspace). Each bucket is
 * ordered least recently seen first. Single-threaded: it lives on the node's event loop.
 *
 * <p>A full bucket keeps its live entries: {@link #add} then names the least recently seen
 * entry as the candidate to check; the caller pings it and calls {@link #touch} if it
 * answered or {@link #replace} if not.
 */
public final class RoutingTable {
  /** Addresses kept per peer. */
  public static final int MAX_ADDRS = 10;

  /** A peer in the table. */
  public record Entry(PeerId peer, Key key, List<Multiaddr> addrs, long lastSeen) {}

  /** What {@link #add} did: added or refreshed it, or the bucket was full (see candidate). */
  public record Outcome(boolean added, PeerId candidate) {}

  private final PeerId localPeer;
  private final Key local;
  private final int k;
  private final LongSupplier clock;
  private final List<List<Entry>> buckets = new ArrayList<>();
  private final long[] refreshed = new long[Key.BITS];
  private final Map<PeerId, Integer> index = new HashMap<>();

  public RoutingTable(PeerId localPeer, int k, LongSupplier clock) {
    this.localPeer = localPeer;
    this.local = Key.of(localPeer);
    this.k = k;
    this.clock = clock;
    for (int i = 0; i < Key.BITS; i++) {
      buckets.add(new ArrayList<>());
    }
    long now = clock.getAsLong();
    java.util.Arrays.fill(refreshed, now);
  }

  public int bucketIndex(Key key) {
    return Math.min(local.commonPrefixLength(key), Key.BITS - 1);
  }

  /**
   * A peer's addresses as the table keeps them: without /p2p, no duplicates, at most
   * {@link #MAX_ADDRS}. Which addresses are worth keeping at all is the swarm's
   * {@link io.tinyp2p.swarm.AddressPolicy}, applied where they are learnt.
   */
  public static List<Multiaddr> normalize(List<Multiaddr> addrs) {
    LinkedHashSet<Multiaddr> out = new LinkedHashSet<>();
    for (Multiaddr a : addrs) {
      if (out.size() >= MAX_ADDRS) {
        break;
      }
      out.add(a.withoutPeerId());
    }
    return List.copyOf(out);
  }

  /**
   * Inserts or refreshes a peer with addresses that passed the address policy; see the class
   * comment for full buckets.
   */
  public Outcome add(PeerId peer, List<Multiaddr> addrs) {
    if (peer.equals(localPeer)) {
      return new Outcome(false, null);
    }
    Key key = Key.of(peer);
    int b = bucketIndex(key);
    List<Entry> bucket = buckets.get(b);
    List<Multiaddr> usable = normalize(addrs);
    for (int i = 0; i < bucket.size(); i++) {
      Entry e = bucket.get(i);
      if (e.peer().equals(peer)) {
        bucket.remove(i);
        bucket.add(new Entry(peer, key, merge(usable, e.addrs()), clock.getAsLong()));
        return new Outcome(true, null);
      }
    }
    if (bucket.size() < k) {
      bucket.add(new Entry(peer, key, usable, clock.getAsLong()));
      index.put(peer, b);
      return new Outcome(true, null);
    }
    return new Outcome(false, bucket.get(0).peer());
  }

  private static List<Multiaddr> merge(List<Multiaddr> fresh, List<Multiaddr> old) {
    LinkedHashSet<Multiaddr> all = new LinkedHashSet<>(fresh);
    all.addAll(old);
    return List.copyOf(new ArrayList<>(all).subList(0, Math.min(all.size(), MAX_ADDRS)));
  }

  /** The candidate answered: it becomes the most recently seen of its bucket. */
  public void touch(PeerId peer) {
    Integer b = index.get(peer);
    if (b == null) {
      return;
    }
    List<Entry> bucket = buckets.get(b);
    for (int i = 0; i < bucket.size(); i++) {
      Entry e = bucket.get(i);
      if (e.peer().equals(peer)) {
        bucket.remove(i);
        bucket.add(new Entry(peer, e.key(), e.addrs(), clock.getAsLong()));
        return;
      }
    }
  }

  /** The candidate did not answer: it leaves, the newcomer takes its place. */
  public Outcome replace(PeerId candidate, PeerId newcomer, List<Multiaddr> addrs) {
    remove(candidate);
    return add(newcomer, addrs);
  }

  public boolean remove(PeerId peer) {
    Integer b = index.remove(peer);
    if (b == null) {
      return false;
    }
    return buckets.get(b).removeIf(e -> e.peer().equals(peer));
  }

  public boolean contains(PeerId peer) {
    return index.containsKey(peer);
  }

  public Entry get(PeerId peer) {
    Integer b = index.get(peer);
    if (b == null) {
      return null;
    }
    for (Entry e : buckets.get(b)) {
      if (e.peer().equals(peer)) {
        return e;
      }
    }
    return null;
  }

  public int size() {
    return index.size();
  }

  /** Every entry, nearest buckets last. */
  public List<Entry> all() {
    List<Entry> out = new ArrayList<>(index.size());
    buckets.forEach(out::addAll);
    return out;
  }

  /** The {@code count} entries closest to {@code target}, closest first. */
  public List<Entry> closest(Key target, int count) {
    List<Entry> all = all();
    all.sort(Comparator.comparing(Entry::key, target::compareDistance));
    return all.size() <= count ? all : new ArrayList<>(all.subList(0, count));
  }

  /** Non-empty buckets with no refresh (lookup into them) for {@code olderThanMillis}. */
  public List<Integer> bucketsNeedingRefresh(long olderThanMillis) {
    long now = clock.getAsLong();
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < Key.BITS; i++) {
      if (!buckets.get(i).isEmpty() && now - refreshed[i] >= olderThanMillis) {
        out.add(i);
      }
    }
    return out;
  }

  public void markBucketRefreshed(int bucket) {
    refreshed[bucket] = clock.getAsLong();
  }

  public int bucketSize(int bucket) {
    return buckets.get(bucket).size();
  }
}
