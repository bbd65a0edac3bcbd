package io.tinyp2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The record and provider stores and the record validators, on an injected clock. */
class KadRecordStoreTest {
  /** An RSA public key under /pk/ from the libp2p interop suite: its key in base36 (no multibase prefix). */
  static final String RSA_PEER_BASE36 = "muft89xjpybos8eas1vaq2xrbsx2vkll7is4ocy7pia5fsjlt3c2";
  static final byte[] RSA_VALUE = HexFormat.of().parseHex("080012a60230820122300d06092a864886f70d01010105000382010f00"
      + "3082010a0282010100c2588f998971dac9e3eef76a311bf9159505aff69ea3b664c55a36aa28ee08de1127228a4d431bb9c0840240c75f"
      + "6e98a0843a78d945491a3ea5e1f7cee2bc71383510db5290702383975b7bffae9fb40c84cc1220fb4a7db862fffb0de42f8fd8fb33a17de"
      + "b20f30e2d0f194791fe69355a392f77df35f101e08a2fc95b2c018768938814fcb52482f899f5e90a1905e8abbcdbb1647ad80a5b0417e1"
      + "ce8320d64197a6ba3848926375c63adebabdf6eb82109bcadfee13b62bf922bbb6f74c1a26c9bc6122d1436787e0e6de3c152b19597010"
      + "92abef84599f73eaedb2fcef9f87293e1bbe8e0fef3f1a7fd2e8b94c7e633f88473644a63cb948e4d25c54490203010001");

  /** The RSA record's key: "/pk/" and the base36-decoded multihash. */
  static byte[] rsaKey() {
    return pkKey(base36(RSA_PEER_BASE36));
  }

  /** Multibase base36 (lowercase) without its prefix: a big number, leading '0's being zero bytes. */
  static byte[] base36(String text) {
    byte[] n = new BigInteger(text, 36).toByteArray();
    if (n.length > 1 && n[0] == 0) {
      n = Arrays.copyOfRange(n, 1, n.length);
    }
    int zeros = 0;
    while (zeros < text.length() && text.charAt(zeros) == '0') {
      zeros++;
    }
    byte[] out = new byte[zeros + n.length];
    System.arraycopy(n, 0, out, zeros, n.length);
    return out;
  }

  static byte[] pkKey(byte[] multihash) {
    byte[] key = new byte[4 + multihash.length];
    System.arraycopy("/pk/".getBytes(StandardCharsets.US_ASCII), 0, key, 0, 4);
    System.arraycopy(multihash, 0, key, 4, multihash.length);
    return key;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  final long[] now = {1_000_000};

  RecordStore records(StoreConfig config) {
    return new RecordStore(config, () -> now[0]);
  }

  @Test
  void theRsaRecordOfTheInteropSuiteValidates() {
    byte[] key = rsaKey();
    assertEquals(4 + 34, key.length);
    assertEquals(0x12, key[4]);
    assertNull(new RecordValidator(Set.of()).check(key, RSA_VALUE));
  }

  @Test
  void anEd25519PublicKeyValidatesUnderItsInlinedPeerId() {
    KeyPair pair = KeyPair.generate();
    byte[] value = pair.publicKey().marshal();
    byte[] key = pkKey(pair.peerId().toBytes());
    assertEquals(0x00, pair.peerId().toBytes()[0], "an Ed25519 PeerId inlines its key");
    assertNull(new RecordValidator(Set.of()).check(key, value));
  }

  @Test
  void forgedPublicKeyRecordsAreRefused() {
    RecordValidator v = new RecordValidator(Set.of());
    KeyPair a = KeyPair.generate();
    KeyPair b = KeyPair.generate();
    // another peer's key under our PeerId
    assertNotNull(v.check(pkKey(a.peerId().toBytes()), b.publicKey().marshal()));
    // the RSA key with one byte changed
    byte[] tampered = RSA_VALUE.clone();
    tampered[100] ^= 1;
    assertNotNull(v.check(rsaKey(), tampered));
    // the RSA key under an Ed25519 PeerId
    assertNotNull(v.check(pkKey(a.peerId().toBytes()), RSA_VALUE));
    // not a PublicKey protobuf at all, even if the hash matched
    byte[] garbage = utf8("not a key");
    assertNotNull(v.check(pkKey(PeerId.fromMarshalledKey(garbage).toBytes()), garbage));
    assertNotNull(v.check(utf8("/pk/"), RSA_VALUE));
  }

  @Test
  void unknownNamespacesAreRefusedUnlessAllowed() {
    RecordValidator strict = new RecordValidator(Set.of());
    assertNotNull(strict.check(utf8("/app/x"), utf8("v")));
    assertNotNull(strict.check(utf8("no-namespace"), utf8("v")));
    assertNotNull(strict.check(utf8("//x"), utf8("v")));
    RecordValidator open = new RecordValidator(Set.of("app"));
    assertNull(open.check(utf8("/app/x"), utf8("anything")));
    assertNotNull(open.check(utf8("/other/x"), utf8("v")));
    assertEquals("app", RecordValidator.namespace(utf8("/app/x/y")));
  }

  @Test
  void recordsExpireAfterTheirTtl() {
    RecordStore store = records(StoreConfig.defaults().withAllowedNamespaces(Set.of("app")));
    assertNull(store.put(utf8("/app/a"), utf8("1")));
    RecordStore.Stored s = store.get(utf8("/app/a"));
    assertArrayEquals(utf8("1"), s.value());
    assertEquals(Instant.ofEpochMilli(now[0]), Instant.parse(s.timeReceived()));
    now[0] += Duration.ofHours(48).toMillis() - 1;
    assertNotNull(store.get(utf8("/app/a")));
    now[0] += 1;
    assertNull(store.get(utf8("/app/a")), "48 h after it was received");
    assertEquals(0, store.size());
    // a record put again starts a new lifetime; expire() drops what is due
    assertNull(store.put(utf8("/app/b"), utf8("1")));
    now[0] += Duration.ofHours(40).toMillis();
    assertNull(store.put(utf8("/app/b"), utf8("2")));
    assertNull(store.put(utf8("/app/c"), utf8("3")));
    now[0] += Duration.ofHours(47).toMillis();
    assertEquals(0, store.expire());
    now[0] += Duration.ofHours(2).toMillis();
    assertEquals(2, store.expire());
  }

  @Test
  void theStoreIsBoundedInRecordsAndValueSize() {
    StoreConfig small = new StoreConfig(2, 8, Duration.ofHours(1), Duration.ofHours(1), 1, 1, Duration.ofHours(1),
        Duration.ofHours(1), Set.of("app"), 1);
    RecordStore store = records(small);
    assertNull(store.put(utf8("/app/a"), utf8("12345678")));
    assertNotNull(store.put(utf8("/app/b"), utf8("123456789")), "over maxValueSize");
    assertNull(store.put(utf8("/app/b"), utf8("2")));
    assertNotNull(store.put(utf8("/app/c"), utf8("3")), "over maxRecords");
    assertNull(store.put(utf8("/app/a"), utf8("replaced")), "an existing key may be replaced");
    assertNotNull(store.put(utf8("/other/c"), utf8("3")), "unknown namespace");
    now[0] += Duration.ofHours(1).toMillis();
    assertNull(store.put(utf8("/app/c"), utf8("3")), "a full store first drops what expired");
    assertEquals(1, store.size());
  }

  @Test
  void providersExpireAreBoundedAndRefreshed() {
    StoreConfig config = new StoreConfig(1, 1, Duration.ofHours(1), Duration.ofHours(1), 2, 2, Duration.ofHours(48),
        Duration.ofHours(12), Set.of(), 1);
    ProviderStore store = new ProviderStore(config, () -> now[0]);
    PeerId p1 = KeyPair.generate().peerId();
    PeerId p2 = KeyPair.generate().peerId();
    PeerId p3 = KeyPair.generate().peerId();
    List<Multiaddr> addrs = List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"));
    byte[] k1 = utf8("key-1");
    assertTrue(store.add(k1, p1, addrs));
    assertTrue(store.add(k1, p2, List.of()));
    assertFalse(store.add(k1, p3, addrs), "maxProvidersPerKey");
    assertTrue(store.add(utf8("key-2"), p1, addrs));
    assertFalse(store.add(utf8("key-3"), p1, addrs), "maxProviderKeys");
    assertEquals(List.of(p1, p2), store.providers(k1).stream().map(ProviderStore.Entry::peer).toList());
    assertEquals(addrs, store.providers(k1).get(0).addrs());
    now[0] += Duration.ofHours(47).toMillis();
    assertTrue(store.add(k1, p1, addrs), "refreshing a provider held");
    now[0] += Duration.ofHours(1).toMillis();
    assertEquals(List.of(p1), store.providers(k1).stream().map(ProviderStore.Entry::peer).toList(), "p2 expired");
    assertTrue(store.add(k1, p3, addrs), "room again");
    assertEquals(1, store.expire(), "key-2 expired");
    assertEquals(1, store.keys());
    assertTrue(store.add(utf8("key-3"), p1, addrs));
  }
}
