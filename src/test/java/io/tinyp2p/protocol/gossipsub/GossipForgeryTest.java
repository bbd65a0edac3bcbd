package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import io.tinyp2p.stream.LengthPrefixed;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Forged messages on a raw gossipsub stream: a bad signature, and a {@code from} that is not
 * the signer's key. The victim drops and counts them and forwards nothing; an honest message
 * sent right after still goes through.
 */
class GossipForgeryTest {

  @Test
  void forgedMessagesAreDroppedCountedAndNotForwarded() throws Exception {
    Vertx vertx = Vertx.vertx();
    JsonObject gossip = new JsonObject().put("pubsubTopics", new JsonArray().add("block"))
        .put("gossipsub", new JsonObject().put("heartbeatMs", 200));
    try (TestNode victim = TestNode.start(vertx, gossip.copy().put("busPrefix", "victim"));
         TestNode neighbour = TestNode.start(vertx, gossip.copy().put("busPrefix", "neighbour"));
         TestNode attacker = TestNode.start(vertx, new JsonObject().put("busPrefix", "attacker"))) {
      neighbour.onLoop(s -> s.dial(victim.addr()));
      AtomicInteger atVictim = new AtomicInteger();
      AtomicInteger atNeighbour = new AtomicInteger();
      CompletableFuture<String> honest = new CompletableFuture<>();
      new P2pClient(vertx, "victim").onBroadcast("block", m -> atVictim.incrementAndGet());
      new P2pClient(vertx, "neighbour").onBroadcast("block", m -> {
        if (m.body().toString().equals("honest")) {
          honest.complete("honest");
        } else {
          atNeighbour.incrementAndGet();
        }
      });
      // wait for the victim's mesh with its neighbour
      victim.awaitMesh("block", 1);

      KeyPair mallory = attacker.verticle().swarm().identity();
      KeyPair alice = KeyPair.generate();
      RpcProto.Message good = MessageSigning.sign(mallory, "block", "forged".getBytes(), 1);
      // 1: a signature that does not verify
      byte[] sig = good.getSignature().toByteArray();
      sig[0] ^= 1;
      RpcProto.Message badSignature = good.toBuilder().setSignature(ByteString.copyFrom(sig)).build();
      // 2: signed by mallory but claiming to be from alice
      RpcProto.Message wrongFrom = MessageSigning.sign(mallory, "block", "forged".getBytes(), 2).toBuilder()
          .setFrom(ByteString.copyFrom(alice.peerId().toBytes())).build();
      // 3: from alice, carrying mallory's key (so mallory's signature checks) — key and from disagree
      RpcProto.Message unsignedKeyed = RpcProto.Message.newBuilder()
          .setFrom(ByteString.copyFrom(alice.peerId().toBytes())).setData(ByteString.copyFromUtf8("forged"))
          .setSeqno(ByteString.copyFrom(MessageSigning.seqnoBytes(4))).setTopic("block")
          .setKey(ByteString.copyFrom(mallory.publicKey().marshal())).build();
      RpcProto.Message keyMismatch = unsignedKeyed.toBuilder()
          .setSignature(ByteString.copyFrom(mallory.sign(MessageSigning.signedBytes(unsignedKeyed)))).build();
      // 4: then an honest message on the same stream
      RpcProto.Message fine = MessageSigning.sign(mallory, "block", "honest".getBytes(), 3);
      RpcProto.RPC rpc = RpcProto.RPC.newBuilder()
          .addSubscriptions(RpcProto.RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid("block"))
          .addPublish(badSignature).addPublish(wrongFrom).addPublish(keyMismatch).addPublish(fine).build();
      attacker.onLoop(s -> s.dial(victim.addr())
          .compose(c -> c.openStream(List.of(Gossipsub.MESHSUB_1_1)))
          .compose(stream -> stream.write(LengthPrefixed.frame(rpc.toByteArray()))));

      assertEquals("honest", honest.get(30, TimeUnit.SECONDS));
      var counters = victim.<java.util.Map<String, Long>>onLoop(s ->
          Future.succeededFuture(victim.verticle().node().gossipsub().router().counters()));
      assertEquals(2L, counters.get("dropped.invalidSignature"), counters.toString());
      assertEquals(1L, counters.get("dropped.keyMismatch"), counters.toString());
      assertEquals(1, atVictim.get(), "only the honest message is delivered at the victim");
      assertEquals(0, atNeighbour.get(), "no forged message was forwarded");
    } finally {
      TestNode.await(vertx.close());
    }
  }

}
