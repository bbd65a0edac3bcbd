package io.tinyp2p.protocol.relay;

import java.time.Duration;

/**
 * What a relay serves (Circuit Relay v2's hop protocol) and its limits.
 *
 * @param server whether this node serves the hop protocol at all (a node that is no relay
 *     refuses hop streams in multistream-select)
 * @param maxReservations reservations held at once, all peers together
 * @param maxReservationsPerIp reservations held at once by peers connected from one IP address
 *     (a peer holds one: a second RESERVE refreshes it)
 * @param maxCircuits relayed connections open at once
 * @param maxCircuitsPerPeer relayed connections open at once from or to one peer
 * @param reservationTtl how long a reservation lasts unless refreshed
 * @param circuitDuration how long a relayed connection may stay open (zero: no limit)
 * @param circuitBytes bytes a relayed connection may carry in each direction (zero: no limit)
 */
public record RelayConfig(boolean server, int maxReservations, int maxReservationsPerIp, int maxCircuits,
    int maxCircuitsPerPeer, Duration reservationTtl, Duration circuitDuration, long circuitBytes) {

  public RelayConfig {
    positive("maxReservations", maxReservations);
    positive("maxReservationsPerIp", maxReservationsPerIp);
    positive("maxCircuits", maxCircuits);
    positive("maxCircuitsPerPeer", maxCircuitsPerPeer);
    if (reservationTtl.toSeconds() < 1) {
      throw new IllegalArgumentException("relay.reservationTtl must be at least 1 second, got " + reservationTtl);
    }
    if (circuitDuration.isNegative() || circuitDuration.toSeconds() > 0xFFFFFFFFL) {
      throw new IllegalArgumentException("relay.circuitDuration must be 0 (no limit) or a number of seconds, got "
          + circuitDuration);
    }
    if (circuitBytes < 0) {
      throw new IllegalArgumentException("relay.circuitBytes must be 0 (no limit) or a number of bytes, got "
          + circuitBytes);
    }
  }

  private static void positive(String key, int value) {
    if (value < 1) {
      throw new IllegalArgumentException("relay." + key + " must be at least 1, got " + value);
    }
  }

  /**
   * Not a relay; the limits it would apply as one: 128 reservations (4 per IP), 16 circuits (4
   * per peer), reservations of an hour, circuits of 2 minutes and 128 KiB each way (the
   * spec's and js-libp2p's defaults).
   */
  public static RelayConfig defaults() {
    return new RelayConfig(false, 128, 4, 16, 4, Duration.ofHours(1), Duration.ofMinutes(2), 128 * 1024);
  }

  /** The same as a relay (or not). */
  public RelayConfig server(boolean on) {
    return new RelayConfig(on, maxReservations, maxReservationsPerIp, maxCircuits, maxCircuitsPerPeer,
        reservationTtl, circuitDuration, circuitBytes);
  }
}
