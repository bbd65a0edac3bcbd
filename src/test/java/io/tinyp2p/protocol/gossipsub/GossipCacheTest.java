package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The message cache's history windows and the seen cache's TTL and size bound. */
class GossipCacheTest {
  static ByteString id(int n) {
    return ByteString.copyFrom(new byte[] {(byte) n});
  }

  static RpcProto.Message msg(String topic, int n) {
    return RpcProto.Message.newBuilder().setTopic(topic).setData(ByteString.copyFrom(new byte[] {(byte) n})).build();
  }

  @Test
  void gossipCoversTheNewestWindowsAndHistoryTheRest() {
    MessageCache c = new MessageCache(5, 3);
    c.put(id(1), msg("a", 1));
    c.put(id(2), msg("b", 2));
    assertFalse(c.put(id(1), msg("a", 1)), "an id is cached once");
    assertEquals(List.of(id(1)), c.gossipIds("a"));
    c.shift();
    c.put(id(3), msg("a", 3));
    assertEquals(List.of(id(3), id(1)), c.gossipIds("a"), "newest first");
    c.shift();
    c.shift();
    // id 1 is now in the 4th window: no longer gossiped, still served
    assertEquals(List.of(id(3)), c.gossipIds("a"));
    assertNotNull(c.get(id(1)));
    c.shift();
    assertNotNull(c.get(id(1)), "5 windows are kept");
    c.shift();
    assertNull(c.get(id(1)), "the 6th shift forgets the first window");
    assertNull(c.get(id(2)));
    assertNotNull(c.get(id(3)));
    assertEquals(1, c.size());
    c.shift();
    assertFalse(c.contains(id(3)));
    assertEquals(0, c.size());
    assertEquals(List.of(), c.gossipIds("a"));
  }

  @Test
  void iwantRetransmissionsAreCountedPerPeer() {
    MessageCache c = new MessageCache(3, 1);
    c.put(id(1), msg("a", 1));
    PeerId p = GossipRouterTest.peer(1);
    PeerId q = GossipRouterTest.peer(2);
    for (int i = 0; i < 3; i++) {
      assertNotNull(c.getForPeer(id(1), p, 3));
    }
    assertNull(c.getForPeer(id(1), p, 3), "a 4th IWANT from the same peer is not served");
    assertNotNull(c.getForPeer(id(1), q, 3), "other peers are");
    assertNull(c.getForPeer(id(9), q, 3));
  }

  @Test
  void badWindowCountsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new MessageCache(2, 3));
    assertThrows(IllegalArgumentException.class, () -> new MessageCache(2, 0));
  }

  @Test
  void seenIdsExpireAfterTheTtlCountedFromFirstSight() {
    AtomicLong now = new AtomicLong(1000);
    SeenCache s = new SeenCache(120_000, 100, now::get);
    assertTrue(s.add(id(1)));
    assertFalse(s.add(id(1)));
    now.addAndGet(60_000);
    assertFalse(s.add(id(1)), "still seen; re-adding does not extend the TTL");
    assertTrue(s.add(id(2)));
    now.addAndGet(59_999);
    assertTrue(s.contains(id(1)));
    now.addAndGet(1);
    assertFalse(s.contains(id(1)), "120 s after first sight");
    assertTrue(s.contains(id(2)));
    s.expire();
    assertEquals(1, s.size());
    assertTrue(s.add(id(1)), "an expired id is new again");
  }

  @Test
  void theOldestIdsLeaveWhenFull() {
    AtomicLong now = new AtomicLong();
    SeenCache s = new SeenCache(120_000, 3, now::get);
    for (int i = 1; i <= 4; i++) {
      now.incrementAndGet();
      s.add(id(i));
    }
    assertEquals(3, s.size());
    assertFalse(s.contains(id(1)));
    assertTrue(s.contains(id(2)) && s.contains(id(3)) && s.contains(id(4)));
  }
}
