package io.tinyp2p.transport;

import io.tinyp2p.stream.ConnectionInfo;
import io.vertx.core.Future;
import io.vertx.core.Handler;

/**
 * A connection a {@link Transport} has authenticated (the remote PeerId is known) and
 * multiplexed (TCP: Yamux over Noise; QUIC: its native streams): what the swarm builds its
 * connections on. Streams come out raw ({@link MuxedStream}): the swarm negotiates their
 * protocol with multistream-select.
 *
 * <p>The transport bounds what the peer can make it hold (output queues, stream windows) and
 * closes the connection when the peer stops reading; such a close comes with a
 * {@link PeerNotReadingException}, which the swarm counts.
 *
 * <p>Single-threaded: the transport's context only. Its {@code toString()} names the direction,
 * the remote address and the peer (what the swarm's log lines show).
 */
public interface MuxedConnection {

  /** Which connection this is: id, direction, both addresses, the authenticated peer, the transport's name. */
  ConnectionInfo info();

  /** When the transport connection was made (TCP: the socket connected), in milliseconds since the epoch. */
  long openedAt();

  /** Whether it is open for streams. */
  boolean isOpen();

  /**
   * Opens an outbound stream. Fails when the connection is closed or going away, or at its
   * stream limit; QUIC may wait for the peer to allow one more stream.
   */
  Future<MuxedStream> openStream();

  /**
   * Where the streams the peer opens go; set it before the first one can arrive (in the
   * handler of {@link Upgrade#result()}). A stream that arrives with no handler is reset.
   */
  void inboundStreamHandler(Handler<MuxedStream> handler);

  /** Streams open now, both directions. */
  int streamCount();

  /** Closes it in order: the muxer's go-away (TCP: Yamux; QUIC: a CONNECTION_CLOSE), then the socket. */
  void close();

  /**
   * Runs once when the connection is gone, with the reason, or null for an orderly close (ours
   * or the peer's). Set after it is already closed, it runs at once.
   */
  void closeHandler(Handler<Throwable> handler);

  /**
   * Housekeeping, called about once a second with {@code System.currentTimeMillis()}: a
   * connection whose output has not drained for the write-stall timeout closes (reason
   * {@link PeerNotReadingException.Kind#WRITE_STALLED}); streams whose peer granted no send
   * window for that long are reset. Returns how many streams it reset.
   */
  int tick(long now);

  /** How often this connection's input used up its turn of the event loop and waited for the next (0 where the transport does not schedule input). */
  long inputDeferrals();

  /** The security protocol that authenticated the peer (e.g. "/noise", "/tls/1.0.0"), or null where it is the transport's own. */
  default String security() {
    return null;
  }
}
