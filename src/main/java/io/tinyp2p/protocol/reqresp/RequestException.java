package io.tinyp2p.protocol.reqresp;

/** A request that ended without a response; {@link #failure()} says which way. */
public final class RequestException extends Exception {

  /**
   * How a request can fail, as the protocol sees it. The node maps each to the event bus's
   * failure code of the same name; /status counts them by these names.
   */
  public enum Failure {
    /** No address is known for the peer and a lookup did not find it. */
    PEER_NOT_FOUND,
    /** The request exceeds {@code maxRequestSize}; nothing was sent. */
    REQUEST_TOO_LARGE,
    /** The peer answered with the error response, refused the stream or broke the exchange. */
    REMOTE_ERROR,
    /** Something in this node failed; the message says what. */
    INTERNAL_ERROR,
    /** Every address of the peer failed to connect or to handshake. */
    DIAL_FAILED,
    /** No response within {@code requestTimeout}. */
    TIMEOUT,
    /** The response exceeds {@code maxResponseSize}. */
    RESPONSE_TOO_LARGE
  }

  private final Failure failure;

  public RequestException(Failure failure, String message) {
    super(message, null, false, false);
    this.failure = failure;
  }

  public Failure failure() {
    return failure;
  }
}
