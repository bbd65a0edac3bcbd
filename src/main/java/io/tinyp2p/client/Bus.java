package io.tinyp2p.client;

/** Event-bus addresses and header names of a node; all addresses start with its prefix. */
public final class Bus {
  public static final String DEFAULT_PREFIX = "tinyp2p";

  /** Header: the PeerId of the remote peer (requests out and in, broadcasts' {@code from}). */
  public static final String PEER = "peer";
  /** Header: the topic of a broadcast. */
  public static final String TOPIC = "topic";
  /** Header of inbound broadcasts: the PeerId that published the message. */
  public static final String FROM = "from";
  /** Header of inbound broadcasts: the message id. */
  public static final String ID = "id";

  private Bus() {}

  public static String request(String prefix) {
    return prefix + ".request";
  }

  public static String broadcast(String prefix) {
    return prefix + ".broadcast";
  }

  public static String peers(String prefix) {
    return prefix + ".peers";
  }

  public static String status(String prefix) {
    return prefix + ".status";
  }

  /**
   * The last 15 minutes of the node, sampled every 5 s (JSON; {@code GET /history}):
   * connections, stream bytes, messages per joined topic and request latencies.
   */
  public static String history(String prefix) {
    return prefix + ".history";
  }

  /**
   * The node's metrics in the Prometheus text format (a String; {@code GET /metrics}), or
   * {@code NOT_IMPLEMENTED} when the node runs without Micrometer.
   */
  public static String metrics(String prefix) {
    return prefix + ".metrics";
  }

  public static String inboundRequest(String prefix) {
    return prefix + ".inbound.request";
  }

  /** Body: a multiaddr (String); the reply describes the connection. */
  public static String connect(String prefix) {
    return prefix + ".connect";
  }

  /** Header {@code peer}; the reply says how many connections were closed. */
  public static String disconnect(String prefix) {
    return prefix + ".disconnect";
  }

  public static String subscribe(String prefix) {
    return prefix + ".subscribe";
  }

  public static String unsubscribe(String prefix) {
    return prefix + ".unsubscribe";
  }

  /**
   * Published by the node: JSON events for dashboards ({@code GET /events}): {@code
   * {"type":"message","topic","from","id","data","encoding"}}, {@code {"type":"peer:connect",
   * "peerId"}}, {@code {"type":"peer:disconnect","peerId"}}.
   */
  public static String events(String prefix) {
    return prefix + ".events";
  }

  /**
   * Puts a DHT record. Body: JSON {@code {"key" | "keyBase64", "value" | "valueBase64"}} (a key
   * or value as UTF-8 text, or as base64 of its bytes); reply {@code {"key", "peers"}}: how many
   * of the closest peers stored it.
   */
  public static String dhtPut(String prefix) {
    return prefix + ".dht.put";
  }

  /**
   * Gets a DHT record. Body: JSON {@code {"key" | "keyBase64"}}; reply {@code {"key",
   * "valueBase64", "value"}} ({@code value}: the bytes as UTF-8 text, when they are that).
   */
  public static String dhtGet(String prefix) {
    return prefix + ".dht.get";
  }

  /** Announces that this node provides a key. Body: JSON {@code {"key" | "keyBase64"}}; reply {@code {"key", "peers"}}. */
  public static String dhtProvide(String prefix) {
    return prefix + ".dht.provide";
  }

  /**
   * Finds providers of a key. Body: JSON {@code {"key" | "keyBase64", "count"}} ({@code count}
   * 1-100, default 20); reply {@code {"key", "providers": [{"peerId", "addrs": [...]}]}}.
   */
  public static String dhtProviders(String prefix) {
    return prefix + ".dht.providers";
  }

  public static String topic(String prefix, String topic) {
    return prefix + ".topic." + topic;
  }
}
