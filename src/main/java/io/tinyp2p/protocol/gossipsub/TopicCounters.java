package io.tinyp2p.protocol.gossipsub;

/**
 * The message counters of one topic we joined, or of all the others together (messages of
 * topics we are not in, or without a topic): what the router received, delivered to the
 * application and dropped, by {@link DropReason}. Totals since the router was created; a
 * topic we left keeps its counters. Read them on the node's event loop, like the router.
 */
public final class TopicCounters {
  long received;
  long delivered;
  private final long[] dropped = new long[DropReason.values().length];

  void drop(DropReason reason) {
    dropped[reason.ordinal()]++;
  }

  /** Messages received (before any check). */
  public long received() {
    return received;
  }

  /** Messages handed to the application. */
  public long delivered() {
    return delivered;
  }

  /** Received messages dropped for {@code reason}. */
  public long dropped(DropReason reason) {
    return dropped[reason.ordinal()];
  }
}
