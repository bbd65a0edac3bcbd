package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Per-address exponential backoff, per-(address, peer) backoff, and the overall dial bounds. */
class DialBackoffTest {
  long now = 1_000_000;
  final Multiaddr addr = Multiaddr.parse("/ip4/127.0.0.1/tcp/9");
  final PeerId peer = KeyPair.generate().peerId();
  final PeerId other = KeyPair.generate().peerId();

  DialBackoff backoff(int inFlight, int perSecond) {
    Limits d = Limits.defaults();
    return new DialBackoff(new Limits(d.maxConnections(), d.maxConnectionsPerPeer(), d.maxConnectionsPerIp(),
        d.maxPendingHandshakes(), d.exemptLoopback(), d.maxInboundStreamsPerProtocol(), 8, 16, inFlight, perSecond,
        Duration.ofSeconds(1), Duration.ofSeconds(60), false), () -> now);
  }

  /** One dial that fails at the TCP level. */
  void failOnce(DialBackoff b) {
    assertNull(b.check(addr, peer));
    b.started();
    b.failed(addr, peer, false);
    b.finished();
  }

  @Test
  void backoffDoublesUpToTheMaximumAndResetsOnSuccess() {
    DialBackoff b = backoff(64, 1000);
    long[] expected = {1, 2, 4, 8, 16, 32, 60, 60};
    for (long seconds : expected) {
      failOnce(b);
      DialBackoff.SuppressedException e = b.check(addr, other); // any peer at that address
      assertNotNull(e);
      assertEquals(Limits.DialSuppression.BACKOFF, e.reason());
      assertTrue(e.getMessage().contains("dial backoff") && e.getMessage().contains(addr.toString()), e.getMessage());
      now += seconds * 1000 - 1;
      assertNotNull(b.check(addr, peer), "still backing off after " + seconds + " s - 1 ms");
      now += 1;
    }
    b.succeeded(addr, peer);
    failOnce(b);
    now += 1000;
    assertNull(b.check(addr, peer), "a success starts the doubling over");
  }

  @Test
  void aQuietSpellForgetsPastFailures() {
    DialBackoff b = backoff(64, 1000);
    failOnce(b);
    now += 1000;
    failOnce(b);
    now += 2000 + 60_000;
    failOnce(b);
    now += 1000;
    assertNull(b.check(addr, peer), "back to the first step");
  }

  @Test
  void aWrongPeerAtALiveAddressBacksOffOnlyThatPeer() {
    DialBackoff b = backoff(64, 1000);
    assertNull(b.check(addr, peer));
    b.started();
    b.failed(addr, peer, true); // the far end spoke Noise, but is not `peer`
    b.finished();
    assertNotNull(b.check(addr, peer));
    assertNull(b.check(addr, other), "the real occupant of the address is still dialed");
    assertNull(b.check(addr, null));
  }

  @Test
  void dialsInFlightAndPerSecondAreBounded() {
    DialBackoff b = backoff(2, 1000);
    b.started();
    b.started();
    assertEquals(Limits.DialSuppression.IN_FLIGHT, b.check(addr, peer).reason());
    b.finished();
    assertNull(b.check(addr, peer));
    b.finished();

    DialBackoff r = backoff(100, 5);
    for (int i = 0; i < 5; i++) {
      assertNull(r.check(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + (100 + i)), null));
      r.started();
      r.finished();
    }
    assertEquals(Limits.DialSuppression.RATE, r.check(addr, null).reason());
    now += 200; // one token back
    assertNull(r.check(addr, null));
  }
}
