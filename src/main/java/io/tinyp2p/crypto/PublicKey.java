package io.tinyp2p.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.pb.CryptoProto;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An Ed25519 public key as libp2p uses it: 32 raw bytes, carried on the wire as the
 * protobuf {@code PublicKey{Type=Ed25519, Data=<32 bytes>}}. Other key types are refused.
 */
public final class PublicKey {
  public static final int RAW_LENGTH = 32;

  private final byte[] raw;

  private PublicKey(byte[] raw) {
    this.raw = raw;
  }

  public static PublicKey fromRaw(byte[] raw) {
    if (raw.length != RAW_LENGTH) {
      throw new IllegalArgumentException(
          "Ed25519 public key must be 32 bytes, got " + raw.length);
    }
    return new PublicKey(raw.clone());
  }

  /** Parses the libp2p protobuf encoding; only Ed25519 is supported. */
  public static PublicKey unmarshal(byte[] protobuf) {
    CryptoProto.PublicKey pb;
    try {
      pb = CryptoProto.PublicKey.parseFrom(protobuf);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("malformed public key protobuf: " + e.getMessage());
    }
    if (pb.getType() != CryptoProto.KeyType.Ed25519) {
      throw new IllegalArgumentException("unsupported key type " + pb.getType() + " (only Ed25519)");
    }
    return fromRaw(pb.getData().toByteArray());
  }

  public byte[] raw() {
    return raw.clone();
  }

  /** The deterministic protobuf encoding (36 bytes) that PeerIds are made from. */
  public byte[] marshal() {
    return CryptoProto.PublicKey.newBuilder()
        .setType(CryptoProto.KeyType.Ed25519)
        .setData(ByteString.copyFrom(raw))
        .build()
        .toByteArray();
  }

  public PeerId toPeerId() {
    return PeerId.fromPublicKey(this);
  }

  /** Verifies an Ed25519 signature; false (never an exception) for any malformed input. */
  public boolean verify(byte[] data, byte[] signature) {
    return Curve25519.verify(raw, data, signature);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PublicKey other && Arrays.equals(raw, other.raw);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    return "Ed25519PublicKey(" + HexFormat.of().formatHex(raw) + ")";
  }
}
