package io.tinyp2p.stream;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;

/**
 * The connection a stream runs on, as protocols see it: which one (its id is unique within a
 * node's life), who opened it, the addresses at both ends, the authenticated peer, and the
 * transport that carries it ("tcp", "quic-v1"). Protocols read it from
 * {@link P2pStream#connection()} instead of looking the connection up in the swarm, which
 * would give the peer's first connection, not necessarily this one.
 *
 * @param id the node-wide connection id
 * @param direction whether we dialed it or the peer did
 * @param localAddress our end (the address the socket is bound to)
 * @param remoteAddress the other end, as seen from here (for an inbound connection: the peer's
 *     source address, not its listen address)
 * @param remotePeer the authenticated peer
 * @param transport the transport's name
 * @param security the security protocol that authenticated the peer ({@code /noise},
 *     {@code /tls/1.0.0}), or null where it is the transport's own (QUIC)
 */
public record ConnectionInfo(long id, Direction direction, Multiaddr localAddress,
    Multiaddr remoteAddress, PeerId remotePeer, String transport, String security) {

  /** The remote host: an IP literal (or a name, for a dialed /dns address). */
  public String remoteHost() {
    return remoteAddress.host();
  }

  public boolean isOutbound() {
    return direction == Direction.OUTBOUND;
  }
}
