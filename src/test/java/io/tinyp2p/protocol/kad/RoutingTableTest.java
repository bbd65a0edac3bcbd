package io.tinyp2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RoutingTableTest {
  long now = 1_000;
  final PeerId local = KeyPair.fromSeed(new byte[32]).peerId();

  static PeerId randomPeer(Random r) {
    byte[] mh = new byte[34];
    mh[0] = 0x12;
    mh[1] = 32;
    for (int i = 2; i < 34; i++) {
      mh[i] = (byte) r.nextInt();
    }
    return PeerId.fromBytes(mh);
  }

  @Test
  void keyDistanceAndPrefix() {
    Key a = Key.ofHash(HexFormat.of().parseHex("80" + "00".repeat(31)));
    Key b = Key.ofHash(HexFormat.of().parseHex("00".repeat(32)));
    Key c = Key.ofHash(HexFormat.of().parseHex("01" + "00".repeat(31)));
    assertEquals(0, a.commonPrefixLength(b));
    assertEquals(7, b.commonPrefixLength(c));
    assertEquals(256, b.commonPrefixLength(b));
    assertTrue(b.compareDistance(c, a) < 0); // c is closer to b than a is
    assertEquals("80" + "00".repeat(31), HexFormat.of().formatHex(a.distance(b)));
    // the key of a peer is SHA-256 of its multihash bytes
    assertEquals(Key.ofBytes(local.toBytes()), Key.of(local));
  }

  @Property(tries = 50)
  void invariantsUnderRandomInserts(@ForAll @IntRange(min = 1, max = 400) int count, @ForAll long seed) {
    Random r = new Random(seed);
    RoutingTable t = new RoutingTable(local, 20, () -> now);
    List<PeerId> added = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      PeerId p = randomPeer(r);
      if (t.add(p, List.of()).added()) {
        added.add(p);
      }
    }
    assertFalse(t.add(local, List.of()).added());
    assertFalse(t.contains(local));
    assertEquals(added.size(), t.size());
    for (int b = 0; b < Key.BITS; b++) {
      assertTrue(t.bucketSize(b) <= 20);
    }
    Key target = Key.of(randomPeer(r));
    List<PeerId> expected = added.stream().sorted(Comparator.comparing(Key::of, target::compareDistance)).limit(20).toList();
    assertEquals(expected, t.closest(target, 20).stream().map(RoutingTable.Entry::peer).toList());
  }

  @Test
  void fullBucketNamesItsOldestAsCandidate() {
    Random r = new Random(1);
    RoutingTable t = new RoutingTable(local, 2, () -> now);
    // bucket 0 is half the keyspace: draw until three peers land there
    List<PeerId> far = new ArrayList<>();
    while (far.size() < 3) {
      PeerId p = randomPeer(r);
      if (t.bucketIndex(Key.of(p)) == 0) {
        far.add(p);
      }
    }
    assertTrue(t.add(far.get(0), List.of()).added());
    now++;
    assertTrue(t.add(far.get(1), List.of()).added());
    RoutingTable.Outcome full = t.add(far.get(2), List.of());
    assertFalse(full.added());
    assertEquals(far.get(0), full.candidate());
    // the oldest answered: it stays, and is now the most recent
    t.touch(far.get(0));
    assertEquals(far.get(1), t.add(far.get(2), List.of()).candidate());
    // the candidate is dead: replaced
    assertTrue(t.replace(far.get(1), far.get(2), List.of()).added());
    assertFalse(t.contains(far.get(1)));
    assertTrue(t.contains(far.get(2)));
  }

  @Test
  void addressesAreNormalized() {
    // which addresses are worth keeping is AddressPolicy's (AddressPolicyTest); the table
    // strips /p2p, drops duplicates and keeps at most MAX_ADDRS
    PeerId peer = randomPeer(new Random(5));
    List<Multiaddr> addrs = new ArrayList<>(List.of(
        Multiaddr.parse("/ip4/192.0.2.1/tcp/3/p2p/" + peer),
        Multiaddr.parse("/ip4/192.0.2.1/tcp/3")));
    assertEquals(List.of(Multiaddr.parse("/ip4/192.0.2.1/tcp/3")), RoutingTable.normalize(addrs));
    for (int i = 0; i < 30; i++) {
      addrs.add(Multiaddr.parse("/ip4/192.0.2.2/tcp/" + (100 + i)));
    }
    assertEquals(RoutingTable.MAX_ADDRS, RoutingTable.normalize(addrs).size());
    RoutingTable t = new RoutingTable(local, 20, () -> now);
    t.add(peer, addrs);
    assertEquals(RoutingTable.normalize(addrs), t.get(peer).addrs());
  }

  @Test
  void onlyNonEmptyStaleBucketsNeedRefresh() {
    Random r = new Random(2);
    RoutingTable t = new RoutingTable(local, 20, () -> now);
    PeerId p = randomPeer(r);
    t.add(p, List.of());
    int b = t.bucketIndex(Key.of(p));
    assertEquals(List.of(), t.bucketsNeedingRefresh(10_000));
    now += 10_000;
    assertEquals(List.of(b), t.bucketsNeedingRefresh(10_000));
    t.markBucketRefreshed(b);
    assertEquals(List.of(), t.bucketsNeedingRefresh(10_000));
    assertTrue(t.remove(p));
    assertNull(t.get(p));
  }
}
