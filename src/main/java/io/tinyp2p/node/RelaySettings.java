package io.tinyp2p.node;

import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.relay.RelayConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The relay settings of a node's configuration: the {@code relay} section (whether the node is a
 * Circuit Relay v2 relay, and its limits) and {@code relays} (the relays it reserves a slot on).
 */
final class RelaySettings {
  static final Set<String> KEYS = Set.of("server", "maxReservations", "maxReservationsPerIp", "maxCircuits",
      "maxCircuitsPerPeer", "reservationTtl", "circuitDuration", "circuitBytes");
  private static final String P = "relay.";

  private RelaySettings() {}

  /** The {@code relay} section; times in seconds, {@code circuitBytes} in bytes (0: no limit). */
  static RelayConfig relay(JsonObject r) {
    for (String key : r.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw new ConfigException("unknown configuration key '" + P + key + "' (allowed: "
            + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
      }
    }
    RelayConfig d = RelayConfig.defaults();
    Object server = r.getValue("server", false);
    if (!(server instanceof Boolean on)) {
      throw new ConfigException(P + "server must be true or false, got " + ConfigValues.describe(server));
    }
    return new RelayConfig(on,
        ConfigValues.integer(r, "maxReservations", d.maxReservations(), 1, 100_000, P),
        ConfigValues.integer(r, "maxReservationsPerIp", d.maxReservationsPerIp(), 1, 100_000, P),
        ConfigValues.integer(r, "maxCircuits", d.maxCircuits(), 1, 100_000, P),
        ConfigValues.integer(r, "maxCircuitsPerPeer", d.maxCircuitsPerPeer(), 1, 100_000, P),
        ConfigValues.seconds(r, "reservationTtl", (int) d.reservationTtl().toSeconds(), 1, 86_400, P),
        ConfigValues.seconds(r, "circuitDuration", (int) d.circuitDuration().toSeconds(), 0, 86_400, P),
        ConfigValues.integer(r, "circuitBytes", (int) d.circuitBytes(), 0, Integer.MAX_VALUE, P));
  }

  /** {@code relays}: a list of {@code <addr>/p2p/<relay id>} (a relay reached over TCP). */
  static List<Multiaddr> relays(JsonObject json) {
    Object v = json.getValue("relays");
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray a)) {
      throw new ConfigException("relays must be a list of relay multiaddrs like /ip4/1.2.3.4/tcp/4001/p2p/<relay id>, got "
          + ConfigValues.describe(v));
    }
    List<Multiaddr> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      Multiaddr m;
      try {
        m = a.getValue(i) instanceof String s ? Multiaddr.parse(s) : null;
      } catch (IllegalArgumentException e) {
        throw new ConfigException("relays[" + i + "] is not a valid multiaddr: " + e.getMessage());
      }
      if (m == null || m.peerId() == null || !m.isTcp()) {
        throw new ConfigException("relays[" + i + "] must be <host>/tcp/<port>/p2p/<relay id>, got "
            + ConfigValues.describe(a.getValue(i)));
      }
      out.add(m);
    }
    return List.copyOf(out);
  }
}
