package io.tinyp2p.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One scrape of {@code GET /metrics} parsed from the Prometheus text format: every series
 * ({@code name{label="value",...}}, labels sorted) and its value.
 */
record Scrape(int status, String contentType, String text, Map<String, Double> series) {
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  static Scrape of(int httpPort) {
    return of(httpPort, null);
  }

  static Scrape of(int httpPort, String token) {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
        .timeout(Duration.ofSeconds(20));
    if (token != null) {
      req.header("Authorization", "Bearer " + token);
    }
    try {
      HttpResponse<String> r = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());
      return new Scrape(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body(),
          r.statusCode() == 200 ? parse(r.body()) : Map.of());
    } catch (IOException e) {
      throw new AssertionError("GET /metrics on port " + httpPort + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Series of the text format: {@code name{labels} value}; comments and blank lines skipped. */
  static Map<String, Double> parse(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name;
      Map<String, String> labels = new TreeMap<>();
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        String inner = line.substring(brace + 1, line.lastIndexOf('}'));
        // label values here have no quotes or commas inside them
        for (String pair : inner.split(",")) {
          if (!pair.isBlank()) {
            int eq = pair.indexOf('=');
            labels.put(pair.substring(0, eq).trim(), pair.substring(eq + 2, pair.length() - 1));
          }
        }
      } else {
        name = line.substring(0, line.indexOf(' '));
      }
      out.put(key(name, labels), Double.parseDouble(line.substring(space + 1)));
    }
    return out;
  }

  private static String key(String name, Map<String, String> labels) {
    return labels.isEmpty() ? name : name + labels.entrySet().stream()
        .map(e -> e.getKey() + "=\"" + e.getValue() + "\"").collect(Collectors.joining(",", "{", "}"));
  }

  /** The value of one series, labels given as name, value, ...; null if absent. */
  Double value(String name, String... labels) {
    Map<String, String> l = new TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      l.put(labels[i], labels[i + 1]);
    }
    return series.get(key(name, l));
  }

  /** Like {@link #value}, failing with the scrape's lines of that name when absent. */
  double get(String name, String... labels) {
    Double v = value(name, labels);
    if (v == null) {
      throw new AssertionError("no series " + name + " " + String.join(",", labels) + " in:\n" + lines(name));
    }
    return v;
  }

  /** The scrape's series whose name starts with {@code prefix}, for failure messages. */
  String lines(String prefix) {
    return series.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
        .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("\n"));
  }

  /** Whether any series of {@code name} has {@code label} set to {@code value}. */
  boolean anyWith(String name, String label, String value) {
    String needle = label + "=\"" + value + "\"";
    return series.keySet().stream().anyMatch(k -> k.startsWith(name + "{") && k.contains(needle));
  }
}
