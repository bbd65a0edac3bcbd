package io.tinyp2p.swarm;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What keeps the swarm from becoming a dialer that others direct: per-address exponential
 * backoff after failures, and a bound on dials in flight and per second overall.
 *
 * <p>An address (host, port and transport) whose connect or first upgrade step failed is not
 * dialed again for {@code initial}, doubling with every further failure up to {@code max};
 * a success forgets it, and so does a quiet spell of {@code max} after the backoff ran out.
 * When the far end spoke libp2p (the dial got as far as Noise) and the handshake failed, it is
 * the pair (address, expected peer) that backs off: the address hosts another peer, or one
 * that refused us, and a dial there for its real occupant must still go through.
 *
 * <p>Entries are bounded ({@link #MAX_ENTRIES}, least recently used first out).
 * Single-threaded: it lives on the swarm's context.
 */
final class DialBackoff {
  static final int MAX_ENTRIES = 4096;

  /** Failures of one key and until when it must not be dialed. */
  private static final class Failures {
    int failures;
    long until;
  }

  private final Duration initial;
  private final Duration max;
  private final int maxInFlight;
  private final int perSecond;
  private final LongSupplier clock;
  private final Map<String, Failures> entries = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
      return size() > MAX_ENTRIES;
    }
  };
  private int inFlight;
  private double tokens;
  private long refilledAt;

  DialBackoff(Limits limits, LongSupplier clock) {
    this.initial = limits.dialBackoffInitial();
    this.max = limits.dialBackoffMax();
    this.maxInFlight = limits.maxDialsInFlight();
    this.perSecond = limits.maxDialsPerSecond();
    this.clock = clock;
    this.tokens = perSecond;
    this.refilledAt = clock.getAsLong();
  }

  /** A dial that was not attempted; the message says why and when it may be tried again. */
  static final class SuppressedException extends SwarmException {
    private final Limits.DialSuppression reason;

    SuppressedException(Limits.DialSuppression reason, String message) {
      super(message);
      this.reason = reason;
    }

    Limits.DialSuppression reason() {
      return reason;
    }
  }

  static String key(Multiaddr addr) {
    return addr.withoutPeerId().toString(); // host, port and transport
  }

  private static String key(Multiaddr addr, PeerId peer) {
    return key(addr) + "/p2p/" + peer;
  }

  /**
   * Null when {@code addr} may be dialed now (expecting {@code expected}, or null); else why
   * not. Does not take a dial slot: {@link #started} does.
   */
  SuppressedException check(Multiaddr addr, PeerId expected) {
    long now = clock.getAsLong();
    Failures e = live(key(addr), now);
    if ((e == null || now >= e.until) && expected != null) {
      e = live(key(addr, expected), now);
    }
    if (e != null && now < e.until) {
      return new SuppressedException(Limits.DialSuppression.BACKOFF, "dial " + addr
          + " not attempted: it failed " + e.failures + (e.failures == 1 ? " time" : " times in a row")
          + ", next attempt allowed in " + (e.until - now) + " ms (dial backoff)");
    }
    if (inFlight >= maxInFlight) {
      return new SuppressedException(Limits.DialSuppression.IN_FLIGHT, "dial " + addr
          + " not attempted: " + inFlight + " dials already in flight (limits.maxDialsInFlight)");
    }
    refill(now);
    if (tokens < 1) {
      return new SuppressedException(Limits.DialSuppression.RATE, "dial " + addr
          + " not attempted: more than " + perSecond + " dials per second (limits.maxDialsPerSecond)");
    }
    return null;
  }

  /** The entry of a key unless it has been quiet long enough to be forgotten. */
  private Failures live(String key, long now) {
    Failures e = entries.get(key);
    if (e != null && now >= e.until + max.toMillis()) {
      entries.remove(key);
      return null;
    }
    return e;
  }

  private void refill(long now) {
    if (now > refilledAt) {
      tokens = Math.min(perSecond, tokens + (now - refilledAt) * perSecond / 1000.0);
      refilledAt = now;
    }
  }

  /** A dial starts: it holds a slot until {@link #finished}. */
  void started() {
    inFlight++;
    tokens -= 1;
  }

  /** The dial that {@link #started} ended, whatever the outcome. */
  void finished() {
    inFlight--;
  }

  /** A dial to {@code addr} reached its peer: past failures are forgotten. */
  void succeeded(Multiaddr addr, PeerId peer) {
    entries.remove(key(addr));
    if (peer != null) {
      entries.remove(key(addr, peer));
    }
  }

  /**
   * A dial to {@code addr} failed; {@code spokeLibp2p}: the far end got as far as the Noise
   * handshake, so only the pair with the expected peer backs off.
   */
  void failed(Multiaddr addr, PeerId expected, boolean spokeLibp2p) {
    long now = clock.getAsLong();
    String key = spokeLibp2p && expected != null ? key(addr, expected) : key(addr);
    Failures e = live(key, now);
    if (e == null) {
      e = new Failures();
      entries.put(key, e);
    }
    e.failures++;
    long delay = initial.toMillis() << Math.min(e.failures - 1, 30);
    e.until = now + Math.min(delay, max.toMillis());
  }

  int inFlight() {
    return inFlight;
  }
}
