package io.tinyp2p.transport;

/**
 * The reason a transport ended a connection whose peer does not read what we send: the swarm
 * counts these closes by {@link #kind()} (in /status, {@code limits.closed}).
 */
public final class PeerNotReadingException extends TransportException {
  /** How the transport noticed. */
  public enum Kind {
    /** our output to the peer did not drain for the write-stall timeout */
    WRITE_STALLED,
    /** the peer left more than the per-connection queue limit unread */
    QUEUE_OVERFLOW
  }

  private final Kind kind;

  public PeerNotReadingException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
