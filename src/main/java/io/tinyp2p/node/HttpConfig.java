package io.tinyp2p.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The HTTP API's settings ({@code http} in conf.json, or {@link StatusVerticle}'s own config
 * when it is deployed alone). Every value is checked; a bad one is a {@link ConfigException}
 * naming the key.
 *
 * @param allowedOrigins origins besides the API's own that may use it from a browser
 *     ({@code scheme://host[:port]}); state-changing requests from any other are refused
 * @param allowedHosts host names besides loopback names and IP literals that requests may
 *     name in {@code Host} (the names the API is reached by; DNS rebinding uses others)
 * @param authToken the bearer token every route but the page's files asks for, or null
 * @param headerTimeout how long a connection may take to send a request's headers
 * @param idleTimeout how long a connection may stay without traffic
 * @param maxEventClients {@code /events} streams open at once; more are refused (503)
 * @param eventClientQueue bytes an {@code /events} client may fall behind before it is
 *     disconnected
 */
public record HttpConfig(boolean enabled, String host, int port, List<String> allowedOrigins,
    List<String> allowedHosts, String authToken, Duration headerTimeout, Duration idleTimeout,
    int maxEventClients, int eventClientQueue) {

  static final Set<String> KEYS = Set.of("enabled", "host", "port", "allowedOrigins", "allowedHosts",
      "authToken", "authTokenFile", "headerTimeout", "idleTimeout", "maxEventClients", "eventClientQueue");
  /** A token shorter than this is refused: it could be guessed. */
  static final int MIN_TOKEN_LENGTH = 16;

  public static HttpConfig defaults() {
    return new HttpConfig(true, "127.0.0.1", 8000, List.of(), List.of(), null, Duration.ofSeconds(10),
        Duration.ofSeconds(60), 64, 256 * 1024);
  }

  public static HttpConfig off() {
    HttpConfig d = defaults();
    return new HttpConfig(false, d.host, d.port, d.allowedOrigins, d.allowedHosts, null, d.headerTimeout,
        d.idleTimeout, d.maxEventClients, d.eventClientQueue);
  }

  /**
   * Parses {@code json}; keys are named {@code prefix + key} in errors. Keys other than
   * {@link #KEYS} are refused unless {@code extraKeys} allows them.
   */
  static HttpConfig from(JsonObject json, String prefix, Set<String> extraKeys) {
    for (String key : json.fieldNames()) {
      if (!KEYS.contains(key) && !extraKeys.contains(key)) {
        throw new ConfigException("unknown configuration key '" + prefix + key + "' (allowed: "
            + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
      }
    }
    HttpConfig d = defaults();
    Object enabled = json.getValue("enabled", true);
    if (!(enabled instanceof Boolean e)) {
      throw new ConfigException(prefix + "enabled must be true or false, got " + ConfigValues.describe(enabled));
    }
    Object host = json.getValue("host", d.host);
    if (!(host instanceof String hs) || hs.isBlank()) {
      throw new ConfigException(prefix + "host must be a host name or IP address, got " + ConfigValues.describe(host));
    }
    int port = ConfigValues.integer(json, "port", d.port, 0, 65535, prefix);
    List<String> origins = new ArrayList<>();
    for (String o : ConfigValues.strings(json, "allowedOrigins", prefix)) {
      origins.add(origin(o, prefix + "allowedOrigins"));
    }
    List<String> hosts = new ArrayList<>();
    for (String h : ConfigValues.strings(json, "allowedHosts", prefix)) {
      if (!h.matches("[A-Za-z0-9.-]{1,253}") || h.startsWith(".") || h.startsWith("-")) {
        throw new ConfigException(prefix + "allowedHosts: '" + h + "' is not a host name (no port, no scheme)");
      }
      hosts.add(h.toLowerCase(Locale.ROOT));
    }
    String token = token(json, prefix);
    return new HttpConfig(e, hs, port, List.copyOf(origins), List.copyOf(hosts), token,
        ConfigValues.seconds(json, "headerTimeout", 10, 1, 300, prefix),
        ConfigValues.seconds(json, "idleTimeout", 60, 1, 86_400, prefix),
        ConfigValues.integer(json, "maxEventClients", d.maxEventClients, 0, 100_000, prefix),
        ConfigValues.integer(json, "eventClientQueue", d.eventClientQueue, 16 * 1024, 64 << 20, prefix));
  }

  /** An allowed origin, normalised: lower-case scheme and host, the port only when given. */
  private static String origin(String value, String key) {
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
          || (uri.getRawPath() != null && !uri.getRawPath().isEmpty()) || uri.getRawQuery() != null
          || uri.getRawUserInfo() != null) {
        throw new ConfigException(key + ": '" + value + "' is not an origin like http://localhost:3000");
      }
      return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
    } catch (URISyntaxException e) {
      throw new ConfigException(key + ": '" + value + "' is not an origin like http://localhost:3000");
    }
  }

  private static String token(JsonObject json, String prefix) {
    Object inline = json.getValue("authToken");
    Object file = json.getValue("authTokenFile");
    if (inline != null && file != null) {
      throw new ConfigException(prefix + "authToken and " + prefix + "authTokenFile exclude each other: give one");
    }
    String token;
    String where;
    if (inline != null) {
      if (!(inline instanceof String s)) {
        throw new ConfigException(prefix + "authToken must be a string, got " + ConfigValues.describe(inline));
      }
      token = s;
      where = prefix + "authToken";
    } else if (file != null) {
      if (!(file instanceof String path)) {
        throw new ConfigException(prefix + "authTokenFile must be a path, got " + ConfigValues.describe(file));
      }
      try {
        token = Files.readString(Path.of(path), StandardCharsets.UTF_8).strip();
      } catch (IOException | RuntimeException e) {
        throw new ConfigException(prefix + "authTokenFile: cannot read " + Path.of(path).toAbsolutePath() + ": " + e);
      }
      where = prefix + "authTokenFile (" + path + ")";
    } else {
      return null;
    }
    if (token.length() < MIN_TOKEN_LENGTH || !token.matches("[\\x21-\\x7e]+")) {
      throw new ConfigException(where + " must be at least " + MIN_TOKEN_LENGTH
          + " printable characters without spaces (e.g. from `openssl rand -hex 32`)");
    }
    return token;
  }

  /** As {@link StatusVerticle}'s deployment config (the token included). */
  JsonObject toJson() {
    JsonObject json = new JsonObject().put("enabled", enabled).put("host", host).put("port", port)
        .put("allowedOrigins", new JsonArray(allowedOrigins)).put("allowedHosts", new JsonArray(allowedHosts))
        .put("headerTimeout", headerTimeout.toMillis() / 1000.0).put("idleTimeout", idleTimeout.toMillis() / 1000.0)
        .put("maxEventClients", maxEventClients).put("eventClientQueue", eventClientQueue);
    if (authToken != null) {
      json.put("authToken", authToken);
    }
    return json;
  }

  @Override
  public String toString() { // never the token
    return "HttpConfig[" + host + ":" + port + (enabled ? "" : ", off") + ", origins " + allowedOrigins
        + ", hosts " + allowedHosts + (authToken != null ? ", token set" : "") + "]";
  }
}
