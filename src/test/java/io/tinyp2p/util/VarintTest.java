package io.tinyp2p.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Vectors: multiformats/unsigned-varint README (1, 127, 128, 255, 300, 16384) plus 0 and 2^63-1. */
class VarintTest {
  private static final HexFormat HEX = HexFormat.of();

  @ParameterizedTest
  @CsvSource({
    "0, 00",
    "1, 01",
    "127, 7f",
    "128, 8001",
    "255, ff01",
    "300, ac02",
    "16384, 808001",
    "9223372036854775807, ffffffffffffffff7f"
  })
  void knownEncodings(long value, String hex) {
    byte[] expected = HEX.parseHex(hex);
    assertArrayEquals(expected, Varint.encode(value));
    assertEquals(expected.length, Varint.encodedLength(value));

    byte[] out = new byte[expected.length + 2];
    assertEquals(1 + expected.length, Varint.write(value, out, 1));
    assertArrayEquals(expected, java.util.Arrays.copyOfRange(out, 1, 1 + expected.length));

    Buffer buf = Varint.append(Buffer.buffer().appendByte((byte) 0x55), value);
    assertArrayEquals(expected, buf.getBytes(1, buf.length()));

    assertEquals(value, Varint.decode(expected, 0, expected.length));
    assertEquals(value, Varint.decode(Buffer.buffer(expected), 0));
    assertEquals(value, Varint.decode(buf, 1));
  }

  @Test
  void overlongIsRejected() {
    for (String hex : new String[] {"8000", "ff00", "818000", "ffffffffffffffff00"}) {
      byte[] b = HEX.parseHex(hex);
      Varint.VarintException e =
          assertThrows(Varint.VarintException.class, () -> Varint.decode(b, 0, b.length), hex);
      assertTrue(e.getMessage().contains("overlong"), e.getMessage());
      assertThrows(Varint.VarintException.class, () -> Varint.decode(Buffer.buffer(b), 0), hex);
    }
  }

  @Test
  void truncatedNeedsMore() {
    for (String hex : new String[] {"", "80", "ff", "8080", "ffffffffffffffff"}) {
      byte[] b = HEX.parseHex(hex);
      assertEquals(Varint.NEED_MORE, Varint.decode(b, 0, b.length), hex);
      assertEquals(Varint.NEED_MORE, Varint.decode(Buffer.buffer(b), 0), hex);
    }
    // the limit, not the array's end, is where the varint must stop
    byte[] b = HEX.parseHex("ac02");
    assertEquals(Varint.NEED_MORE, Varint.decode(b, 0, 1));
    // the offset is respected
    assertEquals(Varint.NEED_MORE, Varint.decode(Buffer.buffer(b), 2));
  }

  @Test
  void moreThanNineBytesIsRejected() {
    for (String hex : new String[] {"ffffffffffffffffff", "ffffffffffffffffff01", "80808080808080808001"}) {
      byte[] b = HEX.parseHex(hex);
      Varint.VarintException e =
          assertThrows(Varint.VarintException.class, () -> Varint.decode(b, 0, b.length), hex);
      assertTrue(e.getMessage().contains("9 bytes"), e.getMessage());
      assertThrows(Varint.VarintException.class, () -> Varint.decode(Buffer.buffer(b), 0), hex);
    }
  }

  @Test
  void varintExceptionIsAnIllegalArgumentException() {
    assertTrue(IllegalArgumentException.class.isAssignableFrom(Varint.VarintException.class));
  }

  @Test
  void negativeValuesAreRejectedOnEncode() {
    for (long v : new long[] {-1, Long.MIN_VALUE, -128}) {
      assertThrows(IllegalArgumentException.class, () -> Varint.encode(v));
      assertThrows(IllegalArgumentException.class, () -> Varint.encodedLength(v));
      assertThrows(IllegalArgumentException.class, () -> Varint.write(v, new byte[10], 0));
      assertThrows(IllegalArgumentException.class, () -> Varint.append(Buffer.buffer(), v));
    }
  }

  @Property
  void roundTripsThroughByteArrays(
      @ForAll("nonNegative") long value, @ForAll @IntRange(max = 5) int offset) {
    byte[] enc = Varint.encode(value);
    assertEquals(Varint.encodedLength(value), enc.length);
    assertTrue(enc.length <= Varint.MAX_BYTES);
    byte[] padded = new byte[offset + enc.length + 3];
    int end = Varint.write(value, padded, offset);
    assertEquals(offset + enc.length, end);
    assertEquals(value, Varint.decode(padded, offset, padded.length));
    assertEquals(value, Varint.decode(padded, offset, end));
    assertEquals(Varint.NEED_MORE, Varint.decode(padded, offset, end - 1));
  }

  @Property
  void roundTripsThroughBuffers(
      @ForAll("nonNegative") long value, @ForAll @Size(max = 5) byte[] prefix) {
    Buffer buf = Varint.append(Buffer.buffer(prefix), value);
    assertEquals(prefix.length + Varint.encodedLength(value), buf.length());
    assertArrayEquals(Varint.encode(value), buf.getBytes(prefix.length, buf.length()));
    assertEquals(value, Varint.decode(buf, prefix.length));
    assertEquals(Varint.NEED_MORE, Varint.decode(buf.getBuffer(0, buf.length() - 1), prefix.length));
  }

  /** Whatever the bytes, decode gives NEED_MORE, a canonically encoded value, or VarintException. */
  @Property
  void decodingArbitraryBytesIsCanonical(@ForAll @Size(max = 12) byte[] bytes) {
    long v;
    try {
      v = Varint.decode(bytes, 0, bytes.length);
    } catch (Varint.VarintException e) {
      return;
    }
    if (v == Varint.NEED_MORE) {
      return;
    }
    assertTrue(v >= 0);
    byte[] enc = Varint.encode(v);
    assertArrayEquals(enc, java.util.Arrays.copyOf(bytes, enc.length));
    assertEquals(v, Varint.decode(Buffer.buffer(bytes), 0));
  }

  @Provide
  Arbitrary<Long> nonNegative() {
    return Arbitraries.oneOf(
        Arbitraries.longs().greaterOrEqual(0),
        Arbitraries.longs().between(0, 1 << 16),
        Arbitraries.integers().between(0, 62).map(shift -> 1L << shift),
        Arbitraries.integers().between(1, 63).map(shift -> (1L << shift) - 1));
  }
}
