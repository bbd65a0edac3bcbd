package io.tinyp2p.transport;

/** A connection could not be made, failed or was ended by its transport; the message says why. */
public class TransportException extends Exception {
  public TransportException(String message) {
    super(message, null, false, false);
  }
}
