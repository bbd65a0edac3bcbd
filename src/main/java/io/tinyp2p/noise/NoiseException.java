package io.tinyp2p.noise;

/**
 * A Noise handshake or transport message was rejected, or the session can go no further
 * (nonce exhausted). The session must be closed: its state is no longer usable.
 */
public class NoiseException extends Exception {
  public NoiseException(String message) {
    super(message);
  }

  public NoiseException(String message, Throwable cause) {
    super(message, cause);
  }
}
