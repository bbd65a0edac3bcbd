package io.tinyp2p.protocol.reqresp;

import io.tinyp2p.client.Failure;

/** A request that ended without a response; {@link #failure()} says which way. */
public final class RequestException extends Exception {
  private final Failure failure;

  public RequestException(Failure failure, String message) {
    super(message, null, false, false);
    this.failure = failure;
  }

  public Failure failure() {
    return failure;
  }
}
