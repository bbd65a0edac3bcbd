package io.tinyp2p.multiaddr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr.Component;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Text and binary vectors. Sources: "/ip4/192.0.2.42/tcp/443" from multiformats/multiaddr
 * test/multiaddr.feature; "/ip4/127.0.0.1/tcp/4001" from the brief; all the others (and those
 * two again) from js @multiformats/multiaddr 13.0.3 ({@code multiaddr(text).bytes} and {@code
 * .toString()}), the version interop/js uses. The PeerId is that of the seed 00 01 .. 1f
 * through js-libp2p (see PeerIdTest).
 */
class MultiaddrTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String PEER = "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB";
  private static final String PEER_HEX =
      "00240801122003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
  private static final String QM = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";

  @ParameterizedTest
  @CsvSource({
    "/ip4/127.0.0.1/tcp/4001, 047f000001060fa1",
    "/ip4/192.0.2.42/tcp/443, 04c000022a0601bb",
    "/ip6/::1/tcp/80, 2900000000000000000000000000000001060050",
    "/dns4/example.com/tcp/443, 360b6578616d706c652e636f6d0601bb",
    "/dns/example.com, 350b6578616d706c652e636f6d",
    "/dns6/a.b, 3703612e62",
    "/ip4/1.2.3.4/tcp/1/p2p/" + PEER + ", 0401020304060001a50326" + PEER_HEX,
    "/p2p/" + QM + ", a5032212209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9",
    "/ip6/2001:db8::1:0:0:1/tcp/0, 2920010db8000000000001000000000001060000",
    "/ip6/::, 2900000000000000000000000000000000",
    "/ip6/::ffff:102:304, 2900000000000000000000ffff01020304",
    "/ip6/1:0:0:1::1, 2900010000000000010000000000000001",
    "/ip6/1:0:1:0:1:0:1:0, 2900010000000100000001000000010000",
    "/ip4/0.0.0.0/tcp/65535, 040000000006ffff"
  })
  void canonicalVectors(String text, String hex) {
    Multiaddr m = Multiaddr.parse(text);
    assertEquals(hex, HEX.formatHex(m.toBytes()));
    assertEquals(text, m.toString());
    Multiaddr b = Multiaddr.fromBytes(HEX.parseHex(hex));
    assertEquals(text, b.toString());
    assertEquals(m, b);
    assertEquals(m.hashCode(), b.hashCode());
  }

  /** Non-canonical text: parsed to the same bytes, printed canonically (as js-multiaddr does). */
  @ParameterizedTest
  @CsvSource({
    "/ip4/1.2.3.4/tcp/1/ipfs/" + PEER + ", /ip4/1.2.3.4/tcp/1/p2p/" + PEER,
    "/ip6/2001:db8:0:0:1:0:0:1/tcp/0, /ip6/2001:db8::1:0:0:1/tcp/0",
    "/ip6/::ffff:1.2.3.4, /ip6/::ffff:102:304",
    "/ip6/0:0:0:0:0:0:0:0, /ip6/::",
    "/ip6/2001:DB8::0:1, /ip6/2001:db8::1",
    "/ip6/0000:0000:0000:0000:0000:0000:0000:0001, /ip6/::1",
    "/ip6/1:0:0:2:0:0:3:4, /ip6/1::2:0:0:3:4", // equal runs: the first is shortened
    "/ip6/1:2:3:4:5:6:7:0, /ip6/1:2:3:4:5:6:7:0", // a single zero group stays
    "/ip6/1:2:3:4:5:6::, /ip6/1:2:3:4:5:6::",
    "/ip6/::2:3:4:5:6:7:8, /ip6/0:2:3:4:5:6:7:8",
    "/ip6/::1.2.3.4, /ip6/::102:304",
    "/ip6/64:ff9b::192.0.2.33, /ip6/64:ff9b::c000:221",
    "/tcp/080, /tcp/80",
    "/ip4/127.0.0.1/tcp/4001/, /ip4/127.0.0.1/tcp/4001",
    "/p2p/bafzaajaiaejcaa5ba677htqqxyoxbxiy45f4bglh4tldbg5fbvpr3xegmqjfkmny, /p2p/" + PEER,
    "/p2p/bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe, /p2p/" + QM
  })
  void nonCanonicalText(String text, String canonical) {
    Multiaddr m = Multiaddr.parse(text);
    assertEquals(canonical, m.toString());
    assertEquals(Multiaddr.parse(canonical), m);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/sctp/1234 | 'sctp'",
        "/ip4/1.2.3.4/udp/1234/quic | 'quic'",
        "/ip4/1.2.3.4/udp/1234/quic-v1/webtransport | 'webtransport'",
        "/ip4/1.2.3.4/udp/65536/quic-v1 | UDP port",
        "/ip4/1.2.3.4/tcp/1/ws | 'ws'",
        "/IP4/1.2.3.4 | 'IP4'",
        "/ip4/256.0.0.1 | IPv4",
        "/ip4/1.2.3 | IPv4",
        "/ip4/1.2.3.4.5 | IPv4",
        "/ip4/01.2.3.4 | IPv4",
        "/ip4/1.2.3.-4 | IPv4",
        "/ip4/1..3.4 | IPv4",
        "/ip4/localhost | IPv4",
        "/ip4/::1 | IPv4",
        "/ip6/1.2.3.4 | IPv6",
        "/ip6/1:2 | IPv6",
        "/ip6/::1%eth0 | IPv6",
        "/ip6/1::2::3 | IPv6",
        "/ip6/::: | IPv6",
        "/ip6/1:2:3:4:5:6:7:8:9 | IPv6",
        "/ip6/1:2:3:4:5:6:7::8 | IPv6",
        "/ip6/12345:: | IPv6",
        "/ip6/:1:2:3:4:5:6:7 | IPv6",
        "/ip6/1:2:3:4:5:6:7: | IPv6",
        "/ip6/g::1 | IPv6",
        "/ip6/[::1] | IPv6",
        "/ip6/1:2:3:4:5:6:7:1.2.3.4 | IPv6",
        "/tcp/70000 | port",
        "/tcp/65536 | port",
        "/tcp/-1 | port",
        "/tcp/+80 | port",
        "/tcp/0x50 | port",
        "/tcp/123456 | port",
        "/ip4 | missing value",
        "/ip4/1.2.3.4/tcp | missing value",
        "/p2p | missing value",
        "ip4/1.2.3.4 | '/'",
        "/ | no components",
        "// | no components",
        "/ip4/1.2.3.4//tcp/1 | empty protocol",
        "/dns4//tcp/1 | empty",
        "/p2p/xyz | PeerId",
        "/p2p/12D3 | PeerId",
        "/p2p/" + QM + "x | PeerId"
      })
  void textErrors(String text, String messagePart) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse(text));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }

  @Test
  void unsupportedProtocolMessage() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse("/sctp/1234"));
    assertEquals("unsupported multiaddr protocol 'sctp'", e.getMessage());
  }

  @Test
  void emptyAndNull() {
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse(""));
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse(null));
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.fromBytes(new byte[0]));
  }

  @Test
  void dnsNameLimits() {
    String max = "a".repeat(255);
    assertEquals(max, Multiaddr.parse("/dns/" + max).host());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse("/dns/" + max + "a"));
    assertTrue(e.getMessage().contains("255"), e.getMessage());
    // the limit is in bytes: 128 two-byte characters are 256 bytes
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse("/dns4/" + "é".repeat(128)));
    assertEquals("é".repeat(127), Multiaddr.parse("/dns4/" + "é".repeat(127)).host());
    // international names round trip as UTF-8
    Multiaddr m = Multiaddr.parse("/dns6/bücher.example/tcp/1");
    assertEquals(m, Multiaddr.fromBytes(m.toBytes()));
    assertEquals("/dns6/bücher.example/tcp/1", Multiaddr.fromBytes(m.toBytes()).toString());
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse("/dns/a b"));
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse("/dns/a\u0000b"));
  }

  @Test
  void lengthIsBounded() {
    String text = "/dns/" + "a".repeat(200) + "/tcp/1";
    String five = text.repeat(5); // 1055 characters
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse(five));
    assertTrue(e.getMessage().contains("1024"), e.getMessage());
    // short text can still make more than 1024 bytes
    String ip6s = "/ip6/::".repeat(100); // 700 characters, 1700 bytes
    e = assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse(ip6s));
    assertTrue(e.getMessage().contains("1024"), e.getMessage());
    byte[] big = new byte[1025];
    e = assertThrows(IllegalArgumentException.class, () -> Multiaddr.fromBytes(big));
    assertTrue(e.getMessage().contains("1024"), e.getMessage());
    Multiaddr.parse("/ip6/::".repeat(60)); // 1020 bytes is fine
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "9102 | truncated", // udp without its port
        "047f0000019102 | truncated",
        "cc03 | 'quic'", // draft-29 QUIC, code 460
        "99b301 | code 22937", // unknown code
        "04 | truncated",
        "047f00 | truncated",
        "047f000001 06 | truncated", // tcp without its port: trailing garbage
        "047f000001060fa1 06 | truncated",
        "047f000001060fa1 00 | code 0",
        "29000000 | truncated",
        "80 | truncated", // code varint cut off
        "8000 | overlong",
        "ffffffffffffffffff01 | 9 bytes",
        "35 | truncated", // dns without its length
        "3505616263 | truncated", // dns name shorter than declared
        "35ffffffffffffffff7f61 | truncated",
        "3500 | empty",
        "3502fffe | UTF-8",
        "3503612f62 | forbidden", // "a/b" cannot be printed as text
        "a503 | truncated",
        "a50300 | PeerId",
        "a503021220 | PeerId",
        "a5032211209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9 | PeerId",
        "a503050003010203 | PeerId"
      })
  void binaryErrors(String hex, String messagePart) {
    byte[] bytes = HEX.parseHex(hex.replace(" ", ""));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Multiaddr.fromBytes(bytes));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }

  @Test
  void components() {
    Multiaddr m = Multiaddr.parse("/ip4/1.2.3.4/tcp/1/ipfs/" + PEER);
    assertEquals(
        List.of(
            new Component("ip4", 4, "1.2.3.4"),
            new Component("tcp", 6, "1"),
            new Component("p2p", 0x01a5, PEER)),
        m.components());
    assertEquals("/tcp/1", m.components().get(1).toString());
    assertThrows(UnsupportedOperationException.class, () -> m.components().clear());
  }

  @Test
  void accessors() {
    Multiaddr m = Multiaddr.parse("/ip4/1.2.3.4/tcp/4001/p2p/" + PEER);
    assertEquals("1.2.3.4", m.host());
    assertEquals(4001, m.tcpPort());
    assertEquals(PeerId.parse(PEER), m.peerId());
    assertFalse(m.isIp6());

    Multiaddr d = Multiaddr.parse("/dns4/example.com/tcp/443");
    assertEquals("example.com", d.host());
    assertEquals(443, d.tcpPort());
    assertNull(d.peerId());

    Multiaddr p = Multiaddr.parse("/p2p/" + QM);
    assertNull(p.host());
    assertEquals(-1, p.tcpPort());
    assertEquals(PeerId.parse(QM), p.peerId());

    Multiaddr six = Multiaddr.parse("/ip6/fe80::1/tcp/0");
    assertEquals("fe80::1", six.host());
    assertEquals(0, six.tcpPort());
    assertTrue(six.isIp6());
  }

  @Test
  void peerIdOnlyCountsWhenTrailing() {
    Multiaddr m = Multiaddr.parse("/p2p/" + QM + "/ip4/1.2.3.4");
    assertNull(m.peerId());
    assertEquals("1.2.3.4", m.host());
  }

  @Test
  void withAndWithoutPeerId() {
    PeerId a = PeerId.parse(PEER);
    PeerId b = KeyPair.generate().peerId();
    Multiaddr base = Multiaddr.parse("/ip4/1.2.3.4/tcp/1");
    Multiaddr withA = base.withPeerId(a);
    assertEquals("/ip4/1.2.3.4/tcp/1/p2p/" + PEER, withA.toString());
    assertEquals(a, withA.peerId());
    assertSame(withA, withA.withPeerId(a));
    Multiaddr withB = withA.withPeerId(b);
    assertEquals("/ip4/1.2.3.4/tcp/1/p2p/" + b, withB.toString());
    assertEquals(base, withB.withoutPeerId());
    assertSame(base, base.withoutPeerId());
    assertEquals(Multiaddr.parse("/p2p/" + PEER), Multiaddr.parse("/p2p/" + QM).withPeerId(a));
    assertThrows(IllegalStateException.class, () -> Multiaddr.parse("/p2p/" + QM).withoutPeerId());
  }

  @ParameterizedTest
  @CsvSource({
    // text, loopback, unspecified, ip6
    "/ip4/127.0.0.1/tcp/1, true, false, false",
    "/ip4/127.255.1.2, true, false, false",
    "/ip4/128.0.0.1, false, false, false",
    "/ip4/0.0.0.0/tcp/0, false, true, false",
    "/ip4/10.0.0.1, false, false, false",
    "/ip6/::1/tcp/1, true, false, true",
    "/ip6/::, false, true, true",
    "/ip6/::2, false, false, true",
    "/ip6/1::1, false, false, true",
    "/ip6/::ffff:127.0.0.1, true, false, true",
    "/dns/localhost/tcp/1, false, false, false",
    "/p2p/" + QM + ", false, false, false"
  })
  void addressClasses(String text, boolean loopback, boolean unspecified, boolean ip6) {
    Multiaddr m = Multiaddr.parse(text);
    assertEquals(loopback, m.isLoopback(), text);
    assertEquals(unspecified, m.isUnspecified(), text);
    assertEquals(ip6, m.isIp6(), text);
  }

  @Test
  void tcpFactory() {
    assertEquals("/ip4/1.2.3.4/tcp/1", Multiaddr.tcp("1.2.3.4", 1).toString());
    assertEquals("/ip6/::1/tcp/80", Multiaddr.tcp("::1", 80).toString());
    assertEquals("/ip6/::1/tcp/80", Multiaddr.tcp("[::1]", 80).toString());
    assertEquals("/ip6/2001:db8::1/tcp/65535", Multiaddr.tcp("2001:DB8:0:0::1", 65535).toString());
    assertEquals("/ip4/0.0.0.0/tcp/0", Multiaddr.tcp("0.0.0.0", 0).toString());
    // host names are not IP literals: no lookup, an error
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.tcp("example.com", 80));
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.tcp("localhost", 80));
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.tcp("", 80));
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.tcp("1.2.3.4", 65536));
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.tcp("1.2.3.4", -1));
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.tcp("fe80::1%eth0", 1));
  }

  @Test
  void fromInetSocketAddress() throws UnknownHostException {
    // getByAddress never resolves
    InetAddress v4 = InetAddress.getByAddress(new byte[] {10, 0, 0, 7});
    assertEquals(
        "/ip4/10.0.0.7/tcp/4001",
        Multiaddr.fromInetSocketAddress(new InetSocketAddress(v4, 4001)).toString());
    byte[] v6bytes = new byte[16];
    v6bytes[0] = 0x20;
    v6bytes[1] = 0x01;
    v6bytes[15] = 5;
    InetAddress v6 = InetAddress.getByAddress(v6bytes);
    assertEquals(
        "/ip6/2001::5/tcp/80",
        Multiaddr.fromInetSocketAddress(new InetSocketAddress(v6, 80)).toString());
    assertEquals(
        "/ip4/127.0.0.1/tcp/9",
        Multiaddr.fromInetSocketAddress(
                new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 9))
            .toString());
    assertEquals(
        "/dns/example.com/tcp/443",
        Multiaddr.fromInetSocketAddress(InetSocketAddress.createUnresolved("example.com", 443))
            .toString());
    assertEquals(
        "/ip4/1.2.3.4/tcp/5",
        Multiaddr.fromInetSocketAddress(InetSocketAddress.createUnresolved("1.2.3.4", 5))
            .toString());
  }

  @Test
  void equalityIsOnBytes() {
    Multiaddr a = Multiaddr.parse("/ip6/0:0::1/tcp/1");
    Multiaddr b = Multiaddr.parse("/ip6/::1/tcp/1");
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, Multiaddr.parse("/ip6/::1/tcp/2"));
    assertNotEquals(Multiaddr.parse("/dns/a"), Multiaddr.parse("/dns4/a"));
    assertNotEquals(a, "/ip6/::1/tcp/1");
  }

  @Test
  void toBytesIsACopy() {
    Multiaddr m = Multiaddr.parse("/ip4/127.0.0.1/tcp/4001");
    byte[] b = m.toBytes();
    b[1] = 1;
    assertArrayEquals(HEX.parseHex("047f000001060fa1"), m.toBytes());
    byte[] input = HEX.parseHex("047f000001060fa1");
    Multiaddr n = Multiaddr.fromBytes(input);
    input[1] = 1;
    assertEquals("/ip4/127.0.0.1/tcp/4001", n.toString());
  }

  @Test
  void quicAddresses() {
    Multiaddr m = Multiaddr.parse("/ip4/127.0.0.1/udp/4001/quic-v1");
    assertEquals("/ip4/127.0.0.1/udp/4001/quic-v1", m.toString());
    assertArrayEquals(HEX.parseHex("047f00000191020fa1cd03"), m.toBytes());
    assertEquals(m, Multiaddr.fromBytes(m.toBytes()));
    assertEquals(m, Multiaddr.quic("127.0.0.1", 4001));
    assertEquals(m, Multiaddr.quic(new InetSocketAddress("127.0.0.1", 4001)));
    assertEquals(4001, m.udpPort());
    assertEquals(-1, m.tcpPort());
    assertTrue(m.isQuic());
    assertFalse(m.isTcp());
    assertEquals("/quic-v1", m.components().get(2).toString());
    Multiaddr withPeer = Multiaddr.parse("/ip6/::1/udp/1/quic-v1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA");
    assertTrue(withPeer.isQuic());
    assertEquals("/ip6/::1/udp/1/quic-v1", withPeer.withoutPeerId().toString());
    assertTrue(Multiaddr.parse("/dns/example.com/tcp/1").isTcp());
    assertFalse(Multiaddr.parse("/ip4/1.2.3.4/udp/1").isQuic());
    assertFalse(Multiaddr.parse("/ip4/1.2.3.4/tcp/1").isQuic());
  }

  @Test
  void circuitAddresses() {
    PeerId relay = KeyPair.fromSeed(new byte[32]).peerId();
    PeerId peer = PeerId.parse("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA");
    String text = "/ip4/127.0.0.1/tcp/4001/p2p/" + relay + "/p2p-circuit/p2p/" + peer;
    Multiaddr m = Multiaddr.parse(text);
    assertEquals(text, m.toString());
    assertEquals(m, Multiaddr.fromBytes(m.toBytes()));
    // /p2p-circuit is code 0x0122 (uvarint a2 02) with no value
    String hex = HEX.formatHex(m.toBytes());
    String relayHex = HEX.formatHex(relay.toBytes());
    assertTrue(hex.contains(relayHex + "a202a503"), hex);
    assertTrue(m.isCircuit());
    assertFalse(m.isTcp());
    assertEquals(relay, m.relayPeer());
    assertEquals(peer, m.circuitDestination());
    assertEquals(peer, m.peerId());
    assertEquals("/ip4/127.0.0.1/tcp/4001/p2p/" + relay, m.relayAddress().toString());
    assertEquals(new Component("p2p-circuit", 0x0122, ""), m.components().get(3));

    Multiaddr listen = m.relayAddress().withCircuit();
    assertEquals("/ip4/127.0.0.1/tcp/4001/p2p/" + relay + "/p2p-circuit", listen.toString());
    assertTrue(listen.isCircuit());
    assertNull(listen.circuitDestination());
    assertNull(listen.peerId());
    assertEquals(m, listen.withPeerId(peer));
    assertEquals(listen, Multiaddr.fromBytes(listen.toBytes()));

    Multiaddr bare = Multiaddr.parse("/p2p/" + relay + "/p2p-circuit/p2p/" + peer);
    assertEquals(relay, bare.relayPeer());
    assertEquals("/p2p/" + relay, bare.relayAddress().toString());
    assertNull(Multiaddr.parse("/p2p-circuit/p2p/" + peer).relayAddress());
    assertFalse(Multiaddr.parse("/ip4/1.2.3.4/tcp/1").isCircuit());
    assertNull(Multiaddr.parse("/ip4/1.2.3.4/tcp/1").relayPeer());
    assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse("/p2p-circuit/garbage"));
    assertEquals(AddressClass.LOOPBACK, AddressClass.of(m));
  }
}
