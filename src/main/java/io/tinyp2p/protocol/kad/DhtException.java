package io.tinyp2p.protocol.kad;

/** Why a DHT operation ({@code putValue}, {@code getValue}, {@code provide}, {@code findProviders}) failed. */
public final class DhtException extends RuntimeException {
  /** The kinds of failure; the event bus maps each to a failure code. */
  public enum Reason {
    /** The record is not valid for its key (see {@link RecordValidator}), or the arguments are not. */
    INVALID,
    /** The value exceeds {@link StoreConfig#maxValueSize()}. */
    TOO_LARGE,
    /** Our store is full ({@link StoreConfig#maxRecords()}, {@link StoreConfig#maxProviderKeys()}). */
    STORE_FULL,
    /** No peer stored the record: none was known, or none of them acknowledged it. */
    NO_PEERS,
    /** No valid record for the key was found, here or on the network. */
    NOT_FOUND
  }

  private final Reason reason;

  public DhtException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
