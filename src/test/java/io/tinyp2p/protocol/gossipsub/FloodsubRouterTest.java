package io.tinyp2p.protocol.gossipsub;

import static io.tinyp2p.protocol.gossipsub.GossipRouterTest.START;
import static io.tinyp2p.protocol.gossipsub.GossipRouterTest.TOPIC;
import static io.tinyp2p.protocol.gossipsub.GossipRouterTest.bytes;
import static io.tinyp2p.protocol.gossipsub.GossipRouterTest.keyOf;
import static io.tinyp2p.protocol.gossipsub.GossipRouterTest.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Floodsub peers in the router, driven by hand-made RPCs: they get every message of their
 * topics and no control, their control is ignored, their subscriptions are bounded; and a
 * {@link GossipConfig.Router#FLOODSUB} router treats every peer as one.
 */
class FloodsubRouterTest {
  record Sent(PeerId to, RpcProto.RPC rpc) {}

  final List<Sent> sent = new ArrayList<>();
  final List<String> delivered = new ArrayList<>();
  final AtomicLong now = new AtomicLong(START);

  GossipRouter router(GossipConfig config) {
    return new GossipRouter(keyOf(0), config, new GossipRouter.Output() {
      @Override
      public void send(PeerId peer, RpcProto.RPC rpc) {
        sent.add(new Sent(peer, rpc));
      }

      @Override
      public void deliver(String topic, PeerId from, byte[] id, byte[] data, long seqno) {
        delivered.add(new String(data, java.nio.charset.StandardCharsets.UTF_8));
      }
    }, now::get, new Random(1));
  }

  static RpcProto.RPC subscribe(String... topics) {
    RpcProto.RPC.Builder rpc = RpcProto.RPC.newBuilder();
    for (String t : topics) {
      rpc.addSubscriptions(RpcProto.RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid(t));
    }
    return rpc.build();
  }

  static RpcProto.RPC publish(KeyPair author, String text, long seqno) {
    return RpcProto.RPC.newBuilder().addPublish(MessageSigning.sign(author, TOPIC, bytes(text), seqno)).build();
  }

  /** What went to a peer: its messages' data, and whether any control came with them. */
  List<String> messagesTo(PeerId p) {
    List<String> out = new ArrayList<>();
    for (Sent s : sent) {
      if (s.to().equals(p)) {
        s.rpc().getPublishList().forEach(m -> out.add(m.getData().toStringUtf8()));
      }
    }
    return out;
  }

  boolean controlTo(PeerId p) {
    return sent.stream().anyMatch(s -> s.to().equals(p) && s.rpc().hasControl());
  }

  @Test
  void floodsubPeersGetEveryMessageOfTheirTopicsAndNoControl() {
    GossipRouter r = router(GossipConfig.builder().d(2).dLo(1).dHi(3).dOut(0).floodPublish(false).build());
    PeerId g1 = peer(1);
    PeerId g2 = peer(2);
    List<PeerId> flood = List.of(peer(3), peer(4), peer(5));
    r.addPeer(g1, true);
    r.addPeer(g2, true);
    flood.forEach(p -> r.addPeer(p, true, true));
    for (PeerId p : List.of(g1, g2, flood.get(0), flood.get(1), flood.get(2))) {
      r.handleRpc(p, subscribe(TOPIC));
    }
    r.subscribe(TOPIC);
    for (int i = 0; i < 3; i++) {
      now.addAndGet(1000);
      r.heartbeat();
    }
    assertEquals(Set.of(g1, g2), r.meshPeers(TOPIC));
    assertEquals(5, r.topicPeers(TOPIC).size());
    assertEquals(5, r.topicPeerCounts().get(TOPIC));
    // our own message (no flood publishing: the mesh) and a forwarded one
    GossipRouter.PublishResult result = r.publish(TOPIC, bytes("ours"));
    assertEquals(5, result.peers());
    r.handleRpc(flood.get(0), publish(keyOf(9), "theirs", 1));
    r.validateQueued(100, Long.MAX_VALUE);
    assertEquals(List.of("theirs"), delivered);
    assertEquals(List.of("ours"), messagesTo(flood.get(0)), "the sender does not get its message back");
    for (PeerId p : flood.subList(1, 3)) {
      assertEquals(List.of("ours", "theirs"), messagesTo(p));
      assertFalse(controlTo(p), "a floodsub peer gets no control");
    }
    assertTrue(controlTo(g1), "gossipsub peers were grafted");
  }

  @Test
  void aFloodsubPeersControlIsIgnored() {
    GossipRouter r = router(GossipConfig.defaults());
    PeerId f = peer(1);
    r.addPeer(f, false, true);
    r.subscribe(TOPIC);
    r.publish(TOPIC, bytes("cached"));
    r.handleRpc(f, subscribe(TOPIC));
    sent.clear();
    RpcProto.ControlMessage control = RpcProto.ControlMessage.newBuilder()
        .addGraft(RpcProto.ControlGraft.newBuilder().setTopicID(TOPIC))
        .addIhave(RpcProto.ControlIHave.newBuilder().setTopicID(TOPIC)
            .addMessageIDs(com.google.protobuf.ByteString.copyFromUtf8("unseen")))
        .build();
    r.handleRpc(f, RpcProto.RPC.newBuilder().setControl(control).build());
    assertTrue(r.meshPeers(TOPIC).isEmpty(), "a GRAFT does not put a floodsub peer in the mesh");
    assertTrue(sent.isEmpty(), "no IWANT, no PRUNE: " + sent);
    assertEquals(0L, r.counters().get("graftsReceived"));
  }

  @Test
  void aFloodsubPeersSubscriptionsAreBounded() {
    GossipRouter r = router(GossipConfig.builder().maxTopicsPerPeer(3).build());
    PeerId f = peer(1);
    r.addPeer(f, false, true);
    r.handleRpc(f, subscribe("a", "b", "c", "d", "e"));
    assertEquals(Set.of("a", "b", "c"), r.topicPeerCounts().keySet());
    r.removePeer(f);
    assertTrue(r.topicPeerCounts().isEmpty());
    assertFalse(r.isFloodsubPeer(f));
  }

  @Test
  void aFloodsubRouterFloodsToEveryPeerButTheSenderAndTheAuthor() {
    GossipRouter r = router(GossipConfig.defaults().withRouter(GossipConfig.Router.FLOODSUB));
    KeyPair author = keyOf(1001);
    PeerId authorPeer = author.peerId();
    List<PeerId> others = List.of(peer(2), peer(3), peer(4));
    r.addPeer(authorPeer, true); // every peer of a floodsub router is a floodsub peer
    others.forEach(p -> r.addPeer(p, true));
    assertTrue(r.isFloodsubPeer(authorPeer));
    r.handleRpc(authorPeer, subscribe(TOPIC));
    others.forEach(p -> r.handleRpc(p, subscribe(TOPIC)));
    r.subscribe(TOPIC);
    now.addAndGet(1000);
    r.heartbeat();
    assertTrue(r.meshPeers(TOPIC).isEmpty());
    // relayed by peer 2, authored by peer 1: only 3 and 4 get it
    r.handleRpc(others.get(0), publish(author, "relayed", 7));
    r.validateQueued(100, Long.MAX_VALUE);
    assertEquals(List.of("relayed"), delivered);
    assertEquals(List.of(), messagesTo(authorPeer));
    assertEquals(List.of(), messagesTo(others.get(0)));
    assertEquals(List.of("relayed"), messagesTo(others.get(1)));
    assertEquals(List.of("relayed"), messagesTo(others.get(2)));
    // the same message again is a duplicate: not delivered, not flooded
    r.handleRpc(others.get(1), publish(author, "relayed", 7));
    r.validateQueued(100, Long.MAX_VALUE);
    assertEquals(1, delivered.size());
    assertEquals(1L, r.dropped(DropReason.DUPLICATE));
    assertEquals(4, r.publish(TOPIC, bytes("ours")).peers());
    assertFalse(sent.stream().anyMatch(s -> s.rpc().hasControl()), "a floodsub router sends no control");
  }
}
