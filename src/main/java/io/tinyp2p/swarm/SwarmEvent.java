package io.tinyp2p.swarm;

import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.crypto.PeerId;

/**
 * Things that happen in a node, for protocols and the node to react to, delivered by
 * {@link Swarm#emit} to the handlers {@link Swarm#on} registered for the event's class. The
 * swarm's own events are nested here; protocols define theirs in their own packages (Ping's
 * {@code PingEvent}, Identify's {@code PeerIdentified}).
 */
public interface SwarmEvent {
  /** The peer the event is about (null where none is known, as for a failed dial of an address). */
  PeerId peer();

  /** A connection finished its upgrade (security and muxer) and is ready for streams. */
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

  /** Our own listen addresses, or the external addresses we announce, changed. */
  record ListenAddressesChanged(PeerId peer) implements SwarmEvent {}
}
