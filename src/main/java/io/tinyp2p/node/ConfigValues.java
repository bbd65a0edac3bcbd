package io.tinyp2p.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Typed reads of config values; a wrong one is a {@link ConfigException} naming key, range and what was given. */
final class ConfigValues {
  private ConfigValues() {}

  /** What a config value is, for a message: {@code the string "30"}, {@code the boolean true}, {@code 30}. */
  static String describe(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String s) {
      return "the string \"" + (s.length() > 64 ? s.substring(0, 64) + "…" : s) + "\"";
    }
    if (v instanceof Boolean b) {
      return "the boolean " + b;
    }
    if (v instanceof JsonObject) {
      return "an object";
    }
    if (v instanceof JsonArray) {
      return "a list";
    }
    return String.valueOf(v);
  }

  static Duration seconds(JsonObject json, String key, int dflt, int min, int max, String prefix) {
    Object v = json.getValue(key, dflt);
    if (!(v instanceof Number n) || n.doubleValue() < min || n.doubleValue() > max) {
      throw new ConfigException(prefix + key + " must be a number of seconds from " + min + " to " + max
          + ", got " + describe(v));
    }
    return Duration.ofMillis(Math.round(n.doubleValue() * 1000));
  }

  static int integer(JsonObject json, String key, int dflt, int min, int max, String prefix) {
    Object v = json.getValue(key, dflt);
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.longValue() < min || n.longValue() > max) {
      throw new ConfigException(prefix + key + " must be an integer from " + min + " to " + max + ", got " + describe(v));
    }
    return n.intValue();
  }

  /** A list of strings (absent: empty). */
  static List<String> strings(JsonObject json, String key, String prefix) {
    Object v = json.getValue(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray a)) {
      throw new ConfigException(prefix + key + " must be a list of strings, got " + describe(v));
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      if (!(a.getValue(i) instanceof String s)) {
        throw new ConfigException(prefix + key + "[" + i + "] must be a string, got " + describe(a.getValue(i)));
      }
      out.add(s);
    }
    return out;
  }
}
