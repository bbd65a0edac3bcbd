package io.tinyp2p.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.PublicKey;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.gossipsub.MessageSigning;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import io.tinyp2p.protocol.identify.pb.IdentifyProto;
import io.tinyp2p.protocol.kad.pb.KadProto;
import io.tinyp2p.stream.LengthPrefixed;
import io.vertx.core.buffer.Buffer;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Random and mutated input to the decoders the network feeds that have no fuzz test of their
 * own (multistream, Noise, Yamux, varint and multiaddr have theirs): length-prefixed framing
 * and the protobufs of identify, kad and gossipsub with the checks that follow parsing.
 * Nothing may throw but the decoder's documented exception, and nothing may allocate beyond
 * the limit. Bounded: a few thousand inputs, seconds in all.
 */
class DecoderFuzzTest {
  static final AtomicLong INPUTS = new AtomicLong();
  static final KeyPair KEY = KeyPair.fromSeed(new byte[32]);

  /** Flips, inserts, deletes and truncates bytes of a valid encoding. */
  static byte[] mutate(byte[] valid, long seed) {
    Random r = new Random(seed);
    byte[] b = valid.clone();
    int edits = 1 + r.nextInt(4);
    for (int i = 0; i < edits && b.length > 0; i++) {
      switch (r.nextInt(4)) {
        case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
        default -> {
          byte[] longer = java.util.Arrays.copyOf(b, b.length + 1 + r.nextInt(8));
          r.nextBytes(java.util.Arrays.copyOfRange(longer, b.length, longer.length));
          b = longer;
        }
      }
    }
    return b;
  }

  @Property(tries = 1000, seed = "42")
  void lengthPrefixedNeverOverAllocates(@ForAll @Size(max = 64) byte[] garbage) {
    INPUTS.incrementAndGet();
    int[] biggest = {0};
    LengthPrefixed decoder = new LengthPrefixed(1024, m -> biggest[0] = Math.max(biggest[0], m.length()));
    try {
      decoder.onData(Buffer.buffer(garbage));
      decoder.onData(Buffer.buffer(garbage));
    } catch (LengthPrefixed.FrameException expected) {
      // a bad or over-long prefix: the stream would be reset
    }
    assertTrue(biggest[0] <= 1024);
  }

  @Property(tries = 1000, seed = "43")
  void identifyRecords(@ForAll long seed) {
    INPUTS.incrementAndGet();
    byte[] valid = IdentifyProto.Identify.newBuilder().setProtocolVersion("ipfs/0.1.0").setAgentVersion("x")
        .setPublicKey(ByteString.copyFrom(KEY.publicKey().marshal()))
        .addListenAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/127.0.0.1/tcp/1").toBytes()))
        .setObservedAddr(ByteString.copyFrom(Multiaddr.parse("/ip6/::1/tcp/2").toBytes()))
        .addProtocols("/ipfs/ping/1.0.0").build().toByteArray();
    try {
      IdentifyProto.Identify id = IdentifyProto.Identify.parseFrom(mutate(valid, seed));
      // what Identify does next with each field
      if (id.hasPublicKey()) {
        try {
          PeerId.fromPublicKey(PublicKey.unmarshal(id.getPublicKey().toByteArray()));
        } catch (IllegalArgumentException expected) {
          // not an Ed25519 key: the record is refused
        }
      }
      for (ByteString a : id.getListenAddrsList()) {
        parseAddr(a.toByteArray());
      }
      parseAddr(id.getObservedAddr().toByteArray());
    } catch (InvalidProtocolBufferException expected) {
      // malformed: the record is refused
    }
  }

  @Property(tries = 1000, seed = "44")
  void kadMessages(@ForAll long seed) {
    INPUTS.incrementAndGet();
    KadProto.Message.Builder m = KadProto.Message.newBuilder().setType(KadProto.Message.MessageType.FIND_NODE)
        .setKey(ByteString.copyFrom(KEY.peerId().toBytes()));
    for (int i = 0; i < 3; i++) {
      m.addCloserPeers(KadProto.Message.Peer.newBuilder()
          .setId(ByteString.copyFrom(KeyPair.fromSeed(new byte[] {(byte) i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
              15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}).peerId().toBytes()))
          .addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/10.0.0." + i + "/tcp/4001").toBytes())));
    }
    try {
      KadProto.Message parsed = KadProto.Message.parseFrom(mutate(m.build().toByteArray(), seed));
      for (KadProto.Message.Peer p : parsed.getCloserPeersList()) {
        try {
          PeerId.fromBytes(p.getId().toByteArray());
        } catch (IllegalArgumentException expected) {
          // an invalid id: that entry is dropped
        }
        for (ByteString a : p.getAddrsList()) {
          parseAddr(a.toByteArray());
        }
      }
    } catch (InvalidProtocolBufferException expected) {
      // malformed: the stream is reset
    }
  }

  @Property(tries = 1000, seed = "45")
  void gossipsubRpcs(@ForAll long seed) {
    INPUTS.incrementAndGet();
    RpcProto.Message signed = MessageSigning.sign(KEY, "block", "hello".getBytes(), 7);
    byte[] valid = RpcProto.RPC.newBuilder()
        .addSubscriptions(RpcProto.RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid("block"))
        .addPublish(signed).build().toByteArray();
    try {
      RpcProto.RPC rpc = RpcProto.RPC.parseFrom(mutate(valid, seed));
      for (RpcProto.Message msg : rpc.getPublishList()) {
        MessageSigning.Result result = MessageSigning.validate(msg);
        // a mutated message must never pass as another valid one
        if (result == MessageSigning.Result.VALID) {
          assertTrue(msg.getData().equals(signed.getData()) && msg.getSeqno().equals(signed.getSeqno())
              && msg.getTopic().equals(signed.getTopic()), "a forged message validated");
        }
      }
    } catch (InvalidProtocolBufferException expected) {
      // malformed: the stream is reset
    }
  }

  private static void parseAddr(byte[] bytes) {
    try {
      Multiaddr.fromBytes(bytes);
    } catch (IllegalArgumentException expected) {
      // a transport we do not speak, or garbage: skipped
    }
  }

  @AfterContainer
  static void report() {
    io.tinyp2p.Figures.report("fuzz: " + INPUTS.get() + " inputs tried on framing, identify, kad and gossipsub decoders");
  }
}
