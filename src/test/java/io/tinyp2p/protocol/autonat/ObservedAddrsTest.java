package io.tinyp2p.protocol.autonat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.Direction;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Observed-address bookkeeping on an injected clock: threshold, distinct observers, bound, expiry, normalization. */
class ObservedAddrsTest {
  static final Multiaddr EXTERNAL = Multiaddr.parse("/ip4/203.0.113.9/tcp/4001");
  static final Multiaddr LOCAL = Multiaddr.parse("/ip4/10.0.0.2/tcp/4001");

  final AtomicLong now = new AtomicLong(1_000_000);
  long ids;

  ConnectionInfo connection(String remote, Direction direction) {
    return new ConnectionInfo(++ids, direction, LOCAL, Multiaddr.parse(remote), KeyPair.generate().peerId(),
        "tcp", "/noise");
  }

  ConnectionInfo inbound(String remote) {
    return connection(remote, Direction.INBOUND);
  }

  ObservedAddrs book(int threshold, int max) {
    return new ObservedAddrs(threshold, Duration.ofMinutes(10), max, now::get);
  }

  @Test
  void aCandidateNeedsThresholdDistinctNetworks() {
    ObservedAddrs book = book(2, 16);
    book.observed(inbound("/ip4/198.51.100.1/tcp/5000"), EXTERNAL);
    assertEquals(List.of(), book.candidates(), "one observer is not enough");
    book.observed(inbound("/ip4/198.51.100.77/tcp/5001"), EXTERNAL);
    assertEquals(List.of(), book.candidates(), "a second observer in the same /24 is the same network");
    assertEquals(1, book.counts().get(EXTERNAL));
    book.observed(inbound("/ip4/192.0.2.5/tcp/6000"), EXTERNAL);
    assertEquals(List.of(EXTERNAL), book.candidates());
    assertEquals(2, book.counts().get(EXTERNAL));
  }

  @Test
  void loopbackObserversAreDistinctByPeer() {
    ObservedAddrs book = book(2, 16);
    book.observed(inbound("/ip4/127.0.0.1/tcp/5000"), EXTERNAL);
    assertEquals(List.of(), book.candidates());
    book.observed(inbound("/ip4/127.0.0.1/tcp/5001"), EXTERNAL);
    assertEquals(List.of(EXTERNAL), book.candidates());
  }

  @Test
  void aConnectionHoldsOneObservationTheLatest() {
    ObservedAddrs book = book(1, 16);
    ConnectionInfo c = inbound("/ip4/198.51.100.1/tcp/5000");
    Multiaddr other = Multiaddr.parse("/ip4/203.0.113.10/tcp/4001");
    book.observed(c, EXTERNAL);
    book.observed(c, other);
    assertEquals(1, book.size());
    assertEquals(List.of(other), book.candidates());
  }

  @Test
  void theBookIsBoundedAndEvictsTheOldest() {
    ObservedAddrs book = book(1, 3);
    Multiaddr first = Multiaddr.parse("/ip4/203.0.113.1/tcp/4001");
    book.observed(inbound("/ip4/198.51.100.1/tcp/1"), first);
    for (int i = 2; i <= 10; i++) {
      book.observed(inbound("/ip4/198.51." + i + ".1/tcp/1"), Multiaddr.parse("/ip4/203.0.113." + i + "/tcp/4001"));
      assertTrue(book.size() <= 3, "size " + book.size());
    }
    assertEquals(3, book.size());
    assertTrue(!book.candidates().contains(first), "the oldest observation was evicted");
  }

  @Test
  void anObservationExpiresTtlAfterItsConnectionClosed() {
    ObservedAddrs book = book(2, 16);
    ConnectionInfo a = inbound("/ip4/198.51.100.1/tcp/5000");
    ConnectionInfo b = inbound("/ip4/192.0.2.5/tcp/6000");
    book.observed(a, EXTERNAL);
    book.observed(b, EXTERNAL);
    now.addAndGet(Duration.ofHours(5).toMillis());
    assertEquals(List.of(EXTERNAL), book.candidates(), "open connections keep their observations");
    book.closed(a.id());
    now.addAndGet(Duration.ofMinutes(10).toMillis() - 1);
    assertEquals(List.of(EXTERNAL), book.candidates(), "within the ttl");
    now.addAndGet(1);
    assertEquals(List.of(), book.candidates(), "expired: one observer left");
    assertEquals(1, book.size());
  }

  @Test
  void normalizeKeepsInboundMapsOutboundToTheListenPortAndDropsTheUseless() {
    List<Multiaddr> listen = List.of(Multiaddr.parse("/ip4/10.0.0.2/tcp/4001"));
    ConnectionInfo in = inbound("/ip4/198.51.100.1/tcp/5000");
    ConnectionInfo out = connection("/ip4/198.51.100.1/tcp/4001", Direction.OUTBOUND);
    Multiaddr mappedPort = Multiaddr.parse("/ip4/203.0.113.9/tcp/31337");
    assertEquals(mappedPort, ObservedAddrs.normalize(mappedPort, in, listen), "inbound: the NAT's port for our listen port");
    assertEquals(EXTERNAL, ObservedAddrs.normalize(Multiaddr.parse("/ip4/203.0.113.9/tcp/54321"), out, listen),
        "outbound: an ephemeral port, replaced by the listen port");
    assertNull(ObservedAddrs.normalize(Multiaddr.parse("/ip4/0.0.0.0/tcp/4001"), in, listen));
    assertNull(ObservedAddrs.normalize(Multiaddr.parse("/ip4/203.0.113.9/tcp/0"), in, listen));
    assertNull(ObservedAddrs.normalize(Multiaddr.parse("/ip6/2001:db8::1/tcp/54321"), out, listen),
        "no IPv6 listen address to map an IPv6 observation to");
    assertNull(ObservedAddrs.normalize(null, in, listen));
  }

  @Test
  void confidenceSettlesAfterEnoughAnswersAndResistsOneOddOne() {
    Confidence c = new Confidence(3);
    assertEquals(Reachability.UNKNOWN, c.record(true));
    assertEquals(Reachability.UNKNOWN, c.record(true));
    assertEquals(Reachability.PUBLIC, c.record(true));
    assertEquals(Reachability.PUBLIC, c.record(false), "one failure does not flip it");
    assertEquals(Reachability.PUBLIC, c.record(false));
    assertEquals(Reachability.PRIVATE, c.record(false));
    assertEquals(6, c.answers());
    c.reset();
    assertEquals(Reachability.UNKNOWN, c.status());
  }

  @Test
  void rateLimiterCountsPerPeerAndInAllWithinTheWindow() {
    RateLimiter limiter = new RateLimiter(2, 3, 60_000, now::get);
    PeerId a = KeyPair.generate().peerId();
    PeerId b = KeyPair.generate().peerId();
    assertTrue(limiter.tryTake(a));
    assertTrue(limiter.tryTake(a));
    assertTrue(!limiter.tryTake(a), "per peer");
    assertTrue(limiter.tryTake(b));
    assertTrue(!limiter.tryTake(b), "in all");
    now.addAndGet(60_000);
    assertTrue(limiter.tryTake(a), "a new window");
  }
}
