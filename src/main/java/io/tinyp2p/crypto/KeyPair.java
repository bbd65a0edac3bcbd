package io.tinyp2p.crypto;

import io.tinyp2p.util.Base58;

/**
 * A node's Ed25519 identity. The secret, as the original tinyp2p configures it, is the
 * base58btc text of the 32-byte seed.
 */
public final class KeyPair {
  public static final int SEED_LENGTH = 32;

  private final byte[] seed;
  /** The raw public key, kept for signing (RFC 8032 signing hashes it in). */
  private final byte[] publicRaw;
  private final PublicKey publicKey;
  private final PeerId peerId;

  private KeyPair(byte[] seed) {
    this.seed = seed.clone();
    this.publicRaw = Curve25519.publicKey(this.seed);
    this.publicKey = PublicKey.fromRaw(publicRaw);
    this.peerId = PeerId.fromPublicKey(publicKey);
  }

  public static KeyPair generate() {
    return new KeyPair(Curve25519.newSeed());
  }

  public static KeyPair fromSeed(byte[] seed) {
    if (seed.length != SEED_LENGTH) {
      throw new IllegalArgumentException(
          "an Ed25519 seed is 32 bytes, got " + seed.length);
    }
    return new KeyPair(seed);
  }

  /**
   * Parses a secret: base58btc of a 32-byte Ed25519 seed.
   *
   * @throws IllegalArgumentException naming the problem
   */
  public static KeyPair fromSecret(String secret) {
    if (secret == null || secret.isBlank()) {
      throw new IllegalArgumentException("secret is empty");
    }
    byte[] seed;
    try {
      seed = Base58.decode(secret.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("secret is not base58btc: " + e.getMessage());
    }
    if (seed.length != SEED_LENGTH) {
      throw new IllegalArgumentException(
          "secret must decode to a 32-byte Ed25519 seed, got " + seed.length + " bytes");
    }
    return new KeyPair(seed);
  }

  public String secret() {
    return Base58.encode(seed);
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  public PeerId peerId() {
    return peerId;
  }

  /** The 64-byte Ed25519 signature of {@code data} (RFC 8032, deterministic). */
  public byte[] sign(byte[] data) {
    return Curve25519.sign(seed, publicRaw, data);
  }

  @Override
  public String toString() {
    return "KeyPair(" + peerId + ")"; // never the secret
  }
}
