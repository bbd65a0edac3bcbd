package io.tinyp2p.util;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Payloads as logs and dashboards show them: never whole (a peer chooses their size), a
 * bounded preview and the size.
 */
public final class Preview {
  /** What a log line shows of a payload at most. */
  public static final int LOG_BYTES = 64;

  private Preview() {}

  /**
   * For a log line: at most {@link #LOG_BYTES} bytes of {@code data} as quoted text (control
   * characters escaped) if it is UTF-8, else as hex, and its size, e.g.
   * {@code "Hello, a new block!" (19 bytes)} or {@code "0badc0ffee…" (900000 bytes, hex)}.
   */
  public static String forLog(byte[] data) {
    int n = Math.min(data.length, LOG_BYTES);
    String text = utf8Prefix(data, n);
    String size = " (" + data.length + (data.length == 1 ? " byte" : " bytes");
    String more = n < data.length ? "…" : "";
    if (text != null) {
      return "\"" + escape(text) + more + "\"" + size + ")";
    }
    int bytes = Math.min(data.length, LOG_BYTES / 2); // hex takes two characters a byte
    StringBuilder hex = new StringBuilder(2 * bytes);
    for (int i = 0; i < bytes; i++) {
      hex.append(Character.forDigit((data[i] >> 4) & 0xF, 16)).append(Character.forDigit(data[i] & 0xF, 16));
    }
    return hex + (bytes < data.length ? "…" : "") + size + ", hex)";
  }

  /** A prefix of a payload: {@code data} in {@code encoding} ("utf8" or "base64"), and whether more followed. */
  public record Cut(String data, String encoding, boolean truncated) {}

  /**
   * For an event: the first {@code maxBytes} of {@code data}, as text if they are UTF-8 (a
   * character cut at the end is left out) or else as base64.
   */
  public static Cut cut(byte[] data, int maxBytes) {
    int n = Math.min(data.length, maxBytes);
    String text = utf8Prefix(data, n);
    if (text != null) {
      return new Cut(text, "utf8", n < data.length);
    }
    byte[] head = n == data.length ? data : java.util.Arrays.copyOf(data, n);
    return new Cut(Base64.getEncoder().encodeToString(head), "base64", n < data.length);
  }

  /**
   * The first {@code n} bytes as text when all of {@code data} up to there is valid UTF-8 (a
   * multi-byte character cut at {@code n} is dropped, not counted as invalid), else null.
   */
  private static String utf8Prefix(byte[] data, int n) {
    int end = n;
    if (n < data.length) {
      // back off over the continuation bytes of a character cut at n
      int back = 0;
      while (back < 3 && end - back > 0 && (data[end - back] & 0xC0) == 0x80) {
        back++;
      }
      end -= back;
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      CharBuffer chars = decoder.decode(ByteBuffer.wrap(data, 0, end));
      return chars.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20 || c == 0x7F) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
