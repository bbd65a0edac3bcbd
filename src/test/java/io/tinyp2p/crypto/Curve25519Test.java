package io.tinyp2p.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The crypto seam against the RFC vectors (RFC 8032 section 7.1, RFC 7748 section 5.2) and
 * against the JDK's own Ed25519, an independent implementation: each verifies what the other
 * signs.
 */
class Curve25519Test {
  private static final HexFormat HEX = HexFormat.of();

  /** RFC 8032 section 7.1: secret key, public key, message, signature. */
  private static final String[][] RFC8032 = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
          "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
          "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
              + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
          "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
          "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
              + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
          "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
          "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
              + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
      // TEST SHA(abc): the message is SHA-512("abc")
      {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
          "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
          "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
              + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
          "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
              + "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
  };

  @Test
  void ed25519MatchesRfc8032Section71() throws Exception {
    for (String[] v : RFC8032) {
      byte[] seed = HEX.parseHex(v[0]);
      byte[] pk = HEX.parseHex(v[1]);
      byte[] msg = HEX.parseHex(v[2]);
      byte[] sig = HEX.parseHex(v[3]);
      assertArrayEquals(pk, Curve25519.publicKey(seed), v[1]);
      assertArrayEquals(sig, Curve25519.sign(seed, pk, msg), v[3]);
      assertTrue(Curve25519.verify(pk, msg, sig));
      assertTrue(jdkVerify(pk, msg, sig), "the JDK agrees");
      // and through the key classes
      KeyPair pair = KeyPair.fromSeed(seed);
      assertArrayEquals(pk, pair.publicKey().raw());
      assertArrayEquals(sig, pair.sign(msg));
      assertTrue(PublicKey.fromRaw(pk).verify(msg, sig));
    }
  }

  @Test
  void verifyRejectsWhatIsNotASignatureWithoutThrowing() {
    String[] v = RFC8032[2];
    byte[] pk = HEX.parseHex(v[1]);
    byte[] msg = HEX.parseHex(v[2]);
    byte[] sig = HEX.parseHex(v[3]);
    for (int bit = 0; bit < 512; bit += 7) {
      byte[] bad = sig.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      assertFalse(Curve25519.verify(pk, msg, bad), "bit " + bit);
    }
    // S + L: the same signature with a non-canonical scalar (RFC 8032 5.1.7 requires S < L)
    BigInteger l = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
    byte[] s = Arrays.copyOfRange(sig, 32, 64);
    BigInteger sPlusL = littleEndian(s).add(l);
    byte[] malleable = sig.clone();
    System.arraycopy(toLittleEndian(sPlusL), 0, malleable, 32, 32);
    assertFalse(Curve25519.verify(pk, msg, malleable));
    assertFalse(Curve25519.verify(pk, new byte[] {1}, sig));
    assertFalse(Curve25519.verify(pk, msg, Arrays.copyOf(sig, 63)));
    assertFalse(Curve25519.verify(pk, msg, null));
    assertFalse(Curve25519.verify(Arrays.copyOf(pk, 31), msg, sig));
    assertFalse(Curve25519.verify(null, msg, sig));
    assertFalse(Curve25519.verify(pk, null, sig));
    // a public key that is not a point: y = 2 has no x on the curve
    byte[] notAPoint = new byte[32];
    notAPoint[0] = 2;
    assertFalse(Curve25519.verify(notAPoint, msg, sig));
    byte[] allOnes = new byte[32];
    Arrays.fill(allOnes, (byte) 0xff);
    assertFalse(Curve25519.verify(allOnes, msg, sig));
    assertThrows(IllegalArgumentException.class, () -> Curve25519.publicKey(new byte[31]));
  }

  @Property(tries = 50)
  void jdkAndSeamAgree(@ForAll @Size(value = 32) byte[] seed, @ForAll @Size(max = 300) byte[] msg) throws Exception {
    byte[] pk = Curve25519.publicKey(seed);
    byte[] sig = Curve25519.sign(seed, pk, msg);
    assertTrue(jdkVerify(pk, msg, sig));
    assertArrayEquals(sig, jdkSign(seed, msg));
    assertTrue(Curve25519.verify(pk, msg, sig));
  }

  // RFC 7748 section 5.2
  @Test
  void x25519MatchesRfc7748Section52() {
    assertArrayEquals(HEX.parseHex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
        Curve25519.x25519(HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
            HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")));
    // this u has its top bit set, which X25519 ignores
    assertArrayEquals(HEX.parseHex("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
        Curve25519.x25519(HEX.parseHex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
            HEX.parseHex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")));
  }

  @Test
  void x25519IteratedRfc7748Section52() {
    byte[] k = new byte[32];
    k[0] = 9;
    byte[] u = k.clone();
    for (int i = 1; i <= 1000; i++) {
      byte[] next = Curve25519.x25519(k, u);
      u = k;
      k = next;
      if (i == 1) {
        assertArrayEquals(HEX.parseHex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"), k);
      }
    }
    assertArrayEquals(HEX.parseHex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"), k);
  }

  @Test
  void x25519RefusesLowOrderPointsAndBadLengths() {
    byte[] k = Curve25519.newX25519PrivateKey();
    byte[] one = new byte[32];
    one[0] = 1;
    assertNull(Curve25519.x25519(k, new byte[32]));
    assertNull(Curve25519.x25519(k, one));
    assertNull(Curve25519.x25519(k, new byte[31]));
    assertNull(Curve25519.x25519(new byte[33], one));
    byte[] other = Curve25519.newX25519PrivateKey();
    assertArrayEquals(Curve25519.x25519(k, Curve25519.x25519PublicKey(other)),
        Curve25519.x25519(other, Curve25519.x25519PublicKey(k)));
  }

  private static boolean jdkVerify(byte[] pk, byte[] msg, byte[] sig) throws Exception {
    byte[] le = pk.clone();
    boolean xOdd = (le[31] & 0x80) != 0;
    le[31] &= 0x7f;
    var spec = new EdECPublicKeySpec(NamedParameterSpec.ED25519, new EdECPoint(xOdd, littleEndian(le)));
    Signature v = Signature.getInstance("Ed25519");
    v.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(spec));
    v.update(msg);
    return v.verify(sig);
  }

  /** The JDK derives the key from the 32 bytes its random source yields: give it the seed. */
  private static byte[] jdkSign(byte[] seed, byte[] msg) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
    g.initialize(NamedParameterSpec.ED25519, new java.security.SecureRandom() {
      @Override
      public void nextBytes(byte[] out) {
        System.arraycopy(seed, 0, out, 0, out.length);
      }
    });
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(g.generateKeyPair().getPrivate());
    s.update(msg);
    return s.sign();
  }

  private static BigInteger littleEndian(byte[] le) {
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) {
      be[i] = le[le.length - 1 - i];
    }
    return new BigInteger(1, be);
  }

  private static byte[] toLittleEndian(BigInteger v) {
    byte[] be = v.toByteArray();
    byte[] le = new byte[32];
    for (int i = 0; i < 32 && i < be.length; i++) {
      le[i] = be[be.length - 1 - i];
    }
    return le;
  }
}
