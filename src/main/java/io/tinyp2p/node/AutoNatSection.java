package io.tinyp2p.node;

import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.autonat.AutoNatConfig;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The {@code autonat} section of conf.json (see {@link AutoNatConfig}); errors name the key and what is allowed. */
final class AutoNatSection {
  private AutoNatSection() {}

  static final String PREFIX = "autonat.";
  static final Set<String> KEYS = Set.of("server", "client", "interval", "confidence", "maxServers", "requestTimeout",
      "dialTimeout", "perPeerLimit", "globalLimit", "limitWindow", "observedThreshold", "observedTtl", "maxObserved",
      "candidates");

  static AutoNatConfig from(JsonObject json) {
    for (String key : json.fieldNames()) {
      if (!KEYS.contains(key)) {
        throw new ConfigException("unknown configuration key '" + PREFIX + key + "' (allowed: "
            + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
      }
    }
    AutoNatConfig d = AutoNatConfig.defaults();
    int perPeer = ConfigValues.integer(json, "perPeerLimit", d.perPeerLimit(), 1, 10_000, PREFIX);
    int global = ConfigValues.integer(json, "globalLimit", Math.max(perPeer, d.globalLimit()), 1, 100_000, PREFIX);
    if (global < perPeer) {
      throw new ConfigException(PREFIX + "globalLimit (" + global + ") must be at least " + PREFIX + "perPeerLimit ("
          + perPeer + ")");
    }
    List<Multiaddr> candidates = new ArrayList<>();
    List<String> texts = ConfigValues.strings(json, "candidates", PREFIX);
    for (int i = 0; i < texts.size(); i++) {
      String key = PREFIX + "candidates[" + i + "]";
      Multiaddr m;
      try {
        m = Multiaddr.parse(texts.get(i));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key + " is not a valid multiaddr: " + e.getMessage());
      }
      boolean port = m.isTcp() ? m.tcpPort() > 0 : m.isQuic() && m.udpPort() > 0;
      if (!port || m.peerId() != null || m.isUnspecified() || !(texts.get(i).startsWith("/ip4/")
          || texts.get(i).startsWith("/ip6/"))) {
        throw new ConfigException(key + " must be /ip4|ip6/<ip>/tcp/<port> or /ip4|ip6/<ip>/udp/<port>/quic-v1"
            + " with a specified IP and a port other than 0, got " + m);
      }
      candidates.add(m);
    }
    return new AutoNatConfig(bool(json, "server", d.server()), bool(json, "client", d.client()),
        ConfigValues.seconds(json, "interval", (int) d.interval().toSeconds(), 1, 86_400, PREFIX),
        ConfigValues.integer(json, "confidence", d.confidence(), 1, 100, PREFIX),
        ConfigValues.integer(json, "maxServers", d.maxServers(), 1, 100, PREFIX),
        ConfigValues.seconds(json, "requestTimeout", (int) d.requestTimeout().toSeconds(), 1, 600, PREFIX),
        ConfigValues.seconds(json, "dialTimeout", (int) d.dialTimeout().toSeconds(), 1, 600, PREFIX),
        perPeer, global,
        ConfigValues.seconds(json, "limitWindow", (int) d.limitWindow().toSeconds(), 1, 86_400, PREFIX),
        ConfigValues.integer(json, "observedThreshold", d.observedThreshold(), 1, 100, PREFIX),
        ConfigValues.seconds(json, "observedTtl", (int) d.observedTtl().toSeconds(), 1, 86_400, PREFIX),
        ConfigValues.integer(json, "maxObserved", d.maxObserved(), 1, 10_000, PREFIX),
        candidates);
  }

  private static boolean bool(JsonObject json, String key, boolean dflt) {
    Object v = json.getValue(key, dflt);
    if (!(v instanceof Boolean b)) {
      throw new ConfigException(PREFIX + key + " must be true or false, got " + ConfigValues.describe(v));
    }
    return b;
  }
}
