package io.tinyp2p.node;

import java.util.List;

/**
 * One number of the node at one moment, as {@link NodeMetrics} reads it: a counter (a total
 * that only grows) or a gauge (a level), with its name, help text, unit and labels.
 *
 * @param name dotted, lower case, without unit or {@code _total} ({@code tinyp2p.connections.opened})
 * @param unit the base unit ({@code bytes}), or null
 * @param tags label names and values, alternating; values come from bounded sets only
 */
public record MetricSample(String name, Kind kind, String help, String unit, List<String> tags, double value) {

  public enum Kind { COUNTER, GAUGE }

  /** Name and labels: what tells two samples' meters apart. */
  public String key() {
    return tags.isEmpty() ? name : name + tags;
  }
}
