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
 */
public record Limits(int maxConnections, int maxConnectionsPerPeer, int maxConnectionsPerIp,
    int maxPendingHandshakes, boolean exemptLoopback) {

  public static Limits defaults() {
    return new Limits(512, 2, 64, 64, true);
  }

  /** Why a connection was refused. */
  public enum Refusal { TOTAL, PER_PEER, PER_IP, PENDING_HANDSHAKES }

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
