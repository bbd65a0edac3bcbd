package io.tinyp2p.crypto;

import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * The node's one seam to elliptic-curve code: Ed25519 signatures (RFC 8032, peer identities and
 * gossipsub message signatures) and X25519 Diffie-Hellman (RFC 7748, Noise). Both run on
 * BouncyCastle's low-level {@code rfc8032} / {@code rfc7748} classes: plain byte arrays, no JCA
 * provider, no key objects, and an Ed25519 verification about six times cheaper than the JDK's
 * on this project's JDK, which matters when every gossip message is verified on the event loop.
 * Stateless and thread-safe; never throws for malformed input to {@link #verify} or
 * {@link #x25519}.
 */
public final class Curve25519 {
  public static final int SEED_LENGTH = Ed25519.SECRET_KEY_SIZE;
  public static final int PUBLIC_KEY_LENGTH = Ed25519.PUBLIC_KEY_SIZE;
  public static final int SIGNATURE_LENGTH = Ed25519.SIGNATURE_SIZE;
  public static final int X25519_KEY_LENGTH = X25519.POINT_SIZE;

  private static final SecureRandom RANDOM = new SecureRandom();

  static {
    // the base-point tables, built once up front rather than inside the first handshake
    Ed25519.precompute();
    X25519.precompute();
  }

  private Curve25519() {}

  /** A fresh random 32-byte Ed25519 seed (the RFC 8032 private key). */
  public static byte[] newSeed() {
    byte[] seed = new byte[SEED_LENGTH];
    Ed25519.generatePrivateKey(RANDOM, seed);
    return seed;
  }

  /** The 32-byte Ed25519 public key of a seed. */
  public static byte[] publicKey(byte[] seed) {
    requireLength(seed, SEED_LENGTH, "Ed25519 seed");
    byte[] pk = new byte[PUBLIC_KEY_LENGTH];
    Ed25519.generatePublicKey(seed, 0, pk, 0);
    return pk;
  }

  /** The 64-byte Ed25519 signature of {@code message} under {@code seed} (deterministic). */
  public static byte[] sign(byte[] seed, byte[] publicKey, byte[] message) {
    requireLength(seed, SEED_LENGTH, "Ed25519 seed");
    requireLength(publicKey, PUBLIC_KEY_LENGTH, "Ed25519 public key");
    byte[] sig = new byte[SIGNATURE_LENGTH];
    Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, sig, 0);
    return sig;
  }

  /**
   * Whether {@code signature} is a valid Ed25519 signature of {@code message} by
   * {@code publicKey}; false (never an exception) for keys or signatures of the wrong length,
   * keys that are not curve points, and non-canonical scalars.
   */
  public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
    if (publicKey == null || publicKey.length != PUBLIC_KEY_LENGTH
        || signature == null || signature.length != SIGNATURE_LENGTH || message == null) {
      return false;
    }
    try {
      return Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** A fresh X25519 private scalar (32 random bytes; X25519 clamps it when used). */
  public static byte[] newX25519PrivateKey() {
    byte[] k = new byte[X25519_KEY_LENGTH];
    X25519.generatePrivateKey(RANDOM, k);
    return k;
  }

  /** X25519(k, 9): the public key of a private scalar. */
  public static byte[] x25519PublicKey(byte[] privateKey) {
    requireLength(privateKey, X25519_KEY_LENGTH, "X25519 private key");
    byte[] pk = new byte[X25519_KEY_LENGTH];
    X25519.scalarMultBase(privateKey, 0, pk, 0);
    return pk;
  }

  /**
   * X25519(k, u), RFC 7748 section 5 (the top bit of u is ignored): the shared secret, or
   * {@code null} when it is all zeros (u is a low-order point) or an input has the wrong
   * length.
   */
  public static byte[] x25519(byte[] privateKey, byte[] publicKey) {
    if (privateKey == null || privateKey.length != X25519_KEY_LENGTH
        || publicKey == null || publicKey.length != X25519_KEY_LENGTH) {
      return null;
    }
    byte[] shared = new byte[X25519_KEY_LENGTH];
    return X25519.calculateAgreement(privateKey, 0, publicKey, 0, shared, 0) ? shared : null;
  }

  private static void requireLength(byte[] bytes, int length, String what) {
    if (bytes == null || bytes.length != length) {
      throw new IllegalArgumentException(what + " must be " + length + " bytes, got "
          + (bytes == null ? "none" : bytes.length));
    }
  }
}
