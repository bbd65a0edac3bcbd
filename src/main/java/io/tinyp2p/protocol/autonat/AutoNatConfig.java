package io.tinyp2p.protocol.autonat;

import io.tinyp2p.multiaddr.Multiaddr;
import java.time.Duration;
import java.util.List;

/**
 * AutoNAT's settings (the {@code autonat} section of conf.json).
 *
 * @param server answer other peers' DIAL requests
 * @param client ask connected AutoNAT servers to dial us back
 * @param interval how often the client asks (it also asks soon after our addresses change and
 *     while the status is unknown, when a new AutoNAT server connects)
 * @param confidence answers of one kind that settle the reachability ({@link Confidence})
 * @param maxServers servers asked per round
 * @param requestTimeout how long the client waits for an answer
 * @param dialTimeout how long the server's dial back may take
 * @param perPeerLimit DIAL requests served per peer in {@code limitWindow}
 * @param globalLimit DIAL requests served in all in {@code limitWindow}
 * @param limitWindow the rate limits' window
 * @param observedThreshold distinct observers that make an observed address a candidate
 * @param observedTtl how long an observation outlives its connection
 * @param maxObserved observations held at most
 * @param candidates addresses we believe dialable (a port forward, a public IP): tested like
 *     observed candidates, announced once confirmed
 */
public record AutoNatConfig(boolean server, boolean client, Duration interval, int confidence, int maxServers,
    Duration requestTimeout, Duration dialTimeout, int perPeerLimit, int globalLimit, Duration limitWindow,
    int observedThreshold, Duration observedTtl, int maxObserved, List<Multiaddr> candidates) {

  public AutoNatConfig {
    candidates = List.copyOf(candidates);
  }

  public static AutoNatConfig defaults() {
    return new AutoNatConfig(true, true, Duration.ofSeconds(60), 3, 3, Duration.ofSeconds(30),
        Duration.ofSeconds(15), 3, 30, Duration.ofSeconds(60), 2, Duration.ofMinutes(10), 128, List.of());
  }

  /** How long an address a server dialed back stays confirmed without a new confirmation. */
  public Duration confirmedTtl() {
    return interval.multipliedBy(4);
  }
}
