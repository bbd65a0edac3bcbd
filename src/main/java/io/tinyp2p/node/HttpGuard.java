package io.tinyp2p.node;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Set;

/**
 * Who may use the HTTP API, decided from the request's headers alone (what Kubo's RPC API
 * checks):
 *
 * <ul>
 *   <li>{@code Host} must name the API by an IP literal, a loopback name ({@code localhost},
 *       {@code *.localhost}), the bound host or a configured name. A page that rebinds its own
 *       domain name to 127.0.0.1 (DNS rebinding) sends its own name, and is refused.
 *   <li>A state-changing request (anything but GET, HEAD and OPTIONS) from a browser must come
 *       from the API's own origin or a configured one: {@code Origin} when the browser sends it,
 *       {@code Sec-Fetch-Site} too. A cross-site form or a no-cors {@code fetch} carries a foreign
 *       {@code Origin} (or {@code null}) and is refused. A request with neither header does not
 *       come from a browser (curl, a program) and passes.
 *   <li>With a token configured, every API route asks for {@code Authorization: Bearer <token>},
 *       compared in constant time.
 * </ul>
 */
final class HttpGuard {
  private final HttpConfig config;
  private final Set<String> hosts;
  private final byte[] token;

  HttpGuard(HttpConfig config) {
    this.config = config;
    java.util.HashSet<String> names = new java.util.HashSet<>(config.allowedHosts());
    names.add(config.host().toLowerCase(Locale.ROOT));
    this.hosts = Set.copyOf(names);
    this.token = config.authToken() == null ? null : ("Bearer " + config.authToken()).getBytes(StandardCharsets.UTF_8);
  }

  /** Whether a request naming {@code hostHeader} may be served (null: no Host header, not a browser). */
  boolean hostAllowed(String hostHeader) {
    if (hostHeader == null) {
      return true;
    }
    String host = hostName(hostHeader);
    if (host == null) {
      return false;
    }
    return isIpLiteral(host) || host.equals("localhost") || host.endsWith(".localhost") || hosts.contains(host);
  }

  /** The host part of a Host header, lower-case, without the port (brackets kept off IPv6); null if malformed. */
  static String hostName(String hostHeader) {
    String h = hostHeader.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int close = h.indexOf(']');
      if (close < 0 || (close + 1 < h.length() && !validPort(h.substring(close + 1)))) {
        return null;
      }
      return h.substring(1, close);
    }
    int colon = h.indexOf(':');
    if (colon >= 0) {
      if (!validPort(h.substring(colon))) {
        return null;
      }
      h = h.substring(0, colon);
    }
    return h.isEmpty() ? null : h;
  }

  private static boolean validPort(String colonPort) {
    return colonPort.matches(":[0-9]{1,5}");
  }

  private static boolean isIpLiteral(String host) {
    if (host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
      for (String part : host.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          return false;
        }
      }
      return true;
    }
    return host.indexOf(':') >= 0 && host.matches("[0-9a-f:.]+(%[0-9a-z]+)?");
  }

  /**
   * Why a request with this method and these headers is refused as cross-site, or null when
   * it may go on. {@code hostHeader} makes the API's own origin.
   */
  String crossSite(String method, String origin, String secFetchSite, String hostHeader) {
    if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
      return null; // reading: a foreign page cannot read our answers without CORS headers
    }
    boolean allowed = origin != null && allowedOrigin(origin) != null;
    if (origin != null && !allowed && !sameOrigin(origin, hostHeader)) {
      return "Origin " + origin + " is not this API's origin nor an allowed one (http.allowedOrigins)";
    }
    if (secFetchSite != null && !allowed && !(secFetchSite.equals("same-origin") || secFetchSite.equals("none"))) {
      return "a " + secFetchSite + " request (Sec-Fetch-Site) from a browser page";
    }
    return null;
  }

  /** {@code origin} normalised if it is one of http.allowedOrigins, else null (for CORS answers). */
  String allowedOrigin(String origin) {
    String o = origin.trim().toLowerCase(Locale.ROOT);
    return config.allowedOrigins().contains(o) ? o : null;
  }

  private static boolean sameOrigin(String origin, String hostHeader) {
    return hostHeader != null && origin.trim().equalsIgnoreCase("http://" + hostHeader.trim());
  }

  /** Whether a token is asked for. */
  boolean tokenRequired() {
    return token != null;
  }

  /** Whether the Authorization header carries the token (always, when none is configured). */
  boolean authorized(String authorization) {
    if (token == null) {
      return true;
    }
    return authorization != null && MessageDigest.isEqual(token, authorization.trim().getBytes(StandardCharsets.UTF_8));
  }
}
