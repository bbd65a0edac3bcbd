package io.tinyp2p.stream;

/** Who opened a connection. */
public enum Direction {
  INBOUND, OUTBOUND;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
