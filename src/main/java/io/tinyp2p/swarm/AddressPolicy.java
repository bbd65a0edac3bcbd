package io.tinyp2p.swarm;

import io.tinyp2p.multiaddr.AddressClass;
import io.tinyp2p.multiaddr.Multiaddr;
import java.util.ArrayList;
import java.util.List;

/**
 * Which addresses learnt from other peers (Identify listen addresses, Kademlia closer peers)
 * are kept, and which ones may be dialed: the one place these rules live.
 *
 * <p>Every address has a class ({@link AddressClass}). A public address is always kept; the
 * others only when the connection we learnt them over (its remote address, the "via") makes
 * them plausible:
 *
 * <table>
 *   <caption>kept when learnt over</caption>
 *   <tr><th>class</th><th>kept when the via is</th></tr>
 *   <tr><td>PUBLIC</td><td>anything</td></tr>
 *   <tr><td>PRIVATE (RFC 1918, 100.64/10, fc00::/7)</td><td>private only: a peer we reach on
 *       a private network may name others there; anyone else naming a LAN address would point
 *       us at a network it does not share with us</td></tr>
 *   <tr><td>LOOPBACK (127/8, ::1)</td><td>loopback (a node on this host)</td></tr>
 *   <tr><td>LINK_LOCAL (169.254/16, fe80::/10)</td><td>link-local only: never from a
 *       loopback or remote peer, so metadata services such as 169.254.169.254 are not dialed
 *       on anyone's say-so</td></tr>
 *   <tr><td>DNS (/dns, /dns4, /dns6, /dnsaddr)</td><td>only with {@code limits.allowDnsAddrs}
 *       (a name resolves wherever its owner likes, so by default no peer may hand us one)</td></tr>
 *   <tr><td>UNSPECIFIED (0.0.0.0/8, ::), RESERVED (multicast, 240/4, broadcast), UNSUPPORTED</td>
 *       <td>never</td></tr>
 * </table>
 *
 * <p>An unknown via (no connection) counts as public. Dropped addresses are counted by class.
 * At dial time ({@link #dialable}) the classes that are never kept are refused again, so no
 * path through the peer store can dial them.
 */
public final class AddressPolicy {

  private final boolean allowDns;
  private final Limits.Counters counters;

  public AddressPolicy(boolean allowDns, Limits.Counters counters) {
    this.allowDns = allowDns;
    this.counters = counters;
  }

  /** The class of an address by its host component (an address neither TCP nor QUIC is UNSUPPORTED). */
  public static AddressClass classify(Multiaddr addr) {
    return AddressClass.of(addr);
  }

  /** Whether an address of class {@code addr} is kept when learnt over a connection of class {@code via}. */
  public boolean keeps(AddressClass addr, AddressClass via) {
    return switch (addr) {
      case PUBLIC -> true;
      case PRIVATE -> via == AddressClass.PRIVATE;
      case LOOPBACK -> via == AddressClass.LOOPBACK;
      case LINK_LOCAL -> via == AddressClass.LINK_LOCAL;
      case DNS -> allowDns;
      case UNSPECIFIED, RESERVED, UNSUPPORTED -> false;
    };
  }

  /**
   * The addresses worth keeping of those a peer told us over a connection whose remote address
   * is {@code via} (null: not known, treated as public); the others are counted as dropped.
   * Order is kept, duplicates go.
   */
  public List<Multiaddr> filter(List<Multiaddr> addrs, Multiaddr via) {
    AddressClass viaClass = via == null ? AddressClass.PUBLIC : classify(via);
    List<Multiaddr> out = new ArrayList<>(addrs.size());
    for (Multiaddr a : addrs) {
      AddressClass c = classify(a);
      if (!keeps(c, viaClass)) {
        counters.count(c);
      } else if (!out.contains(a)) {
        out.add(a);
      }
    }
    return out;
  }

  /**
   * Whether the swarm may dial an address it found in the peer store or through routing:
   * never the classes that are never kept, DNS names only when allowed. (Addresses the user or
   * the configuration names, boot nodes included, are dialed as given.)
   */
  public boolean dialable(Multiaddr addr) {
    AddressClass c = classify(addr);
    return switch (c) {
      case PUBLIC, PRIVATE, LOOPBACK, LINK_LOCAL -> true;
      case DNS -> allowDns;
      case UNSPECIFIED, RESERVED, UNSUPPORTED -> false;
    };
  }

}
