package io.tinyp2p.multiaddr;

import static io.tinyp2p.multiaddr.TextParser.quote;

import io.tinyp2p.crypto.PeerId;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * One parsed component of a {@link Multiaddr}: its protocol, its value as it is in the binary
 * form ({@code raw}, without the length prefix) and as canonical text. The factories check the
 * value, from either form, and throw {@link IllegalArgumentException} saying what is wrong.
 */
record Part(Protocol proto, byte[] raw, String text) {

  /** A component from its text-form value, e.g. {@code ip4} and {@code "127.0.0.1"}. */
  static Part fromText(Protocol proto, String value) {
    switch (proto) {
      case IP4 -> {
        byte[] raw = IpLiterals.parseIp4(value);
        if (raw == null) {
          throw new IllegalArgumentException("invalid IPv4 address " + quote(value));
        }
        return ip4(raw);
      }
      case IP6 -> {
        byte[] raw = IpLiterals.parseIp6(value);
        if (raw == null) {
          throw new IllegalArgumentException("invalid IPv6 address " + quote(value));
        }
        return ip6(raw);
      }
      case TCP, UDP -> {
        return port(proto, parsePort(proto, value));
      }
      case QUIC_V1, P2P_CIRCUIT -> {
        return flag(proto);
      }
      case DNS, DNS4, DNS6 -> {
        checkDnsName(proto, value);
        return new Part(proto, value.getBytes(StandardCharsets.UTF_8), value);
      }
      case P2P -> {
        PeerId id;
        try {
          id = PeerId.parse(value);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("invalid PeerId in /p2p: " + e.getMessage(), e);
        }
        return p2p(id);
      }
    }
    throw new AssertionError(proto);
  }

  /**
   * A component from its binary-form value; {@code raw} is already of the size the protocol
   * takes (or declares) and is kept, not copied.
   */
  static Part fromBinary(Protocol proto, byte[] raw) {
    switch (proto) {
      case IP4 -> {
        return ip4(raw);
      }
      case IP6 -> {
        return ip6(raw);
      }
      case TCP, UDP -> {
        return new Part(proto, raw, Integer.toString(((raw[0] & 0xFF) << 8) | (raw[1] & 0xFF)));
      }
      case QUIC_V1, P2P_CIRCUIT -> {
        return flag(proto);
      }
      case DNS, DNS4, DNS6 -> {
        String name;
        try {
          name =
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT)
                  .decode(ByteBuffer.wrap(raw))
                  .toString();
        } catch (CharacterCodingException e) {
          throw new IllegalArgumentException("/" + proto.name + " name is not valid UTF-8");
        }
        checkDnsName(proto, name);
        return new Part(proto, raw, name);
      }
      case P2P -> {
        PeerId id;
        try {
          id = PeerId.fromBytes(raw);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("invalid PeerId in /p2p: " + e.getMessage(), e);
        }
        return new Part(proto, raw, id.toBase58());
      }
    }
    throw new AssertionError(proto);
  }

  /** {@code /ip4} of four address bytes. */
  static Part ip4(byte[] raw) {
    return new Part(Protocol.IP4, raw, IpLiterals.formatIp4(raw, 0));
  }

  /** {@code /ip6} of sixteen address bytes. */
  static Part ip6(byte[] raw) {
    return new Part(Protocol.IP6, raw, IpLiterals.formatIp6(raw));
  }

  /** {@code /tcp} or {@code /udp} of a port already known to be 0-65535. */
  static Part port(Protocol proto, int port) {
    return new Part(proto, new byte[] {(byte) (port >> 8), (byte) port}, Integer.toString(port));
  }

  /** A protocol that carries no value ({@code /quic-v1}). */
  static Part flag(Protocol proto) {
    return new Part(proto, new byte[0], "");
  }

  /** {@code /p2p} of a PeerId. */
  static Part p2p(PeerId id) {
    return new Part(Protocol.P2P, id.toBytes(), id.toBase58());
  }

  /** The port of a {@code /tcp} or {@code /udp} component. */
  int port() {
    return ((raw[0] & 0xFF) << 8) | (raw[1] & 0xFF);
  }

  private static int parsePort(Protocol proto, String value) {
    String what = proto == Protocol.TCP ? "TCP" : "UDP";
    if (value.isEmpty() || value.length() > 5 || !IpLiterals.allDigits(value)) {
      throw new IllegalArgumentException(
          "invalid " + what + " port " + quote(value) + " (must be a number 0-65535)");
    }
    int port = Integer.parseInt(value);
    if (port > 65535) {
      throw new IllegalArgumentException("invalid " + what + " port " + value + " (must be 0-65535)");
    }
    return port;
  }

  private static void checkDnsName(Protocol proto, String name) {
    if (name.isEmpty()) {
      throw new IllegalArgumentException("/" + proto.name + " name is empty");
    }
    int length = name.getBytes(StandardCharsets.UTF_8).length;
    if (length > Multiaddr.MAX_DNS_NAME_BYTES) {
      throw new IllegalArgumentException(
          "/" + proto.name + " name is " + length + " bytes, longer than "
              + Multiaddr.MAX_DNS_NAME_BYTES);
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/' || Character.isISOControl(c) || Character.isWhitespace(c)) {
        throw new IllegalArgumentException(
            "/" + proto.name + " name has a forbidden character (U+"
                + String.format("%04X", (int) c) + ") at position " + i);
      }
    }
  }
}
