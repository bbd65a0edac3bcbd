package io.tinyp2p.transport;

import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.P2pStream;
import io.vertx.core.buffer.Buffer;

/**
 * A stream as a {@link MuxedConnection} hands it out (TCP: a Yamux stream; QUIC: a QUIC
 * stream), before the swarm has negotiated its protocol: a {@link P2pStream} plus what that
 * negotiation needs to hand it over to a protocol.
 */
public interface MuxedStream extends P2pStream {

  /** Sets the protocol multistream-select agreed on ({@link #protocol()} is null until then). */
  void protocol(String protocol);

  /**
   * Where the stream counts what it carries from now on (set once its protocol is negotiated;
   * null, the default, counts nothing).
   */
  void traffic(io.tinyp2p.stream.Traffic traffic);

  /** Sets the connection the stream reports in {@link #connection()}, before it is handed out. */
  void connection(ConnectionInfo connection);

  /**
   * Puts bytes back in front of what the stream delivers: those that arrived with the end of
   * the protocol negotiation belong to the negotiated protocol's handler.
   */
  void unread(Buffer data);

  /**
   * Runs once when the stream is gone (closed or reset), after the application's handlers: for
   * the bookkeeping of the layer that owns it (keep-alive, inbound caps), independent of the
   * handlers the application sets.
   */
  void onTerminated(Runnable action);
}
