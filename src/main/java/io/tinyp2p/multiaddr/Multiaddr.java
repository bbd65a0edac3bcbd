package io.tinyp2p.multiaddr;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.util.Varint;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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
      return "/" + protocol + "/" + value;
    }
  }

  /** The protocols supported, with their multicodec codes and value sizes (-1: length-prefixed). */
  private enum Proto {
    IP4("ip4", 0x04, 4),
    TCP("tcp", 0x06, 2),
    IP6("ip6", 0x29, 16),
    DNS("dns", 0x35, -1),
    DNS4("dns4", 0x36, -1),
    DNS6("dns6", 0x37, -1),
    P2P("p2p", 0x01a5, -1);

    final String name;
    final int code;
    final int size;
    final byte[] codeBytes;

    Proto(String name, int code, int size) {
      this.name = name;
      this.code = code;
      this.size = size;
      this.codeBytes = Varint.encode(code);
    }

    boolean isHost() {
      return this == IP4 || this == IP6 || this == DNS || this == DNS4 || this == DNS6;
    }

    static Proto byName(String name) {
      for (Proto p : values()) {
        if (p.name.equals(name)) {
          return p;
        }
      }
      return "ipfs".equals(name) ? P2P : null;
    }

    static Proto byCode(long code) {
      for (Proto p : values()) {
        if (p.code == code) {
          return p;
        }
      }
      return null;
    }
  }

  /**
   * Names of some protocols in the multiaddr table that tinyp2p does not support: used only
   * so that error messages about binary multiaddrs can say which protocol they met.
   */
  private static final Map<Integer, String> UNSUPPORTED_NAMES =
      Map.ofEntries(
          Map.entry(0x0111, "udp"),
          Map.entry(0x0021, "dccp"),
          Map.entry(0x002a, "ip6zone"),
          Map.entry(0x002b, "ipcidr"),
          Map.entry(0x0038, "dnsaddr"),
          Map.entry(0x0084, "sctp"),
          Map.entry(0x0190, "unix"),
          Map.entry(0x01bc, "onion"),
          Map.entry(0x01bd, "onion3"),
          Map.entry(0x01c0, "tls"),
          Map.entry(0x01c1, "sni"),
          Map.entry(0x01c6, "noise"),
          Map.entry(0x01cc, "quic"),
          Map.entry(0x01cd, "quic-v1"),
          Map.entry(0x01d1, "webtransport"),
          Map.entry(0x01d2, "certhash"),
          Map.entry(0x01dd, "ws"),
          Map.entry(0x01de, "wss"),
          Map.entry(0x01e0, "http"),
          Map.entry(0x0118, "webrtc-direct"),
          Map.entry(0x0119, "webrtc"),
          Map.entry(0x0122, "p2p-circuit"),
          Map.entry(0x0309, "memory"));

  /** A parsed component: its protocol, raw value bytes and canonical text value. */
  private record Part(Proto proto, byte[] raw, String text) {}

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
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringBuilder sb = new StringBuilder();
    for (Part p : parts) {
      out.writeBytes(p.proto.codeBytes);
      if (p.proto.size < 0) {
        out.writeBytes(Varint.encode(p.raw.length));
      }
      out.writeBytes(p.raw);
      sb.append('/').append(p.proto.name).append('/').append(p.text);
    }
    this.bytes = out.toByteArray();
    if (bytes.length > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "multiaddr longer than " + MAX_LENGTH + " bytes (" + bytes.length + ")");
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
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("multiaddr is empty");
    }
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "multiaddr longer than " + MAX_LENGTH + " characters (" + text.length() + ")");
    }
    if (text.charAt(0) != '/') {
      throw new IllegalArgumentException("multiaddr must start with '/': " + quote(text));
    }
    String body = text.substring(1);
    if (body.endsWith("/")) {
      body = body.substring(0, body.length() - 1);
    }
    if (body.isEmpty()) {
      throw new IllegalArgumentException("multiaddr has no components: " + quote(text));
    }
    String[] tokens = body.split("/", -1);
    List<Part> parts = new ArrayList<>();
    for (int i = 0; i < tokens.length; i += 2) {
      String name = tokens[i];
      if (name.isEmpty()) {
        throw new IllegalArgumentException("empty protocol name in multiaddr " + quote(text));
      }
      Proto proto = Proto.byName(name);
      if (proto == null) {
        throw new IllegalArgumentException("unsupported multiaddr protocol " + quote(name));
      }
      if (i + 1 >= tokens.length) {
        throw new IllegalArgumentException(
            "missing value for /" + name + " in multiaddr " + quote(text));
      }
      parts.add(parseValue(proto, tokens[i + 1]));
    }
    return new Multiaddr(parts.toArray(new Part[0]));
  }

  private static Part parseValue(Proto proto, String value) {
    switch (proto) {
      case IP4 -> {
        byte[] raw = parseIp4(value);
        if (raw == null) {
          throw new IllegalArgumentException("invalid IPv4 address " + quote(value));
        }
        return new Part(proto, raw, formatIp4(raw, 0));
      }
      case IP6 -> {
        byte[] raw = parseIp6(value);
        if (raw == null) {
          throw new IllegalArgumentException("invalid IPv6 address " + quote(value));
        }
        return new Part(proto, raw, formatIp6(raw));
      }
      case TCP -> {
        int port = parsePort(value);
        return new Part(proto, new byte[] {(byte) (port >> 8), (byte) port}, Integer.toString(port));
      }
      case DNS, DNS4, DNS6 -> {
        checkDnsName(proto, value);
        return new Part(proto, value.getBytes(StandardCharsets.UTF_8), value);
      }
      case P2P -> {
        PeerId id;
        try {
          id = PeerId.parse(value);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("invalid PeerId in /p2p: " + e.getMessage(), e);
        }
        return new Part(proto, id.toBytes(), id.toBase58());
      }
    }
    throw new AssertionError(proto);
  }

  /**
   * Parses the binary form: for each component, the varint protocol code then the value.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Multiaddr fromBytes(byte[] data) {
    if (data.length == 0) {
      throw new IllegalArgumentException("multiaddr is empty");
    }
    if (data.length > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "multiaddr longer than " + MAX_LENGTH + " bytes (" + data.length + ")");
    }
    List<Part> parts = new ArrayList<>();
    int offset = 0;
    while (offset < data.length) {
      long code = readVarint(data, offset, "protocol code");
      offset += Varint.encodedLength(code);
      Proto proto = Proto.byCode(code);
      if (proto == null) {
        throw new IllegalArgumentException(unsupportedCode(code));
      }
      int length;
      if (proto.size >= 0) {
        length = proto.size;
      } else {
        long declared = readVarint(data, offset, "length of /" + proto.name);
        offset += Varint.encodedLength(declared);
        if (declared > data.length - offset) {
          throw new IllegalArgumentException(
              "truncated multiaddr: /" + proto.name + " declares " + declared + " bytes, "
                  + (data.length - offset) + " left");
        }
        length = (int) declared;
      }
      if (length > data.length - offset) {
        throw new IllegalArgumentException(
            "truncated multiaddr: /" + proto.name + " needs " + length + " bytes, "
                + (data.length - offset) + " left");
      }
      byte[] raw = Arrays.copyOfRange(data, offset, offset + length);
      offset += length;
      parts.add(binaryValue(proto, raw));
    }
    return new Multiaddr(parts.toArray(new Part[0]));
  }

  private static long readVarint(byte[] data, int offset, String what) {
    long v;
    try {
      v = Varint.decode(data, offset, data.length);
    } catch (Varint.VarintException e) {
      throw new IllegalArgumentException(
          "malformed multiaddr: " + what + " at byte " + offset + ": " + e.getMessage(), e);
    }
    if (v == Varint.NEED_MORE) {
      throw new IllegalArgumentException(
          "truncated multiaddr: " + what + " at byte " + offset + " is cut off");
    }
    return v;
  }

  private static String unsupportedCode(long code) {
    String name = code <= Integer.MAX_VALUE ? UNSUPPORTED_NAMES.get((int) code) : null;
    return name != null
        ? "unsupported multiaddr protocol '" + name + "' (code " + code + ")"
        : "unsupported multiaddr protocol code " + code + " (0x" + Long.toHexString(code) + ")";
  }

  private static Part binaryValue(Proto proto, byte[] raw) {
    switch (proto) {
      case IP4 -> {
        return new Part(proto, raw, formatIp4(raw, 0));
      }
      case IP6 -> {
        return new Part(proto, raw, formatIp6(raw));
      }
      case TCP -> {
        return new Part(proto, raw, Integer.toString(((raw[0] & 0xFF) << 8) | (raw[1] & 0xFF)));
      }
      case DNS, DNS4, DNS6 -> {
        String name;
        try {
          name =
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT)
                  .decode(ByteBuffer.wrap(raw))
                  .toString();
        } catch (CharacterCodingException e) {
          throw new IllegalArgumentException("/" + proto.name + " name is not valid UTF-8");
        }
        checkDnsName(proto, name);
        return new Part(proto, raw, name);
      }
      case P2P -> {
        PeerId id;
        try {
          id = PeerId.fromBytes(raw);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("invalid PeerId in /p2p: " + e.getMessage(), e);
        }
        return new Part(proto, raw, id.toBase58());
      }
    }
    throw new AssertionError(proto);
  }

  // ---------------------------------------------------------------- factories

  /** {@code /ip4/<ip>/tcp/<port>} or {@code /ip6/<ip>/tcp/<port>}, by the literal's form. */
  public static Multiaddr tcp(String ipLiteral, int port) {
    if (ipLiteral == null || ipLiteral.isEmpty()) {
      throw new IllegalArgumentException("IP literal is empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("invalid TCP port " + port + " (must be 0-65535)");
    }
    String ip = ipLiteral;
    if (ip.length() > 2 && ip.charAt(0) == '[' && ip.charAt(ip.length() - 1) == ']') {
      ip = ip.substring(1, ip.length() - 1);
    }
    Part host = ip.indexOf(':') >= 0 ? parseValue(Proto.IP6, ip) : parseValue(Proto.IP4, ip);
    return new Multiaddr(new Part[] {host, tcpPart(port)});
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
      byte[] raw = ip.getAddress();
      host = new Part(Proto.IP4, raw, formatIp4(raw, 0));
    } else if (ip instanceof Inet6Address) {
      byte[] raw = ip.getAddress();
      host = new Part(Proto.IP6, raw, formatIp6(raw));
    } else {
      String name = address.getHostString();
      byte[] v4 = parseIp4(name);
      byte[] v6 = v4 == null ? parseIp6(name) : null;
      if (v4 != null) {
        host = new Part(Proto.IP4, v4, formatIp4(v4, 0));
      } else if (v6 != null) {
        host = new Part(Proto.IP6, v6, formatIp6(v6));
      } else {
        host = parseValue(Proto.DNS, name);
      }
    }
    return new Multiaddr(new Part[] {host, tcpPart(address.getPort())});
  }

  private static Part tcpPart(int port) {
    return new Part(Proto.TCP, new byte[] {(byte) (port >> 8), (byte) port}, Integer.toString(port));
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
        list.add(new Component(p.proto.name, p.proto.code, p.text));
      }
      c = components = List.copyOf(list);
    }
    return c;
  }

  private Part hostPart() {
    for (Part p : parts) {
      if (p.proto.isHost()) {
        return p;
      }
    }
    return null;
  }

  /** The value of the first ip4, ip6, dns, dns4 or dns6 component, or {@code null}. */
  public String host() {
    Part p = hostPart();
    return p == null ? null : p.text;
  }

  /** The port of the first tcp component, or -1 if there is none. */
  public int tcpPort() {
    for (Part p : parts) {
      if (p.proto == Proto.TCP) {
        return ((p.raw[0] & 0xFF) << 8) | (p.raw[1] & 0xFF);
      }
    }
    return -1;
  }

  /** The PeerId of the trailing /p2p component, or {@code null}. */
  public PeerId peerId() {
    Part last = parts[parts.length - 1];
    return last.proto == Proto.P2P ? PeerId.fromBytes(last.raw) : null;
  }

  /** This multiaddr with its trailing /p2p replaced by (or, if none, followed by) {@code id}. */
  public Multiaddr withPeerId(PeerId id) {
    byte[] raw = id.toBytes();
    Part p2p = new Part(Proto.P2P, raw, id.toBase58());
    Part last = parts[parts.length - 1];
    Part[] next;
    if (last.proto == Proto.P2P) {
      if (Arrays.equals(last.raw, raw)) {
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
    if (parts[parts.length - 1].proto != Proto.P2P) {
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
    if (h.proto == Proto.IP4) {
      return (h.raw[0] & 0xFF) == 127;
    }
    if (h.proto == Proto.IP6) {
      if (isIp4Mapped(h.raw)) {
        return (h.raw[12] & 0xFF) == 127;
      }
      for (int i = 0; i < 15; i++) {
        if (h.raw[i] != 0) {
          return false;
        }
      }
      return h.raw[15] == 1;
    }
    return false;
  }

  /** Whether the host is the unspecified address 0.0.0.0 or ::. */
  public boolean isUnspecified() {
    Part h = hostPart();
    if (h == null || !(h.proto == Proto.IP4 || h.proto == Proto.IP6)) {
      return false;
    }
    for (byte b : h.raw) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  /** Whether the host is an /ip6 address. */
  public boolean isIp6() {
    Part h = hostPart();
    return h != null && h.proto == Proto.IP6;
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

  // ---------------------------------------------------------------- values

  private static int parsePort(String value) {
    if (value.isEmpty() || value.length() > 5 || !allDigits(value)) {
      throw new IllegalArgumentException(
          "invalid TCP port " + quote(value) + " (must be a number 0-65535)");
    }
    int port = Integer.parseInt(value);
    if (port > 65535) {
      throw new IllegalArgumentException("invalid TCP port " + value + " (must be 0-65535)");
    }
    return port;
  }

  private static void checkDnsName(Proto proto, String name) {
    if (name.isEmpty()) {
      throw new IllegalArgumentException("/" + proto.name + " name is empty");
    }
    int length = name.getBytes(StandardCharsets.UTF_8).length;
    if (length > MAX_DNS_NAME_BYTES) {
      throw new IllegalArgumentException(
          "/" + proto.name + " name is " + length + " bytes, longer than " + MAX_DNS_NAME_BYTES);
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/' || Character.isISOControl(c) || Character.isWhitespace(c)) {
        throw new IllegalArgumentException(
            "/" + proto.name + " name has a forbidden character (U+"
                + String.format("%04X", (int) c) + ") at position " + i);
      }
    }
  }

  private static boolean allDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** Dotted-quad IPv4: four decimal octets 0-255, no leading zeros; {@code null} if invalid. */
  static byte[] parseIp4(String s) {
    if (s.length() < 7 || s.length() > 15) {
      return null;
    }
    byte[] out = new byte[4];
    int start = 0;
    for (int octet = 0; octet < 4; octet++) {
      int end = octet < 3 ? s.indexOf('.', start) : s.length();
      if (end < 0) {
        return null;
      }
      String digits = s.substring(start, end);
      if (digits.isEmpty() || digits.length() > 3 || !allDigits(digits)
          || (digits.length() > 1 && digits.charAt(0) == '0')) {
        return null;
      }
      int v = Integer.parseInt(digits);
      if (v > 255) {
        return null;
      }
      out[octet] = (byte) v;
      start = end + 1;
    }
    return out;
  }

  /**
   * IPv6 text (RFC 4291 section 2.2: hex groups, at most one "::", an optional dotted IPv4
   * tail; no zone); {@code null} if invalid.
   */
  static byte[] parseIp6(String s) {
    int len = s.length();
    if (len < 2 || len > 45) {
      return null;
    }
    int[] groups = new int[8];
    int n = 0;
    int gap = -1; // index in groups where "::" stands
    int i = 0;
    if (s.startsWith("::")) {
      gap = 0;
      i = 2;
    } else if (s.charAt(0) == ':') {
      return null;
    }
    while (i < len) {
      int j = i;
      while (j < len && Character.digit(s.charAt(j), 16) >= 0 && s.charAt(j) < 128) {
        j++;
      }
      if (j < len && s.charAt(j) == '.') {
        if (n > 6) {
          return null;
        }
        byte[] v4 = parseIp4(s.substring(i));
        if (v4 == null) {
          return null;
        }
        groups[n++] = ((v4[0] & 0xFF) << 8) | (v4[1] & 0xFF);
        groups[n++] = ((v4[2] & 0xFF) << 8) | (v4[3] & 0xFF);
        i = len;
        break;
      }
      if (j == i || j - i > 4 || n == 8) {
        return null;
      }
      groups[n++] = Integer.parseInt(s, i, j, 16);
      i = j;
      if (i == len) {
        break;
      }
      if (s.charAt(i) != ':') {
        return null;
      }
      i++;
      if (i < len && s.charAt(i) == ':') {
        if (gap >= 0) {
          return null;
        }
        gap = n;
        i++;
      } else if (i == len) {
        return null; // a single trailing ':'
      }
    }
    int[] full = new int[8];
    if (gap < 0) {
      if (n != 8) {
        return null;
      }
      full = groups;
    } else {
      if (n > 7) {
        return null;
      }
      System.arraycopy(groups, 0, full, 0, gap);
      System.arraycopy(groups, gap, full, 8 - (n - gap), n - gap);
    }
    byte[] out = new byte[16];
    for (int g = 0; g < 8; g++) {
      out[2 * g] = (byte) (full[g] >> 8);
      out[2 * g + 1] = (byte) full[g];
    }
    return out;
  }

  static String formatIp4(byte[] raw, int offset) {
    return (raw[offset] & 0xFF) + "." + (raw[offset + 1] & 0xFF) + "." + (raw[offset + 2] & 0xFF)
        + "." + (raw[offset + 3] & 0xFF);
  }

  /**
   * RFC 5952 section 4: lower-case hex without leading zeros, the longest run (first on a tie)
   * of two or more zero groups shortened to "::".
   */
  static String formatIp6(byte[] raw) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((raw[2 * i] & 0xFF) << 8) | (raw[2 * i + 1] & 0xFF);
    }
    int bestStart = -1;
    int bestLen = 1; // runs of one zero group are not shortened
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  private static boolean isIp4Mapped(byte[] raw) {
    for (int i = 0; i < 10; i++) {
      if (raw[i] != 0) {
        return false;
      }
    }
    return raw[10] == (byte) 0xFF && raw[11] == (byte) 0xFF;
  }

  private static String quote(String s) {
    return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
  }
}
