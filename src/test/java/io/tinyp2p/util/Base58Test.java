package io.tinyp2p.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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

/**
 * Vectors: the IETF draft draft-msporny-base58 ("Hello World!", 0000287fb4cd, the quick brown
 * fox) and the tinyp2p brief ("hello world"); each was checked against js multiformats'
 * base58btc.
 */
class Base58Test {
  private static final String ALPHABET =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

  @ParameterizedTest
  @CsvSource({
    "'', ''",
    "00, 1",
    "000000, 111",
    "0000287fb4cd, 11233QC4",
    "00010203ff, 12VfYr",
    "68656c6c6f20776f726c64, StV1DL6CwTryKyV", // "hello world"
    "48656c6c6f20576f726c6421, 2NEpo7TZRRrLZSi2U" // "Hello World!"
  })
  void vectors(String hex, String text) {
    byte[] bytes = HexFormat.of().parseHex(hex);
    assertEquals(text, Base58.encode(bytes));
    assertArrayEquals(bytes, Base58.decode(text));
  }

  @Test
  void longerVector() {
    byte[] fox = "The quick brown fox jumps over the lazy dog.".getBytes(StandardCharsets.US_ASCII);
    String text = "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z";
    assertEquals(text, Base58.encode(fox));
    assertArrayEquals(fox, Base58.decode(text));
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "O, 0", "I, 0", "l, 0", "abc0, 3", "StVO, 3", "1I, 1", "xyl1, 2", "'a b', 1", "+, 0"})
  void invalidCharactersAreRejectedWithTheirPosition(String text, int position) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Base58.decode(text));
    char bad = text.charAt(position);
    assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("position " + position), e.getMessage());
  }

  @Test
  void nonAsciiIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Base58.decode("abé"));
    assertTrue(e.getMessage().contains("position 2"), e.getMessage());
    // a full-width digit is a digit to Character, not to base58
    assertThrows(IllegalArgumentException.class, () -> Base58.decode("\uFF11"));
  }

  @Test
  void overlongTextIsRefused() {
    String text = "2".repeat(Base58.MAX_TEXT_LENGTH + 1);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Base58.decode(text));
    assertTrue(e.getMessage().contains("longer than"), e.getMessage());
    Base58.decode("2".repeat(Base58.MAX_TEXT_LENGTH)); // the limit itself is accepted
  }

  @Property
  void bytesRoundTrip(@ForAll("bytes") byte[] bytes) {
    String text = Base58.encode(bytes);
    assertArrayEquals(bytes, Base58.decode(text));
    int zeros = 0;
    while (zeros < bytes.length && bytes[zeros] == 0) {
      zeros++;
    }
    // one '1' per leading zero byte, and no more
    for (int i = 0; i < zeros; i++) {
      assertEquals('1', text.charAt(i));
    }
    assertTrue(text.length() == zeros || text.charAt(zeros) != '1', text);
    for (char c : text.toCharArray()) {
      assertTrue(ALPHABET.indexOf(c) >= 0, text);
    }
  }

  /** Base58 is a bijection: every valid text is the encoding of what it decodes to. */
  @Property
  void textRoundTrip(@ForAll("base58Text") String text) {
    assertEquals(text, Base58.encode(Base58.decode(text)));
  }

  @Property
  void decodeOnlyThrowsIllegalArgument(@ForAll @Size(max = 40) String text) {
    try {
      assertEquals(text, Base58.encode(Base58.decode(text)));
    } catch (IllegalArgumentException expected) {
      // fine
    }
  }

  @Property(tries = 50)
  void largeInputsRoundTrip(@ForAll @Size(min = 100, max = 700) byte[] bytes,
      @ForAll @IntRange(max = 5) int zeros) {
    byte[] input = new byte[zeros + bytes.length];
    System.arraycopy(bytes, 0, input, zeros, bytes.length);
    assertArrayEquals(input, Base58.decode(Base58.encode(input)));
  }

  @Provide
  Arbitrary<byte[]> bytes() {
    Arbitrary<Byte> zeroHeavy = Arbitraries.oneOf(Arbitraries.just((byte) 0), Arbitraries.bytes());
    return Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMaxSize(80),
        zeroHeavy.array(byte[].class).ofMaxSize(40));
  }

  @Provide
  Arbitrary<String> base58Text() {
    return Arbitraries.strings().withChars(ALPHABET.toCharArray()).ofMaxLength(60);
  }
}
