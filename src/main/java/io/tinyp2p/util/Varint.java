package io.tinyp2p.util;

import io.vertx.core.buffer.Buffer;

/**
 * Unsigned varints as multiformats defines them: LEB128, at most 9 bytes (63 bits), and
 * minimally encoded (a trailing 0x00 continuation byte is "overlong" and rejected).
 */
public final class Varint {
  /** The most bytes a varint may take. */
  public static final int MAX_BYTES = 9;

  /** {@link #decode} result when the buffer ends before the varint does. */
  public static final long NEED_MORE = -1;

  private Varint() {}

  public static int encodedLength(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("varint must not be negative: " + value);
    }
    int n = 1;
    while ((value >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  public static byte[] encode(long value) {
    byte[] out = new byte[encodedLength(value)];
    write(value, out, 0);
    return out;
  }

  /** Writes the varint at {@code offset}; returns the offset after it. */
  public static int write(long value, byte[] out, int offset) {
    if (value < 0) {
      throw new IllegalArgumentException("varint must not be negative: " + value);
    }
    while ((value & ~0x7FL) != 0) {
      out[offset++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[offset++] = (byte) value;
    return offset;
  }

  public static Buffer append(Buffer buffer, long value) {
    if (value < 0) {
      throw new IllegalArgumentException("varint must not be negative: " + value);
    }
    while ((value & ~0x7FL) != 0) {
      buffer.appendByte((byte) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    return buffer.appendByte((byte) value);
  }

  /**
   * Decodes a varint starting at {@code offset}.
   *
   * @return the value, or {@link #NEED_MORE} if {@code buf} ends first
   * @throws VarintException if overlong or longer than 9 bytes
   */
  public static long decode(Buffer buf, int offset) {
    return decode(i -> buf.getByte(i), offset, buf.length());
  }

  /** Same as {@link #decode(Buffer, int)} on a byte array. */
  public static long decode(byte[] buf, int offset, int limit) {
    return decode(i -> buf[i], offset, limit);
  }

  private static long decode(java.util.function.IntUnaryOperator byteAt, int offset, int limit) {
    long value = 0;
    for (int i = 0; i < MAX_BYTES; i++) {
      if (offset + i >= limit) {
        return NEED_MORE;
      }
      int b = byteAt.applyAsInt(offset + i) & 0xFF;
      value |= (long) (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          throw new VarintException("overlong varint (not minimally encoded)");
        }
        return value;
      }
    }
    throw new VarintException("varint longer than " + MAX_BYTES + " bytes");
  }

  /** Malformed varint: the stream carrying it cannot be trusted any further. */
  public static final class VarintException extends IllegalArgumentException {
    public VarintException(String message) {
      super(message);
    }
  }
}
