package io.tinyp2p.protocol.kad;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The Kademlia records this node holds: validated on the way in ({@link RecordValidator}), at
 * most {@link StoreConfig#maxRecords()} of them with values of at most
 * {@link StoreConfig#maxValueSize()} bytes, each dropped {@link StoreConfig#recordTtl()} after it
 * was received (a record put again starts a new lifetime). A full store refuses new keys (as
 * rust-libp2p's memory store does) after dropping what expired. Single-threaded: it lives on
 * the node's event loop; the clock is injectable for tests.
 */
public final class RecordStore {
  /** A record held: its key and value, when it was received and when it expires (epoch ms). */
  public record Stored(byte[] key, byte[] value, long receivedAt, long expiresAt) {
    /** When it was received, in RFC 3339 (UTC), as the {@code Record.timeReceived} field carries it. */
    public String timeReceived() {
      return Instant.ofEpochMilli(receivedAt).toString();
    }
  }

  private final StoreConfig config;
  private final RecordValidator validator;
  private final LongSupplier clock;
  private final Map<ByteBuffer, Stored> records = new LinkedHashMap<>();

  public RecordStore(StoreConfig config, LongSupplier clock) {
    this.config = config;
    this.validator = new RecordValidator(config.allowedNamespaces());
    this.clock = clock;
  }

  public RecordValidator validator() {
    return validator;
  }

  /** Whether a record is valid and fits the value limit: null when it is, else why not. */
  public String check(byte[] key, byte[] value) {
    if (value.length > config.maxValueSize()) {
      return "a value of " + value.length + " bytes exceeds the limit of " + config.maxValueSize();
    }
    return validator.check(key, value);
  }

  /** Validates and stores a record; null when stored, else why it was refused. */
  public String put(byte[] key, byte[] value) {
    String invalid = check(key, value);
    if (invalid != null) {
      return invalid;
    }
    ByteBuffer k = ByteBuffer.wrap(key.clone());
    if (!records.containsKey(k) && records.size() >= config.maxRecords()) {
      expire();
      if (records.size() >= config.maxRecords()) {
        return "the record store is full (" + config.maxRecords() + " records)";
      }
    }
    long now = clock.getAsLong();
    records.put(k, new Stored(k.array(), value.clone(), now, now + config.recordTtl().toMillis()));
    return null;
  }

  /** The record under {@code key}, or null (also when it expired: it is dropped then). */
  public Stored get(byte[] key) {
    ByteBuffer k = ByteBuffer.wrap(key);
    Stored s = records.get(k);
    if (s != null && s.expiresAt() <= clock.getAsLong()) {
      records.remove(k);
      return null;
    }
    return s;
  }

  /** Drops the expired records; returns how many. */
  public int expire() {
    long now = clock.getAsLong();
    int dropped = 0;
    for (Iterator<Stored> it = records.values().iterator(); it.hasNext(); ) {
      if (it.next().expiresAt() <= now) {
        it.remove();
        dropped++;
      }
    }
    return dropped;
  }

  public int size() {
    return records.size();
  }
}
