package io.tinyp2p.swarm;

import io.tinyp2p.multiaddr.AddressClass;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * Connection, handshake and dial limits of a swarm. Over a connection limit, a new connection
 * is refused (closed before or right after its handshake) and counted by reason; existing open
 * connections are never touched. Over a pending-handshake limit the new connection is let in
 * and the least advanced, oldest half-open one of the same IP, subnet or node makes room (so
 * that a flood cannot lock newcomers out).
 *
 * @param maxConnections open connections in total
 * @param maxConnectionsPerPeer open connections to one peer
 * @param maxConnectionsPerIp inbound connections (open or handshaking) from one IP address;
 *     loopback is exempt when {@code exemptLoopback} (local test networks share 127.0.0.1)
 * @param maxPendingHandshakes inbound connections still in their upgrade at once
 * @param maxInboundStreamsPerProtocol inbound streams of one protocol open at once on one
 *     connection (protocols may set a lower cap: ping and identify allow 16); one more is reset
 * @param maxPendingHandshakesPerIp inbound handshakes at once from one IP address (loopback
 *     exempt when {@code exemptLoopback})
 * @param maxPendingHandshakesPerSubnet inbound handshakes at once from one /24 (IPv4) or /48
 *     (IPv6) (loopback exempt when {@code exemptLoopback})
 * @param maxDialsInFlight outbound dials (TCP connect and upgrade) at once; one more fails fast
 * @param maxDialsPerSecond outbound dials started per second (a token bucket of that size);
 *     one more fails fast
 * @param dialBackoffInitial how long an address that failed is not dialed again; doubled on
 *     every further failure up to {@code dialBackoffMax}, forgotten on success
 * @param dialBackoffMax the longest backoff
 * @param allowDnsAddrs whether /dns, /dns4, /dns6 addresses learnt from peers are kept
 */
public record Limits(int maxConnections, int maxConnectionsPerPeer, int maxConnectionsPerIp,
    int maxPendingHandshakes, boolean exemptLoopback, int maxInboundStreamsPerProtocol,
    int maxPendingHandshakesPerIp, int maxPendingHandshakesPerSubnet, int maxDialsInFlight,
    int maxDialsPerSecond, Duration dialBackoffInitial, Duration dialBackoffMax,
    boolean allowDnsAddrs) {

  /** The connection limits alone; handshake, dial and address settings take their defaults. */
  public Limits(int maxConnections, int maxConnectionsPerPeer, int maxConnectionsPerIp,
      int maxPendingHandshakes, boolean exemptLoopback, int maxInboundStreamsPerProtocol) {
    this(maxConnections, maxConnectionsPerPeer, maxConnectionsPerIp, maxPendingHandshakes,
        exemptLoopback, maxInboundStreamsPerProtocol, 8, 16, 64, 50, Duration.ofSeconds(1),
        Duration.ofMinutes(2), false);
  }

  public static Limits defaults() {
    return new Limits(512, 2, 64, 64, true, 256);
  }

  /** Why a connection or stream was refused. */
  public enum Refusal { TOTAL, PER_PEER, PER_IP, PENDING_HANDSHAKES, STREAMS_PER_PROTOCOL }

  /** Why we ended a connection or stream that was open. */
  public enum Closure {
    /** our output to the peer did not drain for the stall timeout */
    WRITE_STALLED,
    /** the peer left more than the per-connection queue limit unread */
    QUEUE_OVERFLOW,
    /** a stream whose peer granted no window for the stall timeout was reset */
    STREAM_STALLED,
    /** an inbound message did not complete within its deadline; the stream was reset */
    READ_TIMEOUT
  }

  /** Which pending-handshake limit made a half-open connection give way to a newcomer. */
  public enum Eviction { PENDING_HANDSHAKES, PENDING_PER_IP, PENDING_PER_SUBNET }

  /** Why a dial failed fast without touching the network. */
  public enum DialSuppression { BACKOFF, IN_FLIGHT, RATE, UNDIALABLE }

  /**
   * Counts of refused, evicted and ended connections, dropped addresses and suppressed dials,
   * for /status.
   */
  public static final class Counters {
    private final Map<Refusal, Long> refused = new EnumMap<>(Refusal.class);
    private final Map<Closure, Long> closed = new EnumMap<>(Closure.class);
    private final Map<Eviction, Long> evicted = new EnumMap<>(Eviction.class);
    private final Map<AddressClass, Long> addressesDropped =
        new EnumMap<>(AddressClass.class);
    private final Map<DialSuppression, Long> dialsSuppressed = new EnumMap<>(DialSuppression.class);
    private long duplicateIdentities;

    void count(Refusal r) {
      refused.merge(r, 1L, Long::sum);
    }

    void count(Eviction e) {
      evicted.merge(e, 1L, Long::sum);
    }

    void count(AddressClass dropped) {
      addressesDropped.merge(dropped, 1L, Long::sum);
    }

    void count(DialSuppression s) {
      dialsSuppressed.merge(s, 1L, Long::sum);
    }

    void countDuplicateIdentity() {
      duplicateIdentities++;
    }

    /** Counts one connection or stream we ended; protocols report their read timeouts here. */
    public void count(Closure c) {
      count(c, 1);
    }

    void count(Closure c, long n) {
      if (n > 0) {
        closed.merge(c, n, Long::sum);
      }
    }

    public long closed(Closure c) {
      return closed.getOrDefault(c, 0L);
    }

    public JsonObject closedJson() {
      return json(Closure.values(), this::closed);
    }

    public long refused(Refusal r) {
      return refused.getOrDefault(r, 0L);
    }

    public long evicted(Eviction e) {
      return evicted.getOrDefault(e, 0L);
    }

    public long addressesDropped(AddressClass c) {
      return addressesDropped.getOrDefault(c, 0L);
    }

    public long dialsSuppressed(DialSuppression s) {
      return dialsSuppressed.getOrDefault(s, 0L);
    }

    /** PeerIds seen authenticated by two different live nodes at once. */
    public long duplicateIdentities() {
      return duplicateIdentities;
    }

    /** Refused connections by reason. */
    public JsonObject toJson() {
      return json(Refusal.values(), this::refused);
    }

    /**
     * What /status shows under {@code limits}: {@code refused}, {@code closed}, {@code evicted},
     * {@code addressesDropped}, {@code dialsSuppressed} (each by reason) and
     * {@code duplicateIdentities}.
     */
    public JsonObject statusJson() {
      return new JsonObject()
          .put("refused", toJson())
          .put("closed", closedJson())
          .put("evicted", json(Eviction.values(), this::evicted))
          .put("addressesDropped", json(AddressClass.dropped(), this::addressesDropped))
          .put("dialsSuppressed", json(DialSuppression.values(), this::dialsSuppressed))
          .put("duplicateIdentities", duplicateIdentities);
    }

    private static <E extends Enum<E>> JsonObject json(E[] keys, java.util.function.ToLongFunction<E> count) {
      JsonObject o = new JsonObject();
      for (E k : keys) {
        o.put(k.name(), count.applyAsLong(k));
      }
      return o;
    }
  }
}
