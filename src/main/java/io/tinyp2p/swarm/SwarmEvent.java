package io.tinyp2p.swarm;

import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.crypto.PeerId;
import java.time.Duration;

/** Things that happen in the swarm, for protocols and the node to react to. */
public sealed interface SwarmEvent {
  PeerId peer();

  /** A connection finished its upgrade (Noise + Yamux) and is ready for streams. */
  record ConnectionOpened(Connection connection) implements SwarmEvent {
    @Override
    public PeerId peer() {
      return connection.remotePeer();
    }
  }

  /** A connection is gone; {@code error} is null for an orderly close. */
  record ConnectionClosed(Connection connection, Throwable error) implements SwarmEvent {
    @Override
    public PeerId peer() {
      return connection.remotePeer();
    }
  }

  /** A dial failed before a connection was established. */
  record DialFailed(PeerId peer, String address, Throwable error) implements SwarmEvent {}

  /** A ping round trip completed. */
  record PingSucceeded(PeerId peer, Duration rtt) implements SwarmEvent {}

  /** A ping failed (timeout, mismatch, stream refused): the peer may be unreachable. */
  record PingFailed(PeerId peer, Throwable error) implements SwarmEvent {}

  /** Identify (or identify push) told us about a peer; the peer store is updated. */
  record PeerIdentified(PeerId peer, PeerStore.PeerInfo info) implements SwarmEvent {}

  /** Our own listen addresses changed. */
  record ListenAddressesChanged(PeerId peer) implements SwarmEvent {}
}
