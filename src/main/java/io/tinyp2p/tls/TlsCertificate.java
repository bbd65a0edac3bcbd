package io.tinyp2p.tls;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.pb.CryptoProto;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The self-signed X.509 certificate of the libp2p TLS handshake (libp2p/specs tls/tls.md), and
 * its verification. Transport-independent: TCP's {@code /tls/1.0.0} and QUIC use the same one.
 *
 * <p>The certificate's key is a fresh ECDSA P-256 key, unrelated to the host key; the host key
 * proves itself in the libp2p Public Key Extension ({@value #EXTENSION_OID}), {@code SignedKey
 * ::= SEQUENCE { publicKey OCTET STRING, signature OCTET STRING }}: the libp2p {@code PublicKey}
 * protobuf of our Ed25519 key and its signature over {@code "libp2p-tls-handshake:"} ‖ the
 * certificate's SubjectPublicKeyInfo (DER). Valid from an hour ago for 100 years.
 */
public final class TlsCertificate {
  /** The libp2p Public Key Extension's OID. */
  public static final String EXTENSION_OID = "1.3.6.1.4.1.53594.1.1";
  static final byte[] SIGNATURE_PREFIX = "libp2p-tls-handshake:".getBytes(StandardCharsets.US_ASCII);
  static final Duration BACKDATE = Duration.ofHours(1);
  static final Duration LIFETIME = Duration.ofDays(100 * 365);

  private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
  /**
   * Critical extensions besides ours that we accept: they constrain how a certificate may be used
   * in a PKI (key usage, basic constraints, names, key identifiers), which a self-signed libp2p
   * certificate, trusted for its extension alone, does not depend on.
   */
  private static final Set<String> UNDERSTOOD = Set.of(EXTENSION_OID, "2.5.29.14", "2.5.29.15", "2.5.29.17",
      "2.5.29.19", "2.5.29.35", "2.5.29.37");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate certificate;
  private final PrivateKey privateKey;

  private TlsCertificate(X509Certificate certificate, PrivateKey privateKey) {
    this.certificate = certificate;
    this.privateKey = privateKey;
  }

  /** A fresh certificate and ECDSA P-256 key for {@code identity}, valid from an hour ago for 100 years. */
  public static TlsCertificate generate(KeyPair identity) {
    Instant now = Instant.now();
    return generate(identity.publicKey().marshal(), identity, now.minus(BACKDATE), now.plus(LIFETIME));
  }

  /**
   * A certificate whose extension carries {@code hostKey} (a libp2p PublicKey protobuf), signed by
   * {@code signer}: the tests build wrong ones with it (a key that did not sign, an expired one).
   */
  static TlsCertificate generate(byte[] hostKey, KeyPair signer, Instant notBefore, Instant notAfter) {
    java.security.KeyPair certKey = newKey();
    return build(certKey, notBefore, notAfter, List.of(libp2pExtension(hostKey, signer, certKey)));
  }

  /** A fresh ECDSA P-256 key. */
  static java.security.KeyPair newKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make an ECDSA P-256 key: " + e.getMessage(), e);
    }
  }

  /** The libp2p Public Key Extension: {@code hostKey} and {@code signer}'s signature over {@code certKey}. */
  static byte[] libp2pExtension(byte[] hostKey, KeyPair signer, java.security.KeyPair certKey) {
    byte[] spki = certKey.getPublic().getEncoded();
    byte[] signedKey = Der.sequence(Der.octets(hostKey), Der.octets(signer.sign(concat(SIGNATURE_PREFIX, spki))));
    return extension(EXTENSION_OID, true, signedKey);
  }

  /** One X.509 {@code Extension}. */
  static byte[] extension(String oid, boolean critical, byte[] value) {
    return critical
        ? Der.sequence(Der.oid(oid), Der.tlv(0x01, new byte[] {(byte) 0xFF}), Der.octets(value))
        : Der.sequence(Der.oid(oid), Der.octets(value));
  }

  /** A v3 certificate self-signed by {@code certKey} with these extensions, in this order. */
  static TlsCertificate build(java.security.KeyPair certKey, Instant notBefore, Instant notAfter,
      List<byte[]> extensions) {
    byte[] algorithm = Der.sequence(Der.oid(ECDSA_WITH_SHA256));
    byte[] name = Der.sequence(Der.tlv(Der.SET, Der.sequence(Der.oid("2.5.4.10"), Der.utf8("tinyp2p"))));
    byte[] tbs = Der.sequence(
        Der.tlv(0xA0, Der.integer(BigInteger.TWO)), // v3
        Der.integer(new BigInteger(63, RANDOM).add(BigInteger.ONE)),
        algorithm,
        name,
        Der.sequence(Der.time(notBefore), Der.time(notAfter)),
        name,
        certKey.getPublic().getEncoded(),
        extensions.isEmpty() ? new byte[0] : Der.tlv(0xA3, Der.sequence(extensions.toArray(byte[][]::new))));
    try {
      Signature ecdsa = Signature.getInstance("SHA256withECDSA");
      ecdsa.initSign(certKey.getPrivate());
      ecdsa.update(tbs);
      return new TlsCertificate(parse(Der.sequence(tbs, algorithm, Der.bits(ecdsa.sign()))), certKey.getPrivate());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a TLS certificate: " + e.getMessage(), e);
    }
  }

  /** The certificate we present. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** The certificate's own (ECDSA P-256) key, which signs the TLS handshake. */
  public PrivateKey privateKey() {
    return privateKey;
  }

  /**
   * BouncyCastle's X.509 parser: the JDK's refuses a certificate with an empty issuer name, which
   * js-libp2p and rust-libp2p (and older go-libp2p) send.
   */
  private static final java.security.Provider PARSER = new org.bouncycastle.jce.provider.BouncyCastleProvider();

  /** Parses one DER-encoded X.509 certificate (with BouncyCastle, which takes an empty issuer name). */
  public static X509Certificate parse(byte[] der) throws CertificateException {
    return (X509Certificate) CertificateFactory.getInstance("X.509", PARSER).generateCertificate(new ByteArrayInputStream(der));
  }

  /**
   * Checks a peer's certificate chain as the spec demands and returns the PeerId it proves:
   * exactly one certificate, valid at {@code now}, correctly self-signed, no unknown critical
   * extension, no unique ids, the libp2p extension present and well-formed, its host key (Ed25519,
   * ECDSA or secp256k1) the signer of the certificate's key.
   *
   * @throws CertificateException naming what is wrong; RSA host keys are refused as
   *     "unsupported key type"
   */
  public static PeerId verify(X509Certificate[] chain, Instant now) throws CertificateException {
    if (chain == null || chain.length != 1) {
      throw new CertificateException("expected exactly one certificate, got " + (chain == null ? 0 : chain.length));
    }
    X509Certificate cert = chain[0];
    try {
      cert.checkValidity(Date.from(now));
    } catch (CertificateException e) {
      throw new CertificateException("certificate is not valid now (" + cert.getNotBefore() + " to "
          + cert.getNotAfter() + ")", e);
    }
    try {
      cert.verify(cert.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new CertificateException("certificate self-signature is invalid: " + e.getMessage(), e);
    }
    if (cert.getIssuerUniqueID() != null || cert.getSubjectUniqueID() != null) {
      throw new CertificateException("certificate has the deprecated issuer or subject unique id");
    }
    Set<String> critical = new HashSet<>();
    if (cert.getCriticalExtensionOIDs() != null) {
      critical.addAll(cert.getCriticalExtensionOIDs());
    }
    critical.removeAll(UNDERSTOOD);
    if (!critical.isEmpty()) {
      throw new CertificateException("certificate has unknown critical extensions " + critical);
    }
    byte[] wrapped = cert.getExtensionValue(EXTENSION_OID);
    if (wrapped == null) {
      throw new CertificateException("certificate lacks the libp2p public key extension " + EXTENSION_OID);
    }
    Der.Reader outer = new Der.Reader(wrapped);
    byte[] value = outer.read(Der.OCTET_STRING, "libp2p extension");
    outer.end("libp2p extension");
    Der.Reader top = new Der.Reader(value);
    Der.Reader signedKey = top.enter(Der.SEQUENCE, "SignedKey");
    top.end("SignedKey");
    byte[] hostKey = signedKey.read(Der.OCTET_STRING, "SignedKey.publicKey");
    byte[] signature = signedKey.read(Der.OCTET_STRING, "SignedKey.signature");
    signedKey.end("SignedKey");
    CryptoProto.PublicKey pb;
    try {
      pb = CryptoProto.PublicKey.parseFrom(hostKey);
    } catch (InvalidProtocolBufferException e) {
      throw new CertificateException("libp2p extension: malformed PublicKey protobuf: " + e.getMessage());
    }
    return HostKeys.verify(pb, concat(SIGNATURE_PREFIX, subjectPublicKeyInfo(cert)), signature);
  }

  /** {@link #verify(X509Certificate[], Instant)} for one DER-encoded certificate. */
  public static PeerId verify(byte[] der, Instant now) throws CertificateException {
    return verify(new X509Certificate[] {parse(der)}, now);
  }

  /** The SubjectPublicKeyInfo exactly as the certificate encodes it (not re-encoded by the JDK). */
  private static byte[] subjectPublicKeyInfo(X509Certificate cert) throws CertificateException {
    Der.Reader tbs = new Der.Reader(cert.getTBSCertificate()).enter(Der.SEQUENCE, "TBSCertificate");
    if (tbs.peekTag() == 0xA0) {
      tbs.skip("version");
    }
    for (String field : new String[] {"serialNumber", "signature", "issuer", "validity", "subject"}) {
      tbs.skip(field);
    }
    return tbs.readEncoded(Der.SEQUENCE, "subjectPublicKeyInfo");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
