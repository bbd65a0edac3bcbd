package io.tinyp2p.protocol.autonat;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.swarm.SwarmEvent;
import java.util.List;

/**
 * Our reachability or our confirmed external addresses changed ({@code peer} is our own id).
 *
 * @param confirmedAddrs the external addresses announced now (those AutoNAT confirmed)
 */
public record ReachabilityChanged(PeerId peer, Reachability reachability, List<Multiaddr> confirmedAddrs)
    implements SwarmEvent {}
