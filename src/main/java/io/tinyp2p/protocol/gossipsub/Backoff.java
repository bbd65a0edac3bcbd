package io.tinyp2p.protocol.gossipsub;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The PRUNE backoffs of gossipsub-v1.1.md "PRUNE Backoff and Peer Exchange": per topic and
 * peer, the time until which we must not graft the peer into that topic's mesh. A backoff
 * starts when we prune a peer (we announce it in the PRUNE) or a peer prunes us (we honour
 * the one it announced, at most {@value #MAX_HONOURED_SECONDS} s), and a GRAFT the peer sends
 * while it runs is refused and extends it.
 *
 * <p>An entry outlives its end by a slack of two heartbeats ({@link #expire}), as the spec
 * asks, so that our GRAFT does not reach the peer just before its own backoff ends: until
 * then {@link #contains} still holds, while {@link #running} tells whether the backoff itself
 * has not ended yet. Entries stay when a peer disconnects. Sans-IO and single-threaded; time
 * comes from the injected clock (milliseconds).
 */
final class Backoff {
  /** The longest PRUNE backoff we honour; longer ones are cut to it. */
  static final long MAX_HONOURED_SECONDS = 24 * 3600;

  private final LongSupplier clock;
  private final long slackMillis;
  /** Topic → peer → end of the backoff (millis). */
  private final Map<String, Map<PeerId, Long>> until = new HashMap<>();

  /** @param slackMillis how long an entry is kept after its end */
  Backoff(LongSupplier clock, long slackMillis) {
    this.clock = clock;
    this.slackMillis = slackMillis;
  }

  /** A backoff of {@code millis} from now; a longer one already running is kept. */
  void add(String topic, PeerId peer, long millis) {
    long end = clock.getAsLong() + millis;
    until.computeIfAbsent(topic, t -> new HashMap<>()).merge(peer, end, Math::max);
  }

  /** Whether we must not graft the peer: an entry exists (its end plus the slack not passed). */
  boolean contains(String topic, PeerId peer) {
    return end(topic, peer) != null;
  }

  /** Whether the backoff itself has not ended yet (a GRAFT from the peer is refused). */
  boolean running(String topic, PeerId peer) {
    Long end = end(topic, peer);
    return end != null && end > clock.getAsLong();
  }

  private Long end(String topic, PeerId peer) {
    Map<PeerId, Long> b = until.get(topic);
    return b == null ? null : b.get(peer);
  }

  /** The heartbeat's part: forgets the entries whose end plus the slack has passed. */
  void expire(long now) {
    for (Iterator<Map<PeerId, Long>> it = until.values().iterator(); it.hasNext(); ) {
      Map<PeerId, Long> b = it.next();
      b.values().removeIf(end -> end + slackMillis <= now);
      if (b.isEmpty()) {
        it.remove();
      }
    }
  }

  /**
   * The backoff a received PRUNE asks for, in seconds: the one it announces, cut to
   * {@link #MAX_HONOURED_SECONDS} (a negative one, a uint64 over {@code Long.MAX_VALUE}, too),
   * or {@code defaultSeconds} if it announces none.
   */
  static long honouredSeconds(RpcProto.ControlPrune prune, long defaultSeconds) {
    return prune.hasBackoff()
        ? Math.min(prune.getBackoff() < 0 ? MAX_HONOURED_SECONDS : prune.getBackoff(), MAX_HONOURED_SECONDS)
        : defaultSeconds;
  }
}
