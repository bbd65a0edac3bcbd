package io.tinyp2p.multistream;

/** Negotiation failed: the peer spoke something other than multistream-select 1.0, or refused us. */
public class MultistreamException extends Exception {
  public MultistreamException(String message) {
    super(message, null, false, false);
  }
}
