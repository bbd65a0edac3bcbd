package io.tinyp2p.transport;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The source of connection ids ({@link io.tinyp2p.stream.ConnectionInfo#id()}), shared by all
 * transports so that an id is unique within the JVM's life whichever transport made it.
 */
public final class ConnectionIds {
  private static final AtomicLong NEXT = new AtomicLong();

  private ConnectionIds() {}

  /** A new id, never handed out before. */
  public static long next() {
    return NEXT.incrementAndGet();
  }
}
