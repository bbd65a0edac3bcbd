package io.tinyp2p.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Known-answer tests pinning the primitives: HKDF, ChaCha20-Poly1305, X25519. */
class NoisePrimitivesTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void hkdfMatchesRfc5869TestCase3() throws Exception {
    // RFC 5869 A.3: zero-length salt (an HMAC key of HashLen zero bytes is the same key),
    // zero-length info, which is exactly Noise's HKDF; T(1) || T(2) is the OKM.
    byte[] ikm = new byte[22];
    Arrays.fill(ikm, (byte) 0x0b);
    byte[] okm = HEX.parseHex(
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    byte[][] out = SymmetricState.hkdf(new byte[32], ikm, 3);
    assertArrayEquals(Arrays.copyOfRange(okm, 0, 32), out[0]);
    assertArrayEquals(Arrays.copyOfRange(okm, 32, 42), Arrays.copyOfRange(out[1], 0, 10));
    assertEquals(32, out[2].length);
  }

  @Test
  void protocolNameIsTheInitialHash() {
    // "Noise_XX_25519_ChaChaPoly_SHA256" is exactly 32 bytes: h starts as the name itself
    byte[] name = HandshakeState.PROTOCOL_NAME.getBytes(StandardCharsets.US_ASCII);
    assertEquals(32, name.length);
    assertArrayEquals(name, new SymmetricState(HandshakeState.PROTOCOL_NAME).handshakeHash());
  }

  // RFC 8439 section 2.8.2
  private static final byte[] RFC8439_KEY =
      HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  private static final byte[] RFC8439_AAD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
  private static final byte[] RFC8439_PLAINTEXT = ("Ladies and Gentlemen of the class of '99: "
      + "If I could offer you only one tip for the future, sunscreen would be it.")
      .getBytes(StandardCharsets.US_ASCII);
  private static final byte[] RFC8439_SEALED = HEX.parseHex(
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
          + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
          + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
          + "3ff4def08e4b7a9de576d26586cec64b6116"
          + "1ae10b594f09e26a7e902ecbd0600691"); // tag
  // nonce 07000000 || 4041424344454647: constant 7, then the counter's little-endian bytes
  private static final int RFC8439_CONSTANT = 7;
  private static final long RFC8439_COUNTER = 0x4746454443424140L;

  @Test
  void chachaPolyMatchesRfc8439Section282() throws Exception {
    CipherState sender = new CipherState(RFC8439_KEY, RFC8439_CONSTANT);
    sender.setNonce(RFC8439_COUNTER);
    assertArrayEquals(RFC8439_SEALED, sender.encryptWithAd(RFC8439_AAD, RFC8439_PLAINTEXT));

    CipherState receiver = new CipherState(RFC8439_KEY, RFC8439_CONSTANT);
    receiver.setNonce(RFC8439_COUNTER);
    assertArrayEquals(RFC8439_PLAINTEXT, receiver.decryptWithAd(RFC8439_AAD, RFC8439_SEALED));

    byte[] tampered = RFC8439_SEALED.clone();
    tampered[tampered.length - 1] ^= 1;
    CipherState third = new CipherState(RFC8439_KEY, RFC8439_CONSTANT);
    third.setNonce(RFC8439_COUNTER);
    assertThrows(NoiseException.class, () -> third.decryptWithAd(RFC8439_AAD, tampered));
  }

  @Test
  void noiseNonceIsFourZeroBytesThenLittleEndianCounter() throws Exception {
    CipherState state = new CipherState(RFC8439_KEY);
    state.setNonce(0x0102030405060708L);
    byte[] sealed = state.encrypt(RFC8439_PLAINTEXT);

    Cipher reference = Cipher.getInstance("ChaCha20-Poly1305");
    reference.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(RFC8439_KEY, "ChaCha20"),
        new IvParameterSpec(HEX.parseHex("000000000807060504030201")));
    assertArrayEquals(reference.doFinal(RFC8439_PLAINTEXT), sealed);
    assertEquals(0x0102030405060709L, state.nonce());
  }

  // RFC 7748 section 6.1
  private static final byte[] ALICE_PRIVATE =
      HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  private static final byte[] ALICE_PUBLIC =
      HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  private static final byte[] BOB_PRIVATE =
      HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  private static final byte[] BOB_PUBLIC =
      HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  private static final byte[] SHARED =
      HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

  @Test
  void x25519MatchesRfc7748Section61() throws Exception {
    X25519.KeyPair alice = X25519.fromPrivate(ALICE_PRIVATE);
    X25519.KeyPair bob = X25519.fromPrivate(BOB_PRIVATE);
    assertArrayEquals(ALICE_PUBLIC, alice.publicKey());
    assertArrayEquals(BOB_PUBLIC, bob.publicKey());
    assertArrayEquals(SHARED, X25519.dh(alice.privateKey(), BOB_PUBLIC));
    assertArrayEquals(SHARED, X25519.dh(bob.privateKey(), ALICE_PUBLIC));
  }

  @Test
  void x25519IgnoresTheTopBitOfAPublicKey() throws Exception {
    // RFC 7748 section 5: the most significant bit of the final byte is masked
    byte[] bobWithTopBit = BOB_PUBLIC.clone();
    bobWithTopBit[31] |= (byte) 0x80;
    assertArrayEquals(SHARED, X25519.dh(X25519.fromPrivate(ALICE_PRIVATE).privateKey(), bobWithTopBit));
  }

  @Test
  void x25519RefusesLowOrderPoints() {
    X25519.KeyPair alice = X25519.fromPrivate(ALICE_PRIVATE);
    byte[] zero = new byte[32];
    byte[] one = new byte[32];
    one[0] = 1;
    // u = 2^255 - 19 + 1 ≡ 1, non-canonical: masked and reduced, still low order
    byte[] pPlusOne = HEX.parseHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    for (byte[] lowOrder : new byte[][] {zero, one, pPlusOne}) {
      NoiseException e =
          assertThrows(NoiseException.class, () -> X25519.dh(alice.privateKey(), lowOrder));
      assertEquals(true, e.getMessage().contains("X25519"), e.getMessage());
    }
    assertThrows(NoiseException.class, () -> X25519.dh(alice.privateKey(), new byte[31]));
  }

  @Test
  void generatedKeysAgree() throws Exception {
    X25519.KeyPair a = X25519.generate();
    X25519.KeyPair b = X25519.generate();
    assertEquals(32, a.publicKey().length);
    assertArrayEquals(X25519.dh(a.privateKey(), b.publicKey()), X25519.dh(b.privateKey(), a.publicKey()));
  }
}
