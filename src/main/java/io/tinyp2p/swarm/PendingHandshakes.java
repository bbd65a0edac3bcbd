package io.tinyp2p.swarm;

import io.tinyp2p.multiaddr.AddressClass;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.transport.Upgrade;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The swarm's connections still in their upgrade, whatever the transport, and the admission
 * of inbound ones: refused over the node's connection limit or the per-IP limit; admitted
 * otherwise, the least advanced, oldest pending handshake of the same IP, subnet or node
 * making room when one of those is full. Single-threaded: the swarm's context.
 */
final class PendingHandshakes {
  private static final Logger LOG = LoggerFactory.getLogger(Swarm.class);

  private final Limits.Counters counters;
  private Limits limits;
  private final Set<Upgrade> upgrading = new LinkedHashSet<>();
  /** Inbound connections in their upgrade, oldest first, with where they come from. */
  private final Map<Upgrade, Pending> pendingInbound = new LinkedHashMap<>();

  /** Where a pending inbound handshake comes from; {@code exempt}: loopback, not counted per IP. */
  private record Pending(String ip, String subnet, boolean exempt) {}

  PendingHandshakes(Limits limits, Limits.Counters counters) {
    this.limits = limits;
    this.counters = counters;
  }

  void limits(Limits limits) {
    this.limits = limits;
  }

  /** Upgrades in flight, both directions. */
  int size() {
    return upgrading.size();
  }

  /** A copy of the upgrades in flight. */
  List<Upgrade> all() {
    return new ArrayList<>(upgrading);
  }

  /** An outbound upgrade starts. */
  void dialed(Upgrade upgrade) {
    upgrading.add(upgrade);
  }

  /** An upgrade ended, with a connection or without. */
  void ended(Upgrade upgrade) {
    upgrading.remove(upgrade);
    pendingInbound.remove(upgrade);
  }

  /**
   * Null when the inbound {@code upgrade} may start its handshake (it is tracked from now on,
   * room made for it among the pending ones); else why it is refused. {@code open}: the
   * swarm's open connections.
   */
  Limits.Refusal admit(Upgrade upgrade, List<Connection> open) {
    String ip = upgrade.remoteAddress().host();
    Limits.Refusal refusal = refusal(ip, open);
    if (refusal != null) {
      return refusal;
    }
    Pending from = new Pending(ip, AddressClass.subnet(ip), limits.exemptLoopback() && AddressClass.isLoopback(ip));
    makeRoomForHandshake(from);
    upgrading.add(upgrade);
    pendingInbound.put(upgrade, from);
    return null;
  }

  /**
   * Null when an inbound connection from {@code ip} may start its handshake (the connection
   * limits; pending handshakes make room instead, see {@link #makeRoomForHandshake}).
   */
  private Limits.Refusal refusal(String ip, List<Connection> open) {
    if (open.size() + upgrading.size() >= limits.maxConnections()) {
      return Limits.Refusal.TOTAL;
    }
    boolean loopback = AddressClass.isLoopback(ip);
    if (!(loopback && limits.exemptLoopback())) {
      long fromIp = open.stream()
          .filter(c -> c.direction() == Direction.INBOUND && ip.equals(c.remoteAddress().host())).count()
          + upgrading.stream()
          .filter(u -> u.direction() == Direction.INBOUND && ip.equals(u.remoteAddress().host())).count();
      if (fromIp >= limits.maxConnectionsPerIp()) {
        return Limits.Refusal.PER_IP;
      }
    }
    return null;
  }

  /**
   * Makes room for one more pending handshake from {@code from}: when its IP, its subnet or the
   * node as a whole is at its limit, the least advanced (a half-open one that sent nothing
   * useful first), oldest pending handshake of that IP, subnet or node is closed. A newcomer
   * always gets in: a flood of half-open connections only evicts its own kind, while an honest
   * handshake advances within milliseconds past them. Loopback is exempt from the IP and subnet
   * limits when {@code exemptLoopback}.
   */
  private void makeRoomForHandshake(Pending from) {
    if (!from.exempt()) {
      evictWhileFull(p -> p.ip().equals(from.ip()), limits.maxPendingHandshakesPerIp(),
          Limits.Eviction.PENDING_PER_IP);
      evictWhileFull(p -> !p.exempt() && p.subnet().equals(from.subnet()), limits.maxPendingHandshakesPerSubnet(),
          Limits.Eviction.PENDING_PER_SUBNET);
    }
    evictWhileFull(p -> true, limits.maxPendingHandshakes(), Limits.Eviction.PENDING_HANDSHAKES);
  }

  private void evictWhileFull(java.util.function.Predicate<Pending> group, int limit, Limits.Eviction reason) {
    while (true) {
      Upgrade victim = null;
      int count = 0;
      for (Map.Entry<Upgrade, Pending> e : pendingInbound.entrySet()) {
        if (group.test(e.getValue())) {
          count++;
          // oldest first (insertion order): replace only by one strictly less advanced
          if (victim == null || e.getKey().stage() < victim.stage()) {
            victim = e.getKey();
          }
        }
      }
      if (count < limit || victim == null) {
        return;
      }
      counters.count(reason);
      LOG.debug("evicting the pending handshake {} (stage {}) for a newcomer: {}", victim, victim.stage(), reason);
      pendingInbound.remove(victim);
      victim.abort();
    }
  }
}
