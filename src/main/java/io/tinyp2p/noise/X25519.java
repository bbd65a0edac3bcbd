package io.tinyp2p.noise;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/**
 * Noise's 25519 DH functions on the JDK's XDH: keys travel as RFC 7748 raw 32-byte
 * little-endian u-coordinates.
 */
final class X25519 {
  static final int KEY_LENGTH = 32;

  /** The base point u = 9: X25519(k, 9) is the public key of k. */
  private static final byte[] BASE_POINT = new byte[KEY_LENGTH];

  static {
    BASE_POINT[0] = 9;
  }

  private X25519() {}

  /** A private key and its raw public key. */
  record KeyPair(PrivateKey privateKey, byte[] publicKey) {}

  /** Noise GENERATE_KEYPAIR(). */
  static KeyPair generate() {
    try {
      java.security.KeyPair pair = KeyPairGenerator.getInstance("X25519").generateKeyPair();
      return new KeyPair(pair.getPrivate(), toRaw(((XECPublicKey) pair.getPublic()).getU()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("X25519 is not available in this JDK", e);
    }
  }

  /** The key pair of a raw 32-byte private scalar (clamped by X25519 itself). */
  static KeyPair fromPrivate(byte[] scalar) {
    if (scalar.length != KEY_LENGTH) {
      throw new IllegalArgumentException("X25519 private key must be 32 bytes");
    }
    try {
      PrivateKey key = KeyFactory.getInstance("X25519")
          .generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar.clone()));
      return new KeyPair(key, dh(key, BASE_POINT));
    } catch (GeneralSecurityException | NoiseException e) {
      throw new IllegalStateException("X25519 key derivation failed", e);
    }
  }

  /**
   * Noise DH(key_pair, public_key): the 32-byte shared secret.
   *
   * @throws NoiseException if the result is all zeros (the peer sent a low-order point) or
   *     the JDK refuses the key
   */
  static byte[] dh(PrivateKey privateKey, byte[] publicKey) throws NoiseException {
    if (publicKey.length != KEY_LENGTH) {
      throw new NoiseException("X25519 public key must be 32 bytes, got " + publicKey.length);
    }
    byte[] shared;
    try {
      var publicSpec = new XECPublicKeySpec(NamedParameterSpec.X25519, toU(publicKey));
      KeyAgreement agreement = KeyAgreement.getInstance("XDH");
      agreement.init(privateKey);
      agreement.doPhase(KeyFactory.getInstance("X25519").generatePublic(publicSpec), true);
      shared = agreement.generateSecret();
    } catch (GeneralSecurityException | RuntimeException e) {
      // the JDK itself may refuse a low-order point (IllegalStateException "zero")
      throw new NoiseException("X25519 with the peer's public key failed: " + e.getMessage(), e);
    }
    if (isZero(shared)) {
      throw new NoiseException("X25519 result is all zeros: the peer sent a low-order public key");
    }
    return shared;
  }

  /** RFC 7748 decodeUCoordinate: little-endian, the top bit of the last byte masked off. */
  private static BigInteger toU(byte[] raw) {
    byte[] bigEndian = new byte[KEY_LENGTH];
    for (int i = 0; i < KEY_LENGTH; i++) {
      bigEndian[i] = raw[KEY_LENGTH - 1 - i];
    }
    bigEndian[0] &= 0x7F;
    return new BigInteger(1, bigEndian);
  }

  /** RFC 7748 encodeUCoordinate for a u already reduced below 2^255 - 19. */
  private static byte[] toRaw(BigInteger u) {
    byte[] bigEndian = u.toByteArray(); // may carry a leading 0x00 sign byte, or be short
    byte[] raw = new byte[KEY_LENGTH];
    for (int i = 0; i < KEY_LENGTH && i < bigEndian.length; i++) {
      raw[i] = bigEndian[bigEndian.length - 1 - i];
    }
    return raw;
  }

  private static boolean isZero(byte[] bytes) {
    int acc = 0;
    for (byte b : bytes) {
      acc |= b; // constant time
    }
    return acc == 0;
  }
}
