package io.tinyp2p.util;

import java.io.ByteArrayOutputStream;

/** RFC 4648 base32, lower case and unpadded, as multibase 'b' uses it. */
public final class Base32 {
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

  private Base32() {}

  public static String encodeLower(byte[] data) {
    StringBuilder sb = new StringBuilder((data.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xFF);
      bits += 8;
      while (bits >= 5) {
        sb.append(ALPHABET.charAt((buffer >> (bits - 5)) & 31));
        bits -= 5;
      }
    }
    if (bits > 0) {
      sb.append(ALPHABET.charAt((buffer << (5 - bits)) & 31));
    }
    return sb.toString();
  }

  /**
   * Decodes lower-case unpadded base32, strictly: only the canonical text of some bytes is
   * accepted (no upper case, no impossible lengths, no stray bits in the last character).
   */
  public static byte[] decodeLower(String text) {
    int rest = text.length() % 8;
    if (rest == 1 || rest == 3 || rest == 6) {
      throw new IllegalArgumentException("invalid base32 length " + text.length());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() * 5 / 8);
    int buffer = 0;
    int bits = 0;
    for (int i = 0; i < text.length(); i++) {
      int v = ALPHABET.indexOf(text.charAt(i));
      if (v < 0) {
        throw new IllegalArgumentException(
            "invalid base32 character '" + text.charAt(i) + "' at position " + i);
      }
      buffer = (buffer << 5) | v;
      bits += 5;
      if (bits >= 8) {
        out.write((buffer >> (bits - 8)) & 0xFF);
        bits -= 8;
      }
    }
    if ((buffer & ((1 << bits) - 1)) != 0) {
      throw new IllegalArgumentException("invalid base32: non-zero padding bits at the end");
    }
    return out.toByteArray();
  }
}
