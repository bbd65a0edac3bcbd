package io.tinyp2p.node;

/** A configuration value is missing, unknown or out of range; the message names the key. */
public class ConfigException extends IllegalArgumentException {
  public ConfigException(String message) {
    super(message);
  }
}
