package io.tinyp2p.protocol.autonat;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.ConnectionInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The addresses peers told us (Identify's {@code observedAddr}) they see us at: one observation
 * per connection (the latest), with who reported it. An address becomes a candidate external
 * address once {@code threshold} distinct observers report it; observers are distinct by
 * network (the /24 of an IPv4 address, the /48 of an IPv6 one), except loopback observers,
 * which are distinct by peer id (a local test network shares 127.0.0.1). An observation lives
 * while its connection is open and for {@code ttl} after it closed. At most {@code max}
 * observations are held; a new one evicts the oldest. Sans-IO, on an injected clock.
 *
 * <p>What is recorded ({@link #normalize}): an observation on an inbound connection as it is
 * (the peer dialed our listen port, so the port it saw is where a NAT maps that port to); on an
 * outbound connection the observed IP with our TCP listen port, because our outbound TCP
 * connections leave from an ephemeral port that nobody can dial (we do not reuse the listen
 * port, so the observed port says nothing). A guess, which is what AutoNAT is for. Unspecified
 * addresses, port 0 and other transports are never recorded.
 */
public final class ObservedAddrs {
  private final int threshold;
  private final long ttlMillis;
  private final int max;
  private final LongSupplier clock;
  private final LinkedHashMap<Long, Observation> byConnection = new LinkedHashMap<>();

  /**
   * One observation.
   *
   * @param closedAt when its connection closed, 0 while it is open
   */
  public record Observation(long connectionId, PeerId observer, String observerKey, Multiaddr addr,
      long seenAt, long closedAt) {}

  public ObservedAddrs(int threshold, java.time.Duration ttl, int max, LongSupplier clock) {
    this.threshold = threshold;
    this.ttlMillis = ttl.toMillis();
    this.max = max;
    this.clock = clock;
  }

  /**
   * What an observation on {@code connection} says about our dialable address, or null when it
   * says nothing (see the class comment); {@code listenAddrs} are ours.
   */
  public static Multiaddr normalize(Multiaddr observed, ConnectionInfo connection, List<Multiaddr> listenAddrs) {
    if (observed == null || observed.host() == null || observed.isUnspecified() || observed.peerId() != null) {
      return null;
    }
    if (observed.isQuic()) {
      return observed.udpPort() > 0 ? observed : null;
    }
    if (!observed.isTcp() || observed.tcpPort() <= 0) {
      return null;
    }
    if (!connection.isOutbound()) {
      return observed;
    }
    for (Multiaddr listen : listenAddrs) {
      if (listen.isTcp() && listen.tcpPort() > 0 && listen.isIp6() == observed.isIp6()) {
        return observed.isIp6() ? Multiaddr.parse("/ip6/" + observed.host() + "/tcp/" + listen.tcpPort())
            : Multiaddr.tcp(observed.host(), listen.tcpPort());
      }
    }
    return null;
  }

  /** Who counts as a distinct observer: the network of {@code host}, or the peer for loopback. */
  static String observerKey(PeerId observer, Multiaddr remote) {
    String host = remote.host();
    if (host == null || remote.isLoopback()) {
      return "peer:" + observer;
    }
    if (!remote.isIp6()) {
      int dot = host.lastIndexOf('.');
      return "ip4:" + (dot < 0 ? host : host.substring(0, dot));
    }
    try {
      byte[] b = java.net.InetAddress.getByName(host).getAddress();
      return "ip6:" + java.util.HexFormat.of().formatHex(b, 0, 6);
    } catch (java.net.UnknownHostException e) {
      return "ip6:" + host;
    }
  }

  /**
   * Records that the peer on {@code connection} sees us at {@code addr} (already
   * {@link #normalize normalized}); replaces that connection's earlier observation.
   */
  public void observed(ConnectionInfo connection, Multiaddr addr) {
    byConnection.remove(connection.id());
    byConnection.put(connection.id(), new Observation(connection.id(), connection.remotePeer(),
        observerKey(connection.remotePeer(), connection.remoteAddress()), addr, clock.getAsLong(), 0));
    while (byConnection.size() > max) {
      Iterator<Long> it = byConnection.keySet().iterator();
      it.next();
      it.remove();
    }
  }

  /** The connection closed: its observation expires {@code ttl} from now. */
  public void closed(long connectionId) {
    Observation o = byConnection.get(connectionId);
    if (o != null && o.closedAt() == 0) {
      byConnection.put(connectionId, new Observation(o.connectionId(), o.observer(), o.observerKey(), o.addr(),
          o.seenAt(), clock.getAsLong()));
    }
  }

  /** Drops the observations whose connection closed more than {@code ttl} ago. */
  public void expire() {
    long now = clock.getAsLong();
    byConnection.values().removeIf(o -> o.closedAt() != 0 && now - o.closedAt() >= ttlMillis);
  }

  /** The addresses at least {@code threshold} distinct observers report, most reported first. */
  public List<Multiaddr> candidates() {
    List<Map.Entry<Multiaddr, Integer>> enough = new ArrayList<>(counts().entrySet());
    enough.removeIf(e -> e.getValue() < threshold);
    enough.sort((a, b) -> Integer.compare(b.getValue(), a.getValue()));
    return enough.stream().map(Map.Entry::getKey).toList();
  }

  /** How many distinct observers report each address now. */
  public Map<Multiaddr, Integer> counts() {
    expire();
    Map<Multiaddr, Set<String>> observers = new LinkedHashMap<>();
    byConnection.values().forEach(o -> observers.computeIfAbsent(o.addr(), a -> new HashSet<>()).add(o.observerKey()));
    Map<Multiaddr, Integer> out = new LinkedHashMap<>();
    observers.forEach((a, s) -> out.put(a, s.size()));
    return out;
  }

  /** The observations held now. */
  public List<Observation> observations() {
    expire();
    return List.copyOf(byConnection.values());
  }

  public int size() {
    return byConnection.size();
  }
}
