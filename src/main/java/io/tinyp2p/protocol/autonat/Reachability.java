package io.tinyp2p.protocol.autonat;

import java.util.Locale;

/** Whether other peers can dial us, as AutoNAT found out. */
public enum Reachability {
  /** Not enough answers yet (or none lately). */
  UNKNOWN,
  /** Enough AutoNAT servers dialed one of our addresses back. */
  PUBLIC,
  /** Enough AutoNAT servers failed to dial our addresses back: a NAT or firewall is in the way. */
  PRIVATE;

  /** The form {@code /status} and the bus use: "unknown", "public", "private". */
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }
}
