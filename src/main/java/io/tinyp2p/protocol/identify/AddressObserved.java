package io.tinyp2p.protocol.identify;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.swarm.SwarmEvent;

/** The peer on {@code connection} told us (identify's {@code observedAddr}) it sees us at {@code observed}. */
public record AddressObserved(PeerId peer, ConnectionInfo connection, Multiaddr observed) implements SwarmEvent {}
