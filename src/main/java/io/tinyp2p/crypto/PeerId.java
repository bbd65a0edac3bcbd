package io.tinyp2p.crypto;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.pb.CryptoProto;
import io.tinyp2p.util.Base32;
import io.tinyp2p.util.Base58;
import io.tinyp2p.util.Varint;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A libp2p PeerId: the multihash of the protobuf-encoded public key. Keys of at most 42
 * bytes (Ed25519: 36) are inlined with the identity multihash, longer ones are hashed with
 * sha2-256. Text form: base58btc ("12D3KooW..."); the CIDv1 form (multicodec libp2p-key,
 * multibase base32 "b..." or base58btc "z...") parses too.
 */
public final class PeerId implements Comparable<PeerId> {
  private static final int IDENTITY = 0x00;
  private static final int SHA2_256 = 0x12;
  private static final int MAX_INLINE_KEY_LENGTH = 42;
  private static final int LIBP2P_KEY_CODEC = 0x72;
  /** Longest multihash accepted: sha2-256 is 34 bytes, an inlined key at most 44. */
  private static final int MAX_BYTES = 64;

  private final byte[] bytes;
  private final int hash;
  private String text;

  private PeerId(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  public static PeerId fromPublicKey(PublicKey key) {
    return fromMarshalledKey(key.marshal());
  }

  /**
   * The PeerId of a public key in libp2p's protobuf encoding, from its bytes as they are: the
   * identity multihash of at most 42 bytes, else their sha2-256 (the key type is not looked at,
   * so it works for keys of any type, RSA included).
   */
  public static PeerId fromMarshalledKey(byte[] proto) {
    byte[] mh;
    if (proto.length <= MAX_INLINE_KEY_LENGTH) {
      mh = new byte[2 + proto.length];
      mh[0] = IDENTITY;
      mh[1] = (byte) proto.length;
      System.arraycopy(proto, 0, mh, 2, proto.length);
    } else {
      mh = new byte[34];
      mh[0] = SHA2_256;
      mh[1] = 32;
      System.arraycopy(sha256(proto), 0, mh, 2, 32);
    }
    return new PeerId(mh);
  }

  /** Parses the binary multihash form, checking its structure. */
  public static PeerId fromBytes(byte[] multihash) {
    validate(multihash);
    return new PeerId(multihash.clone());
  }

  /**
   * Parses the text forms: base58btc multihash ("12D3KooW...", "Qm...") or a CIDv1 with
   * codec libp2p-key in multibase base32 ("b...") or base58btc ("z...").
   */
  public static PeerId parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("PeerId is empty");
    }
    if (text.length() > 128) {
      throw new IllegalArgumentException("PeerId text too long (" + text.length() + " characters)");
    }
    char first = text.charAt(0);
    if (first == '1' || first == 'Q') {
      return fromBytes(Base58.decode(text));
    }
    byte[] cid;
    if (first == 'b') {
      cid = Base32.decodeLower(text.substring(1));
    } else if (first == 'z') {
      cid = Base58.decode(text.substring(1));
    } else {
      throw new IllegalArgumentException(
          "PeerId must be base58btc (12D3KooW..., Qm...) or a CIDv1 (b..., z...): " + text);
    }
    long version = Varint.decode(cid, 0, cid.length);
    if (version == Varint.NEED_MORE) {
      throw new IllegalArgumentException("PeerId CID is truncated: " + text);
    }
    if (version != 1) {
      throw new IllegalArgumentException("PeerId CID must be version 1, got " + version);
    }
    int offset = Varint.encodedLength(version);
    long codec = Varint.decode(cid, offset, cid.length);
    if (codec == Varint.NEED_MORE) {
      throw new IllegalArgumentException("PeerId CID is truncated: " + text);
    }
    if (codec != LIBP2P_KEY_CODEC) {
      throw new IllegalArgumentException(
          "PeerId CID must have codec libp2p-key (0x72), got 0x" + Long.toHexString(codec));
    }
    offset += Varint.encodedLength(codec);
    return fromBytes(Arrays.copyOfRange(cid, offset, cid.length));
  }

  private static void validate(byte[] mh) {
    if (mh.length < 2 || mh.length > MAX_BYTES) {
      throw new IllegalArgumentException("PeerId multihash has a bad length: " + mh.length);
    }
    int code = mh[0] & 0xFF;
    int length = mh[1] & 0xFF;
    if (length != mh.length - 2) {
      throw new IllegalArgumentException(
          "PeerId multihash length byte says " + length + ", but " + (mh.length - 2) + " bytes follow");
    }
    if (code == SHA2_256) {
      if (length != 32) {
        throw new IllegalArgumentException("sha2-256 PeerId must hold 32 bytes, got " + length);
      }
    } else if (code == IDENTITY) {
      // The spec inlines keys of at most 42 bytes, and what is inlined is a public key.
      if (length > MAX_INLINE_KEY_LENGTH) {
        throw new IllegalArgumentException(
            "identity PeerId inlines at most " + MAX_INLINE_KEY_LENGTH + " bytes, got " + length);
      }
      try {
        CryptoProto.PublicKey.parseFrom(ByteBuffer.wrap(mh, 2, length));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("identity PeerId does not hold a public key protobuf");
      }
    } else {
      throw new IllegalArgumentException(
          "PeerId multihash must be identity or sha2-256, got code 0x" + Integer.toHexString(code));
    }
  }

  public byte[] toBytes() {
    return bytes.clone();
  }

  /** The public key when it is inlined (identity multihash), else {@code null}. */
  public PublicKey publicKey() {
    if (bytes[0] != IDENTITY) {
      return null;
    }
    try {
      return PublicKey.unmarshal(Arrays.copyOfRange(bytes, 2, bytes.length));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Whether this PeerId is derived from {@code key}. */
  public boolean matches(PublicKey key) {
    return equals(fromPublicKey(key));
  }

  public String toBase58() {
    String t = text;
    if (t == null) {
      t = text = Base58.encode(bytes);
    }
    return t;
  }

  /** The CIDv1 text form (base32, codec libp2p-key). */
  public String toCid() {
    byte[] cid = new byte[2 + bytes.length];
    cid[0] = 1;
    cid[1] = LIBP2P_KEY_CODEC;
    System.arraycopy(bytes, 0, cid, 2, bytes.length);
    return "b" + Base32.encodeLower(cid);
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeerId other && hash == other.hash && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(PeerId o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return toBase58();
  }
}
