package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.PublicKey;
import io.tinyp2p.crypto.pb.CryptoProto;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The {@code StrictSign} policy of pubsub/README.md "Message Signing": we origin-stamp and sign
 * every message we publish, and accept only messages that carry {@code from}, {@code seqno}
 * and a valid {@code signature}.
 *
 * <p>The signed bytes are {@code "libp2p-pubsub:"} followed by the protobuf encoding of the
 * message without its {@code signature} and {@code key} fields. The spec names only the
 * signature field ("The signature is computed over the marshalled message protobuf
 * _excluding_ the `signature` field itself ... The protobuf blob is prefixed by the string
 * `libp2p-pubsub:` before signing"), but the key is added after signing by go-, rust- and
 * js-libp2p alike, and all three clear both fields before they verify; so do we. Any other
 * fields the sender included, known or not, stay in the signed bytes (the spec: "This
 * includes any fields that are not recognized"); protobuf-java keeps unknown fields and
 * writes known fields in field-number order, which is how every implementation encodes.
 */
public final class MessageSigning {
  public static final byte[] SIGN_PREFIX = "libp2p-pubsub:".getBytes(StandardCharsets.US_ASCII);
  public static final int SEQNO_LENGTH = 8;

  /** Outcome of {@link #validate}. */
  public enum Result {
    VALID,
    MISSING_FROM,
    MISSING_SEQNO,
    MISSING_SIGNATURE,
    /** seqno is not 8 bytes (js-libp2p rejects the same). */
    BAD_SEQNO,
    /** from is not a PeerId. */
    BAD_FROM,
    /** key is present but is not a public key protobuf. */
    BAD_KEY,
    /**
     * The author's key is of a type we do not verify (RSA, secp256k1, ECDSA: tinyp2p speaks
     * Ed25519 only).
     */
    UNSUPPORTED_KEY,
    /** key is present but is not the key of from. */
    KEY_MISMATCH,
    /** no key field, and from is a hashed PeerId. */
    NO_PUBLIC_KEY,
    INVALID_SIGNATURE
  }

  private MessageSigning() {}

  /**
   * Builds and signs a message from us. {@code key} stays empty: an Ed25519 PeerId inlines
   * its public key, and the README wants the key field only "when it cannot be inlined in
   * the source peer ID".
   */
  public static RpcProto.Message sign(KeyPair identity, String topic, byte[] data, long seqno) {
    RpcProto.Message unsigned = RpcProto.Message.newBuilder()
        .setFrom(ByteString.copyFrom(identity.peerId().toBytes()))
        .setData(ByteString.copyFrom(data))
        .setSeqno(ByteString.copyFrom(seqnoBytes(seqno)))
        .setTopic(topic)
        .build();
    byte[] signature = identity.sign(signedBytes(unsigned));
    return unsigned.toBuilder().setSignature(ByteString.copyFrom(signature)).build();
  }

  /** The bytes a signature covers: the prefix and the message without signature and key. */
  public static byte[] signedBytes(RpcProto.Message message) {
    byte[] body = message.toBuilder().clearSignature().clearKey().build().toByteArray();
    byte[] out = new byte[SIGN_PREFIX.length + body.length];
    System.arraycopy(SIGN_PREFIX, 0, out, 0, SIGN_PREFIX.length);
    System.arraycopy(body, 0, out, SIGN_PREFIX.length, body.length);
    return out;
  }

  /**
   * Strict validation: the fields must be present, the key (from {@code key}, else inlined in
   * {@code from}) must belong to {@code from}, and the signature must verify.
   */
  public static Result validate(RpcProto.Message message) {
    if (!message.hasFrom()) {
      return Result.MISSING_FROM;
    }
    if (!message.hasSeqno()) {
      return Result.MISSING_SEQNO;
    }
    if (!message.hasSignature()) {
      return Result.MISSING_SIGNATURE;
    }
    if (message.getSeqno().size() != SEQNO_LENGTH) {
      return Result.BAD_SEQNO;
    }
    PeerId from;
    try {
      from = PeerId.fromBytes(message.getFrom().toByteArray());
    } catch (IllegalArgumentException e) {
      return Result.BAD_FROM;
    }
    PublicKey key;
    if (message.hasKey()) {
      byte[] keyBytes = message.getKey().toByteArray();
      if (!isEd25519(keyBytes)) {
        return isKeyProtobuf(keyBytes) ? Result.UNSUPPORTED_KEY : Result.BAD_KEY;
      }
      try {
        key = PublicKey.unmarshal(keyBytes);
      } catch (IllegalArgumentException e) {
        return Result.BAD_KEY;
      }
      if (!from.matches(key)) {
        return Result.KEY_MISMATCH;
      }
    } else {
      key = from.publicKey();
      if (key == null) {
        // an identity PeerId holds a key protobuf (PeerId checked it): one we cannot use
        return message.getFrom().byteAt(0) == 0 ? Result.UNSUPPORTED_KEY : Result.NO_PUBLIC_KEY;
      }
    }
    return key.verify(signedBytes(message), message.getSignature().toByteArray())
        ? Result.VALID
        : Result.INVALID_SIGNATURE;
  }

  private static boolean isKeyProtobuf(byte[] bytes) {
    try {
      CryptoProto.PublicKey.parseFrom(bytes);
      return true;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  private static boolean isEd25519(byte[] bytes) {
    try {
      return CryptoProto.PublicKey.parseFrom(bytes).getType() == CryptoProto.KeyType.Ed25519;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  public static byte[] seqnoBytes(long seqno) {
    return ByteBuffer.allocate(SEQNO_LENGTH).putLong(seqno).array();
  }

  /** The seqno as an unsigned 64-bit value in a long; 0 if absent or not 8 bytes. */
  public static long seqno(RpcProto.Message message) {
    ByteString s = message.getSeqno();
    return s.size() == SEQNO_LENGTH ? s.asReadOnlyByteBuffer().getLong() : 0;
  }
}
