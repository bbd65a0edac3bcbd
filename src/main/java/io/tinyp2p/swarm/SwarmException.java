package io.tinyp2p.swarm;

/** A connection or stream could not be made or failed; the message says why. */
public class SwarmException extends Exception {
  public SwarmException(String message) {
    super(message, null, false, false);
  }
}
