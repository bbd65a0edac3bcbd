package io.tinyp2p.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.util.Base32;
import io.tinyp2p.util.Base58;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PeerIds, keys and secrets.
 *
 * <p>Where the vectors come from:
 *
 * <ul>
 *   <li>libp2p/specs peer-ids/peer-ids.md, "Test vectors": the Ed25519 private and public key
 *       protobufs, the secp256k1 and ECDSA public keys; and the examples of the "String
 *       representation" section (QmYyQSo1..., bafzbeie5745..., 12D3KooWD3eck...).
 *   <li>js-libp2p (@libp2p/crypto 5.1.23, @libp2p/peer-id 6.0.15, the versions of
 *       interop/js/package.json), run on Node 20: the PeerId and CID text of each of those
 *       keys ({@code peerIdFromPrivateKey}, {@code peerIdFromPublicKey}, {@code toCID()}); for
 *       the seed 00 01 .. 1f, {@code generateKeyPairFromSeed('Ed25519', seed)} gave the PeerId,
 *       CID and multihash below and its signature of "tinyp2p"; base58btc of that seed is the
 *       secret.
 * </ul>
 */
class PeerIdTest {
  private static final HexFormat HEX = HexFormat.of();

  // libp2p/specs peer-ids.md test vectors
  private static final String SPEC_ED25519_PRIVATE =
      "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"
          + "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
  private static final String SPEC_ED25519_PUBLIC =
      "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
  private static final String SPEC_SECP256K1_PUBLIC =
      "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";
  private static final String SPEC_ECDSA_PUBLIC =
      "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d"
          + "83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb"
          + "4dcec034e9f77c409e62";
  // ... and their PeerIds, as js-libp2p computes them
  private static final String SPEC_ED25519_PEER = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
  private static final String SPEC_ED25519_CID =
      "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
  private static final String SPEC_SECP256K1_PEER = "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY";

  // seed 00 01 02 .. 1f, through js-libp2p
  private static final byte[] SEED = new byte[32];

  static {
    for (int i = 0; i < 32; i++) {
      SEED[i] = (byte) i;
    }
  }

  private static final String SEED_SECRET = "1thX6LZfHDZZKUs92febYZhYRcXddmzfzF2NvTkPNE";
  private static final String SEED_PEER = "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB";
  private static final String SEED_CID =
      "bafzaajaiaejcaa5ba677htqqxyoxbxiy45f4bglh4tldbg5fbvpr3xegmqjfkmny";
  private static final String SEED_MULTIHASH =
      "00240801122003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
  private static final String SEED_SIGNATURE_OF_TINYP2P =
      "dea41632bafcc97027c6f5b23f23ac983e8320c73e38afa92b98df9af794b004"
          + "b0f8fb5d9c9c48c150b2a38eda5af227c941af6ab1c98492f321fd0acb53b300";

  // ---------------------------------------------------------------- spec vectors

  @Test
  void specEd25519PublicKeyGivesItsPeerId() {
    PublicKey key = PublicKey.unmarshal(HEX.parseHex(SPEC_ED25519_PUBLIC));
    assertEquals(SPEC_ED25519_PUBLIC, HEX.formatHex(key.marshal()));
    assertEquals(SPEC_ED25519_PEER, key.toPeerId().toString());
    assertEquals(SPEC_ED25519_CID, key.toPeerId().toCid());
    assertEquals(key, key.toPeerId().publicKey());
    assertTrue(key.toPeerId().matches(key));
  }

  @Test
  void specEd25519PrivateKeyGivesThePublicKey() {
    // the private key protobuf holds seed || public key: from the seed we must derive the rest
    byte[] priv = HEX.parseHex(SPEC_ED25519_PRIVATE);
    assertEquals("08011240", HEX.formatHex(priv, 0, 4));
    KeyPair pair = KeyPair.fromSeed(Arrays.copyOfRange(priv, 4, 36));
    assertArrayEquals(Arrays.copyOfRange(priv, 36, 68), pair.publicKey().raw());
    assertEquals(SPEC_ED25519_PUBLIC, HEX.formatHex(pair.publicKey().marshal()));
    assertEquals(SPEC_ED25519_PEER, pair.peerId().toString());
  }

  @Test
  void specStringExamples() {
    PeerId ed = PeerId.parse("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA");
    assertEquals("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA", ed.toBase58());
    assertEquals(
        "0024080112202ffa35a99d3a3cfbb17bb7c1dc5561b18a8dcca4df38dc613ea859c37eb1336b",
        HEX.formatHex(ed.toBytes()));
    assertEquals("bafzaajaiaejcal72gwuz2or47oyxxn6b3rkwdmmkrxgkjxzy3rqt5kczyn7lcm3l", ed.toCid());
    assertNotNull(ed.publicKey());
    assertEquals(ed, ed.publicKey().toPeerId());

    PeerId sha = PeerId.parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
    PeerId shaCid = PeerId.parse("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe");
    assertEquals(sha, shaCid);
    assertEquals("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", shaCid.toString());
    assertEquals("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", sha.toCid());
    assertEquals(
        "12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9",
        HEX.formatHex(sha.toBytes()));
    assertNull(sha.publicKey(), "a sha2-256 PeerId does not carry its key");
  }

  @Test
  void secp256k1PeerIdsParseThoughTheKeyTypeIsUnsupported() {
    PeerId id = PeerId.parse(SPEC_SECP256K1_PEER);
    assertEquals(SPEC_SECP256K1_PEER, id.toString());
    assertEquals("0025" + SPEC_SECP256K1_PUBLIC, HEX.formatHex(id.toBytes()));
    assertNull(id.publicKey());
  }

  @Test
  void largeKeysAreHashedWithSha256() {
    // the spec's ECDSA public key is 95 bytes: its PeerId is sha2-256 of the protobuf
    byte[] proto = HEX.parseHex(SPEC_ECDSA_PUBLIC);
    byte[] mh = new byte[34];
    mh[0] = 0x12;
    mh[1] = 32;
    System.arraycopy(PeerId.sha256(proto), 0, mh, 2, 32);
    PeerId id = PeerId.fromBytes(mh);
    assertTrue(id.toString().startsWith("Qm"), id.toString());
    assertEquals(id, PeerId.parse(id.toString()));
    assertEquals(id, PeerId.parse(id.toCid()));
  }

  // ---------------------------------------------------------------- real libp2p behaviour

  @Test
  void fixedSeedGivesTheSamePeerIdAsJsLibp2p() {
    KeyPair pair = KeyPair.fromSeed(SEED);
    assertEquals(SEED_PEER, pair.peerId().toString());
    assertEquals(SEED_PEER, pair.publicKey().toPeerId().toBase58());
    assertEquals(SEED_MULTIHASH, HEX.formatHex(pair.peerId().toBytes()));
    assertEquals(SEED_CID, pair.peerId().toCid());
    assertEquals(SEED_SECRET, pair.secret());
    assertEquals("KeyPair(" + SEED_PEER + ")", pair.toString());
  }

  @Test
  void signaturesMatchJsLibp2p() {
    KeyPair pair = KeyPair.fromSeed(SEED);
    byte[] msg = "tinyp2p".getBytes(StandardCharsets.UTF_8);
    assertEquals(SEED_SIGNATURE_OF_TINYP2P, HEX.formatHex(pair.sign(msg)));
    assertTrue(pair.publicKey().verify(msg, HEX.parseHex(SEED_SIGNATURE_OF_TINYP2P)));
  }

  @Test
  void cidFromJsLibp2pParses() {
    PeerId id = PeerId.parse(SEED_CID);
    assertEquals(SEED_PEER, id.toString());
    assertEquals(KeyPair.fromSeed(SEED).publicKey(), id.publicKey());
  }

  @Test
  void base58CidFormParses() {
    PeerId id = PeerId.parse(SEED_PEER);
    byte[] cid = new byte[2 + id.toBytes().length];
    cid[0] = 1;
    cid[1] = 0x72;
    System.arraycopy(id.toBytes(), 0, cid, 2, id.toBytes().length);
    assertEquals(id, PeerId.parse("z" + Base58.encode(cid)));
  }

  // ---------------------------------------------------------------- text and bytes

  @Property(tries = 200)
  void textBytesAndCidRoundTrip(@ForAll @Size(value = 32) byte[] seed) {
    PeerId id = KeyPair.fromSeed(seed).peerId();
    String text = id.toString();
    assertTrue(text.startsWith("12D3KooW"), text);
    assertEquals(id, PeerId.parse(text));
    assertEquals(id, PeerId.fromBytes(id.toBytes()));
    assertEquals(id, PeerId.parse(id.toCid()));
    assertTrue(id.toCid().startsWith("bafzaajaiaejc"), id.toCid());
    assertEquals(0, id.compareTo(PeerId.parse(text)));
    assertEquals(id.hashCode(), PeerId.parse(id.toCid()).hashCode());
  }

  @Test
  void toBytesIsACopy() {
    PeerId id = PeerId.parse(SEED_PEER);
    byte[] b = id.toBytes();
    b[5] ^= 1;
    assertEquals(SEED_MULTIHASH, HEX.formatHex(id.toBytes()));
  }

  @Test
  void differentKeysDifferentPeerIds() {
    assertNotEquals(KeyPair.generate().peerId(), KeyPair.generate().peerId());
  }

  // ---------------------------------------------------------------- garbage

  @ParameterizedTest
  @ValueSource(strings = {
    "",
    "xyz",
    "12D3",
    "1",
    "11", // the empty identity multihash
    "Qm",
    "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5", // one character short
    "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeS0", // '0' is not base58
    "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSBB", // one character too many
    "b", // CID forms
    "z",
    "bafzaajaiaejcaa5ba677htqqxyoxbxiy45f4bglh4tldbg5fbvpr3xegmqjfkmnya", // stray character
    "bafzaajaiaejcaa5ba677htqqxyoxbxiy45f4bglh4tldbg5fbvpr3xegmqjfkmn",
    "BAFZAAJAIAEJCAA5BA677HTQQXYOXBXIY45F4BGLH4TLDBG5FBVPR3XEGMQJFKMNY",
    "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", // a dag-pb CID, not libp2p-key
    " 12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB"
  })
  void garbageIsRejected(String text) {
    assertThrows(IllegalArgumentException.class, () -> PeerId.parse(text));
  }

  @Test
  void nullIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> PeerId.parse(null));
  }

  @Test
  void wrongMultihashesAreRejected() {
    byte[] digest = new byte[32];
    Arrays.fill(digest, (byte) 7);
    // sha1 (0x11) is not a PeerId hash
    assertRejected(concat(new byte[] {0x11, 20}, Arrays.copyOf(digest, 20)), "0x11");
    // sha2-256 of the wrong length
    assertRejected(concat(new byte[] {0x12, 31}, Arrays.copyOf(digest, 31)), "32 bytes");
    // length byte disagrees with the bytes that follow
    assertRejected(concat(new byte[] {0x12, 32}, Arrays.copyOf(digest, 31)), "length");
    assertRejected(concat(new byte[] {0x00, 36}, HEX.parseHex(SPEC_ED25519_PUBLIC), new byte[1]), "length");
    // identity multihash holding something that is not a key
    assertRejected(new byte[] {0x00, 3, 1, 2, 3}, "public key");
    assertRejected(new byte[] {0x00, 0}, "public key");
    // identity multihash of more than 42 bytes (the spec hashes those)
    assertRejected(concat(new byte[] {0x00, 43}, new byte[43]), "42");
    assertRejected(new byte[0], "length");
    assertRejected(new byte[] {0x12}, "length");
  }

  private static void assertRejected(byte[] multihash, String messagePart) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PeerId.fromBytes(multihash));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    // and the same through the text forms
    assertThrows(IllegalArgumentException.class, () -> PeerId.parse(Base58.encode(multihash)));
    assertThrows(
        IllegalArgumentException.class,
        () -> PeerId.parse("b" + Base32.encodeLower(concat(new byte[] {1, 0x72}, multihash))));
  }

  @Test
  void cidWithWrongVersionOrCodecIsRejected() {
    byte[] mh = HEX.parseHex(SEED_MULTIHASH);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PeerId.parse("b" + Base32.encodeLower(concat(new byte[] {1, 0x70}, mh))));
    assertTrue(e.getMessage().contains("libp2p-key"), e.getMessage());
    e = assertThrows(
        IllegalArgumentException.class,
        () -> PeerId.parse("b" + Base32.encodeLower(concat(new byte[] {2, 0x72}, mh))));
    assertTrue(e.getMessage().contains("version"), e.getMessage());
    e = assertThrows(
        IllegalArgumentException.class,
        () -> PeerId.parse("b" + Base32.encodeLower(new byte[] {1})));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Property
  void parsingArbitraryTextOnlyThrowsIllegalArgument(@ForAll @Size(max = 70) String text) {
    try {
      PeerId id = PeerId.parse(text);
      assertEquals(id, PeerId.parse(id.toString()));
    } catch (IllegalArgumentException expected) {
      // fine
    }
  }

  @Property
  void arbitraryMultihashesOnlyThrowIllegalArgument(@ForAll @Size(max = 70) byte[] bytes) {
    try {
      PeerId id = PeerId.fromBytes(bytes);
      assertArrayEquals(bytes, id.toBytes());
      assertEquals(id, PeerId.parse(id.toString()));
    } catch (IllegalArgumentException expected) {
      // fine
    }
  }

  // ---------------------------------------------------------------- secrets

  @Test
  void secretRoundTrip() {
    KeyPair pair = KeyPair.fromSecret(SEED_SECRET);
    assertEquals(SEED_PEER, pair.peerId().toString());
    assertEquals(SEED_SECRET, pair.secret());
    KeyPair fresh = KeyPair.generate();
    KeyPair again = KeyPair.fromSecret(fresh.secret());
    assertEquals(fresh.peerId(), again.peerId());
    assertEquals(fresh.publicKey(), again.publicKey());
    assertEquals(SEED_PEER, KeyPair.fromSecret("  " + SEED_SECRET + "\n").peerId().toString());
  }

  @Test
  void secretThatIsNotBase58() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> KeyPair.fromSecret("1thX6LZfHDZZKUs0"));
    assertTrue(e.getMessage().contains("not base58btc"), e.getMessage());
    assertTrue(e.getMessage().contains("position 15"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 31, 33, 64})
  void secretOfTheWrongLength(int length) {
    byte[] seed = new byte[length];
    Arrays.fill(seed, (byte) 0x42);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> KeyPair.fromSecret(Base58.encode(seed)));
    assertTrue(e.getMessage().contains("32-byte"), e.getMessage());
    assertTrue(e.getMessage().contains("got " + length + " bytes"), e.getMessage());
    IllegalArgumentException e2 =
        assertThrows(IllegalArgumentException.class, () -> KeyPair.fromSeed(seed));
    assertTrue(e2.getMessage().contains("got " + length), e2.getMessage());
  }

  @Test
  void emptySecret() {
    for (String s : new String[] {null, "", "   "}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> KeyPair.fromSecret(s));
      assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }
  }

  // ---------------------------------------------------------------- signatures

  @Property(tries = 50)
  void signVerifyRoundTrip(@ForAll @Size(value = 32) byte[] seed, @ForAll @Size(max = 200) byte[] msg) {
    KeyPair pair = KeyPair.fromSeed(seed);
    byte[] sig = pair.sign(msg);
    assertEquals(64, sig.length);
    assertTrue(pair.publicKey().verify(msg, sig));
    // a public key rebuilt from its bytes (no JDK key cached) verifies too
    PublicKey rebuilt = PublicKey.unmarshal(pair.publicKey().marshal());
    assertTrue(rebuilt.verify(msg, sig));
    assertTrue(PublicKey.fromRaw(pair.publicKey().raw()).verify(msg, sig));
  }

  @Test
  void verifyRejectsTamperingAndMalformedSignatures() {
    KeyPair pair = KeyPair.fromSeed(SEED);
    PublicKey key = PublicKey.unmarshal(pair.publicKey().marshal());
    byte[] msg = "tinyp2p".getBytes(StandardCharsets.UTF_8);
    byte[] sig = pair.sign(msg);
    assertTrue(key.verify(msg, sig));

    byte[] tamperedMsg = "tinyp2q".getBytes(StandardCharsets.UTF_8);
    assertFalse(key.verify(tamperedMsg, sig));
    byte[] tamperedSig = sig.clone();
    tamperedSig[10] ^= 1;
    assertFalse(key.verify(msg, tamperedSig));
    assertFalse(key.verify(msg, Arrays.copyOf(sig, 63)));
    assertFalse(key.verify(msg, Arrays.copyOf(sig, 65)));
    assertFalse(key.verify(msg, new byte[0]));
    assertFalse(key.verify(msg, null));
    assertFalse(key.verify(msg, new byte[64]));
    byte[] ff = new byte[64];
    Arrays.fill(ff, (byte) 0xFF); // S >= group order
    assertFalse(key.verify(msg, ff));
    assertFalse(KeyPair.generate().publicKey().verify(msg, sig), "another key");
  }

  // ---------------------------------------------------------------- public keys

  @Test
  void unmarshalRejectsOtherKeyTypes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PublicKey.unmarshal(HEX.parseHex(SPEC_SECP256K1_PUBLIC)));
    assertTrue(e.getMessage().contains("Secp256k1"), e.getMessage());
    e = assertThrows(
        IllegalArgumentException.class, () -> PublicKey.unmarshal(HEX.parseHex(SPEC_ECDSA_PUBLIC)));
    assertTrue(e.getMessage().contains("ECDSA"), e.getMessage());
  }

  @Test
  void unmarshalRejectsGarbage() {
    for (String hex : new String[] {
        "", "010203", "0801", // Data missing
        "0801121f" + "00".repeat(31), // 31-byte Ed25519 key
        "08011221" + "00".repeat(33),
        "0809122000" + "00".repeat(31), // unknown key type 9
        "ffffffff"}) {
      assertThrows(IllegalArgumentException.class, () -> PublicKey.unmarshal(HEX.parseHex(hex)), hex);
    }
    assertThrows(IllegalArgumentException.class, () -> PublicKey.fromRaw(new byte[31]));
  }

  @Property
  void unmarshalOfArbitraryBytesOnlyThrowsIllegalArgument(@ForAll @Size(max = 50) byte[] bytes) {
    try {
      PublicKey key = PublicKey.unmarshal(bytes);
      assertEquals(32, key.raw().length);
    } catch (IllegalArgumentException expected) {
      // fine
    }
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int o = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, o, p.length);
      o += p.length;
    }
    return out;
  }
}
