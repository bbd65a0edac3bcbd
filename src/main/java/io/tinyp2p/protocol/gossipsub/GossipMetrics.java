package io.tinyp2p.protocol.gossipsub;

import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The router's counters, as /status shows them ({@link #toMap}): totals since the router was
 * created, never reset. The router increments the fields directly (single-threaded, like the
 * router). Every field is one counter of {@link #toMap}, under the name given in its comment.
 */
final class GossipMetrics {
  /** {@code received}: messages received (before any check). */
  long received;
  /** {@code graylisted}: RPCs ignored because their sender was below the graylist threshold. */
  long graylisted;
  /** {@code prunedForScore}: mesh peers pruned by the heartbeat for a negative score. */
  long prunedForScore;
  /** {@code delivered}: messages handed to the application. */
  long delivered;
  /** {@code forwarded}: copies of received messages queued for mesh and floodsub peers. */
  long forwarded;
  /** {@code published}: messages we published. */
  long published;
  /** {@code publishedCopies}: the copies of them sent. */
  long publishedCopies;
  /** {@code graftsReceived}. */
  long graftsReceived;
  /** {@code graftsRefused}: GRAFTs answered with a PRUNE (backoff running, or mesh full). */
  long graftsRefused;
  /** {@code graftsIgnored}: GRAFTs for topics we are not in. */
  long graftsIgnored;
  /** {@code prunesReceived}. */
  long prunesReceived;
  /** {@code ihavesReceived}: IHAVE messages (not RPCs). */
  long ihavesReceived;
  /** {@code ihavesIgnored}: IHAVE messages over a peer's budget of the heartbeat. */
  long ihavesIgnored;
  /** {@code iwantIdsSent}: message ids we asked for with IWANT. */
  long iwantIdsSent;
  /** {@code iwantsReceived}: IWANT messages. */
  long iwantsReceived;
  /** {@code iwantServed}: messages sent in answer to IWANT. */
  long iwantServed;
  /** {@code rpcsFromUnknownPeers}: RPCs from peers not added. */
  long rpcsFromUnknownPeers;
  /** {@code validationQueued}: messages admitted to the validation queue. */
  long validationQueued;
  /** {@code validated}: signature checks done. */
  long validated;
  private final EnumMap<DropReason, Long> dropped = new EnumMap<>(DropReason.class);
  /** Per topic we joined (or left: it keeps its counts), in joining order. */
  private final Map<String, TopicCounters> byTopic = new LinkedHashMap<>();
  /** The topics we are in now, and their counters. */
  private final Map<String, TopicCounters> joined = new HashMap<>();
  /** Messages of every other topic (peers choose those: one set of counters for all). */
  final TopicCounters otherTopics = new TopicCounters();

  GossipMetrics() {
    for (DropReason r : DropReason.values()) {
      dropped.put(r, 0L);
    }
  }

  /** We joined {@code topic}: its messages count under its name from now on. */
  void joined(String topic) {
    joined.put(topic, byTopic.computeIfAbsent(topic, t -> new TopicCounters()));
  }

  /** We left {@code topic}: its messages count with the other topics' from now on. */
  void left(String topic) {
    joined.remove(topic);
  }

  /** The counters of a message of {@code topic} (null: it has none). */
  private TopicCounters topic(String topic) {
    TopicCounters c = topic == null ? null : joined.get(topic);
    return c == null ? otherTopics : c;
  }

  /** A message of {@code topic} (null: without one) was received. */
  void received(String topic) {
    received++;
    topic(topic).received++;
  }

  /** A message of {@code topic} was handed to the application. */
  void delivered(String topic) {
    delivered++;
    topic(topic).delivered++;
  }

  /** A received message of {@code topic} (null: without one) was dropped. */
  void drop(DropReason reason, String topic) {
    dropped.merge(reason, 1L, Long::sum);
    topic(topic).drop(reason);
  }

  /** The counters of every topic we joined, by name (see {@link #otherTopics} for the rest). */
  Map<String, TopicCounters> byTopic() {
    return Collections.unmodifiableMap(byTopic);
  }

  long dropped(DropReason reason) {
    return dropped.get(reason);
  }

  /**
   * The counters by name, in a fixed order, with the validation queue's current size and
   * bytes ({@code validationQueue}, {@code validationQueueBytes}), one {@code dropped.*}
   * counter per {@link DropReason} and their total ({@code dropped}).
   */
  Map<String, Long> toMap(int validationQueue, long validationQueueBytes) {
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("received", received);
    out.put("graylisted", graylisted);
    out.put("prunedForScore", prunedForScore);
    out.put("delivered", delivered);
    out.put("forwarded", forwarded);
    out.put("published", published);
    out.put("publishedCopies", publishedCopies);
    out.put("graftsReceived", graftsReceived);
    out.put("graftsRefused", graftsRefused);
    out.put("graftsIgnored", graftsIgnored);
    out.put("prunesReceived", prunesReceived);
    out.put("ihavesReceived", ihavesReceived);
    out.put("ihavesIgnored", ihavesIgnored);
    out.put("iwantIdsSent", iwantIdsSent);
    out.put("iwantsReceived", iwantsReceived);
    out.put("iwantServed", iwantServed);
    out.put("rpcsFromUnknownPeers", rpcsFromUnknownPeers);
    out.put("validationQueued", validationQueued);
    out.put("validated", validated);
    out.put("validationQueue", (long) validationQueue);
    out.put("validationQueueBytes", validationQueueBytes);
    long total = 0;
    for (Map.Entry<DropReason, Long> e : dropped.entrySet()) {
      out.put(e.getKey().counterName(), e.getValue());
      total += e.getValue();
    }
    out.put("dropped", total);
    return out;
  }
}
