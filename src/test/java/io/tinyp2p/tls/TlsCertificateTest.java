package io.tinyp2p.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The libp2p TLS certificate: the spec's test vectors, our own certificates, and wrong ones refused. */
class TlsCertificateTest {
  // libp2p/specs tls/tls.md, "Test vectors"
  private static final String ED25519 = "308201ae30820156a0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37e381569ea37c307a3078060a2b0601040183a25a0101046a3068042408011220a77f1d92fedb59dddaea5a1c4abd1ac2fbde7d7b879ed364501809923d7c11b90440d90d2769db992d5e6195dbb08e706b6651e024fda6cfb8846694a435519941cac215a8207792e42849cccc6cd8136c6e4bde92a58c5e08cfd4206eb5fe0bf909300a06082a8648ce3d0403020346003043021f50f6b6c52711a881778718238f650c9fb48943ae6ee6d28427dc6071ae55e702203625f116a7a454db9c56986c82a25682f7248ea1cb764d322ea983ed36a31b77";
  private static final String ECDSA = "308201f63082019da0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37e381569ea381c23081bf3081bc060a2b0601040183a25a01010481ad3081aa045f0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004bf30511f909414ebdd3242178fd290f093a551cf75c973155de0bb5a96fedf6cb5d52da7563e794b512f66e60c7f55ba8a3acf3dd72a801980d205e8a1ad29f2044730450220064ea8124774caf8f50e57f436aa62350ce652418c019df5d98a3ac666c9386a022100aa59d704a931b5f72fb9222cb6cc51f954d04a4e2e5450f8805fe8918f71eaae300a06082a8648ce3d04030203470030440220799395b0b6c1e940a7e4484705f610ab51ed376f19ff9d7c16757cfbf61b8d4302206205c03fbb0f95205c779be86581d3e31c01871ad5d1f3435bcf375cb0e5088a";
  private static final String SECP256K1 = "308201ba3082015fa0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37e381569ea38184308181307f060a2b0601040183a25a01010471306f0425080212210206dc6968726765b820f050263ececf7f71e4955892776c0970542efd689d2382044630440220145e15a991961f0d08cd15425bb95ec93f6ffa03c5a385eedc34ecf464c7a8ab022026b3109b8a3f40ef833169777eb2aa337cfb6282f188de0666d1bcec2a4690dd300a06082a8648ce3d0403020349003046022100e1a217eeef9ec9204b3f774a08b70849646b6a1e6b8b27f93dc00ed58545d9fe022100b00dafa549d0f03547878338c7b15e7502888f6d45db387e5ae6b5d46899cef0";
  private static final String INVALID = "308201f73082019da0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37e381569ea381c23081bf3081bc060a2b0601040183a25a01010481ad3081aa045f0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004bf30511f909414ebdd3242178fd290f093a551cf75c973155de0bb5a96fedf6cb5d52da7563e794b512f66e60c7f55ba8a3acf3dd72a801980d205e8a1ad29f204473045022100bb6e03577b7cc7a3cd1558df0da2b117dfdcc0399bc2504ebe7de6f65cade72802206de96e2a5be9b6202adba24ee0362e490641ac45c240db71fe955f2c5cf8df6e300a06082a8648ce3d0403020348003045022100e847f267f43717358f850355bdcabbefb2cfbf8a3c043b203a14788a092fe8db022027c1d04a2d41fd6b57a7e8b3989e470325de4406e52e084e34a3fd56eef0d0df";

  private static PeerId verify(String hex) throws CertificateException {
    return TlsCertificate.verify(HexFormat.of().parseHex(hex), Instant.now());
  }

  @Test
  void ed25519VectorProvesItsPeerId() throws Exception {
    assertEquals(PeerId.parse("12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv"), verify(ED25519));
  }

  @Test
  void ecdsaVectorProvesItsPeerId() throws Exception {
    assertEquals(PeerId.parse("QmfXbAwNjJLXfesgztEHe8HwgVDCMMpZ9Eax1HYq6hn9uE"), verify(ECDSA));
  }

  @Test
  void secp256k1VectorProvesItsPeerId() throws Exception {
    assertEquals(PeerId.parse("16Uiu2HAkutTMoTzDw1tCvSRtu6YoixJwS46S1ZFxW8hSx9fWHiPs"), verify(SECP256K1));
  }

  @Test
  void invalidVectorIsRefused() {
    CertificateException e = assertThrows(CertificateException.class, () -> verify(INVALID));
    assertTrue(e.getMessage().contains("did not sign"), e.getMessage());
  }

  @Test
  void ownCertificateRoundTrips() throws Exception {
    KeyPair identity = KeyPair.generate();
    TlsCertificate cert = TlsCertificate.generate(identity);
    X509Certificate x509 = cert.certificate();
    assertEquals(identity.peerId(), TlsCertificate.verify(new X509Certificate[] {x509}, Instant.now()));
    // through its DER, as a peer receives it
    assertEquals(identity.peerId(), TlsCertificate.verify(x509.getEncoded(), Instant.now()));
    assertEquals("EC", cert.privateKey().getAlgorithm());
    assertEquals("SHA256withECDSA", x509.getSigAlgName());
    assertEquals(java.util.Set.of(TlsCertificate.EXTENSION_OID), x509.getCriticalExtensionOIDs());
    Instant now = Instant.now();
    assertTrue(x509.getNotBefore().toInstant().isBefore(now.minus(Duration.ofMinutes(59))));
    assertTrue(x509.getNotAfter().toInstant().isAfter(now.plus(Duration.ofDays(99 * 365))));
    // the extension is the first one (js-libp2p reads only that one)
    assertArrayEquals(x509.getExtensionValue(TlsCertificate.EXTENSION_OID),
        TlsCertificate.parse(x509.getEncoded()).getExtensionValue(TlsCertificate.EXTENSION_OID));
  }

  @Test
  void twoCertificatesOfOneIdentityHaveTheirOwnKeys() {
    KeyPair identity = KeyPair.generate();
    assertTrue(!TlsCertificate.generate(identity).certificate().getPublicKey()
        .equals(TlsCertificate.generate(identity).certificate().getPublicKey()));
  }

  @Test
  void keyThatDidNotSignIsRefused() {
    TlsCertificate forged = TestCertificates.forged(KeyPair.generate(), KeyPair.generate());
    CertificateException e = assertThrows(CertificateException.class,
        () -> TlsCertificate.verify(new X509Certificate[] {forged.certificate()}, Instant.now()));
    assertTrue(e.getMessage().contains("did not sign"), e.getMessage());
  }

  @Test
  void expiredIsRefused() {
    TlsCertificate expired = TestCertificates.expired(KeyPair.generate());
    CertificateException e = assertThrows(CertificateException.class,
        () -> TlsCertificate.verify(new X509Certificate[] {expired.certificate()}, Instant.now()));
    assertTrue(e.getMessage().contains("not valid now"), e.getMessage());
  }

  @Test
  void notYetValidIsRefused() {
    TlsCertificate cert = TlsCertificate.generate(KeyPair.generate());
    assertThrows(CertificateException.class, () -> TlsCertificate.verify(new X509Certificate[] {cert.certificate()},
        Instant.now().minus(Duration.ofHours(2))));
  }

  @Test
  void chainOfTwoIsRefused() {
    X509Certificate one = TlsCertificate.generate(KeyPair.generate()).certificate();
    CertificateException e = assertThrows(CertificateException.class,
        () -> TlsCertificate.verify(new X509Certificate[] {one, one}, Instant.now()));
    assertTrue(e.getMessage().contains("exactly one"), e.getMessage());
  }

  @Test
  void tamperedSelfSignatureIsRefused() throws Exception {
    byte[] der = TlsCertificate.generate(KeyPair.generate()).certificate().getEncoded();
    der[der.length - 3] ^= 1; // inside the ECDSA signature
    CertificateException e = assertThrows(CertificateException.class, () -> TlsCertificate.verify(der, Instant.now()));
    assertTrue(e.getMessage().contains("self-signature") || e.getMessage().contains("parse")
        || e.getCause() != null, e.getMessage());
  }

  @Test
  void certificateWithoutTheExtensionIsRefused() {
    Instant now = Instant.now();
    TlsCertificate bare = TlsCertificate.build(TlsCertificate.newKey(), now.minusSeconds(60), now.plusSeconds(60),
        java.util.List.of());
    CertificateException e = assertThrows(CertificateException.class,
        () -> TlsCertificate.verify(new X509Certificate[] {bare.certificate()}, now));
    assertTrue(e.getMessage().contains("lacks the libp2p public key extension"), e.getMessage());
  }

  @Test
  void unknownCriticalExtensionIsRefusedAndUnknownOtherIgnored() throws Exception {
    KeyPair identity = KeyPair.generate();
    Instant now = Instant.now();
    java.security.KeyPair key = TlsCertificate.newKey();
    byte[] ours = TlsCertificate.libp2pExtension(identity.publicKey().marshal(), identity, key);
    byte[] unknownValue = Der.octets(new byte[] {1, 2, 3});
    TlsCertificate critical = TlsCertificate.build(key, now.minusSeconds(60), now.plusSeconds(60),
        java.util.List.of(ours, TlsCertificate.extension("1.2.3.4.5", true, unknownValue)));
    CertificateException e = assertThrows(CertificateException.class,
        () -> TlsCertificate.verify(new X509Certificate[] {critical.certificate()}, now));
    assertTrue(e.getMessage().contains("unknown critical extensions [1.2.3.4.5]"), e.getMessage());
    TlsCertificate other = TlsCertificate.build(key, now.minusSeconds(60), now.plusSeconds(60),
        java.util.List.of(ours, TlsCertificate.extension("1.2.3.4.5", false, unknownValue)));
    assertEquals(identity.peerId(), TlsCertificate.verify(new X509Certificate[] {other.certificate()}, now));
  }

  @Test
  void malformedExtensionIsRefused() {
    Instant now = Instant.now();
    TlsCertificate cert = TlsCertificate.build(TlsCertificate.newKey(), now.minusSeconds(60), now.plusSeconds(60),
        java.util.List.of(TlsCertificate.extension(TlsCertificate.EXTENSION_OID, true, Der.sequence(Der.octets(new byte[3])))));
    assertThrows(CertificateException.class, () -> TlsCertificate.verify(new X509Certificate[] {cert.certificate()}, now));
  }

  @Test
  void garbageIsRefused() {
    assertThrows(CertificateException.class, () -> TlsCertificate.verify(new byte[] {0x30, 0x03, 1, 2, 3}, Instant.now()));
  }

  @Test
  void derWritesLengthsAndOids() {
    assertEquals("060a2b0601040183a25a0101", HexFormat.of().formatHex(Der.oid(TlsCertificate.EXTENSION_OID)));
    byte[] big = Der.octets(new byte[300]);
    assertEquals("0482012c", HexFormat.of().formatHex(big, 0, 4));
  }
}
