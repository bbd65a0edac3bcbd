package io.tinyp2p.multiaddr;

/**
 * IPv4 and IPv6 literals in text: parsed here, never handed to a resolver, and printed in
 * canonical form (dotted quad; RFC 5952 section 4 for IPv6).
 */
final class IpLiterals {
  private IpLiterals() {}

  /** Whether {@code s} is nothing but ASCII digits (true when empty). */
  static boolean allDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** Dotted-quad IPv4: four decimal octets 0-255, no leading zeros; {@code null} if invalid. */
  static byte[] parseIp4(String s) {
    if (s.length() < 7 || s.length() > 15) {
      return null;
    }
    byte[] out = new byte[4];
    int start = 0;
    for (int octet = 0; octet < 4; octet++) {
      int end = octet < 3 ? s.indexOf('.', start) : s.length();
      if (end < 0) {
        return null;
      }
      String digits = s.substring(start, end);
      if (digits.isEmpty() || digits.length() > 3 || !allDigits(digits)
          || (digits.length() > 1 && digits.charAt(0) == '0')) {
        return null;
      }
      int v = Integer.parseInt(digits);
      if (v > 255) {
        return null;
      }
      out[octet] = (byte) v;
      start = end + 1;
    }
    return out;
  }

  /**
   * IPv6 text (RFC 4291 section 2.2: hex groups, at most one "::", an optional dotted IPv4
   * tail; no zone); {@code null} if invalid.
   */
  static byte[] parseIp6(String s) {
    int len = s.length();
    if (len < 2 || len > 45) {
      return null;
    }
    int[] groups = new int[8];
    int n = 0;
    int gap = -1; // index in groups where "::" stands
    int i = 0;
    if (s.startsWith("::")) {
      gap = 0;
      i = 2;
    } else if (s.charAt(0) == ':') {
      return null;
    }
    while (i < len) {
      int j = i;
      while (j < len && Character.digit(s.charAt(j), 16) >= 0 && s.charAt(j) < 128) {
        j++;
      }
      if (j < len && s.charAt(j) == '.') {
        if (n > 6) {
          return null;
        }
        byte[] v4 = parseIp4(s.substring(i));
        if (v4 == null) {
          return null;
        }
        groups[n++] = ((v4[0] & 0xFF) << 8) | (v4[1] & 0xFF);
        groups[n++] = ((v4[2] & 0xFF) << 8) | (v4[3] & 0xFF);
        i = len;
        break;
      }
      if (j == i || j - i > 4 || n == 8) {
        return null;
      }
      groups[n++] = Integer.parseInt(s, i, j, 16);
      i = j;
      if (i == len) {
        break;
      }
      if (s.charAt(i) != ':') {
        return null;
      }
      i++;
      if (i < len && s.charAt(i) == ':') {
        if (gap >= 0) {
          return null;
        }
        gap = n;
        i++;
      } else if (i == len) {
        return null; // a single trailing ':'
      }
    }
    int[] full = new int[8];
    if (gap < 0) {
      if (n != 8) {
        return null;
      }
      full = groups;
    } else {
      if (n > 7) {
        return null;
      }
      System.arraycopy(groups, 0, full, 0, gap);
      System.arraycopy(groups, gap, full, 8 - (n - gap), n - gap);
    }
    byte[] out = new byte[16];
    for (int g = 0; g < 8; g++) {
      out[2 * g] = (byte) (full[g] >> 8);
      out[2 * g + 1] = (byte) full[g];
    }
    return out;
  }

  /** The dotted quad of the four bytes of {@code raw} from {@code offset}. */
  static String formatIp4(byte[] raw, int offset) {
    return (raw[offset] & 0xFF) + "." + (raw[offset + 1] & 0xFF) + "." + (raw[offset + 2] & 0xFF)
        + "." + (raw[offset + 3] & 0xFF);
  }

  /**
   * RFC 5952 section 4: lower-case hex without leading zeros, the longest run (first on a tie)
   * of two or more zero groups shortened to "::".
   */
  static String formatIp6(byte[] raw) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((raw[2 * i] & 0xFF) << 8) | (raw[2 * i + 1] & 0xFF);
    }
    int bestStart = -1;
    int bestLen = 1; // runs of one zero group are not shortened
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  /** Whether 16 address bytes are an IPv4-mapped IPv6 address, ::ffff:0:0/96. */
  static boolean isIp4Mapped(byte[] raw) {
    for (int i = 0; i < 10; i++) {
      if (raw[i] != 0) {
        return false;
      }
    }
    return raw[10] == (byte) 0xFF && raw[11] == (byte) 0xFF;
  }
}
