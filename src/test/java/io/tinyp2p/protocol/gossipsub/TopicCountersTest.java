package io.tinyp2p.protocol.gossipsub;

import static io.tinyp2p.protocol.gossipsub.GossipRouterTest.bytes;
import static io.tinyp2p.protocol.gossipsub.GossipRouterTest.keyOf;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The router's message counters per topic: a topic we joined has its own, everything else
 * (topics we are not in, however many a peer names; messages without a topic; a topic after
 * we left it) counts in one set; drops are counted under the message's topic and reason.
 */
class TopicCountersTest {
  final long[] now = {GossipRouterTest.START};
  final KeyPair self = keyOf(1);
  final KeyPair author = keyOf(2);
  final PeerId sender = keyOf(3).peerId();
  final GossipRouter router = new GossipRouter(self, GossipConfig.defaults(), GossipRouterTest.NO_OUTPUT,
      () -> now[0], new Random(1));

  void receive(RpcProto.Message... messages) {
    router.handleRpc(sender, RpcProto.RPC.newBuilder().addAllPublish(List.of(messages)).build());
    router.validateQueued(Integer.MAX_VALUE, Long.MAX_VALUE);
  }

  @Test
  void joinedTopicsHaveTheirOwnCountersAndTheRestShareOne() {
    router.addPeer(sender, false);
    router.subscribe("blocks");
    RpcProto.Message good = MessageSigning.sign(author, "blocks", bytes("one"), 1);
    RpcProto.Message forged = MessageSigning.sign(author, "blocks", bytes("two"), 2).toBuilder()
        .setData(com.google.protobuf.ByteString.copyFrom(bytes("changed"))).build();
    receive(good, good, forged, RpcProto.Message.newBuilder().setData(com.google.protobuf.ByteString.EMPTY).build());
    for (int i = 0; i < 100; i++) {
      receive(MessageSigning.sign(author, "made-up-" + i, bytes("x"), 100 + i));
    }

    assertEquals(Set.of("blocks"), router.topicCounters().keySet(), "no topic of the peer's gets counters of its own");
    TopicCounters blocks = router.topicCounters().get("blocks");
    assertEquals(3, blocks.received());
    assertEquals(1, blocks.delivered());
    assertEquals(1, blocks.dropped(DropReason.DUPLICATE));
    assertEquals(1, blocks.dropped(DropReason.INVALID_SIGNATURE));
    TopicCounters other = router.otherTopicCounters();
    assertEquals(101, other.received());
    assertEquals(0, other.delivered());
    assertEquals(100, other.dropped(DropReason.NOT_SUBSCRIBED));
    assertEquals(1, other.dropped(DropReason.MISSING_TOPIC));
    // the global counters are the sums, as before
    assertEquals(104, router.counters().get("received"));
    assertEquals(100, router.counters().get("dropped.notSubscribed"));

    router.unsubscribe("blocks");
    receive(MessageSigning.sign(author, "blocks", bytes("after"), 3));
    assertEquals(3, blocks.received(), "a topic we left keeps its counts");
    assertEquals(102, other.received());
    assertEquals(101, other.dropped(DropReason.NOT_SUBSCRIBED));
    router.subscribe("blocks");
    receive(MessageSigning.sign(author, "blocks", bytes("again"), 4));
    assertEquals(4, blocks.received(), "joining again counts on");
    assertEquals(2, blocks.delivered());
  }

  @Test
  void peersAreCountedByScoreBand() {
    router.addPeer(sender, false);
    PeerId second = keyOf(4).peerId();
    router.addPeer(second, false);
    router.subscribe("blocks");
    assertEquals(Map.of("graylisted", 0, "negative", 0, "zero", 2, "positive", 0), router.scoreBands());
    receive(MessageSigning.sign(author, "blocks", bytes("first"), 1)); // P2: the sender was first
    assertEquals(Map.of("graylisted", 0, "negative", 0, "zero", 1, "positive", 1), router.scoreBands());
    RpcProto.Message forged = MessageSigning.sign(author, "blocks", bytes("x"), 2).toBuilder()
        .setData(com.google.protobuf.ByteString.copyFrom(bytes("y"))).build();
    receive(forged); // P4: -10 × 1²
    assertEquals(Map.of("graylisted", 0, "negative", 1, "zero", 1, "positive", 0), router.scoreBands());
    for (int i = 3; i < 6; i++) { // 4 invalid messages: -160, graylisted
      receive(MessageSigning.sign(author, "blocks", bytes("x"), i).toBuilder()
          .setData(com.google.protobuf.ByteString.copyFrom(bytes("z"))).build());
    }
    assertEquals(Map.of("graylisted", 1, "negative", 0, "zero", 1, "positive", 0), router.scoreBands());
  }
}
