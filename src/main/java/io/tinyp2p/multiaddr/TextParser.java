package io.tinyp2p.multiaddr;

import java.util.ArrayList;
import java.util.List;

/** Reads the text form of a multiaddr, {@code /protocol/value/protocol/value...}. */
final class TextParser {
  private TextParser() {}

  /**
   * The components of {@code text}, never none. A single trailing slash is tolerated.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  static Part[] parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("multiaddr is empty");
    }
    if (text.length() > Multiaddr.MAX_LENGTH) {
      throw new IllegalArgumentException(
          "multiaddr longer than " + Multiaddr.MAX_LENGTH + " characters (" + text.length()
              + ")");
    }
    if (text.charAt(0) != '/') {
      throw new IllegalArgumentException("multiaddr must start with '/': " + quote(text));
    }
    String body = text.substring(1);
    if (body.endsWith("/")) {
      body = body.substring(0, body.length() - 1);
    }
    if (body.isEmpty()) {
      throw new IllegalArgumentException("multiaddr has no components: " + quote(text));
    }
    String[] tokens = body.split("/", -1);
    List<Part> parts = new ArrayList<>();
    for (int i = 0; i < tokens.length; i += 2) {
      String name = tokens[i];
      Protocol proto = Protocol.byName(name);
      if (proto != null && proto.size == 0) {
        parts.add(Part.flag(proto)); // a protocol without a value (quic-v1)
        i--;
        continue;
      }
      if (name.isEmpty()) {
        throw new IllegalArgumentException("empty protocol name in multiaddr " + quote(text));
      }
      if (proto == null) {
        throw new IllegalArgumentException("unsupported multiaddr protocol " + quote(name));
      }
      if (i + 1 >= tokens.length) {
        throw new IllegalArgumentException(
            "missing value for /" + name + " in multiaddr " + quote(text));
      }
      parts.add(Part.fromText(proto, tokens[i + 1]));
    }
    return parts.toArray(new Part[0]);
  }

  /** {@code s} in single quotes, cut to 80 characters (then "...") for error messages. */
  static String quote(String s) {
    return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
  }
}
