package io.tinyp2p.swarm;

import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.Map;

/**
 * Connection limits of a swarm. Over a limit, a new connection is refused (closed before or
 * right after its handshake) and counted by reason; existing connections are never touched.
 *
 * @param maxConnections open connections in total
 * @param maxConnectionsPerPeer open connections to one peer
 * @param maxConnectionsPerIp inbound connections (open or handshaking) from one IP address;
 *     loopback is exempt when {@code exemptLoopback} (local test networks share 127.0.0.1)
 * @param maxPendingHandshakes inbound connections still in their upgrade at once
 * @param maxInboundStreamsPerProtocol inbound streams of one protocol open at once on one
 *     connection (protocols may set a lower cap: ping and identify allow 16); one more is reset
 */
public record Limits(int maxConnections, int maxConnectionsPerPeer, int maxConnectionsPerIp,
    int maxPendingHandshakes, boolean exemptLoopback, int maxInboundStreamsPerProtocol) {

  public static Limits defaults() {
    return new Limits(512, 2, 64, 64, true, 256);
  }

  /** Why a connection or stream was refused. */
  public enum Refusal { TOTAL, PER_PEER, PER_IP, PENDING_HANDSHAKES, STREAMS_PER_PROTOCOL }

  /** Why we ended a connection or stream that was open. */
  public enum Closure {
    /** our output to the peer did not drain for the stall timeout */
    WRITE_STALLED,
    /** the peer left more than the per-connection queue limit unread */
    QUEUE_OVERFLOW,
    /** a stream whose peer granted no window for the stall timeout was reset */
    STREAM_STALLED,
    /** an inbound message did not complete within its deadline; the stream was reset */
    READ_TIMEOUT
  }

  /** Counts of refused connections and streams and of ones we ended, for /status. */
  public static final class Counters {
    private final Map<Refusal, Long> refused = new EnumMap<>(Refusal.class);
    private final Map<Closure, Long> closed = new EnumMap<>(Closure.class);

    void count(Refusal r) {
      refused.merge(r, 1L, Long::sum);
    }

    /** Counts one connection or stream we ended; protocols report their read timeouts here. */
    public void count(Closure c) {
      count(c, 1);
    }

    void count(Closure c, long n) {
      if (n > 0) {
        closed.merge(c, n, Long::sum);
      }
    }

    public long closed(Closure c) {
      return closed.getOrDefault(c, 0L);
    }

    public JsonObject closedJson() {
      JsonObject o = new JsonObject();
      for (Closure c : Closure.values()) {
        o.put(c.name(), closed(c));
      }
      return o;
    }

    public long refused(Refusal r) {
      return refused.getOrDefault(r, 0L);
    }

    public JsonObject toJson() {
      JsonObject o = new JsonObject();
      for (Refusal r : Refusal.values()) {
        o.put(r.name(), refused(r));
      }
      return o;
    }
  }
}
