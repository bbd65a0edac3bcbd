package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.multiaddr.AddressClass;
import io.tinyp2p.multiaddr.Multiaddr;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The address classes, which of them are kept when learnt over which connection, and subnets. */
class AddressPolicyTest {
  final Limits.Counters counters = new Limits.Counters();
  final AddressPolicy policy = new AddressPolicy(false, counters);

  static AddressClass classOf(String addr) {
    return AddressPolicy.classify(Multiaddr.parse(addr));
  }

  @Test
  void classifiesEveryKind() {
    assertEquals(AddressClass.PUBLIC, classOf("/ip4/192.0.2.1/tcp/1"));
    assertEquals(AddressClass.PUBLIC, classOf("/ip4/8.8.8.8/tcp/1"));
    assertEquals(AddressClass.PUBLIC, classOf("/ip4/172.32.0.1/tcp/1")); // just past 172.16/12
    assertEquals(AddressClass.PUBLIC, classOf("/ip4/100.128.0.1/tcp/1")); // just past 100.64/10
    assertEquals(AddressClass.PUBLIC, classOf("/ip6/2001:db8::1/tcp/1"));
    assertEquals(AddressClass.PRIVATE, classOf("/ip4/10.1.2.3/tcp/1"));
    assertEquals(AddressClass.PRIVATE, classOf("/ip4/172.16.0.1/tcp/1"));
    assertEquals(AddressClass.PRIVATE, classOf("/ip4/172.31.255.255/tcp/1"));
    assertEquals(AddressClass.PRIVATE, classOf("/ip4/192.168.1.1/tcp/1"));
    assertEquals(AddressClass.PRIVATE, classOf("/ip4/100.64.0.1/tcp/1"));
    assertEquals(AddressClass.PRIVATE, classOf("/ip4/100.127.255.255/tcp/1"));
    assertEquals(AddressClass.PRIVATE, classOf("/ip6/fc00::1/tcp/1"));
    assertEquals(AddressClass.PRIVATE, classOf("/ip6/fdab:1::1/tcp/1"));
    assertEquals(AddressClass.LINK_LOCAL, classOf("/ip4/169.254.169.254/tcp/80"));
    assertEquals(AddressClass.LINK_LOCAL, classOf("/ip6/fe80::1/tcp/1"));
    assertEquals(AddressClass.LINK_LOCAL, classOf("/ip6/febf::1/tcp/1"));
    assertEquals(AddressClass.LOOPBACK, classOf("/ip4/127.0.0.1/tcp/1"));
    assertEquals(AddressClass.LOOPBACK, classOf("/ip4/127.5.6.7/tcp/1"));
    assertEquals(AddressClass.LOOPBACK, classOf("/ip6/::1/tcp/1"));
    assertEquals(AddressClass.LOOPBACK, classOf("/ip6/::ffff:127.0.0.1/tcp/1")); // IPv4-mapped
    assertEquals(AddressClass.PRIVATE, classOf("/ip6/::ffff:10.0.0.1/tcp/1"));
    assertEquals(AddressClass.UNSPECIFIED, classOf("/ip4/0.0.0.0/tcp/1"));
    assertEquals(AddressClass.UNSPECIFIED, classOf("/ip4/0.1.2.3/tcp/1"));
    assertEquals(AddressClass.UNSPECIFIED, classOf("/ip6/::/tcp/1"));
    assertEquals(AddressClass.RESERVED, classOf("/ip4/224.0.0.1/tcp/1"));
    assertEquals(AddressClass.RESERVED, classOf("/ip4/255.255.255.255/tcp/1"));
    assertEquals(AddressClass.RESERVED, classOf("/ip6/ff02::1/tcp/1"));
    assertEquals(AddressClass.DNS, classOf("/dns4/evil.example/tcp/1"));
    assertEquals(AddressClass.DNS, classOf("/dns6/evil.example/tcp/1"));
    assertEquals(AddressClass.DNS, classOf("/dns/evil.example/tcp/1"));
    assertEquals(AddressClass.UNSUPPORTED, classOf("/ip4/192.0.2.1"));
    assertEquals(AddressClass.UNSUPPORTED, classOf("/ip4/192.0.2.1/udp/1"));
    assertEquals(AddressClass.LOOPBACK, classOf("/ip4/127.0.0.1/udp/1/quic-v1"));
    assertEquals(AddressClass.PUBLIC, classOf("/ip6/2001:4860::1/udp/443/quic-v1"));
  }

  @Test
  void publicIsKeptFromAnyone() {
    for (AddressClass via : AddressClass.values()) {
      assertTrue(policy.keeps(AddressClass.PUBLIC, via), "via " + via);
    }
  }

  @Test
  void privateOnlyOverPrivateLinkLocalOrLoopback() {
    assertTrue(policy.keeps(AddressClass.PRIVATE, AddressClass.PRIVATE));
    assertFalse(policy.keeps(AddressClass.PRIVATE, AddressClass.LOOPBACK));
    assertFalse(policy.keeps(AddressClass.PRIVATE, AddressClass.LINK_LOCAL));
    assertFalse(policy.keeps(AddressClass.PRIVATE, AddressClass.PUBLIC));
  }

  @Test
  void loopbackOnlyOverLoopback() {
    assertTrue(policy.keeps(AddressClass.LOOPBACK, AddressClass.LOOPBACK));
    assertFalse(policy.keeps(AddressClass.LOOPBACK, AddressClass.PRIVATE));
    assertFalse(policy.keeps(AddressClass.LOOPBACK, AddressClass.PUBLIC));
  }

  @Test
  void linkLocalOnlyOverLinkLocal() {
    assertTrue(policy.keeps(AddressClass.LINK_LOCAL, AddressClass.LINK_LOCAL));
    assertFalse(policy.keeps(AddressClass.LINK_LOCAL, AddressClass.LOOPBACK)); // no 169.254.169.254 from a local peer
    assertFalse(policy.keeps(AddressClass.LINK_LOCAL, AddressClass.PRIVATE));
    assertFalse(policy.keeps(AddressClass.LINK_LOCAL, AddressClass.PUBLIC));
  }

  @Test
  void dnsOnlyWhenAllowed() {
    for (AddressClass via : AddressClass.values()) {
      assertFalse(policy.keeps(AddressClass.DNS, via));
    }
    AddressPolicy allowing = new AddressPolicy(true, counters);
    assertTrue(allowing.keeps(AddressClass.DNS, AddressClass.PUBLIC));
    assertTrue(allowing.dialable(Multiaddr.parse("/dns4/ok.example/tcp/1")));
    assertFalse(policy.dialable(Multiaddr.parse("/dns4/ok.example/tcp/1")));
  }

  @Test
  void neverUnspecifiedReservedOrWithoutTcp() {
    for (AddressPolicy p : List.of(policy, new AddressPolicy(true, counters))) {
      for (AddressClass via : AddressClass.values()) {
        assertFalse(p.keeps(AddressClass.UNSPECIFIED, via));
        assertFalse(p.keeps(AddressClass.RESERVED, via));
        assertFalse(p.keeps(AddressClass.UNSUPPORTED, via));
      }
      assertFalse(p.dialable(Multiaddr.parse("/ip4/0.0.0.0/tcp/1")));
      assertFalse(p.dialable(Multiaddr.parse("/ip6/::/tcp/1")));
      assertFalse(p.dialable(Multiaddr.parse("/ip4/224.0.0.1/tcp/1")));
      assertFalse(p.dialable(Multiaddr.parse("/ip4/192.0.2.1")));
    }
  }

  @Test
  void filterKeepsOrderDropsDuplicatesAndCountsByClass() {
    List<Multiaddr> told = List.of(
        Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"),
        Multiaddr.parse("/ip4/169.254.169.254/tcp/80"),
        Multiaddr.parse("/ip4/10.1.2.3/tcp/4001"),
        Multiaddr.parse("/dns4/evil.example/tcp/4001"),
        Multiaddr.parse("/ip4/0.0.0.0/tcp/4001"),
        Multiaddr.parse("/ip4/192.0.2.7/tcp/4001"),
        Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"));
    assertEquals(List.of(told.get(0), told.get(5)),
        policy.filter(told, Multiaddr.parse("/ip4/127.0.0.1/tcp/50000")));
    assertEquals(1, counters.addressesDropped(AddressClass.LINK_LOCAL));
    assertEquals(1, counters.addressesDropped(AddressClass.DNS));
    assertEquals(1, counters.addressesDropped(AddressClass.UNSPECIFIED));
    // the same told by a peer we reached over a public address: only the public one
    assertEquals(List.of(told.get(5)), policy.filter(told, Multiaddr.parse("/ip4/192.0.2.9/tcp/4001")));
    assertEquals(2, counters.addressesDropped(AddressClass.PRIVATE));
    assertEquals(2, counters.addressesDropped(AddressClass.LOOPBACK));
    // no connection known: as public
    assertEquals(List.of(told.get(5)), policy.filter(told, null));
    assertEquals(3, counters.statusJson().getJsonObject("addressesDropped").getLong("LINK_LOCAL"));
  }

  @Test
  void subnetsAreSlash24AndSlash48() {
    assertEquals(AddressClass.subnet("10.1.2.3"), AddressClass.subnet("10.1.2.200"));
    assertFalse(AddressClass.subnet("10.1.2.3").equals(AddressClass.subnet("10.1.3.3")));
    assertEquals("10.1.2.0/24", AddressClass.subnet("10.1.2.3"));
    assertEquals(AddressClass.subnet("2001:db8:1:2::1"), AddressClass.subnet("2001:db8:1:ffff::5"));
    assertFalse(AddressClass.subnet("2001:db8:1::1").equals(AddressClass.subnet("2001:db8:2::1")));
    assertEquals("2001:0db8:0001::/48", AddressClass.subnet("2001:db8:1:2::1"));
    assertEquals(AddressClass.subnet("fe80::1"), AddressClass.subnet("fe80::1%1"));
    assertTrue(AddressClass.isLoopback("127.0.0.1"));
    assertTrue(AddressClass.isLoopback("0:0:0:0:0:0:0:1"));
    assertFalse(AddressClass.isLoopback("10.0.0.1"));
  }

  @Test
  void namesAreNeverResolved() {
    // not a literal: no InetAddress, no lookup, the text is its own subnet
    assertEquals(null, AddressClass.literal("localhost"));
    assertEquals(null, AddressClass.literal("1.2.3.4.example"));
    assertEquals(null, AddressClass.literal("1.2.3"));
    assertEquals("evil.example", AddressClass.subnet("evil.example"));
    assertFalse(AddressClass.isLoopback("localhost"));
  }
}
