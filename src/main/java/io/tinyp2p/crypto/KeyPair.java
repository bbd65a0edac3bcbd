package io.tinyp2p.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.pb.CryptoProto;
import io.tinyp2p.util.Base58;
import java.util.Arrays;

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

  /**
   * Parses the libp2p encoding of a private key (libp2p/specs peer-ids.md, the form keys are
   * stored on disk in): the protobuf {@code PrivateKey{Type=Ed25519, Data=seed ‖ public key}},
   * 64 bytes of data; the older 96-byte form (seed ‖ public key ‖ public key) is read too. The
   * public half must be the seed's.
   *
   * @throws IllegalArgumentException naming the problem
   */
  public static KeyPair unmarshalPrivate(byte[] protobuf) {
    CryptoProto.PrivateKey pb;
    try {
      pb = CryptoProto.PrivateKey.parseFrom(protobuf);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a libp2p PrivateKey protobuf: " + e.getMessage());
    }
    if (!pb.getUnknownFields().asMap().isEmpty()) {
      throw new IllegalArgumentException("not a libp2p PrivateKey protobuf: it has fields besides Type and Data");
    }
    if (pb.getType() != CryptoProto.KeyType.Ed25519) {
      throw new IllegalArgumentException("key type " + pb.getType() + " is not supported (only Ed25519)");
    }
    byte[] data = pb.getData().toByteArray();
    int pk = Curve25519.PUBLIC_KEY_LENGTH;
    if (data.length != SEED_LENGTH + pk && data.length != SEED_LENGTH + 2 * pk) {
      throw new IllegalArgumentException("an Ed25519 private key holds 64 bytes (seed and public key), got "
          + data.length);
    }
    byte[] seed = Arrays.copyOfRange(data, 0, SEED_LENGTH);
    KeyPair key = new KeyPair(seed);
    for (int at = SEED_LENGTH; at < data.length; at += pk) {
      if (!Arrays.equals(key.publicRaw, Arrays.copyOfRange(data, at, at + pk))) {
        throw new IllegalArgumentException("the public key stored with the seed is not the seed's");
      }
    }
    return key;
  }

  /** The libp2p encoding of this private key: {@code PrivateKey{Type=Ed25519, Data=seed ‖ public key}}. */
  public byte[] marshalPrivate() {
    byte[] data = new byte[SEED_LENGTH + publicRaw.length];
    System.arraycopy(seed, 0, data, 0, SEED_LENGTH);
    System.arraycopy(publicRaw, 0, data, SEED_LENGTH, publicRaw.length);
    return CryptoProto.PrivateKey.newBuilder()
        .setType(CryptoProto.KeyType.Ed25519)
        .setData(ByteString.copyFrom(data))
        .build()
        .toByteArray();
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
