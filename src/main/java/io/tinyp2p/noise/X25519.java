package io.tinyp2p.noise;

import io.tinyp2p.crypto.Curve25519;

/**
 * Noise's 25519 DH functions on the node's crypto seam ({@link Curve25519}): keys travel as
 * RFC 7748 raw 32-byte little-endian u-coordinates; a private key is a raw 32-byte scalar.
 */
final class X25519 {
  static final int KEY_LENGTH = Curve25519.X25519_KEY_LENGTH;

  private X25519() {}

  /** A raw private scalar and its raw public key. */
  record KeyPair(byte[] privateKey, byte[] publicKey) {}

  /** Noise GENERATE_KEYPAIR(). */
  static KeyPair generate() {
    byte[] k = Curve25519.newX25519PrivateKey();
    return new KeyPair(k, Curve25519.x25519PublicKey(k));
  }

  /** The key pair of a raw 32-byte private scalar (clamped by X25519 itself). */
  static KeyPair fromPrivate(byte[] scalar) {
    if (scalar.length != KEY_LENGTH) {
      throw new IllegalArgumentException("X25519 private key must be 32 bytes");
    }
    byte[] k = scalar.clone();
    return new KeyPair(k, Curve25519.x25519PublicKey(k));
  }

  /**
   * Noise DH(key_pair, public_key): the 32-byte shared secret.
   *
   * @throws NoiseException if the public key is not 32 bytes or the result is all zeros (the
   *     peer sent a low-order point)
   */
  static byte[] dh(byte[] privateKey, byte[] publicKey) throws NoiseException {
    if (publicKey.length != KEY_LENGTH) {
      throw new NoiseException("X25519 public key must be 32 bytes, got " + publicKey.length);
    }
    byte[] shared = Curve25519.x25519(privateKey, publicKey);
    if (shared == null) {
      throw new NoiseException("X25519 result is all zeros: the peer sent a low-order public key");
    }
    return shared;
  }
}
