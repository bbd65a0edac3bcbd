package io.tinyp2p.yamux;

/** The peer broke the Yamux protocol; the session is unusable and closes. */
public class YamuxException extends Exception {
  public YamuxException(String message) {
    super(message, null, false, false);
  }
}
