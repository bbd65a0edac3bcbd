package io.tinyp2p.tls;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.PublicKey;
import io.tinyp2p.crypto.pb.CryptoProto;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.spec.X509EncodedKeySpec;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;

/**
 * The host keys a libp2p certificate may carry, checked against their signature: Ed25519 (what
 * this node uses), ECDSA (the key as PKIX SubjectPublicKeyInfo, SHA-256, DER signature) and
 * secp256k1 (the 33-byte compressed point, ECDSA over SHA-256, DER signature), as libp2p/specs
 * peer-ids.md defines them. RSA is refused.
 */
final class HostKeys {
  private static final int MAX_INLINE_KEY_LENGTH = 42;

  private HostKeys() {}

  /**
   * The PeerId of {@code pb} if its key signed {@code data} with {@code signature}.
   *
   * @throws CertificateException when it did not, or the key is malformed or of an unsupported type
   */
  static PeerId verify(CryptoProto.PublicKey pb, byte[] data, byte[] signature) throws CertificateException {
    if (pb.getType() == CryptoProto.KeyType.RSA) {
      throw new CertificateException("libp2p extension: unsupported key type RSA (Ed25519, ECDSA and Secp256k1 are"
          + " supported)");
    }
    byte[] raw = pb.getData().toByteArray();
    boolean valid;
    try {
      valid = switch (pb.getType()) {
        case Ed25519 -> {
          PublicKey key = PublicKey.fromRaw(raw);
          yield key.verify(data, signature);
        }
        case ECDSA -> {
          Signature ecdsa = Signature.getInstance("SHA256withECDSA");
          ecdsa.initVerify(KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(raw)));
          ecdsa.update(data);
          yield ecdsa.verify(signature);
        }
        default -> secp256k1(raw, data, signature); // Secp256k1, the one left: RSA was refused above
      };
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new CertificateException("libp2p extension: bad " + pb.getType() + " key or signature: " + e.getMessage());
    }
    byte[] canonical = CryptoProto.PublicKey.newBuilder().setType(pb.getType()).setData(pb.getData()).build()
        .toByteArray();
    PeerId peer = peerId(canonical);
    if (!valid) {
      throw new CertificateException("the host key of " + peer + " in the libp2p extension did not sign this"
          + " certificate's key");
    }
    return peer;
  }

  private static boolean secp256k1(byte[] point, byte[] data, byte[] signature) {
    X9ECParameters curve = CustomNamedCurves.getByName("secp256k1");
    ECDomainParameters domain = new ECDomainParameters(curve.getCurve(), curve.getG(), curve.getN(), curve.getH());
    ECDSASigner signer = new ECDSASigner();
    signer.init(false, new ECPublicKeyParameters(curve.getCurve().decodePoint(point), domain));
    Der.Reader top = new Der.Reader(signature);
    Der.Reader rs;
    BigInteger r;
    BigInteger s;
    try {
      rs = top.enter(Der.SEQUENCE, "secp256k1 signature");
      top.end("secp256k1 signature");
      r = new BigInteger(rs.read(Der.INTEGER, "r"));
      s = new BigInteger(rs.read(Der.INTEGER, "s"));
      rs.end("secp256k1 signature");
    } catch (CertificateException e) {
      return false;
    }
    return r.signum() > 0 && s.signum() > 0
        && signer.verifySignature(sha256(data), r, s);
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** Identity multihash for keys of at most 42 bytes, else sha2-256 (libp2p/specs peer-ids.md). */
  private static PeerId peerId(byte[] protobuf) {
    byte[] mh;
    if (protobuf.length <= MAX_INLINE_KEY_LENGTH) {
      mh = new byte[2 + protobuf.length];
      mh[1] = (byte) protobuf.length;
      System.arraycopy(protobuf, 0, mh, 2, protobuf.length);
    } else {
      mh = new byte[34];
      mh[0] = 0x12;
      mh[1] = 32;
      System.arraycopy(sha256(protobuf), 0, mh, 2, 32);
    }
    return PeerId.fromBytes(mh);
  }
}
