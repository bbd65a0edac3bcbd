package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The {@code seen} cache of gossipsub-v1.0.md: message ids observed recently. An id is
 * remembered for {@code ttlMillis} from the first time it was added (re-adding does not
 * extend it) and at most {@code maxSize} ids are held, the oldest leaving first.
 * Single-threaded; the clock is injected.
 */
public final class SeenCache {
  private final long ttlMillis;
  private final int maxSize;
  private final LongSupplier clock;
  /** id → time first seen, in insertion (hence time) order. */
  private final LinkedHashMap<ByteString, Long> entries = new LinkedHashMap<>();

  public SeenCache(long ttlMillis, int maxSize, LongSupplier clock) {
    if (ttlMillis < 0 || maxSize < 1) {
      throw new IllegalArgumentException("need ttl >= 0 and maxSize >= 1");
    }
    this.ttlMillis = ttlMillis;
    this.maxSize = maxSize;
    this.clock = clock;
  }

  /** Records an id; false if it was already there (and not expired). */
  public boolean add(ByteString id) {
    long now = clock.getAsLong();
    expire(now);
    if (entries.containsKey(id)) {
      return false;
    }
    entries.put(id, now);
    if (entries.size() > maxSize) {
      Iterator<ByteString> it = entries.keySet().iterator();
      it.next();
      it.remove();
    }
    return true;
  }

  public boolean contains(ByteString id) {
    Long at = entries.get(id);
    return at != null && clock.getAsLong() - at < ttlMillis;
  }

  /** Forgets the ids older than the TTL. */
  public void expire() {
    expire(clock.getAsLong());
  }

  private void expire(long now) {
    Iterator<Map.Entry<ByteString, Long>> it = entries.entrySet().iterator();
    while (it.hasNext()) {
      if (now - it.next().getValue() < ttlMillis) {
        break;
      }
      it.remove();
    }
  }

  public int size() {
    return entries.size();
  }
}
