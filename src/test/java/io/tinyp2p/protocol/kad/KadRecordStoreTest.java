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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The record and provider stores and the record validators, on an injected clock. */
class KadRecordStoreTest {
  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  final long[] now = {1_000_000};

  RecordStore records(StoreConfig config) {
    return new RecordStore(config, () -> now[0]);
  }

  @Test
  void theRsaRecordOfTheInteropSuiteValidates() {
    byte[] key = PkRecords.rsaKey();
    assertEquals(4 + 34, key.length);
    assertEquals(0x12, key[4]);
    assertNull(new RecordValidator(Set.of()).check(key, PkRecords.RSA_VALUE));
  }

  @Test
  void anEd25519PublicKeyValidatesUnderItsInlinedPeerId() {
    KeyPair pair = KeyPair.generate();
    byte[] value = pair.publicKey().marshal();
    byte[] key = PkRecords.pkKey(pair.peerId().toBytes());
    assertEquals(0x00, pair.peerId().toBytes()[0], "an Ed25519 PeerId inlines its key");
    assertNull(new RecordValidator(Set.of()).check(key, value));
  }

  @Test
  void forgedPublicKeyRecordsAreRefused() {
    RecordValidator v = new RecordValidator(Set.of());
    KeyPair a = KeyPair.generate();
    KeyPair b = KeyPair.generate();
    // another peer's key under our PeerId
    assertNotNull(v.check(PkRecords.pkKey(a.peerId().toBytes()), b.publicKey().marshal()));
    // the RSA key with one byte changed
    byte[] tampered = PkRecords.RSA_VALUE.clone();
    tampered[100] ^= 1;
    assertNotNull(v.check(PkRecords.rsaKey(), tampered));
    // the RSA key under an Ed25519 PeerId
    assertNotNull(v.check(PkRecords.pkKey(a.peerId().toBytes()), PkRecords.RSA_VALUE));
    // not a PublicKey protobuf at all, even if the hash matched
    byte[] garbage = utf8("not a key");
    assertNotNull(v.check(PkRecords.pkKey(PeerId.fromMarshalledKey(garbage).toBytes()), garbage));
    assertNotNull(v.check(utf8("/pk/"), PkRecords.RSA_VALUE));
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
