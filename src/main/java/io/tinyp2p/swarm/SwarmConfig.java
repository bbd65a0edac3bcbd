package io.tinyp2p.swarm;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.transport.quic.QuicTransport;
import io.tinyp2p.transport.tcp.TcpTransport;
import io.tinyp2p.yamux.YamuxConfig;
import java.time.Duration;

/**
 * Swarm settings; the handshake, dial, Yamux, stall and input-turn settings are those of the
 * default TCP transport ({@link #tcp}).
 *
 * @param handshakeTimeout from TCP connect to a usable Yamux session
 * @param negotiationTimeout multistream-select on a new stream
 * @param dialTimeout TCP connect
 * @param yamux stream limits and windows
 * @param agentVersion what Identify tells peers we run
 * @param writeStallTimeout how long our output to a peer may stay undrained (socket full, or a
 *     stream's send window closed with data waiting) before the connection is closed or the
 *     stream reset
 * @param inputTurn input work (decryption, Yamux, stream handlers) one connection may do in
 *     one turn of the event loop before the other sockets are read; its rest waits for the
 *     next turn (1 s by default, which only a pathological burst reaches: shorter turns are
 *     tested, but not yet the default)
 * @param security the TCP security protocols, "noise" and "tls", in the order a dialer proposes
 *     them (a listener accepts each); both by default, Noise first
 * @param transports the transports by name ({@value TcpTransport#NAME}, {@value QuicTransport#NAME}),
 *     in the order a peer's addresses are dialed: a peer with addresses of both is dialed on the
 *     first transport's address first and on the other when that fails; TCP alone by default
 */
public record SwarmConfig(Duration handshakeTimeout, Duration negotiationTimeout,
    Duration dialTimeout, YamuxConfig yamux, String agentVersion, Duration writeStallTimeout,
    Duration inputTurn, java.util.List<String> security, java.util.List<String> transports) {
  /** The default {@link #security()}. */
  public static final java.util.List<String> DEFAULT_SECURITY = java.util.List.of("noise", "tls");
  /** The transports a swarm may have. */
  public static final java.util.Set<String> TRANSPORTS = java.util.Set.of(TcpTransport.NAME, QuicTransport.NAME);
  /** QUIC's idle timeout: a connection that hears nothing for this long is gone (ping keeps it alive). */
  public static final Duration QUIC_IDLE_TIMEOUT = Duration.ofSeconds(30);
  /** What a peer may send on one QUIC stream, and on all of a connection's, before we read it. */
  public static final int QUIC_STREAM_WINDOW = 1 << 20;
  public static final long QUIC_CONNECTION_WINDOW = 4L << 20;

  public SwarmConfig {
    transports = java.util.List.copyOf(transports);
    if (transports.isEmpty() || !TRANSPORTS.containsAll(transports) || new java.util.HashSet<>(transports).size() != transports.size()) {
      throw new IllegalArgumentException("transports must name some of " + TRANSPORTS + " once each, got " + transports);
    }
  }

  public static SwarmConfig defaults() {
    return new SwarmConfig(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10),
        YamuxConfig.defaults(), "tinyp2p-jvm/" + Version.VERSION, Duration.ofSeconds(20),
        Duration.ofSeconds(1), DEFAULT_SECURITY, java.util.List.of(TcpTransport.NAME));
  }

  public SwarmConfig withYamux(YamuxConfig yamux) {
    return new SwarmConfig(handshakeTimeout, negotiationTimeout, dialTimeout, yamux, agentVersion, writeStallTimeout, inputTurn, security, transports);
  }

  public SwarmConfig withHandshakeTimeout(Duration timeout) {
    return new SwarmConfig(timeout, negotiationTimeout, dialTimeout, yamux, agentVersion, writeStallTimeout, inputTurn, security, transports);
  }

  public SwarmConfig withWriteStallTimeout(Duration timeout) {
    return new SwarmConfig(handshakeTimeout, negotiationTimeout, dialTimeout, yamux, agentVersion, timeout, inputTurn, security, transports);
  }

  public SwarmConfig withInputTurn(Duration turn) {
    return new SwarmConfig(handshakeTimeout, negotiationTimeout, dialTimeout, yamux, agentVersion, writeStallTimeout, turn, security, transports);
  }

  public SwarmConfig withSecurity(java.util.List<String> protocols) {
    return new SwarmConfig(handshakeTimeout, negotiationTimeout, dialTimeout, yamux, agentVersion, writeStallTimeout,
        inputTurn, protocols, transports);
  }

  public SwarmConfig withTransports(java.util.List<String> names) {
    return new SwarmConfig(handshakeTimeout, negotiationTimeout, dialTimeout, yamux, agentVersion, writeStallTimeout,
        inputTurn, security, names);
  }

  /** What the TCP transport takes from these settings, with our identity. */
  public TcpTransport.Settings tcp(KeyPair identity) {
    return new TcpTransport.Settings(identity, handshakeTimeout, dialTimeout, yamux, inputTurn, writeStallTimeout,
        security);
  }

  /** What the QUIC transport takes from these settings, with our identity. */
  public QuicTransport.Settings quic(KeyPair identity) {
    return new QuicTransport.Settings(identity, handshakeTimeout, QUIC_IDLE_TIMEOUT, yamux.maxStreams(),
        Math.max(QUIC_STREAM_WINDOW, yamux.receiveWindow()), Math.max(QUIC_CONNECTION_WINDOW, 4L * yamux.receiveWindow()),
        yamux.writeQueueMax(), yamux.maxQueuedBytes(), writeStallTimeout);
  }
}
