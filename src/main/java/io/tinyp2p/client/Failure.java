package io.tinyp2p.client;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Failure codes of the event-bus API: the {@code failureCode()} of the
 * {@link ReplyException} a node answers with. They are public API and stay stable; the HTTP
 * server maps them to the same HTTP status. Numbers follow the closest HTTP status.
 */
public enum Failure {
  /** The {@code peer} header is not a valid PeerId. */
  MALFORMED_PEER_ID(400),
  /** No address is known for the peer and a lookup did not find it. */
  PEER_NOT_FOUND(404),
  /** Publishing (a broadcast, a DHT record) found no peer to send to, or none that took it. */
  NO_PEERS(409),
  /** No record for the DHT key, here or on the network (410: 404 is {@link #PEER_NOT_FOUND}'s). */
  RECORD_NOT_FOUND(410),
  /** The request payload exceeds {@code reqResp.maxRequestSize}. */
  REQUEST_TOO_LARGE(413),
  /** A required header is missing or a value is invalid (e.g. the topic, a DHT record). */
  BAD_REQUEST(422),
  /** The node's DHT record or provider store is full ({@code kad.maxRecords}, {@code kad.maxProviderKeys}). */
  STORE_FULL(429),
  /** The remote peer answered with an error response (closed the stream without bytes). */
  REMOTE_ERROR(424),
  /** A bug in the node; the message says what. */
  INTERNAL_ERROR(500),
  /** The operation exists in the API but this node does not provide it. */
  NOT_IMPLEMENTED(501),
  /** Every address of the peer failed to connect or to handshake. */
  DIAL_FAILED(502),
  /** No node answers on this prefix, or it is stopping. */
  NOT_RUNNING(503),
  /** No response within {@code reqResp.requestTimeout}. */
  TIMEOUT(504),
  /** The response exceeds {@code reqResp.maxResponseSize}. */
  RESPONSE_TOO_LARGE(507);

  private final int code;

  Failure(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The failure with this code, or null. */
  public static Failure of(int code) {
    for (Failure f : values()) {
      if (f.code == code) {
        return f;
      }
    }
    return null;
  }

  /** The failure a reply carries; bus-level failures (no handler, timeout) map to codes too. */
  public static Failure of(Throwable error) {
    if (error instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return NOT_RUNNING;
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return TIMEOUT;
      }
      Failure f = of(re.failureCode());
      return f != null ? f : INTERNAL_ERROR;
    }
    return INTERNAL_ERROR;
  }

  public ReplyException exception(String message) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, name() + ": " + message);
  }
}
