package io.tinyp2p.multiaddr;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * The class of an address: public, private, loopback and so on. The one place the node tells
 * address ranges apart (the swarm's address policy and connection limits, gossipsub's IP
 * colocation, the HTTP API's exposure check all ask here), so that every form of an address
 * (IPv4, IPv6, IPv4-mapped IPv6, bracketed, with a zone) gets the same answer.
 */
public enum AddressClass {
  PUBLIC, PRIVATE, LOOPBACK, LINK_LOCAL, DNS, UNSPECIFIED, RESERVED, UNSUPPORTED;

  /** The classes that can be dropped (every one but PUBLIC), as /status lists them. */
  public static AddressClass[] dropped() {
    return new AddressClass[] {PRIVATE, LOOPBACK, LINK_LOCAL, DNS, UNSPECIFIED, RESERVED, UNSUPPORTED};
  }

  /** The class of an address by its host component (an address neither TCP nor QUIC is UNSUPPORTED). */
  public static AddressClass of(Multiaddr addr) {
    if (addr.isCircuit()) {
      Multiaddr relay = addr.relayAddress(); // a relayed address is as reachable as its relay
      return relay == null || relay.isCircuit() ? UNSUPPORTED : of(relay);
    }
    if (addr.tcpPort() < 0 && !addr.isQuic()) {
      return UNSUPPORTED;
    }
    for (Multiaddr.Component c : addr.components()) {
      switch (c.protocol()) {
        case "dns", "dns4", "dns6", "dnsaddr" -> {
          return DNS;
        }
        case "ip4", "ip6" -> {
          return of(literal(c.value()));
        }
        default -> { }
      }
    }
    return UNSUPPORTED;
  }

  /** The class of an IP address (IPv4-mapped IPv6 addresses are classed as their IPv4); null is RESERVED. */
  public static AddressClass of(InetAddress ip) {
    if (ip == null) {
      return RESERVED;
    }
    byte[] b = ip.getAddress();
    if (ip instanceof Inet4Address) {
      int a0 = b[0] & 0xFF;
      int a1 = b[1] & 0xFF;
      if (a0 == 0) {
        return UNSPECIFIED; // 0.0.0.0/8, "this network"
      }
      if (a0 == 127) {
        return LOOPBACK;
      }
      if (a0 == 169 && a1 == 254) {
        return LINK_LOCAL;
      }
      if (a0 == 10 || (a0 == 172 && (a1 & 0xF0) == 16) || (a0 == 192 && a1 == 168)
          || (a0 == 100 && (a1 & 0xC0) == 64)) {
        return PRIVATE;
      }
      if (a0 >= 224) {
        return RESERVED; // multicast, 240/4, broadcast
      }
      return PUBLIC;
    }
    if (ip.isAnyLocalAddress()) {
      return UNSPECIFIED;
    }
    if (ip.isLoopbackAddress()) {
      return LOOPBACK;
    }
    int h0 = b[0] & 0xFF;
    int h1 = b[1] & 0xFF;
    if (h0 == 0xFE && (h1 & 0xC0) == 0x80) {
      return LINK_LOCAL;
    }
    if ((h0 & 0xFE) == 0xFC) {
      return PRIVATE;
    }
    if (h0 == 0xFF) {
      return RESERVED;
    }
    return PUBLIC;
  }

  /**
   * Whether {@code host} is a loopback address in any of its written forms: 127.0.0.0/8, ::1 and
   * its long forms, ::ffff:127.x.y.z, bracketed or with a zone. A name is not (names resolve
   * wherever their owner likes), except "localhost" when {@code localhostName}.
   */
  public static boolean isLoopback(String host, boolean localhostName) {
    if (localhostName && "localhost".equalsIgnoreCase(host)) {
      return true;
    }
    return of(literal(host)) == LOOPBACK;
  }

  /** Whether the IP literal {@code ip} is a loopback address (a name never is). */
  public static boolean isLoopback(String ip) {
    return isLoopback(ip, false);
  }

  /**
   * Parses an IP literal without any lookup (InetAddress.getByName only checks the format of a
   * literal); null when it is not one. Brackets and a zone are allowed.
   */
  public static InetAddress literal(String ip) {
    if (ip == null || ip.isEmpty()) {
      return null;
    }
    String bare = ip;
    if (bare.startsWith("[") && bare.endsWith("]")) {
      bare = bare.substring(1, bare.length() - 1);
    }
    int zone = bare.indexOf('%');
    if (zone >= 0) {
      bare = bare.substring(0, zone);
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

  private static final Pattern IP4 =
      Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

  /**
   * The subnet an IP belongs to for per-subnet limits: its /24 (IPv4, IPv4-mapped included) or
   * /48 (IPv6); the text itself when it is no IP literal.
   */
  public static String subnet(String ip) {
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
}
