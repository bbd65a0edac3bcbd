package io.tinyp2p.multiaddr;

import io.tinyp2p.crypto.PeerId;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A multiaddr (multiformats/multiaddr) restricted to what tinyp2p dials and listens on:
 * {@code ip4}, {@code ip6}, {@code tcp}, {@code dns}, {@code dns4}, {@code dns6} and {@code p2p}
 * ({@code ipfs} is read as an alias of {@code p2p}). Any other protocol is refused with an
 * {@link IllegalArgumentException} naming it.
 *
 * <p>Immutable. Equality is that of the binary form, so {@code /ipfs/Qm...} equals {@code
 * /p2p/Qm...} and {@code /ip6/0:0::1} equals {@code /ip6/::1}. {@link #toString()} gives the
 * canonical text: {@code p2p} for the peer, base58btc PeerIds, IPv6 compressed as RFC 5952
 * section 4 defines it (IPv4-mapped addresses in hex too, as js-multiaddr prints them).
 *
 * <p>IP literals are parsed here, never handed to a resolver: nothing in this class does a
 * DNS lookup.
 *
 * <p>The work is shared with package-private helpers: {@link Protocol} (the protocol table),
 * {@link Part} (one component's value in both forms), {@link TextParser} (the text form),
 * {@link BinaryCodec} (the binary form) and {@link IpLiterals} (IP address text).
 */
public final class Multiaddr {
  /** Longest text (characters) and binary form (bytes) accepted. */
  public static final int MAX_LENGTH = 1024;

  /** Longest dns, dns4, dns6 name in bytes (UTF-8). */
  public static final int MAX_DNS_NAME_BYTES = 255;

  /** One {@code /protocol/value} pair; {@code value} is in canonical text form. */
  public record Component(String protocol, int code, String value) {
    @Override
    public String toString() {
      return value.isEmpty() ? "/" + protocol : "/" + protocol + "/" + value; // quic-v1 has no value
    }
  }

  private final Part[] parts;
  private final byte[] bytes;
  private final String text;
  private final int hash;
  private List<Component> components; // built on first use

  private Multiaddr(Part[] parts) {
    if (parts.length == 0) {
      throw new IllegalArgumentException("multiaddr is empty");
    }
    this.parts = parts;
    this.bytes = BinaryCodec.encode(parts);
    if (bytes.length > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "multiaddr longer than " + MAX_LENGTH + " bytes (" + bytes.length + ")");
    }
    StringBuilder sb = new StringBuilder();
    for (Part p : parts) {
      sb.append('/').append(p.proto().name);
      if (p.proto().size != 0) {
        sb.append('/').append(p.text());
      }
    }
    this.text = sb.toString();
    this.hash = Arrays.hashCode(bytes);
  }

  // ---------------------------------------------------------------- parsing

  /**
   * Parses the text form, e.g. {@code /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...}. A single
   * trailing slash is tolerated.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Multiaddr parse(String text) {
    return new Multiaddr(TextParser.parse(text));
  }

  /**
   * Parses the binary form: for each component, the varint protocol code then the value.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Multiaddr fromBytes(byte[] data) {
    return new Multiaddr(BinaryCodec.decode(data));
  }

  // ---------------------------------------------------------------- factories

  /** {@code /ip4/<ip>/tcp/<port>} or {@code /ip6/<ip>/tcp/<port>}, by the literal's form. */
  public static Multiaddr tcp(String ipLiteral, int port) {
    return new Multiaddr(new Part[] {ipPart(ipLiteral), Part.port(Protocol.TCP, checkPort(port, "TCP"))});
  }

  /** {@code /ip4/<ip>/udp/<port>/quic-v1} or {@code /ip6/<ip>/udp/<port>/quic-v1}, by the literal's form. */
  public static Multiaddr quic(String ipLiteral, int port) {
    return new Multiaddr(new Part[] {ipPart(ipLiteral), Part.port(Protocol.UDP, checkPort(port, "UDP")),
        Part.flag(Protocol.QUIC_V1)});
  }

  private static int checkPort(int port, String what) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("invalid " + what + " port " + port + " (must be 0-65535)");
    }
    return port;
  }

  private static Part ipPart(String ipLiteral) {
    if (ipLiteral == null || ipLiteral.isEmpty()) {
      throw new IllegalArgumentException("IP literal is empty");
    }
    String ip = ipLiteral;
    if (ip.length() > 2 && ip.charAt(0) == '[' && ip.charAt(ip.length() - 1) == ']') {
      ip = ip.substring(1, ip.length() - 1);
    }
    return Part.fromText(ip.indexOf(':') >= 0 ? Protocol.IP6 : Protocol.IP4, ip);
  }

  /**
   * The multiaddr of a socket address: {@code /ip4} or {@code /ip6} when it is resolved or its
   * host string is an IP literal (the IPv6 scope id is dropped), else {@code /dns} of its host
   * name. Never resolves anything.
   */
  public static Multiaddr fromInetSocketAddress(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    Part host;
    if (ip instanceof Inet4Address) {
      host = Part.ip4(ip.getAddress());
    } else if (ip instanceof Inet6Address) {
      host = Part.ip6(ip.getAddress());
    } else {
      String name = address.getHostString();
      byte[] v4 = IpLiterals.parseIp4(name);
      byte[] v6 = v4 == null ? IpLiterals.parseIp6(name) : null;
      if (v4 != null) {
        host = Part.ip4(v4);
      } else if (v6 != null) {
        host = Part.ip6(v6);
      } else {
        host = Part.fromText(Protocol.DNS, name);
      }
    }
    return new Multiaddr(new Part[] {host, Part.port(Protocol.TCP, address.getPort())});
  }

  /** {@code /ip4|ip6/<ip>/udp/<port>/quic-v1} of a resolved socket address (the IPv6 scope id dropped). */
  public static Multiaddr quic(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    if (ip == null) {
      throw new IllegalArgumentException("unresolved socket address " + address);
    }
    Part host = ip instanceof Inet4Address ? Part.ip4(ip.getAddress()) : Part.ip6(ip.getAddress());
    return new Multiaddr(new Part[] {host, Part.port(Protocol.UDP, address.getPort()), Part.flag(Protocol.QUIC_V1)});
  }

  // ---------------------------------------------------------------- accessors

  public byte[] toBytes() {
    return bytes.clone();
  }

  public List<Component> components() {
    List<Component> c = components;
    if (c == null) {
      List<Component> list = new ArrayList<>(parts.length);
      for (Part p : parts) {
        list.add(new Component(p.proto().name, p.proto().code, p.text()));
      }
      c = components = List.copyOf(list);
    }
    return c;
  }

  private Part hostPart() {
    for (Part p : parts) {
      if (p.proto().isHost()) {
        return p;
      }
    }
    return null;
  }

  /** The value of the first ip4, ip6, dns, dns4 or dns6 component, or {@code null}. */
  public String host() {
    Part p = hostPart();
    return p == null ? null : p.text();
  }

  /** The port of the first tcp component, or -1 if there is none. */
  public int tcpPort() {
    for (Part p : parts) {
      if (p.proto() == Protocol.TCP) {
        return p.port();
      }
    }
    return -1;
  }

  /** The port of the first udp component, or -1 if there is none. */
  public int udpPort() {
    for (Part p : parts) {
      if (p.proto() == Protocol.UDP) {
        return p.port();
      }
    }
    return -1;
  }

  /**
   * Whether this is a QUIC address: {@code /ip4|ip6/<ip>/udp/<port>/quic-v1}, optionally
   * followed by {@code /p2p/<id>}.
   */
  public boolean isQuic() {
    int n = parts.length - (parts[parts.length - 1].proto() == Protocol.P2P ? 1 : 0);
    return n == 3 && (parts[0].proto() == Protocol.IP4 || parts[0].proto() == Protocol.IP6)
        && parts[1].proto() == Protocol.UDP && parts[2].proto() == Protocol.QUIC_V1;
  }

  /**
   * Whether this is a TCP address: a host ({@code /ip4}, {@code /ip6} or a {@code /dns} name)
   * and {@code /tcp/<port>}, optionally followed by {@code /p2p/<id>}.
   */
  public boolean isTcp() {
    int n = parts.length - (parts[parts.length - 1].proto() == Protocol.P2P ? 1 : 0);
    return n == 2 && parts[0].proto().isHost() && parts[1].proto() == Protocol.TCP;
  }

  /**
   * Whether this is a relayed address: it holds a {@code /p2p-circuit} component
   * ({@code <relay transport addr>/p2p/<relay>/p2p-circuit}, optionally followed by
   * {@code /p2p/<peer>}).
   */
  public boolean isCircuit() {
    return circuitIndex() >= 0;
  }

  private int circuitIndex() {
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].proto() == Protocol.P2P_CIRCUIT) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The relay part of a circuit address: what comes before {@code /p2p-circuit} (the relay's
   * transport address and {@code /p2p/<relay>}), or {@code null} if this is not a circuit
   * address or nothing comes before it.
   */
  public Multiaddr relayAddress() {
    int i = circuitIndex();
    return i <= 0 ? null : new Multiaddr(Arrays.copyOf(parts, i));
  }

  /**
   * The relay's PeerId in a circuit address (the /p2p right before {@code /p2p-circuit}), or
   * {@code null} if there is none.
   */
  public PeerId relayPeer() {
    int i = circuitIndex();
    return i > 0 && parts[i - 1].proto() == Protocol.P2P ? PeerId.fromBytes(parts[i - 1].raw()) : null;
  }

  /**
   * The destination of a circuit address: the PeerId of the /p2p after {@code /p2p-circuit},
   * or {@code null} if this is not a circuit address or it names none (a listen address).
   */
  public PeerId circuitDestination() {
    int i = circuitIndex();
    return i >= 0 && i + 1 < parts.length && parts[i + 1].proto() == Protocol.P2P
        ? PeerId.fromBytes(parts[i + 1].raw()) : null;
  }

  /** This address followed by {@code /p2p-circuit} (a relay's address: where its clients are reachable). */
  public Multiaddr withCircuit() {
    Part[] next = Arrays.copyOf(parts, parts.length + 1);
    next[parts.length] = Part.flag(Protocol.P2P_CIRCUIT);
    return new Multiaddr(next);
  }

  /** The PeerId of the trailing /p2p component, or {@code null}. */
  public PeerId peerId() {
    Part last = parts[parts.length - 1];
    return last.proto() == Protocol.P2P ? PeerId.fromBytes(last.raw()) : null;
  }

  /** This multiaddr with its trailing /p2p replaced by (or, if none, followed by) {@code id}. */
  public Multiaddr withPeerId(PeerId id) {
    Part p2p = Part.p2p(id);
    Part last = parts[parts.length - 1];
    Part[] next;
    if (last.proto() == Protocol.P2P) {
      if (Arrays.equals(last.raw(), p2p.raw())) {
        return this;
      }
      next = parts.clone();
      next[next.length - 1] = p2p;
    } else {
      next = Arrays.copyOf(parts, parts.length + 1);
      next[parts.length] = p2p;
    }
    return new Multiaddr(next);
  }

  /**
   * This multiaddr without its trailing /p2p (itself if it has none).
   *
   * @throws IllegalStateException if the multiaddr is nothing but {@code /p2p/<id>}, since an
   *     empty multiaddr is not a value of this class
   */
  public Multiaddr withoutPeerId() {
    if (parts[parts.length - 1].proto() != Protocol.P2P) {
      return this;
    }
    if (parts.length == 1) {
      throw new IllegalStateException("multiaddr " + text + " has nothing but a /p2p component");
    }
    return new Multiaddr(Arrays.copyOf(parts, parts.length - 1));
  }

  /** Whether the host is an IP loopback address: 127.0.0.0/8, ::1 (or ::ffff:127.0.0.0/104). */
  public boolean isLoopback() {
    Part h = hostPart();
    if (h == null) {
      return false;
    }
    byte[] raw = h.raw();
    if (h.proto() == Protocol.IP4) {
      return (raw[0] & 0xFF) == 127;
    }
    if (h.proto() == Protocol.IP6) {
      if (IpLiterals.isIp4Mapped(raw)) {
        return (raw[12] & 0xFF) == 127;
      }
      for (int i = 0; i < 15; i++) {
        if (raw[i] != 0) {
          return false;
        }
      }
      return raw[15] == 1;
    }
    return false;
  }

  /** Whether the host is the unspecified address 0.0.0.0 or ::. */
  public boolean isUnspecified() {
    Part h = hostPart();
    if (h == null || !(h.proto() == Protocol.IP4 || h.proto() == Protocol.IP6)) {
      return false;
    }
    for (byte b : h.raw()) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  /** Whether the host is an /ip6 address. */
  public boolean isIp6() {
    Part h = hostPart();
    return h != null && h.proto() == Protocol.IP6;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Multiaddr other && hash == other.hash && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return text;
  }
}
