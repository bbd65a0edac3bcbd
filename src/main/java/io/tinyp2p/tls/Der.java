package io.tinyp2p.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;

/**
 * The little ASN.1 DER that a libp2p certificate needs: writing the parts of a self-signed
 * certificate, and reading tag-length-value items (definite lengths only, bounded by the input).
 */
final class Der {
  static final int INTEGER = 0x02;
  static final int BIT_STRING = 0x03;
  static final int OCTET_STRING = 0x04;
  static final int OID = 0x06;
  static final int UTF8_STRING = 0x0C;
  static final int SEQUENCE = 0x30;
  static final int SET = 0x31;

  private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter GENERALIZED_TIME =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

  private Der() {}

  // ---- writing ----

  /** One item: {@code tag}, the DER length, then the contents in order. */
  static byte[] tlv(int tag, byte[]... contents) {
    int length = 0;
    for (byte[] c : contents) {
      length += c.length;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
    out.write(tag);
    if (length < 0x80) {
      out.write(length);
    } else {
      int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write(length >>> (8 * i));
      }
    }
    for (byte[] c : contents) {
      out.writeBytes(c);
    }
    return out.toByteArray();
  }

  static byte[] sequence(byte[]... items) {
    return tlv(SEQUENCE, items);
  }

  static byte[] integer(BigInteger value) {
    return tlv(INTEGER, value.toByteArray());
  }

  static byte[] octets(byte[] value) {
    return tlv(OCTET_STRING, value);
  }

  /** A BIT STRING of whole bytes (no unused bits). */
  static byte[] bits(byte[] value) {
    return tlv(BIT_STRING, new byte[] {0}, value);
  }

  static byte[] utf8(String text) {
    return tlv(UTF8_STRING, text.getBytes(StandardCharsets.UTF_8));
  }

  /** An OBJECT IDENTIFIER from its dotted form. */
  static byte[] oid(String dotted) {
    String[] arcs = dotted.split("\\.");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Integer.parseInt(arcs[0]) * 40 + Integer.parseInt(arcs[1]));
    for (int i = 2; i < arcs.length; i++) {
      long arc = Long.parseLong(arcs[i]);
      int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(arc) + 6) / 7);
      for (int g = groups - 1; g >= 0; g--) {
        out.write((int) ((arc >>> (7 * g)) & 0x7F) | (g > 0 ? 0x80 : 0));
      }
    }
    return tlv(OID, out.toByteArray());
  }

  /** UTCTime for the years 1950 to 2049, GeneralizedTime otherwise (RFC 5280, 4.1.2.5); whole seconds. */
  static byte[] time(Instant t) {
    int year = t.atZone(ZoneOffset.UTC).getYear();
    return year >= 1950 && year < 2050
        ? tlv(0x17, UTC_TIME.format(t).getBytes(StandardCharsets.US_ASCII))
        : tlv(0x18, GENERALIZED_TIME.format(t).getBytes(StandardCharsets.US_ASCII));
  }

  // ---- reading ----

  /** Reads the items of one DER encoding in turn. */
  static final class Reader {
    private final byte[] data;
    private int pos;
    private final int end;
    private int lastStart;

    Reader(byte[] data) {
      this(data, 0, data.length);
    }

    private Reader(byte[] data, int from, int end) {
      this.data = data;
      this.pos = from;
      this.end = end;
    }

    boolean hasMore() {
      return pos < end;
    }

    /** The tag of the next item, or -1 at the end. */
    int peekTag() {
      return pos < end ? data[pos] & 0xFF : -1;
    }

    /** The contents of the next item, which must have tag {@code tag}. */
    byte[] read(int tag, String what) throws CertificateException {
      int[] item = next(tag, what);
      return Arrays.copyOfRange(data, item[0], item[1]);
    }

    /** The whole encoding (tag and length included) of the next item, which must have tag {@code tag}. */
    byte[] readEncoded(int tag, String what) throws CertificateException {
      next(tag, what);
      return Arrays.copyOfRange(data, lastStart, pos);
    }

    /** A reader over the contents of the next item, which must have tag {@code tag}. */
    Reader enter(int tag, String what) throws CertificateException {
      int[] item = next(tag, what);
      return new Reader(data, item[0], item[1]);
    }

    /** Skips the next item, whatever it is. */
    void skip(String what) throws CertificateException {
      next(-1, what);
    }

    /** Fails unless every byte was read. */
    void end(String what) throws CertificateException {
      if (pos != end) {
        throw new CertificateException(what + ": " + (end - pos) + " bytes after its last item");
      }
    }

    private int[] next(int tag, String what) throws CertificateException {
      if (end - pos < 2) {
        throw new CertificateException(what + ": truncated");
      }
      lastStart = pos;
      int t = data[pos] & 0xFF;
      if (tag >= 0 && t != tag) {
        throw new CertificateException(what + ": expected tag 0x" + Integer.toHexString(tag) + ", got 0x"
            + Integer.toHexString(t));
      }
      int first = data[pos + 1] & 0xFF;
      int at = pos + 2;
      long length;
      if (first < 0x80) {
        length = first;
      } else {
        int bytes = first & 0x7F;
        if (bytes == 0 || bytes > 4 || end - at < bytes) {
          throw new CertificateException(what + ": bad length");
        }
        length = 0;
        for (int i = 0; i < bytes; i++) {
          length = (length << 8) | (data[at++] & 0xFF);
        }
      }
      if (length > end - at) {
        throw new CertificateException(what + ": length " + length + " exceeds the " + (end - at) + " bytes left");
      }
      pos = at + (int) length;
      return new int[] {at, pos};
    }
  }
}
