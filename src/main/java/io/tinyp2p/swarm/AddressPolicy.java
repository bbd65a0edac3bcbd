package io.tinyp2p.swarm;

import io.tinyp2p.multiaddr.Multiaddr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which addresses learnt from other peers (Identify listen addresses, Kademlia closer peers)
 * are kept, and which ones may be dialed: the one place these rules live.
 *
 * <p>Every address has a class ({@link #classify}). A public address is always kept; the
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
 *   <tr><td>UNSPECIFIED (0.0.0.0/8, ::), RESERVED (multicast, 240/4, broadcast), NOT_TCP</td>
 *       <td>never</td></tr>
 * </table>
 *
 * <p>An unknown via (no connection) counts as public. Dropped addresses are counted by class.
 * At dial time ({@link #dialable}) the classes that are never kept are refused again, so no
 * path through the peer store can dial them.
 */
public final class AddressPolicy {

  /** The class of an address, for the rules above. */
  public enum AddressClass {
    PUBLIC, PRIVATE, LOOPBACK, LINK_LOCAL, DNS, UNSPECIFIED, RESERVED, NOT_TCP;

    /** The classes that can be dropped (every one but PUBLIC), as /status lists them. */
    static AddressClass[] dropped() {
      return new AddressClass[] {PRIVATE, LOOPBACK, LINK_LOCAL, DNS, UNSPECIFIED, RESERVED, NOT_TCP};
    }
  }

  private final boolean allowDns;
  private final Limits.Counters counters;

  public AddressPolicy(boolean allowDns, Limits.Counters counters) {
    this.allowDns = allowDns;
    this.counters = counters;
  }

  /** The class of an address by its host component (an address without /tcp is NOT_TCP). */
  public static AddressClass classify(Multiaddr addr) {
    if (addr.tcpPort() < 0) {
      return AddressClass.NOT_TCP;
    }
    for (Multiaddr.Component c : addr.components()) {
      switch (c.protocol()) {
        case "dns", "dns4", "dns6", "dnsaddr" -> {
          return AddressClass.DNS;
        }
        case "ip4", "ip6" -> {
          return classify(literal(c.value()));
        }
        default -> { }
      }
    }
    return AddressClass.NOT_TCP;
  }

  /** The class of an IP address (IPv4-mapped IPv6 addresses are classed as their IPv4). */
  public static AddressClass classify(InetAddress ip) {
    if (ip == null) {
      return AddressClass.RESERVED;
    }
    byte[] b = ip.getAddress();
    if (ip instanceof Inet4Address) {
      int a0 = b[0] & 0xFF;
      int a1 = b[1] & 0xFF;
      if (a0 == 0) {
        return AddressClass.UNSPECIFIED; // 0.0.0.0/8, "this network"
      }
      if (a0 == 127) {
        return AddressClass.LOOPBACK;
      }
      if (a0 == 169 && a1 == 254) {
        return AddressClass.LINK_LOCAL;
      }
      if (a0 == 10 || (a0 == 172 && (a1 & 0xF0) == 16) || (a0 == 192 && a1 == 168)
          || (a0 == 100 && (a1 & 0xC0) == 64)) {
        return AddressClass.PRIVATE;
      }
      if (a0 >= 224) {
        return AddressClass.RESERVED; // multicast, 240/4, broadcast
      }
      return AddressClass.PUBLIC;
    }
    if (ip.isAnyLocalAddress()) {
      return AddressClass.UNSPECIFIED;
    }
    if (ip.isLoopbackAddress()) {
      return AddressClass.LOOPBACK;
    }
    int h0 = b[0] & 0xFF;
    int h1 = b[1] & 0xFF;
    if (h0 == 0xFE && (h1 & 0xC0) == 0x80) {
      return AddressClass.LINK_LOCAL;
    }
    if ((h0 & 0xFE) == 0xFC) {
      return AddressClass.PRIVATE;
    }
    if (h0 == 0xFF) {
      return AddressClass.RESERVED;
    }
    return AddressClass.PUBLIC;
  }

  /**
   * Parses an IP literal without any lookup (InetAddress.getByName only checks the format of a
   * literal); null when it is not one.
   */
  static InetAddress literal(String ip) {
    if (ip == null || ip.isEmpty()) {
      return null;
    }
    int zone = ip.indexOf('%');
    String bare = zone >= 0 ? ip.substring(0, zone) : ip;
    if (bare.startsWith("[") && bare.endsWith("]")) {
      bare = bare.substring(1, bare.length() - 1);
    }
    String text;
    if (bare.indexOf(':') >= 0) {
      text = "[" + bare + "]"; // in brackets it is parsed as an IPv6 literal or refused, never looked up
    } else if (IP4.matcher(bare).matches()) {
      text = bare;
    } else {
      return null; // not a literal: never hand a name to the resolver
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }

  private static final java.util.regex.Pattern IP4 =
      java.util.regex.Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

  /** Whether an address of class {@code addr} is kept when learnt over a connection of class {@code via}. */
  public boolean keeps(AddressClass addr, AddressClass via) {
    return switch (addr) {
      case PUBLIC -> true;
      case PRIVATE -> via == AddressClass.PRIVATE;
      case LOOPBACK -> via == AddressClass.LOOPBACK;
      case LINK_LOCAL -> via == AddressClass.LINK_LOCAL;
      case DNS -> allowDns;
      case UNSPECIFIED, RESERVED, NOT_TCP -> false;
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
      case UNSPECIFIED, RESERVED, NOT_TCP -> false;
    };
  }

  /**
   * The subnet an IP belongs to for the pending-handshake limit: its /24 (IPv4) or /48
   * (IPv6); the text itself when it is no IP literal.
   */
  static String subnet(String ip) {
    InetAddress a = literal(ip);
    if (a == null) {
      return ip;
    }
    byte[] b = a.getAddress();
    if (b.length == 4) {
      return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + ".0/24";
    }
    return String.format("%02x%02x:%02x%02x:%02x%02x::/48", b[0], b[1], b[2], b[3], b[4], b[5]);
  }

  /** Whether the IP literal is a loopback address. */
  static boolean isLoopback(String ip) {
    InetAddress a = literal(ip);
    return a != null && a.isLoopbackAddress();
  }
}
