package io.tinyp2p.swarm;

import java.util.List;

/**
 * How a protocol plugs into the swarm: the protocol ids it answers (multistream-select ids, the
 * preferred first), how many of its inbound streams one connection may hold open at once (one
 * more is reset), and whether its streams keep an otherwise idle connection open. The swarm
 * holds no protocol id of its own: each protocol states these facts in its spec and registers
 * it with {@link Swarm#handle(ProtocolSpec, io.vertx.core.Handler)}.
 *
 * @param ids the protocol ids, in order of preference (an outbound stream proposes them in
 *     this order)
 * @param maxInboundPerConnection inbound streams of this protocol open at once on one
 *     connection (the swarm's {@code Limits.maxInboundStreamsPerProtocol} caps it too)
 * @param keepsAlive whether an open stream of this protocol counts as use of its connection
 *     (ping and identify do not: a connection that carries only them is idle)
 */
public record ProtocolSpec(List<String> ids, int maxInboundPerConnection, boolean keepsAlive) {

  public ProtocolSpec {
    ids = List.copyOf(ids);
    if (ids.isEmpty()) {
      throw new IllegalArgumentException("a protocol needs at least one id");
    }
    for (String id : ids) {
      if (!id.startsWith("/")) {
        throw new IllegalArgumentException("a protocol id starts with '/': " + id);
      }
    }
    if (maxInboundPerConnection < 1) {
      throw new IllegalArgumentException("maxInboundPerConnection must be at least 1, got " + maxInboundPerConnection);
    }
  }

  /** A protocol with these ids, no cap of its own on inbound streams, whose streams keep a connection alive. */
  public static ProtocolSpec of(String... ids) {
    return new ProtocolSpec(List.of(ids), Integer.MAX_VALUE, true);
  }

  /** The same with at most {@code n} inbound streams open at once per connection. */
  public ProtocolSpec maxInboundPerConnection(int n) {
    return new ProtocolSpec(ids, n, keepsAlive);
  }

  /** The same, with streams that do not keep a connection alive (a background protocol). */
  public ProtocolSpec background() {
    return new ProtocolSpec(ids, maxInboundPerConnection, false);
  }

  /** The preferred id. */
  public String id() {
    return ids.get(0);
  }
}
