package io.tinyp2p.multiaddr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.PublicKey;
import io.tinyp2p.util.Base58;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of Multiaddr. The generators build each component's text, its expected binary
 * form and its expected canonical text independently of the class under test (the binary
 * form from the multiaddr table: code varint, then the value; the canonical IPv6 text with a
 * regular expression over the uncompressed form).
 */
class MultiaddrPropertyTest {
  /** One generated component: some valid text, the bytes it must encode to, its canonical text. */
  record Gen(String text, byte[] bytes, String canonical) {
    @Override
    public String toString() {
      return text;
    }
  }

  @Property(tries = 500)
  void textToBytesToText(@ForAll("components") List<Gen> gens) {
    String text = join(gens, Gen::text);
    String canonical = join(gens, Gen::canonical);
    byte[] expected = concat(gens);

    Multiaddr m = Multiaddr.parse(text);
    assertArrayEquals(expected, m.toBytes(), text);
    assertEquals(canonical, m.toString());
    assertEquals(gens.size(), m.components().size());

    Multiaddr fromBytes = Multiaddr.fromBytes(expected);
    assertEquals(m, fromBytes);
    assertEquals(m.hashCode(), fromBytes.hashCode());
    assertEquals(canonical, fromBytes.toString());

    Multiaddr again = Multiaddr.parse(m.toString());
    assertEquals(m, again);
    assertEquals(canonical, again.toString());
    assertEquals(m.components(), again.components());
  }

  @Property(tries = 300)
  void peerIdEditing(@ForAll("components") List<Gen> gens, @ForAll("peerIds") PeerId id) {
    Multiaddr m = Multiaddr.parse(join(gens, Gen::text));
    Multiaddr with = m.withPeerId(id);
    assertEquals(id, with.peerId());
    assertEquals(with, Multiaddr.fromBytes(with.toBytes()));
    if (m.peerId() == null) {
      assertEquals(m, with.withoutPeerId());
      assertEquals(m.toString() + "/p2p/" + id.toBase58(), with.toString());
    } else {
      assertEquals(m.components().size(), with.components().size());
    }
  }

  @Property(tries = 1000)
  void arbitraryBytesOnlyThrowIllegalArgument(@ForAll @Size(max = 120) byte[] bytes) {
    checkBytes(bytes);
  }

  /** Valid multiaddrs damaged a little: truncated, extended or with one byte changed. */
  @Property(tries = 1000)
  void damagedBytesOnlyThrowIllegalArgument(
      @ForAll("components") List<Gen> gens,
      @ForAll @IntRange(max = 2) int damage,
      @ForAll @IntRange(max = 1000) int where,
      @ForAll byte value,
      @ForAll @Size(max = 6) byte[] tail) {
    byte[] bytes = concat(gens);
    int at = where % bytes.length;
    switch (damage) {
      case 0 -> bytes = Arrays.copyOf(bytes, at);
      case 1 -> {
        byte[] longer = Arrays.copyOf(bytes, bytes.length + tail.length);
        System.arraycopy(tail, 0, longer, bytes.length, tail.length);
        bytes = longer;
      }
      default -> bytes[at] = value;
    }
    checkBytes(bytes);
  }

  private static void checkBytes(byte[] bytes) {
    Multiaddr m;
    try {
      m = Multiaddr.fromBytes(bytes);
    } catch (IllegalArgumentException expected) {
      return;
    }
    assertArrayEquals(bytes, m.toBytes());
    assertEquals(m, Multiaddr.parse(m.toString()));
    assertEquals(m.toString(), Multiaddr.parse(m.toString()).toString());
  }

  @Property(tries = 1000)
  void arbitraryTextOnlyThrowsIllegalArgument(@ForAll("texts") String text) {
    Multiaddr m;
    try {
      m = Multiaddr.parse(text);
    } catch (IllegalArgumentException expected) {
      return;
    }
    assertEquals(m, Multiaddr.fromBytes(m.toBytes()));
    assertEquals(m, Multiaddr.parse(m.toString()));
  }

  @Property
  void tcpFactoryMatchesParse(@ForAll("ip4") Gen ip4, @ForAll("ip6") Gen ip6,
      @ForAll @IntRange(max = 65535) int port) {
    assertEquals(Multiaddr.parse("/ip4/" + ip4.text + "/tcp/" + port),
        Multiaddr.tcp(ip4.text, port));
    assertEquals(Multiaddr.parse("/ip6/" + ip6.text + "/tcp/" + port),
        Multiaddr.tcp(ip6.text, port));
    assertEquals(port, Multiaddr.tcp(ip6.text, port).tcpPort());
    assertEquals(ip6.canonical, Multiaddr.tcp(ip6.text, port).host());
  }

  // ---------------------------------------------------------------- generators

  @Provide
  Arbitrary<List<Gen>> components() {
    return Arbitraries.oneOf(
            ip4().map(g -> component("ip4", 0x04, g)),
            ip6().map(g -> component("ip6", 0x29, g)),
            tcp(),
            dns(),
            p2p())
        .list()
        .ofMinSize(1)
        .ofMaxSize(6);
  }

  /** A fixed-size value as a component: code (one byte here), then the value. */
  private static Gen component(String proto, int code, Gen value) {
    byte[] bytes = new byte[1 + value.bytes.length];
    bytes[0] = (byte) code;
    System.arraycopy(value.bytes, 0, bytes, 1, value.bytes.length);
    return new Gen("/" + proto + "/" + value.text, bytes, "/" + proto + "/" + value.canonical);
  }

  @Provide
  Arbitrary<Gen> ip4() {
    return Arbitraries.integers()
        .between(0, 255)
        .list()
        .ofSize(4)
        .map(o -> {
          String text = o.get(0) + "." + o.get(1) + "." + o.get(2) + "." + o.get(3);
          return new Gen(text, new byte[] {(byte) (int) o.get(0), (byte) (int) o.get(1),
              (byte) (int) o.get(2), (byte) (int) o.get(3)}, text);
        });
  }

  @Provide
  Arbitrary<Gen> ip6() {
    Arbitrary<Integer> group =
        Arbitraries.frequencyOf(
            Tuple.of(5, Arbitraries.just(0)),
            Tuple.of(2, Arbitraries.integers().between(0, 0xFFFF)),
            Tuple.of(1, Arbitraries.integers().between(0, 0xF)));
    return Combinators.combine(
            group.list().ofSize(8),
            Arbitraries.integers().between(0, 3), // style
            Arbitraries.integers().between(0, 7), // start of a zero run to compress
            Arbitraries.integers().between(0, 8)) // how much of it
        .as((groups, style, runStart, runLen) -> {
          byte[] raw = new byte[16];
          for (int i = 0; i < 8; i++) {
            raw[2 * i] = (byte) (groups.get(i) >> 8);
            raw[2 * i + 1] = (byte) (int) groups.get(i);
          }
          String[] t = new String[8];
          for (int i = 0; i < 8; i++) {
            String h = Integer.toHexString(groups.get(i));
            t[i] = switch (style) {
              case 1 -> h.toUpperCase();
              case 2 -> "0".repeat(4 - h.length()) + h;
              default -> h;
            };
          }
          String text = String.join(":", t);
          // compress part of a zero run (one group or more) with "::", as RFC 4291 allows
          int end = runStart;
          while (end < 8 && end - runStart < runLen && groups.get(end) == 0) {
            end++;
          }
          if (end > runStart) {
            String left = String.join(":", Arrays.copyOfRange(t, 0, runStart));
            String right = String.join(":", Arrays.copyOfRange(t, end, 8));
            text = left + "::" + right;
          }
          // IPv4-style tail, sometimes
          if (style == 3 && end <= 6) {
            String head = text.substring(0, text.length() - t[6].length() - t[7].length() - 1);
            text = head + (raw[12] & 0xFF) + "." + (raw[13] & 0xFF) + "." + (raw[14] & 0xFF)
                + "." + (raw[15] & 0xFF);
          }
          return new Gen(text, raw, canonicalIp6(groups));
        });
  }

  /** RFC 5952 by regular expression: the first longest run of two or more zero groups. */
  private static String canonicalIp6(List<Integer> groups) {
    StringBuilder full = new StringBuilder();
    for (int g : groups) {
      full.append(full.length() == 0 ? "" : ":").append(Integer.toHexString(g));
    }
    Matcher m = Pattern.compile("(?<![0-9a-f])0(?::0)+(?![0-9a-f])").matcher(full);
    int bestStart = -1;
    int bestEnd = -1;
    while (m.find()) {
      if (m.end() - m.start() > bestEnd - bestStart) {
        bestStart = m.start();
        bestEnd = m.end();
      }
    }
    if (bestStart < 0) {
      return full.toString();
    }
    String left = full.substring(0, bestStart);
    String right = full.substring(bestEnd);
    if (left.endsWith(":")) {
      left = left.substring(0, left.length() - 1);
    }
    if (right.startsWith(":")) {
      right = right.substring(1);
    }
    return left + "::" + right;
  }

  Arbitrary<Gen> tcp() {
    return Combinators.combine(Arbitraries.integers().between(0, 65535), Arbitraries.integers().between(0, 2))
        .as((port, zeros) -> {
          String canonical = Integer.toString(port);
          String text = canonical.length() + zeros <= 5 ? "0".repeat(zeros) + canonical : canonical;
          return new Gen("/tcp/" + text, new byte[] {6, (byte) (port >> 8), (byte) (int) port},
              "/tcp/" + canonical);
        });
  }

  Arbitrary<Gen> dns() {
    Arbitrary<String> name =
        Arbitraries.oneOf(
            Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789.-").ofMinLength(1).ofMaxLength(63),
            Arbitraries.strings().withChars("abcxyzé日本-.").ofMinLength(1).ofMaxLength(20));
    return Combinators.combine(Arbitraries.of("dns", "dns4", "dns6"), name)
        .as((proto, n) -> {
          int code = switch (proto) {
            case "dns" -> 0x35;
            case "dns4" -> 0x36;
            default -> 0x37;
          };
          byte[] utf8 = n.getBytes(StandardCharsets.UTF_8);
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          out.write(code);
          writeVarint(out, utf8.length);
          out.writeBytes(utf8);
          return new Gen("/" + proto + "/" + n, out.toByteArray(), "/" + proto + "/" + n);
        });
  }

  Arbitrary<Gen> p2p() {
    return Combinators.combine(peerIds(), Arbitraries.integers().between(0, 3))
        .as((id, form) -> {
          byte[] mh = id.toBytes();
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          out.write(0xa5); // 421 as a varint
          out.write(0x03);
          writeVarint(out, mh.length);
          out.writeBytes(mh);
          String name = form == 1 ? "ipfs" : "p2p";
          String value = form == 2 ? id.toCid() : Base58.encode(mh);
          return new Gen("/" + name + "/" + value, out.toByteArray(), "/p2p/" + Base58.encode(mh));
        });
  }

  @Provide
  Arbitrary<PeerId> peerIds() {
    Arbitrary<byte[]> b32 = Arbitraries.bytes().array(byte[].class).ofSize(32);
    return Arbitraries.oneOf(
        b32.map(raw -> PublicKey.fromRaw(raw).toPeerId()),
        b32.map(digest -> {
          byte[] mh = new byte[34];
          mh[0] = 0x12;
          mh[1] = 32;
          System.arraycopy(digest, 0, mh, 2, 32);
          return PeerId.fromBytes(mh);
        }));
  }

  @Provide
  Arbitrary<String> texts() {
    Arbitrary<String> pieces =
        Arbitraries.of("/", "ip4", "ip6", "tcp", "dns", "dns4", "p2p", "ipfs", "udp", "quic-v1", "1", "0",
            "255", "256", "65536", ".", ":", "::", "a", "f", "ffff", "1.2.3.4", "12D3KooW",
            "Qm", "é", "%", " ", "");
    return Arbitraries.oneOf(
        pieces.list().ofMaxSize(12).map(l -> String.join("", l)),
        Arbitraries.strings().ofMaxLength(40),
        ip6().map(g -> "/ip6/" + g.text));
  }

  // ---------------------------------------------------------------- helpers

  private static String join(List<Gen> gens, java.util.function.Function<Gen, String> part) {
    StringBuilder sb = new StringBuilder();
    for (Gen g : gens) {
      sb.append(part.apply(g));
    }
    return sb.toString();
  }

  private static byte[] concat(List<Gen> gens) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Gen g : gens) {
      out.writeBytes(g.bytes);
    }
    return out.toByteArray();
  }

  private static void writeVarint(ByteArrayOutputStream out, int v) {
    while (v >= 0x80) {
      out.write((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.write(v);
  }
}
