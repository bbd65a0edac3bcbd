package io.tinyp2p.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.pb.CryptoProto;
import io.tinyp2p.noise.pb.NoiseProto.NoiseHandshakePayload;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class NoiseHandshakeTest {
  static final KeyPair ALICE = KeyPair.generate();
  static final KeyPair BOB = KeyPair.generate();
  static final KeyPair MALLORY = KeyPair.generate();

  /** Runs the three messages; returns the messages sent. */
  static byte[][] handshake(NoiseHandshake initiator, NoiseHandshake responder) throws Exception {
    byte[] m1 = initiator.writeMessage();
    responder.readMessage(m1);
    byte[] m2 = responder.writeMessage();
    initiator.readMessage(m2);
    byte[] m3 = initiator.writeMessage();
    responder.readMessage(m3);
    return new byte[][] {m1, m2, m3};
  }

  private static void assertNoiseError(String fragment, Executable call) {
    NoiseException e = assertThrows(NoiseException.class, call);
    assertTrue(e.getMessage().contains(fragment), "message was: " + e.getMessage());
  }

  @Test
  void fullHandshakeThenTransport() throws Exception {
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    assertTrue(alice.isWriteTurn());
    assertFalse(bob.isWriteTurn());
    byte[][] messages = handshake(alice, bob);

    assertEquals(32, messages[0].length); // e, empty payload in clear
    assertTrue(alice.isComplete());
    assertTrue(bob.isComplete());
    assertEquals(BOB.peerId(), alice.remotePeerId());
    assertEquals(ALICE.peerId(), bob.remotePeerId());
    assertEquals(BOB.publicKey(), alice.remoteIdentity());
    assertEquals(ALICE.publicKey(), bob.remoteIdentity());
    assertArrayEquals(alice.handshakeHash(), bob.handshakeHash());
    assertEquals(List.of(), alice.remoteStreamMuxers());

    byte[] hello = "hello bob".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(hello, bob.receiveCipher().decrypt(alice.sendCipher().encrypt(hello)));
    byte[] reply = "hello alice".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(reply, alice.receiveCipher().decrypt(bob.sendCipher().encrypt(reply)));

    // many messages in sequence, both ways: the nonces advance in step
    for (int i = 0; i < 1000; i++) {
      byte[] data = ("message " + i).getBytes(StandardCharsets.UTF_8);
      assertArrayEquals(data, bob.receiveCipher().decrypt(alice.sendCipher().encrypt(data)));
      assertArrayEquals(data, alice.receiveCipher().decrypt(bob.sendCipher().encrypt(data)));
    }
    assertEquals(1001, alice.sendCipher().nonce());
    assertEquals(1001, bob.receiveCipher().nonce());

    // the directions use different keys
    byte[] sealed = alice.sendCipher().encrypt(hello);
    assertThrows(NoiseException.class, () -> alice.receiveCipher().decrypt(sealed));
  }

  @Test
  void expectedPeerIsEnforced() throws Exception {
    handshake(NoiseHandshake.initiator(ALICE).expectRemotePeer(BOB.peerId()),
        NoiseHandshake.responder(BOB).expectRemotePeer(ALICE.peerId()));

    NoiseHandshake alice = NoiseHandshake.initiator(ALICE).expectRemotePeer(MALLORY.peerId());
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    bob.readMessage(alice.writeMessage());
    assertNoiseError("expected " + MALLORY.peerId(), () -> alice.readMessage(bob.writeMessage()));
    assertNoiseError("already failed", alice::writeMessage); // message 3 is never sent

    NoiseHandshake carol = NoiseHandshake.initiator(ALICE);
    NoiseHandshake dave = NoiseHandshake.responder(BOB).expectRemotePeer(MALLORY.peerId());
    dave.readMessage(carol.writeMessage());
    carol.readMessage(dave.writeMessage());
    assertNoiseError("expected", () -> dave.readMessage(carol.writeMessage()));
    assertFalse(dave.isComplete());
  }

  @Test
  void streamMuxersTravelInExtensions() throws Exception {
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE, List.of("/yamux/1.0.0"));
    NoiseHandshake bob = NoiseHandshake.responder(BOB, List.of("/yamux/1.0.0", "/mplex/6.7.0"));
    handshake(alice, bob);
    assertEquals(List.of("/yamux/1.0.0", "/mplex/6.7.0"), alice.remoteStreamMuxers());
    assertEquals(List.of("/yamux/1.0.0"), bob.remoteStreamMuxers());
  }

  @Test
  void payloadFollowsTheSpec() throws Exception {
    // decrypt Bob's message 2 with a raw Noise initiator and check the protobuf it holds
    HandshakeState raw = new HandshakeState(true, new byte[0], X25519.generate(), null);
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    bob.readMessage(raw.writeMessage(new byte[0]));
    byte[] m2 = bob.writeMessage();
    NoiseHandshakePayload payload = NoiseHandshakePayload.parseFrom(raw.readMessage(m2));
    assertArrayEquals(BOB.publicKey().marshal(), payload.getIdentityKey().toByteArray());
    assertFalse(payload.hasExtensions());
    byte[] signed = concat("noise-libp2p-static-key:".getBytes(StandardCharsets.UTF_8),
        raw.remoteStatic());
    assertTrue(BOB.publicKey().verify(signed, payload.getIdentitySig().toByteArray()));
    assertEquals(32 + 48 + payload.toByteArray().length + 16, m2.length);
  }

  @Test
  void tamperedMessagesFail() throws Exception {
    byte[][] honest = handshake(NoiseHandshake.initiator(ALICE), NoiseHandshake.responder(BOB));
    // every byte of message 2 and 3 is covered by a tag or feeds a DH / the hash
    for (int message = 1; message <= 2; message++) {
      for (int at : new int[] {0, 31, 32, 70, 79, 80, honest[message].length - 1}) {
        if (at >= honest[message].length) {
          continue;
        }
        NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
        NoiseHandshake bob = NoiseHandshake.responder(BOB);
        bob.readMessage(alice.writeMessage());
        byte[] m2 = bob.writeMessage();
        if (message == 1) {
          m2[at] ^= 0x01;
          assertThrows(NoiseException.class, () -> alice.readMessage(m2));
          assertFalse(alice.isComplete());
        } else {
          alice.readMessage(m2);
          byte[] m3 = alice.writeMessage();
          m3[at] ^= 0x01;
          assertThrows(NoiseException.class, () -> bob.readMessage(m3));
          assertFalse(bob.isComplete());
          assertThrows(IllegalStateException.class, bob::sendCipher);
        }
      }
    }
    // a changed message 1 changes the hash: the initiator then refuses message 2
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    byte[] m1 = alice.writeMessage();
    m1[5] ^= 0x01;
    bob.readMessage(m1);
    assertNoiseError("authentication", () -> alice.readMessage(bob.writeMessage()));
  }

  @Test
  void truncatedMessagesFail() throws Exception {
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    byte[] m1 = alice.writeMessage();
    assertNoiseError("too short", () -> NoiseHandshake.responder(BOB).readMessage(Arrays.copyOf(m1, 31)));
    assertNoiseError("too short", () -> NoiseHandshake.responder(BOB).readMessage(new byte[0]));
    bob.readMessage(m1);
    byte[] m2 = bob.writeMessage();
    for (int length : new int[] {0, 32, 95, m2.length - 1}) {
      NoiseHandshake fresh = NoiseHandshake.initiator(ALICE);
      NoiseHandshake other = NoiseHandshake.responder(BOB);
      other.readMessage(fresh.writeMessage());
      byte[] cut = Arrays.copyOf(other.writeMessage(), length);
      assertThrows(NoiseException.class, () -> fresh.readMessage(cut));
    }
    alice.readMessage(m2);
    byte[] m3 = alice.writeMessage();
    assertNoiseError("too short", () -> bob.readMessage(Arrays.copyOf(m3, 63)));
    assertNoiseError("already failed", () -> bob.readMessage(m3)); // dead after a failure
  }

  @Test
  void outOfOrderCallsFail() throws Exception {
    assertNoiseError("out of order", () -> NoiseHandshake.initiator(ALICE).readMessage(new byte[32]));
    assertNoiseError("out of order", () -> NoiseHandshake.responder(BOB).writeMessage());

    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    byte[] m1 = alice.writeMessage();
    assertNoiseError("out of order", alice::writeMessage);
    assertThrows(IllegalStateException.class, alice::remotePeerId);

    NoiseHandshake alice2 = NoiseHandshake.initiator(ALICE);
    NoiseHandshake bob2 = NoiseHandshake.responder(BOB);
    handshake(alice2, bob2);
    assertNoiseError("complete", alice2::writeMessage);
    assertNoiseError("complete", () -> bob2.readMessage(m1));

    bob.readMessage(m1);
    assertNoiseError("out of order", () -> bob.readMessage(m1));
  }

  @Test
  void lowOrderEphemeralKeyFails() throws Exception {
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    bob.readMessage(new byte[32]); // u = 0 is accepted as bytes, but DH with it is all zeros
    assertNoiseError("X25519", bob::writeMessage);

    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    alice.writeMessage();
    assertNoiseError("X25519", () -> alice.readMessage(new byte[32 + 48 + 16]));
  }

  // --- a malicious peer: a raw Noise state sending crafted payloads ---

  /** Signs the static key like a real peer would, with {@code signer}. */
  static NoiseHandshakePayload.Builder payload(KeyPair claimed, KeyPair signer, byte[] staticKey) {
    byte[] data = concat("noise-libp2p-static-key:".getBytes(StandardCharsets.UTF_8), staticKey);
    return NoiseHandshakePayload.newBuilder()
        .setIdentityKey(ByteString.copyFrom(claimed.publicKey().marshal()))
        .setIdentitySig(ByteString.copyFrom(signer.sign(data)));
  }

  /** A raw responder answers Alice's message 1 with {@code payload}; Alice reads it. */
  static void aliceReadsMessage2(byte[] payload, HandshakeState evil) throws Exception {
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    evil.readMessage(alice.writeMessage());
    byte[] m2 = evil.writeMessage(payload);
    try {
      alice.readMessage(m2);
    } finally {
      assertFalse(alice.isComplete());
    }
  }

  static HandshakeState evilResponder() {
    return new HandshakeState(false, new byte[0], X25519.generate(), null);
  }

  @Test
  void honestPayloadFromARawStateIsAccepted() throws Exception {
    // the control for the cases below: the crafted path works when nothing is wrong
    HandshakeState evil = evilResponder();
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    evil.readMessage(alice.writeMessage());
    alice.readMessage(evil.writeMessage(
        payload(MALLORY, MALLORY, evil.localStatic().publicKey()).build().toByteArray()));
    evil.readMessage(alice.writeMessage());
    assertEquals(MALLORY.peerId(), alice.remotePeerId());
  }

  @Test
  void signatureOverAnotherStaticKeyFails() {
    HandshakeState evil = evilResponder();
    byte[] otherStatic = X25519.generate().publicKey();
    assertNoiseError("signature", () -> aliceReadsMessage2(
        payload(MALLORY, MALLORY, otherStatic).build().toByteArray(), evil));
  }

  @Test
  void identityKeyOfSomeoneElseFails() {
    // claims Bob's identity, but only Mallory can sign
    HandshakeState evil = evilResponder();
    assertNoiseError("signature", () -> aliceReadsMessage2(
        payload(BOB, MALLORY, evil.localStatic().publicKey()).build().toByteArray(), evil));
  }

  @Test
  void corruptSignatureFails() {
    HandshakeState evil = evilResponder();
    NoiseHandshakePayload good = payload(MALLORY, MALLORY, evil.localStatic().publicKey()).build();
    byte[] sig = good.getIdentitySig().toByteArray();
    sig[10] ^= 1;
    assertNoiseError("signature", () -> aliceReadsMessage2(
        good.toBuilder().setIdentitySig(ByteString.copyFrom(sig)).build().toByteArray(), evil));
    HandshakeState evil2 = evilResponder();
    assertNoiseError("signature", () -> aliceReadsMessage2(
        good.toBuilder().setIdentitySig(ByteString.copyFrom(new byte[63])).build().toByteArray(),
        evil2));
  }

  @Test
  void malformedPayloadsFail() {
    HandshakeState[] evil = {evilResponder(), evilResponder(), evilResponder(), evilResponder(),
        evilResponder(), evilResponder()};
    NoiseHandshakePayload good =
        payload(MALLORY, MALLORY, evil[0].localStatic().publicKey()).build();
    assertNoiseError("no identity key",
        () -> aliceReadsMessage2(good.toBuilder().clearIdentityKey().build().toByteArray(), evil[0]));
    assertNoiseError("no identity signature",
        () -> aliceReadsMessage2(good.toBuilder().clearIdentitySig().build().toByteArray(), evil[1]));
    assertNoiseError("malformed", () -> aliceReadsMessage2(new byte[] {(byte) 0xff, 0x01}, evil[2]));
    assertNoiseError("no identity key", () -> aliceReadsMessage2(new byte[0], evil[3]));

    byte[] rsaKey = CryptoProto.PublicKey.newBuilder()
        .setType(CryptoProto.KeyType.RSA)
        .setData(ByteString.copyFrom(new byte[270]))
        .build()
        .toByteArray();
    assertNoiseError("unsupported key type", () -> aliceReadsMessage2(
        good.toBuilder().setIdentityKey(ByteString.copyFrom(rsaKey)).build().toByteArray(),
        evil[4]));
    assertNoiseError("bad identity key", () -> aliceReadsMessage2(
        good.toBuilder().setIdentityKey(ByteString.copyFrom(new byte[] {8, 1})).build()
            .toByteArray(), evil[5]));
  }

  @Test
  void badPayloadInMessage3Fails() throws Exception {
    // a raw initiator sends Bob a message 3 whose identity key is not the signer's
    HandshakeState evil = new HandshakeState(true, new byte[0], X25519.generate(), null);
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    bob.readMessage(evil.writeMessage(new byte[0]));
    evil.readMessage(bob.writeMessage());
    byte[] m3 = evil.writeMessage(
        payload(ALICE, MALLORY, evil.localStatic().publicKey()).build().toByteArray());
    assertNoiseError("signature", () -> bob.readMessage(m3));
    assertFalse(bob.isComplete());
    assertThrows(IllegalStateException.class, bob::receiveCipher);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
