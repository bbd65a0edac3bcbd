package io.tinyp2p.transport;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Future;
import java.util.List;

/**
 * A way of reaching peers: it listens on and dials multiaddrs of its kind and turns each
 * connection it makes or accepts into an authenticated, multiplexed {@link MuxedConnection}.
 * The swarm above it keeps the policy (which connections to admit, which pending handshakes to
 * evict, dial backoff, one connection per peer) and negotiates each stream's protocol with
 * multistream-select; a transport knows no protocol id but its own.
 *
 * <ul>
 *   <li>TCP ({@code /ip4/…/tcp/N}, name "tcp"): a socket per connection, then
 *       multistream-select "/noise", the Noise XX handshake, multistream-select "/yamux/1.0.0"
 *       and a Yamux session whose streams are the connection's streams.
 *   <li>QUIC ({@code /ip4/…/udp/N/quic-v1}, name "quic-v1"): one UDP socket for listening and
 *       dialing; TLS 1.3 with the libp2p certificate extension authenticates the peer inside
 *       the QUIC handshake, and QUIC's own streams are the connection's streams. There is no
 *       multistream-select for security or muxer; streams are still negotiated one by one.
 *   <li>Relayed ({@code <relay addr>/p2p/<relay>/p2p-circuit/p2p/<peer>}, name "relay"): the
 *       "socket" is a stream through a Circuit Relay v2 relay, upgraded as TCP's socket is
 *       ({@link io.tinyp2p.transport.relay.RelayTransport}).
 * </ul>
 *
 * <p>Every connection passes through an {@link Upgrade} first, inbound and outbound alike: it
 * says how far the handshake got, and it can be aborted. An inbound one is offered to the
 * swarm before anything of the handshake happens ({@link Inbound#offer}), so the swarm can
 * refuse it by its remote address and evict other pending handshakes to make room.
 *
 * <p>Single-threaded: a transport lives on the context of the swarm it serves (create it
 * there) and must only be called from it; everything it reports comes on that context.
 */
public interface Transport {

  /** The transport's name, as {@link io.tinyp2p.stream.ConnectionInfo#transport()} shows it ("tcp"). */
  String name();

  /** Whether {@link #listen} takes this address (TCP: an IP host and {@code /tcp/<port>}). */
  boolean canListen(Multiaddr addr);

  /**
   * Whether {@link #dial} can reach this address (TCP: a host and {@code /tcp/<port>}; QUIC:
   * {@code /udp/<port>/quic-v1}). A trailing {@code /p2p/<id>} does not matter here.
   */
  boolean canDial(Multiaddr addr);

  /**
   * Listens on {@code addr}; port 0 takes any free port. Completes with the addresses now
   * listened on: the bound port filled in, and an unspecified host (0.0.0.0, ::) expanded to
   * the addresses of the interfaces that are up ({@link ListenAddresses#hosts}). Each
   * inbound connection is offered to {@code inbound} before its upgrade starts. QUIC's socket
   * dials go out from a socket of their own per address family.
   */
  Future<List<Multiaddr>> listen(Multiaddr addr, Inbound inbound);

  /**
   * Dials {@code addr}. Completes with the connection's {@link Upgrade} once the far end has
   * been reached (TCP: the socket connected; QUIC: at once, the handshake is the upgrade);
   * fails when it could not be reached at all (refused, unreachable, the dial timeout), which
   * the swarm's dial backoff treats like an upgrade that failed in its first stage. The upgrade
   * starts after the returned future's handlers ran; one aborted there never sends a byte.
   *
   * @param expectedPeer the peer the address names ({@code /p2p/<id>}), or null: a different
   *     peer answering the handshake fails the upgrade before we reveal our identity (Noise:
   *     checked on message 2; TLS: on the peer's certificate)
   */
  Future<Upgrade> dial(Multiaddr addr, PeerId expectedPeer);

  /**
   * Dials {@code addr} in the listener's role: the upgrade runs as if the far end had dialed us
   * (the security responder). Hole punching needs it: both ends dial at once and, over TCP, one
   * connection results of the two dials. Transports that cannot say so.
   */
  default Future<Upgrade> dialAsListener(Multiaddr addr, PeerId expectedPeer) {
    return Future.failedFuture(new UnsupportedOperationException(name() + " cannot dial in the listener's role"));
  }

  /**
   * Stops listening and dialing: listeners and sockets are closed. Connections are the
   * swarm's to close first; whatever is left goes with the sockets.
   */
  Future<Void> close();

  /**
   * What the transport counts on its own, by name, for {@code /status} (QUIC: datagrams that
   * were not QUIC, refused certificates, handshakes running); none by default.
   */
  default java.util.Map<String, Long> counters() {
    return java.util.Map.of();
  }

  /** Where a listening transport offers its inbound connections. */
  @FunctionalInterface
  interface Inbound {
    /**
     * A peer connected: {@code upgrade} has not started yet (stage
     * {@link Upgrade#SECURITY_NEGOTIATION} for TCP; QUIC offers it when the peer's first
     * handshake packet arrived, at {@link Upgrade#SECURITY_HANDSHAKE}). Returns whether it may
     * go on; when not, the transport closes it at once without a word to the peer (QUIC: a
     * refusing close). The handler may abort other pending upgrades to make room.
     */
    boolean offer(Upgrade upgrade);
  }
}
