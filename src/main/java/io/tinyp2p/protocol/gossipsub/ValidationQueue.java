package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Received messages waiting for their signature check: the router's load shedding, in the
 * spirit of go-libp2p-pubsub's validation throttle and peer gater. Verifying costs far more
 * than receiving, so a flood of validly signed messages from many sybil identities must not
 * buy unbounded work or memory, nor starve honest peers:
 *
 * <ul>
 *   <li>each peer has its own FIFO of at most {@code perPeer} messages; the newest message
 *       over the cap is dropped ({@link Admission#PEER_FULL}), unless its author has less than
 *       an even share of the peer's queue and another author more: then that author's newest
 *       message makes room (a neighbour relaying a flood still gets its own messages in);
 *   <li>the queued messages of one topic are capped at {@code perTopic}, and all queued bytes
 *       at {@code maxBytes}. Over a cap the newest message is dropped too, unless the sender
 *       would still hold less than an even share (the cap divided by the peers with queued
 *       messages) and another peer holds more than the sender would: then the biggest
 *       holder's newest message makes room instead (reported through the eviction callback). Many sybils thus share the queue with an honest peer rather
 *       than lock it out, and the caps are never exceeded;
 *   <li>{@link #poll} serves the peers round-robin, one message each in turn, so an honest
 *       peer's message waits for one message per active peer, not for the whole backlog.
 * </ul>
 *
 * A peer that sends the same id again while the first copy waits gets
 * {@link Admission#DUPLICATE}. Single-threaded, sans-IO.
 */
final class ValidationQueue {
  /** What {@link #offer} did with a message (or, for an eviction, why it was dropped). */
  enum Admission { QUEUED, DUPLICATE, PEER_FULL, TOPIC_FULL, MEMORY_FULL }

  /** A queued message, as the router received it. */
  record Entry(PeerId source, RpcProto.Message message, ByteString id, String topic, int size) {}

  private static final class PeerQueue {
    final ArrayDeque<Entry> entries = new ArrayDeque<>();
    final Set<ByteString> ids = new HashSet<>();
    final Map<String, Integer> perTopic = new HashMap<>(2);
    /** Queued messages per author ({@code from}): a relay forwards many authors' messages. */
    final Map<ByteString, Integer> perOrigin = new HashMap<>();
    long bytes;

    int inTopic(String topic) {
      return perTopic.getOrDefault(topic, 0);
    }
  }

  /**
   * One topic's queued messages: how many, and the peers bucketed by how many of them each
   * holds, so that the peer holding most is found without looking at every peer (a flood from
   * many sybils asks for it on every message once the topic is full).
   */
  private static final class TopicShares {
    int total;
    /** Index n: the peers holding n messages of the topic, the longest there first. */
    final List<LinkedHashSet<PeerQueue>> byCount = new ArrayList<>();
    int most;

    void moved(PeerQueue q, int from, int to) {
      total += to - from;
      if (from > 0) {
        byCount.get(from).remove(q);
      }
      if (to > 0) {
        while (byCount.size() <= to) {
          byCount.add(new LinkedHashSet<>());
        }
        byCount.get(to).add(q);
      }
      if (to > most) {
        most = to;
      }
      while (most > 0 && byCount.get(most).isEmpty()) {
        most--;
      }
    }

    PeerQueue hog() {
      return most == 0 ? null : byCount.get(most).iterator().next();
    }
  }

  private final int perPeer;
  private final int perTopic;
  private final long maxBytes;
  private final BiConsumer<Admission, String> evicted;
  /** Peers with queued messages, in round-robin order: the head is served next. */
  private final LinkedHashMap<PeerId, PeerQueue> ring = new LinkedHashMap<>();
  private final Map<String, TopicShares> topics = new HashMap<>();
  private int size;
  private long bytes;

  /** @param evicted told of each queued message dropped to make room for a fairer one: why, and its topic */
  ValidationQueue(int perPeer, int perTopic, long maxBytes, BiConsumer<Admission, String> evicted) {
    if (perPeer < 1 || perTopic < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("validation queue limits must be positive");
    }
    this.perPeer = perPeer;
    this.perTopic = perTopic;
    this.maxBytes = maxBytes;
    this.evicted = evicted;
  }

  Admission offer(PeerId source, RpcProto.Message message, ByteString id, String topic, int messageSize) {
    PeerQueue q = ring.get(source);
    if (q != null && q.ids.contains(id)) {
      return Admission.DUPLICATE;
    }
    int own = q == null ? 0 : q.entries.size();
    if (own >= perPeer && !makeRoomForOrigin(q, message.getFrom())) {
      return Admission.PEER_FULL;
    }
    int active = ring.size() + (q == null ? 1 : 0);
    TopicShares shares = topics.get(topic);
    if (shares != null && shares.total >= perTopic) {
      int ownInTopic = q == null ? 0 : q.inTopic(topic);
      if ((long) (ownInTopic + 1) * active > perTopic) {
        return Admission.TOPIC_FULL; // it would hold more than an even share: no need to look
      }
      PeerQueue hog = shares.hog();
      if (hog == null || hog == q || hog.inTopic(topic) <= ownInTopic + 1) {
        return Admission.TOPIC_FULL;
      }
      evictNewest(hog, topic, Admission.TOPIC_FULL);
    }
    long ownBytes = q == null ? 0 : q.bytes;
    while (bytes + messageSize > maxBytes) {
      if ((ownBytes + messageSize) * active > maxBytes) {
        return Admission.MEMORY_FULL;
      }
      PeerQueue hog = null;
      for (PeerQueue other : ring.values()) {
        if (hog == null || other.bytes > hog.bytes) {
          hog = other;
        }
      }
      if (hog == null || hog == q || hog.bytes <= ownBytes + messageSize) {
        return Admission.MEMORY_FULL;
      }
      evictNewest(hog, null, Admission.MEMORY_FULL);
    }
    if (q == null) {
      q = new PeerQueue();
      ring.put(source, q);
    }
    q.entries.add(new Entry(source, message, id, topic, messageSize));
    q.ids.add(id);
    q.bytes += messageSize;
    int inTopic = q.perTopic.merge(topic, 1, Integer::sum);
    topics.computeIfAbsent(topic, t -> new TopicShares()).moved(q, inTopic - 1, inTopic);
    q.perOrigin.merge(message.getFrom(), 1, Integer::sum);
    size++;
    bytes += messageSize;
    return Admission.QUEUED;
  }

  /**
   * A peer's queue is full: the message of an author with less than an even share of it
   * takes the slot of the newest message of the author with most, so that the messages a
   * neighbour relays for a flooding author do not crowd out its own or other authors'.
   */
  private boolean makeRoomForOrigin(PeerQueue q, ByteString origin) {
    int ownOrigin = q.perOrigin.getOrDefault(origin, 0);
    int origins = q.perOrigin.size() + (ownOrigin == 0 ? 1 : 0);
    if ((long) (ownOrigin + 1) * origins > perPeer) {
      return false;
    }
    ByteString hog = null;
    int most = 0;
    for (Map.Entry<ByteString, Integer> e : q.perOrigin.entrySet()) {
      if (e.getValue() > most) {
        hog = e.getKey();
        most = e.getValue();
      }
    }
    if (hog == null || most <= ownOrigin + 1) {
      return false;
    }
    for (Iterator<Entry> it = q.entries.descendingIterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (e.message().getFrom().equals(hog)) {
        it.remove();
        taken(q, e); // the queue keeps other entries, so it stays in the ring
        evicted.accept(Admission.PEER_FULL, e.topic());
        return true;
      }
    }
    return false;
  }

  /** Drops a peer's newest message (of {@code topic}, if given) to make room. */
  private void evictNewest(PeerQueue q, String topic, Admission why) {
    for (Iterator<Entry> it = q.entries.descendingIterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (topic == null || e.topic().equals(topic)) {
        it.remove();
        taken(q, e);
        if (q.entries.isEmpty()) {
          ring.remove(e.source());
        }
        evicted.accept(why, e.topic());
        return;
      }
    }
  }

  /** The next message, round-robin across peers; null when empty. */
  Entry poll() {
    Iterator<Map.Entry<PeerId, PeerQueue>> it = ring.entrySet().iterator();
    if (!it.hasNext()) {
      return null;
    }
    Map.Entry<PeerId, PeerQueue> head = it.next();
    PeerQueue q = head.getValue();
    Entry e = q.entries.poll();
    it.remove();
    if (!q.entries.isEmpty()) {
      ring.put(head.getKey(), q); // to the back of the ring
    }
    taken(q, e);
    return e;
  }

  /** Drops everything queued from a peer (it left); returns what that was. */
  List<Entry> removePeer(PeerId peer) {
    PeerQueue q = ring.remove(peer);
    if (q == null) {
      return List.of();
    }
    List<Entry> removed = List.copyOf(q.entries);
    for (Entry e : removed) {
      taken(q, e);
    }
    return removed;
  }

  private void taken(PeerQueue q, Entry e) {
    q.ids.remove(e.id());
    q.bytes -= e.size();
    int inTopic = q.inTopic(e.topic());
    q.perTopic.computeIfPresent(e.topic(), (t, n) -> n > 1 ? n - 1 : null);
    TopicShares shares = topics.get(e.topic());
    shares.moved(q, inTopic, inTopic - 1);
    if (shares.total == 0) {
      topics.remove(e.topic());
    }
    q.perOrigin.computeIfPresent(e.message().getFrom(), (t, n) -> n > 1 ? n - 1 : null);
    size--;
    bytes -= e.size();
  }

  int size() {
    return size;
  }

  long bytes() {
    return bytes;
  }

  int size(PeerId peer) {
    PeerQueue q = ring.get(peer);
    return q == null ? 0 : q.entries.size();
  }

  int size(String topic) {
    TopicShares shares = topics.get(topic);
    return shares == null ? 0 : shares.total;
  }
}
