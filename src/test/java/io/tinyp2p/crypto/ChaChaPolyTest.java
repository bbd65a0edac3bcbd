package io.tinyp2p.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both ChaCha20-Poly1305 providers against RFC 8439's vectors, and against BouncyCastle's
 * independent implementation on random and edge-valued inputs (all-ones keys and messages
 * drive every carry of the 64-bit Poly1305).
 */
class ChaChaPolyTest {
  private static final HexFormat HEX = HexFormat.of();

  // RFC 8439 section 2.5.2
  private static final byte[] POLY_KEY =
      HEX.parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
  private static final byte[] POLY_MESSAGE = "Cryptographic Forum Research Group".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] POLY_TAG = HEX.parseHex("a8061dc1305136c6c22b8baf0c0127a9");

  // RFC 8439 section 2.8.2
  private static final byte[] KEY =
      HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  private static final byte[] NONCE = HEX.parseHex("070000004041424344454647");
  private static final byte[] AAD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
  private static final byte[] PLAINTEXT = ("Ladies and Gentlemen of the class of '99: "
      + "If I could offer you only one tip for the future, sunscreen would be it.")
      .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SEALED = HEX.parseHex(
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
          + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
          + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
          + "3ff4def08e4b7a9de576d26586cec64b6116"
          + "1ae10b594f09e26a7e902ecbd0600691");

  @Test
  void poly1305MatchesRfc8439Section252() {
    assertArrayEquals(POLY_TAG, Poly1305.mac(POLY_KEY, POLY_MESSAGE));
  }

  @ParameterizedTest
  @ValueSource(strings = {"jdk", "split"})
  void sealsAndOpensRfc8439Section282(String provider) {
    ChaChaPoly cipher = ChaChaPoly.create(provider, KEY);
    byte[] out = new byte[PLAINTEXT.length + 16];
    assertEquals(out.length, cipher.seal(NONCE, AAD, PLAINTEXT, 0, PLAINTEXT.length, out, 0));
    assertArrayEquals(SEALED, out);

    byte[] opened = SEALED.clone(); // in place
    assertEquals(PLAINTEXT.length, ChaChaPoly.create(provider, KEY).open(NONCE, AAD, opened, 0, opened.length, opened, 0));
    assertArrayEquals(PLAINTEXT, Arrays.copyOf(opened, PLAINTEXT.length));

    for (int i : new int[] {0, 57, SEALED.length - 1}) { // ciphertext and tag
      byte[] tampered = SEALED.clone();
      tampered[i] ^= 1;
      assertEquals(-1, ChaChaPoly.create(provider, KEY).open(NONCE, AAD, tampered, 0, tampered.length, tampered, 0));
    }
    byte[] otherAad = AAD.clone();
    otherAad[0] ^= 1;
    assertEquals(-1, ChaChaPoly.create(provider, KEY).open(NONCE, otherAad, SEALED.clone(), 0, SEALED.length,
        new byte[SEALED.length], 0));
  }

  @Test
  void refusesAnUnknownProviderByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChaChaPoly.create("openssl", KEY));
    assertTrue(e.getMessage().contains("allowed are jdk, split"), e.getMessage());
    assertTrue(ChaChaPoly.PROVIDER.equals("jdk") || ChaChaPoly.PROVIDER.equals("split"));
  }

  @Property(tries = 300)
  void poly1305AgreesWithBouncyCastle(@ForAll("edgy32") byte[] key, @ForAll("edgyMessages") byte[] message) {
    org.bouncycastle.crypto.macs.Poly1305 reference = new org.bouncycastle.crypto.macs.Poly1305();
    reference.init(new KeyParameter(key));
    reference.update(message, 0, message.length);
    byte[] expected = new byte[16];
    reference.doFinal(expected, 0);
    assertArrayEquals(expected, Poly1305.mac(key, message));
  }

  @Property(tries = 200)
  void bothProvidersAgreeWithBouncyCastleAtAnyOffset(@ForAll("edgy32") byte[] key, @ForAll("edgyMessages") byte[] text,
      @ForAll("edgyMessages") byte[] aad, @ForAll @IntRange(min = 0, max = 9) int offset) throws Exception {
    byte[] nonce = Arrays.copyOf(key, 12);
    ChaCha20Poly1305 reference = new ChaCha20Poly1305();
    reference.init(true, new AEADParameters(new KeyParameter(key), 128, nonce, aad));
    byte[] expected = new byte[text.length + 16];
    int w = reference.processBytes(text, 0, text.length, expected, 0);
    reference.doFinal(expected, w);

    for (String provider : new String[] {"jdk", "split"}) {
      byte[] buf = new byte[offset + text.length + 16];
      System.arraycopy(text, 0, buf, offset, text.length);
      ChaChaPoly cipher = ChaChaPoly.create(provider, key);
      assertEquals(text.length + 16, cipher.seal(nonce, aad, buf, offset, text.length, buf, offset), provider);
      assertArrayEquals(expected, Arrays.copyOfRange(buf, offset, buf.length), provider);
      assertEquals(text.length, ChaChaPoly.create(provider, key).open(nonce, aad, buf, offset, text.length + 16, buf, offset),
          provider);
      assertArrayEquals(text, Arrays.copyOfRange(buf, offset, offset + text.length), provider);
    }
  }

  /** 32 bytes: random, all ones, all zeros, or runs of 0xFF and 0x00. */
  @Provide
  Arbitrary<byte[]> edgy32() {
    return Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofSize(32),
        Arbitraries.just(filled(32, (byte) 0xFF)),
        Arbitraries.just(new byte[32]),
        Arbitraries.of((byte) 0, (byte) 0xFF, (byte) 0xFE, (byte) 0x01).array(byte[].class).ofSize(32));
  }

  /** 0 to 300 bytes, many of them all-ones, which push the accumulator's carries furthest. */
  @Provide
  Arbitrary<byte[]> edgyMessages() {
    return Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(300),
        Arbitraries.integers().between(0, 300).map(n -> filled(n, (byte) 0xFF)),
        Arbitraries.of((byte) 0, (byte) 0xFF).array(byte[].class).ofMinSize(0).ofMaxSize(300));
  }

  private static byte[] filled(int n, byte b) {
    byte[] a = new byte[n];
    Arrays.fill(a, b);
    return a;
  }
}
