package io.tinyp2p.protocol.autonat;

import io.tinyp2p.crypto.PeerId;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * How many AutoNAT requests the server takes in a sliding window: at most {@code perPeer} from
 * one peer and {@code total} from everyone. The book holds at most {@code total} entries (one
 * per request taken in the window), so it is bounded whatever peers do. Sans-IO, on an injected
 * clock.
 */
final class RateLimiter {
  private final int perPeer;
  private final int total;
  private final long windowMillis;
  private final LongSupplier clock;
  private final Deque<Taken> taken = new ArrayDeque<>();
  private final Map<PeerId, Integer> perPeerCount = new HashMap<>();

  private record Taken(PeerId peer, long at) {}

  RateLimiter(int perPeer, int total, long windowMillis, LongSupplier clock) {
    this.perPeer = perPeer;
    this.total = total;
    this.windowMillis = windowMillis;
    this.clock = clock;
  }

  /** Whether a request from {@code peer} may be served now; if so it is counted. */
  boolean tryTake(PeerId peer) {
    long now = clock.getAsLong();
    for (Iterator<Taken> it = taken.iterator(); it.hasNext(); ) {
      Taken t = it.next();
      if (now - t.at() < windowMillis) {
        break;
      }
      it.remove();
      perPeerCount.computeIfPresent(t.peer(), (p, n) -> n <= 1 ? null : n - 1);
    }
    if (taken.size() >= total || perPeerCount.getOrDefault(peer, 0) >= perPeer) {
      return false;
    }
    taken.addLast(new Taken(peer, now));
    perPeerCount.merge(peer, 1, Integer::sum);
    return true;
  }
}
