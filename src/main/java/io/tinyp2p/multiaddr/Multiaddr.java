package io.tinyp2p.multiaddr;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.util.Varint;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A multiaddr limited to what a TCP libp2p node needs: ip4, ip6, dns, dns4, dns6, tcp and
 * p2p, in text ("/ip4/127.0.0.1/tcp/9000/p2p/12D3KooW...") and binary form. Any other
 * protocol is an error naming it. IP literals are parsed here, never resolved.
 */
public final class Multiaddr {
  public static final int MAX_LENGTH = 1024;

  /** One protocol and its value. */
  public record Component(String protocol, int code, String value) {}

  private static final int IP4 = 4;
  private static final int TCP = 6;
  private static final int IP6 = 41;
  private static final int DNS = 53;
  private static final int DNS4 = 54;
  private static final int DNS6 = 55;
  private static final int P2P = 421;

  private final List<Component> components;
  private final byte[] bytes;

  private Multiaddr(List<Component> components) {
    this.components = List.copyOf(components);
    this.bytes = encode(this.components);
    if (bytes.length > MAX_LENGTH) {
      throw new IllegalArgumentException("multiaddr longer than " + MAX_LENGTH + " bytes");
    }
  }

  public static Multiaddr parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty multiaddr");
    }
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("multiaddr longer than " + MAX_LENGTH + " characters");
    }
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException("multiaddr must start with '/': " + text);
    }
    String[] parts = text.substring(1).split("/", -1);
    if (text.endsWith("/") && text.length() > 1) {
      parts = Arrays.copyOf(parts, parts.length - 1);
    }
    List<Component> out = new ArrayList<>();
    int i = 0;
    while (i < parts.length) {
      String name = parts[i++];
      if (name.isEmpty()) {
        throw new IllegalArgumentException("empty protocol name in multiaddr " + text);
      }
      int code = codeOf(name);
      if (i >= parts.length) {
        throw new IllegalArgumentException("multiaddr protocol '" + name + "' has no value");
      }
      out.add(component(code, parts[i++]));
    }
    return new Multiaddr(out);
  }

  public static Multiaddr fromBytes(byte[] data) {
    if (data.length == 0) {
      throw new IllegalArgumentException("empty binary multiaddr");
    }
    if (data.length > MAX_LENGTH) {
      throw new IllegalArgumentException("multiaddr longer than " + MAX_LENGTH + " bytes");
    }
    List<Component> out = new ArrayList<>();
    int pos = 0;
    try {
      while (pos < data.length) {
        long code = Varint.decode(data, pos, data.length);
        if (code == Varint.NEED_MORE) {
          throw new IllegalArgumentException("truncated multiaddr protocol code");
        }
        pos += Varint.encodedLength(code);
        int size = switch ((int) Math.min(code, Integer.MAX_VALUE)) {
          case IP4 -> 4;
          case IP6 -> 16;
          case TCP -> 2;
          case DNS, DNS4, DNS6, P2P -> {
            long len = Varint.decode(data, pos, data.length);
            if (len == Varint.NEED_MORE) {
              throw new IllegalArgumentException("truncated multiaddr value length");
            }
            pos += Varint.encodedLength(len);
            yield (int) Math.min(len, Integer.MAX_VALUE);
          }
          default -> throw new IllegalArgumentException("unsupported multiaddr protocol code " + code);
        };
        if (data.length - pos < size) {
          throw new IllegalArgumentException("truncated multiaddr value for " + nameOf((int) code));
        }
        byte[] value = Arrays.copyOfRange(data, pos, pos + size);
        pos += size;
        out.add(new Component(nameOf((int) code), (int) code, textValue((int) code, value)));
      }
    } catch (Varint.VarintException e) {
      throw new IllegalArgumentException("malformed multiaddr: " + e.getMessage());
    }
    return new Multiaddr(out);
  }

  /** /ip4 or /ip6 (by the literal's form) plus /tcp. */
  public static Multiaddr tcp(String ipLiteral, int port) {
    String host = ipLiteral.startsWith("[") && ipLiteral.endsWith("]")
        ? ipLiteral.substring(1, ipLiteral.length() - 1) : ipLiteral;
    int code = host.contains(":") ? IP6 : IP4;
    return new Multiaddr(List.of(component(code, host), component(TCP, Integer.toString(port))));
  }

  public static Multiaddr fromInetSocketAddress(InetSocketAddress address) {
    return tcp(address.getAddress().getHostAddress(), address.getPort());
  }

  public List<Component> components() {
    return components;
  }

  public byte[] toBytes() {
    return bytes.clone();
  }

  /** The ip4, ip6 or dns* value, or null. */
  public String host() {
    for (Component c : components) {
      if (c.code == IP4 || c.code == IP6 || c.code == DNS || c.code == DNS4 || c.code == DNS6) {
        return c.value;
      }
    }
    return null;
  }

  public int tcpPort() {
    for (Component c : components) {
      if (c.code == TCP) {
        return Integer.parseInt(c.value);
      }
    }
    return -1;
  }

  /** The trailing /p2p/ peer, or null. */
  public PeerId peerId() {
    if (components.isEmpty()) {
      return null;
    }
    Component last = components.get(components.size() - 1);
    return last.code == P2P ? PeerId.parse(last.value) : null;
  }

  public Multiaddr withPeerId(PeerId peer) {
    List<Component> out = new ArrayList<>(withoutPeerId().components);
    out.add(new Component("p2p", P2P, peer.toBase58()));
    return new Multiaddr(out);
  }

  public Multiaddr withoutPeerId() {
    if (components.isEmpty() || components.get(components.size() - 1).code != P2P) {
      return this;
    }
    return new Multiaddr(components.subList(0, components.size() - 1));
  }

  public boolean isIp6() {
    return !components.isEmpty() && components.get(0).code == IP6;
  }

  public boolean isLoopback() {
    String host = host();
    if (host == null || components.get(0).code == DNS || components.get(0).code == DNS4
        || components.get(0).code == DNS6) {
      return false;
    }
    return isIp6() ? host.equals("::1") : host.startsWith("127.");
  }

  public boolean isUnspecified() {
    String host = host();
    return host != null && (host.equals("0.0.0.0") || host.equals("::"));
  }

  // ---- codec ----

  private static int codeOf(String name) {
    return switch (name) {
      case "ip4" -> IP4;
      case "ip6" -> IP6;
      case "tcp" -> TCP;
      case "dns" -> DNS;
      case "dns4" -> DNS4;
      case "dns6" -> DNS6;
      case "p2p", "ipfs" -> P2P;
      default -> throw new IllegalArgumentException("unsupported multiaddr protocol '" + name + "'");
    };
  }

  private static String nameOf(int code) {
    return switch (code) {
      case IP4 -> "ip4";
      case IP6 -> "ip6";
      case TCP -> "tcp";
      case DNS -> "dns";
      case DNS4 -> "dns4";
      case DNS6 -> "dns6";
      case P2P -> "p2p";
      default -> throw new IllegalArgumentException("unsupported multiaddr protocol code " + code);
    };
  }

  /** Validates and canonicalises a text value. */
  private static Component component(int code, String value) {
    String canonical = switch (code) {
      case IP4 -> formatIp4(parseIp4(value));
      case IP6 -> formatIp6(parseIp6(value));
      case TCP -> Integer.toString(parsePort(value));
      case DNS, DNS4, DNS6 -> {
        int len = value.getBytes(StandardCharsets.UTF_8).length;
        if (len == 0 || len > 255) {
          throw new IllegalArgumentException("dns name must be 1 to 255 bytes, got " + len);
        }
        yield value;
      }
      case P2P -> {
        try {
          yield PeerId.parse(value).toBase58();
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("invalid /p2p/ peer id: " + e.getMessage());
        }
      }
      default -> throw new IllegalArgumentException("unsupported multiaddr protocol code " + code);
    };
    return new Component(nameOf(code), code, canonical);
  }

  private static String textValue(int code, byte[] value) {
    return switch (code) {
      case IP4 -> formatIp4(value);
      case IP6 -> formatIp6(value);
      case TCP -> Integer.toString(((value[0] & 0xFF) << 8) | (value[1] & 0xFF));
      case DNS, DNS4, DNS6 -> {
        if (value.length == 0 || value.length > 255) {
          throw new IllegalArgumentException("dns name must be 1 to 255 bytes, got " + value.length);
        }
        yield new String(value, StandardCharsets.UTF_8);
      }
      case P2P -> PeerId.fromBytes(value).toBase58();
      default -> throw new IllegalArgumentException("unsupported multiaddr protocol code " + code);
    };
  }

  private static byte[] binaryValue(Component c) {
    return switch (c.code) {
      case IP4 -> parseIp4(c.value);
      case IP6 -> parseIp6(c.value);
      case TCP -> {
        int port = parsePort(c.value);
        yield new byte[] {(byte) (port >>> 8), (byte) port};
      }
      case DNS, DNS4, DNS6 -> lengthPrefixed(c.value.getBytes(StandardCharsets.UTF_8));
      case P2P -> lengthPrefixed(PeerId.parse(c.value).toBytes());
      default -> throw new IllegalStateException();
    };
  }

  private static byte[] encode(List<Component> components) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Component c : components) {
      out.writeBytes(Varint.encode(c.code));
      out.writeBytes(binaryValue(c));
    }
    return out.toByteArray();
  }

  private static byte[] lengthPrefixed(byte[] value) {
    byte[] len = Varint.encode(value.length);
    byte[] out = Arrays.copyOf(len, len.length + value.length);
    System.arraycopy(value, 0, out, len.length, value.length);
    return out;
  }

  private static int parsePort(String s) {
    if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException("invalid tcp port '" + s + "'");
    }
    int port = Integer.parseInt(s);
    if (port > 65535) {
      throw new IllegalArgumentException("tcp port " + port + " is over 65535");
    }
    return port;
  }

  private static byte[] parseIp4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("invalid ip4 address '" + s + "'");
    }
    byte[] out = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)
          || (p.length() > 1 && p.charAt(0) == '0')) {
        throw new IllegalArgumentException("invalid ip4 address '" + s + "'");
      }
      int v = Integer.parseInt(p);
      if (v > 255) {
        throw new IllegalArgumentException("invalid ip4 address '" + s + "'");
      }
      out[i] = (byte) v;
    }
    return out;
  }

  private static String formatIp4(byte[] b) {
    return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + "." + (b[3] & 0xFF);
  }

  private static byte[] parseIp6(String s) {
    IllegalArgumentException bad = new IllegalArgumentException("invalid ip6 address '" + s + "'");
    if (s.isEmpty() || s.length() > 45) {
      throw bad;
    }
    byte[] out = new byte[16];
    String head = s;
    String tail = null;
    int dbl = s.indexOf("::");
    if (dbl >= 0) {
      if (s.indexOf("::", dbl + 1) >= 0) {
        throw bad;
      }
      head = s.substring(0, dbl);
      tail = s.substring(dbl + 2);
    }
    List<Integer> front = groups(head, bad);
    List<Integer> back = tail == null ? List.of() : groups(tail, bad);
    // an embedded ip4 in the last position counts as two groups
    int total = front.size() + back.size();
    if (tail == null ? total != 8 : total > 7) {
      throw bad;
    }
    for (int i = 0; i < front.size(); i++) {
      out[2 * i] = (byte) (front.get(i) >>> 8);
      out[2 * i + 1] = (byte) (int) front.get(i);
    }
    for (int i = 0; i < back.size(); i++) {
      int g = 8 - back.size() + i;
      out[2 * g] = (byte) (back.get(i) >>> 8);
      out[2 * g + 1] = (byte) (int) back.get(i);
    }
    return out;
  }

  private static List<Integer> groups(String s, IllegalArgumentException bad) {
    List<Integer> out = new ArrayList<>();
    if (s.isEmpty()) {
      return out;
    }
    String[] parts = s.split(":", -1);
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (i == parts.length - 1 && p.contains(".")) {
        byte[] v4 = parseIp4(p);
        out.add(((v4[0] & 0xFF) << 8) | (v4[1] & 0xFF));
        out.add(((v4[2] & 0xFF) << 8) | (v4[3] & 0xFF));
        continue;
      }
      if (p.isEmpty() || p.length() > 4) {
        throw bad;
      }
      int v = 0;
      for (char c : p.toCharArray()) {
        int d = Character.digit(c, 16);
        if (d < 0) {
          throw bad;
        }
        v = v * 16 + d;
      }
      out.add(v);
    }
    return out;
  }

  /** RFC 5952 text: lower case, the longest run of two or more zero groups as "::". */
  private static String formatIp6(byte[] b) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
    }
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
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

  @Override
  public boolean equals(Object o) {
    return o instanceof Multiaddr other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Component c : components) {
      sb.append('/').append(c.protocol).append('/').append(c.value);
    }
    return sb.toString();
  }
}
