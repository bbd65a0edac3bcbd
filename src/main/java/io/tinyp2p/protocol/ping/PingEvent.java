package io.tinyp2p.protocol.ping;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.swarm.SwarmEvent;
import java.time.Duration;

/** The outcome of a ping, emitted on the swarm for every ping sent. */
public sealed interface PingEvent extends SwarmEvent {

  /** A ping round trip completed. */
  record Succeeded(PeerId peer, Duration rtt) implements PingEvent {}

  /** A ping failed (timeout, mismatch, stream refused): the peer may be unreachable. */
  record Failed(PeerId peer, Throwable error) implements PingEvent {}
}
