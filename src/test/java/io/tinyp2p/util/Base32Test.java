package io.tinyp2p.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Vectors: RFC 4648 section 10, lower case and without padding. */
class Base32Test {
  @ParameterizedTest
  @CsvSource({
    "'', ''",
    "f, my",
    "fo, mzxq",
    "foo, mzxw6",
    "foob, mzxw6yq",
    "fooba, mzxw6ytb",
    "foobar, mzxw6ytboi"
  })
  void rfc4648Vectors(String plain, String encoded) {
    byte[] bytes = plain.getBytes(StandardCharsets.US_ASCII);
    assertEquals(encoded, Base32.encodeLower(bytes));
    assertArrayEquals(bytes, Base32.decodeLower(encoded));
  }

  @ParameterizedTest
  @CsvSource({
    "MZXW6", // upper case is another multibase ('B')
    "mzxw6=", // padding
    "m", // impossible lengths: 1, 3 and 6 characters mod 8
    "mzx",
    "mzxw6y",
    "mz", // 'z' leaves non-zero stray bits: not the canonical text of any bytes
    "mzxr",
    "m1",
    "\u212Ay" // Kelvin sign, which Character.toLowerCase maps to 'k'
  })
  void nonCanonicalTextIsRejected(String text) {
    assertThrows(IllegalArgumentException.class, () -> Base32.decodeLower(text));
  }

  @Property
  void roundTrip(@ForAll @Size(max = 64) byte[] bytes) {
    assertArrayEquals(bytes, Base32.decodeLower(Base32.encodeLower(bytes)));
  }

  /** Decoding is strict, so decodable text is always the encoding of its bytes. */
  @Property
  void decodableTextIsCanonical(@ForAll @Size(max = 20) String text) {
    byte[] bytes;
    try {
      bytes = Base32.decodeLower(text);
    } catch (IllegalArgumentException e) {
      return;
    }
    assertEquals(text, Base32.encodeLower(bytes));
  }

  @Test
  void decodableAlphabetText() {
    assertEquals("abcdefghijklmnopqrstuvwxyz234567",
        Base32.encodeLower(Base32.decodeLower("abcdefghijklmnopqrstuvwxyz234567")));
  }
}
