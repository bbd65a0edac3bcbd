package io.tinyp2p.multiaddr;

import io.tinyp2p.util.Varint;
import java.util.Map;

/**
 * The multiaddr protocols tinyp2p supports, with their multicodec codes and value sizes, and
 * the names of some it does not (for error messages only).
 */
enum Protocol {
  IP4("ip4", 0x04, 4),
  TCP("tcp", 0x06, 2),
  IP6("ip6", 0x29, 16),
  DNS("dns", 0x35, -1),
  DNS4("dns4", 0x36, -1),
  DNS6("dns6", 0x37, -1),
  UDP("udp", 0x0111, 2),
  QUIC_V1("quic-v1", 0x01cd, 0),
  P2P("p2p", 0x01a5, -1),
  P2P_CIRCUIT("p2p-circuit", 0x0122, 0);

  /**
   * Names of some protocols in the multiaddr table that tinyp2p does not support: used only
   * so that error messages about binary multiaddrs can say which protocol they met.
   */
  private static final Map<Integer, String> UNSUPPORTED_NAMES =
      Map.ofEntries(
          Map.entry(0x0021, "dccp"),
          Map.entry(0x002a, "ip6zone"),
          Map.entry(0x002b, "ipcidr"),
          Map.entry(0x0038, "dnsaddr"),
          Map.entry(0x0084, "sctp"),
          Map.entry(0x0190, "unix"),
          Map.entry(0x01bc, "onion"),
          Map.entry(0x01bd, "onion3"),
          Map.entry(0x01c0, "tls"),
          Map.entry(0x01c1, "sni"),
          Map.entry(0x01c6, "noise"),
          Map.entry(0x01cc, "quic"),
          Map.entry(0x01d1, "webtransport"),
          Map.entry(0x01d2, "certhash"),
          Map.entry(0x01dd, "ws"),
          Map.entry(0x01de, "wss"),
          Map.entry(0x01e0, "http"),
          Map.entry(0x0118, "webrtc-direct"),
          Map.entry(0x0119, "webrtc"),
          Map.entry(0x0309, "memory"));

  /** The protocol's name in the text form. */
  final String name;

  /** Its multicodec code. */
  final int code;

  /** The size of its value in bytes, or -1 if the value is length-prefixed. */
  final int size;

  /** {@link #code} as an unsigned varint, as it opens the component in the binary form. */
  final byte[] codeBytes;

  Protocol(String name, int code, int size) {
    this.name = name;
    this.code = code;
    this.size = size;
    this.codeBytes = Varint.encode(code);
  }

  /** Whether the value is a host: an IP address or a DNS name. */
  boolean isHost() {
    return this == IP4 || this == IP6 || this == DNS || this == DNS4 || this == DNS6;
  }

  /** The protocol of a text-form name ({@code ipfs} is {@link #P2P}), or {@code null}. */
  static Protocol byName(String name) {
    for (Protocol p : values()) {
      if (p.name.equals(name)) {
        return p;
      }
    }
    return "ipfs".equals(name) ? P2P : null;
  }

  /** The protocol of a multicodec code, or {@code null}. */
  static Protocol byCode(long code) {
    for (Protocol p : values()) {
      if (p.code == code) {
        return p;
      }
    }
    return null;
  }

  /** The error message for a code that {@link #byCode} does not know, naming it if it can. */
  static String unsupportedCode(long code) {
    String name = code <= Integer.MAX_VALUE ? UNSUPPORTED_NAMES.get((int) code) : null;
    return name != null
        ? "unsupported multiaddr protocol '" + name + "' (code " + code + ")"
        : "unsupported multiaddr protocol code " + code + " (0x" + Long.toHexString(code) + ")";
  }
}
