package io.tinyp2p.protocol.identify;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.swarm.SwarmEvent;

/** Identify (or identify push) told us about a peer; the peer store holds {@code info} now. */
public record PeerIdentified(PeerId peer, PeerStore.PeerInfo info) implements SwarmEvent {}
