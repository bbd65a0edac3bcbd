package io.tinyp2p.transport;

import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.Direction;
import io.vertx.core.Future;

/**
 * A connection on its way to being authenticated and multiplexed, inbound or outbound: what
 * the swarm tracks while handshakes are pending, to bound them and to evict the least advanced
 * when it must make room (a flood of half-open connections only evicts its own kind).
 *
 * <p>How far it got is one of the stages below. TCP goes through all of them in order. QUIC
 * has no multistream-select for its security or muxer: it is at {@link #SECURITY_NEGOTIATION}
 * until the far end answered anything, at {@link #SECURITY_HANDSHAKE} during the TLS handshake
 * and then {@link #OPEN}. A stage of at least {@link #SECURITY_HANDSHAKE} means the far end
 * speaks libp2p: a failed dial then backs off only the pair of address and expected peer.
 */
public interface Upgrade {
  /** Negotiating the security protocol (TCP: multistream-select "/noise"); nothing shows yet that the far end speaks libp2p. */
  int SECURITY_NEGOTIATION = 0;
  /** The security handshake (Noise XX; TLS 1.3 inside QUIC's handshake). */
  int SECURITY_HANDSHAKE = 1;
  /** Negotiating the muxer (TCP: multistream-select "/yamux/1.0.0"); the peer is authenticated. */
  int MUXER_NEGOTIATION = 2;
  /** Authenticated and multiplexed: {@link #result()} has completed. */
  int OPEN = 3;

  /** Who opened it. */
  Direction direction();

  /** The far end: where we dialed, or where an inbound connection comes from (an IP literal, never a name, for inbound). */
  Multiaddr remoteAddress();

  /** How far it got, one of the stage constants; kept once it ended. */
  int stage();

  /**
   * Ends it now, with no reason (not logged as a failure): the swarm refuses it, makes room for
   * a newcomer or shuts down. {@link #result()} fails.
   */
  void abort();

  /**
   * Completes with the open connection, on the transport's context, before the connection hands
   * out any stream: set its handlers in the completion handler. Fails when the upgrade ends first
   * (timeout, malformed input, the wrong peer, the peer gone, {@link #abort()}).
   */
  Future<MuxedConnection> result();

  /**
   * Why the upgrade ended without a connection, once {@link #result()} failed: null when it was
   * ended on our side without an error ({@link #abort()}); the swarm logs the others.
   */
  Throwable closeReason();
}
