package io.tinyp2p.protocol.gossipsub;

import java.util.EnumMap;
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
  /** {@code forwarded}: copies of received messages queued for mesh peers. */
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

  GossipMetrics() {
    for (DropReason r : DropReason.values()) {
      dropped.put(r, 0L);
    }
  }

  /** A received message was dropped. */
  void drop(DropReason reason) {
    dropped.merge(reason, 1L, Long::sum);
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
