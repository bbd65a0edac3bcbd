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

  /** Counts of refused connections, for /status. */
  public static final class Counters {
    private final Map<Refusal, Long> refused = new EnumMap<>(Refusal.class);

    void count(Refusal r) {
      refused.merge(r, 1L, Long::sum);
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
