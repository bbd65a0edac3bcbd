package io.tinyp2p.node;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Settings from the environment, as containers pass them: {@code TINYP2P_<KEY>} for a top-level
 * key and {@code TINYP2P_<SECTION>_<KEY>} for a key of a section, the key's camel case written in
 * upper snake case ({@code addr} is {@code TINYP2P_ADDR}, {@code http.port} is
 * {@code TINYP2P_HTTP_PORT}, {@code limits.maxConnectionsPerPeer} is
 * {@code TINYP2P_LIMITS_MAX_CONNECTIONS_PER_PEER}, {@code gossipsub.D_lo} is
 * {@code TINYP2P_GOSSIPSUB_D_LO}). They apply on top of conf.json: defaults, then the file, then
 * the environment.
 *
 * <p>A value is read as JSON when it is JSON (numbers, {@code true}, {@code false}, lists,
 * objects, quoted strings), else as a string; a key that takes a list also takes the items
 * separated by commas. A {@code TINYP2P_} variable that names no setting is an error, so a typo
 * does not go unnoticed; {@code TINYP2P_LOG_LEVEL} is the logging configuration's own.
 */
public final class Environment {
  /** The prefix of every variable read here. */
  public static final String PREFIX = "TINYP2P_";
  /** Read by the node's logback.xml, not a configuration key. */
  static final Set<String> NOT_SETTINGS = Set.of("TINYP2P_LOG_LEVEL");
  private static final Set<String> LIST_KEYS = Set.of("addr", "bootNode", "pubsubTopics", "http.allowedOrigins",
      "http.allowedHosts", "security", "kad.allowedNamespaces", "autonat.candidates", "relays");
  /** Variable name → key path ({@code section.key} or {@code key}). */
  private static final Map<String, String> VARIABLES = variables();

  private Environment() {}

  /**
   * {@code conf} with the settings of {@code env} applied (a copy; {@code conf} is unchanged).
   *
   * @throws ConfigException naming the variable when one names no setting
   */
  public static JsonObject apply(JsonObject conf, Map<String, String> env) {
    JsonObject result = conf == null ? new JsonObject() : conf.copy();
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(PREFIX) || NOT_SETTINGS.contains(name)) {
        continue;
      }
      String path = VARIABLES.get(name);
      if (path == null) {
        throw new ConfigException("environment variable " + name + " names no setting (settings: "
            + String.join(", ", new TreeMap<>(VARIABLES).keySet()) + ")");
      }
      Object value = value(path, e.getValue());
      int dot = path.indexOf('.');
      if (dot < 0) {
        result.put(path, value);
      } else {
        String section = path.substring(0, dot);
        JsonObject s = result.getValue(section) instanceof JsonObject o ? o : new JsonObject();
        result.put(section, s.put(path.substring(dot + 1), value));
      }
    }
    return result;
  }

  /** The {@code TINYP2P_} variables of {@code env} that {@link #apply} reads (also the ones it refuses). */
  public static java.util.SortedSet<String> variablesIn(Map<String, String> env) {
    java.util.SortedSet<String> found = new java.util.TreeSet<>();
    env.keySet().stream().filter(n -> n.startsWith(PREFIX) && !NOT_SETTINGS.contains(n)).forEach(found::add);
    return found;
  }

  /** The variable of a key: {@code maxConnectionsPerPeer} in {@code limits} is TINYP2P_LIMITS_MAX_CONNECTIONS_PER_PEER. */
  static String variable(String section, String key) {
    return PREFIX + (section.isEmpty() ? "" : snake(section) + "_") + snake(key);
  }

  private static Map<String, String> variables() {
    Map<String, String> names = new TreeMap<>();
    NodeConfig.sections().forEach((section, keys) -> keys.forEach(key ->
        names.put(variable(section, key), section.isEmpty() ? key : section + "." + key)));
    return Map.copyOf(names);
  }

  private static String snake(String camel) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c) && i > 0 && Character.isLowerCase(camel.charAt(i - 1))) {
        sb.append('_');
      }
      sb.append(Character.toUpperCase(c));
    }
    return sb.toString();
  }

  private static Object value(String path, String text) {
    String t = text.trim();
    Object json;
    try {
      json = Json.decodeValue(t);
    } catch (DecodeException e) {
      json = text;
    }
    if (LIST_KEYS.contains(path) && json instanceof String s) {
      JsonArray items = new JsonArray();
      for (String item : s.split(",")) {
        if (!item.isBlank()) {
          items.add(item.trim());
        }
      }
      return items;
    }
    return json;
  }
}
