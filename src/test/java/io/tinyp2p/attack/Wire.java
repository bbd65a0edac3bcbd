package io.tinyp2p.attack;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.gossipsub.MessageSigning;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import io.tinyp2p.protocol.identify.pb.IdentifyProto;
import io.tinyp2p.protocol.kad.pb.KadProto;
import io.tinyp2p.stream.LengthPrefixed;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * What the hostile peers say, encoded with the project's generated protobuf classes and
 * {@link MessageSigning}: gossipsub RPCs, Kademlia answers, Identify records, and the
 * handlers a {@link HostilePeer} serves the node's own streams with.
 */
final class Wire {
  static final int KAD_MAX_MESSAGE = 64 * 1024;

  private Wire() {}

  // ---- gossipsub ----

  /** A length-prefixed RPC that subscribes to {@code topic}. */
  static Buffer subscribe(String topic) {
    return rpc(RpcProto.RPC.newBuilder()
        .addSubscriptions(RpcProto.RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid(topic)).build());
  }

  /** A length-prefixed RPC publishing {@code messages}. */
  static Buffer publish(List<RpcProto.Message> messages) {
    return rpc(RpcProto.RPC.newBuilder().addAllPublish(messages).build());
  }

  /** A message of {@code author}, validly signed (StrictSign). */
  static RpcProto.Message signed(KeyPair author, String topic, byte[] data, long seqno) {
    return MessageSigning.sign(author, topic, data, seqno);
  }

  private static Buffer rpc(RpcProto.RPC rpc) {
    return LengthPrefixed.frame(rpc.toByteArray());
  }

  // ---- kademlia ----

  /** {@code n} peers nobody runs (random sha2-256 PeerIds), each at {@code addr}. */
  static List<KadProto.Message.Peer> fakePeers(int n, Multiaddr addr) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return IntStream.range(0, n).mapToObj(i -> {
      byte[] mh = new byte[34];
      random.nextBytes(mh);
      mh[0] = 0x12;
      mh[1] = 32;
      return KadProto.Message.Peer.newBuilder().setId(ByteString.copyFrom(PeerId.fromBytes(mh).toBytes()))
          .addAddrs(ByteString.copyFrom(addr.toBytes())).build();
    }).toList();
  }

  // ---- handlers for the node's streams ----

  /** Answers the node's identify request: our key, {@code listenAddrs}, {@code protocols}. */
  static Consumer<HostilePeer.Stream> identify(KeyPair identity, List<Multiaddr> listenAddrs,
      Supplier<List<String>> protocols) {
    return stream -> {
      IdentifyProto.Identify.Builder b = IdentifyProto.Identify.newBuilder()
          .setProtocolVersion("ipfs/0.1.0").setAgentVersion("hostile/0.1")
          .setPublicKey(ByteString.copyFrom(identity.publicKey().marshal()))
          .addAllProtocols(protocols.get());
      listenAddrs.forEach(a -> b.addListenAddrs(ByteString.copyFrom(a.toBytes())));
      stream.writeNow(LengthPrefixed.frame(b.build().toByteArray()));
      stream.end();
    };
  }

  /** Echoes what arrives (ping). */
  static Consumer<HostilePeer.Stream> echo() {
    return stream -> stream.onData(data -> stream.writeNow(data));
  }

  /** Reads and drops what arrives (the node's gossipsub stream to us). */
  static Consumer<HostilePeer.Stream> drain() {
    return stream -> stream.onData(data -> { });
  }

  /** Answers each kad request with {@code answer}'s message; an unparsable one resets the stream. */
  static Consumer<HostilePeer.Stream> kad(Function<KadProto.Message, KadProto.Message> answer) {
    return stream -> {
      LengthPrefixed decoder = new LengthPrefixed(KAD_MAX_MESSAGE, bytes -> {
        try {
          stream.writeNow(LengthPrefixed.frame(answer.apply(KadProto.Message.parseFrom(bytes.getBytes())).toByteArray()));
        } catch (InvalidProtocolBufferException e) {
          stream.reset();
        }
      });
      stream.onData(data -> {
        try {
          decoder.onData(data);
        } catch (LengthPrefixed.FrameException e) {
          stream.reset();
        }
      });
    };
  }
}
