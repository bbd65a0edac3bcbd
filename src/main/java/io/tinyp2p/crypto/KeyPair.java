package io.tinyp2p.crypto;

import io.tinyp2p.util.Base58;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;

/**
 * A node's Ed25519 identity. The secret, as the original tinyp2p configures it, is the
 * base58btc text of the 32-byte seed.
 */
public final class KeyPair {
  public static final int SEED_LENGTH = 32;

  private final byte[] seed;
  private final java.security.PrivateKey privateKey;
  private final PublicKey publicKey;
  private final PeerId peerId;

  private KeyPair(byte[] seed) {
    this.seed = seed.clone();
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
      // The JDK derives an Ed25519 key pair from the 32 bytes its random source yields:
      // feed it the seed, and the public key comes out as RFC 8032 defines it.
      generator.initialize(NamedParameterSpec.ED25519, new FixedRandom(this.seed));
      java.security.KeyPair pair = generator.generateKeyPair();
      this.privateKey = pair.getPrivate();
      this.publicKey = PublicKey.fromJdk(pair.getPublic());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is not available in this JDK", e);
    }
    this.peerId = PeerId.fromPublicKey(publicKey);
  }

  public static KeyPair generate() {
    byte[] seed = new byte[SEED_LENGTH];
    new SecureRandom().nextBytes(seed);
    return new KeyPair(seed);
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

  public byte[] sign(byte[] data) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(privateKey);
      signer.update(data);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  @Override
  public String toString() {
    return "KeyPair(" + peerId + ")"; // never the secret
  }

  /** A "random" source that yields the seed once: how the JDK is given a fixed key. */
  private static final class FixedRandom extends SecureRandom {
    private final byte[] bytes;
    private boolean used;

    FixedRandom(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public void nextBytes(byte[] out) {
      if (used || out.length != bytes.length) {
        throw new IllegalStateException("unexpected request for random bytes");
      }
      System.arraycopy(bytes, 0, out, 0, out.length);
      used = true;
    }
  }
}
