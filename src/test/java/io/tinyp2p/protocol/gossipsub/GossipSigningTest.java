package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.pb.CryptoProto;
import io.tinyp2p.protocol.gossipsub.MessageSigning.Result;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** StrictSign: what we sign, what we accept, and a message signed by js-libp2p gossipsub. */
class GossipSigningTest {
  static final HexFormat HEX = HexFormat.of();

  /**
   * A message built by js-libp2p's @libp2p/gossipsub 17.1.1 ({@code buildRawMessage},
   * StrictSign) for the Ed25519 seed 01 02 .. 20, topic "block", data "Hello, a new block!".
   * js sets the key field; its message id is the protobuf key followed by the seqno.
   */
  static final String JS_PEER = "12D3KooWJ1TsijH7H5F74hfAD5XishQz3sxrmAtVY37GtNd9CqYf";
  static final String JS_MESSAGE = "0a2600240801122079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7"
      + "e0e3910bad049664121348656c6c6f2c2061206e657720626c6f636b211a0818eaca59bf5ce4012205626c6f63"
      + "6b2a407bbb8765b922d5914ed94d2bff51160764ad2c8ae467dcf5ccf5f5f7e4cfbdbecf2660e715468ef49bdc"
      + "c27bb8019c23f08a6256133b8a6a8cbc9c36c3cacc0f32240801122079b5562e8fe654f94078b112e8a98ba790"
      + "1f853ae695bed7e0e3910bad049664";
  static final String JS_SEQNO = "18eaca59bf5ce401";
  static final String JS_MSG_ID = "0801122079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910b"
      + "ad04966418eaca59bf5ce401";

  static KeyPair key(int n) {
    byte[] seed = new byte[32];
    Arrays.fill(seed, (byte) n);
    return KeyPair.fromSeed(seed);
  }

  static KeyPair jsKey() {
    byte[] seed = new byte[32];
    for (int i = 0; i < 32; i++) {
      seed[i] = (byte) (i + 1);
    }
    return KeyPair.fromSeed(seed);
  }

  final KeyPair alice = key(1);
  final KeyPair bob = key(2);

  RpcProto.Message signed() {
    return MessageSigning.sign(alice, "topic", "data".getBytes(StandardCharsets.UTF_8), 42);
  }

  @Test
  void ourMessagesCarryFromSeqnoSignatureAndNoKey() {
    RpcProto.Message m = signed();
    assertArrayEquals(alice.peerId().toBytes(), m.getFrom().toByteArray());
    assertArrayEquals(HEX.parseHex("000000000000002a"), m.getSeqno().toByteArray());
    assertEquals(42, MessageSigning.seqno(m));
    assertEquals("topic", m.getTopic());
    assertEquals(64, m.getSignature().size());
    assertFalse(m.hasKey());
    assertEquals(Result.VALID, MessageSigning.validate(m));
  }

  @Test
  void signedBytesArePrefixAndMessageWithoutSignatureAndKey() {
    RpcProto.Message m = signed().toBuilder().setKey(ByteString.copyFrom(alice.publicKey().marshal())).build();
    byte[] body = RpcProto.Message.newBuilder()
        .setFrom(m.getFrom()).setData(m.getData()).setSeqno(m.getSeqno()).setTopic("topic")
        .build().toByteArray();
    byte[] expected = new byte[14 + body.length];
    System.arraycopy("libp2p-pubsub:".getBytes(StandardCharsets.US_ASCII), 0, expected, 0, 14);
    System.arraycopy(body, 0, expected, 14, body.length);
    assertArrayEquals(expected, MessageSigning.signedBytes(m));
    assertTrue(alice.publicKey().verify(expected, m.getSignature().toByteArray()));
  }

  @Test
  void aMessageSignedByJsLibp2pValidatesAndWeSignItIdentically() throws Exception {
    RpcProto.Message js = RpcProto.Message.parseFrom(HEX.parseHex(JS_MESSAGE));
    assertEquals(Result.VALID, MessageSigning.validate(js));
    assertTrue(js.hasKey(), "js sends its key even when the PeerId inlines it");
    KeyPair k = jsKey();
    assertEquals(JS_PEER, k.peerId().toBase58());
    long seqno = HexFormat.fromHexDigitsToLong(JS_SEQNO);
    RpcProto.Message ours = MessageSigning.sign(k, "block", "Hello, a new block!".getBytes(StandardCharsets.UTF_8), seqno);
    // Ed25519 is deterministic: same bytes signed, same signature.
    assertEquals(js.getSignature(), ours.getSignature());
    assertEquals(js.toBuilder().clearKey().build(), ours);
    // js's message id is KEY_SEQNO; the spec's default is from ‖ seqno.
    GossipRouter jsIds = new GossipRouter(k, GossipConfig.builder().messageIdFn(GossipConfig.MessageIdFn.KEY_SEQNO).build(),
        GossipRouterTest.NO_OUTPUT, () -> 0, new java.util.Random(0));
    assertEquals(JS_MSG_ID, HEX.formatHex(jsIds.messageId(js).toByteArray()));
    GossipRouter specIds = new GossipRouter(k, GossipConfig.defaults(), GossipRouterTest.NO_OUTPUT, () -> 0, new java.util.Random(0));
    assertEquals(HEX.formatHex(k.peerId().toBytes()) + JS_SEQNO, HEX.formatHex(specIds.messageId(js).toByteArray()));
  }

  @Test
  void missingFieldsAreNamed() {
    RpcProto.Message m = signed();
    assertEquals(Result.MISSING_FROM, MessageSigning.validate(m.toBuilder().clearFrom().build()));
    assertEquals(Result.MISSING_SEQNO, MessageSigning.validate(m.toBuilder().clearSeqno().build()));
    assertEquals(Result.MISSING_SIGNATURE, MessageSigning.validate(m.toBuilder().clearSignature().build()));
  }

  @Test
  void tamperingBreaksTheSignature() {
    RpcProto.Message m = signed();
    assertEquals(Result.INVALID_SIGNATURE, MessageSigning.validate(m.toBuilder().setData(ByteString.copyFromUtf8("date")).build()));
    assertEquals(Result.INVALID_SIGNATURE, MessageSigning.validate(m.toBuilder().setTopic("other").build()));
    assertEquals(Result.INVALID_SIGNATURE, MessageSigning.validate(
        m.toBuilder().setSeqno(ByteString.copyFrom(MessageSigning.seqnoBytes(43))).build()));
    // Absent data and empty data encode differently: the signature tells them apart.
    RpcProto.Message empty = MessageSigning.sign(alice, "t", new byte[0], 1);
    assertTrue(empty.hasData());
    assertEquals(Result.VALID, MessageSigning.validate(empty));
    assertEquals(Result.INVALID_SIGNATURE, MessageSigning.validate(empty.toBuilder().clearData().build()));
    // Another author claimed in from: the key inlined in from does not verify alice's signature.
    assertEquals(Result.INVALID_SIGNATURE, MessageSigning.validate(
        m.toBuilder().setFrom(ByteString.copyFrom(bob.peerId().toBytes())).build()));
    byte[] sig = m.getSignature().toByteArray();
    sig[10] ^= 1;
    assertEquals(Result.INVALID_SIGNATURE, MessageSigning.validate(m.toBuilder().setSignature(ByteString.copyFrom(sig)).build()));
    assertEquals(Result.INVALID_SIGNATURE, MessageSigning.validate(m.toBuilder().setSignature(ByteString.copyFrom(new byte[3])).build()));
  }

  @Test
  void theKeyFieldMustBelongToFrom() {
    RpcProto.Message m = signed();
    assertEquals(Result.VALID, MessageSigning.validate(
        m.toBuilder().setKey(ByteString.copyFrom(alice.publicKey().marshal())).build()));
    assertEquals(Result.KEY_MISMATCH, MessageSigning.validate(
        m.toBuilder().setKey(ByteString.copyFrom(bob.publicKey().marshal())).build()));
    assertEquals(Result.BAD_KEY, MessageSigning.validate(
        m.toBuilder().setKey(ByteString.copyFrom(new byte[] {1, 2, 3})).build()));
    // bob signs, claims to be alice and ships bob's key: the key does not match from
    RpcProto.Message forged = MessageSigning.sign(bob, "topic", new byte[] {1}, 1).toBuilder()
        .setFrom(ByteString.copyFrom(alice.peerId().toBytes()))
        .setKey(ByteString.copyFrom(bob.publicKey().marshal())).build();
    assertEquals(Result.KEY_MISMATCH, MessageSigning.validate(forged));
  }

  @Test
  void malformedFromSeqnoAndHashedPeerIds() {
    RpcProto.Message m = signed();
    assertEquals(Result.BAD_SEQNO, MessageSigning.validate(
        m.toBuilder().setSeqno(ByteString.copyFrom(new byte[7])).build()));
    assertEquals(Result.BAD_FROM, MessageSigning.validate(
        m.toBuilder().setFrom(ByteString.copyFromUtf8("not a peer id")).build()));
    // a sha2-256 PeerId does not inline its key: without the key field nothing can verify
    byte[] hashed = new byte[34];
    hashed[0] = 0x12;
    hashed[1] = 32;
    assertEquals(Result.NO_PUBLIC_KEY, MessageSigning.validate(
        m.toBuilder().setFrom(ByteString.copyFrom(hashed)).build()));
  }

  @Test
  void keysOtherThanEd25519AreUnsupported() {
    byte[] secp = CryptoProto.PublicKey.newBuilder().setType(CryptoProto.KeyType.Secp256k1)
        .setData(ByteString.copyFrom(new byte[33])).build().toByteArray();
    byte[] identity = new byte[2 + secp.length];
    identity[1] = (byte) secp.length;
    System.arraycopy(secp, 0, identity, 2, secp.length);
    RpcProto.Message m = signed().toBuilder().setFrom(ByteString.copyFrom(identity)).build();
    assertEquals(Result.UNSUPPORTED_KEY, MessageSigning.validate(m));
    assertEquals(Result.UNSUPPORTED_KEY, MessageSigning.validate(m.toBuilder().setKey(ByteString.copyFrom(secp)).build()));
  }

  @Test
  void unknownFieldsAreSigned() {
    RpcProto.Message base = RpcProto.Message.newBuilder()
        .setFrom(ByteString.copyFrom(alice.peerId().toBytes()))
        .setData(ByteString.copyFromUtf8("x"))
        .setSeqno(ByteString.copyFrom(MessageSigning.seqnoBytes(7)))
        .setTopic("t")
        .setUnknownFields(UnknownFieldSet.newBuilder()
            .addField(9, UnknownFieldSet.Field.newBuilder().addVarint(5).build()).build())
        .build();
    RpcProto.Message m = base.toBuilder()
        .setSignature(ByteString.copyFrom(alice.sign(MessageSigning.signedBytes(base)))).build();
    assertEquals(Result.VALID, MessageSigning.validate(m));
    assertEquals(Result.INVALID_SIGNATURE, MessageSigning.validate(
        m.toBuilder().setUnknownFields(UnknownFieldSet.getDefaultInstance()).build()));
  }

  @Property(tries = 50, seed = "1")
  void signThenValidateRoundTripsThroughTheWire(@ForAll @Size(max = 300) byte[] data, @ForAll long seqno,
      @ForAll @Size(max = 40) String topic) throws Exception {
    RpcProto.Message m = MessageSigning.sign(alice, topic, data, seqno);
    RpcProto.Message back = RpcProto.Message.parseFrom(m.toByteArray());
    assertEquals(Result.VALID, MessageSigning.validate(back));
    assertEquals(seqno, MessageSigning.seqno(back));
    assertArrayEquals(data, back.getData().toByteArray());
  }
}
