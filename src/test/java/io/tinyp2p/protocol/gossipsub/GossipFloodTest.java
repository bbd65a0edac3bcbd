package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A peer floods a node with invalid gossipsub messages and IWANT storms; honest broadcasts
 * between the node and its honest neighbour keep flowing and none is lost.
 */
class GossipFloodTest {

  @Test
  void invalidFloodsAndIwantStormsDoNotStopHonestTraffic() throws Exception {
    Vertx vertx = Vertx.vertx();
    JsonObject gossip = new JsonObject().put("pubsubTopics", new JsonArray().add("block"))
        .put("gossipsub", new JsonObject().put("heartbeatMs", 200));
    try (TestNode victim = TestNode.start(vertx, gossip.copy().put("busPrefix", "fv"));
         TestNode honest = TestNode.start(vertx, gossip.copy().put("busPrefix", "fh"));
         TestNode attacker = TestNode.start(vertx, new JsonObject().put("busPrefix", "fa"))) {
      honest.onLoop(s -> s.dial(victim.addr()));
      victim.awaitMesh("block", 1);

      // the attacker: 50 RPCs of 100 messages with broken signatures, and IWANTs for 10 000 ids
      KeyPair mallory = attacker.verticle().swarm().identity();
      P2pStream stream = attacker.onLoop(s -> s.dial(victim.addr())
          .compose(c -> c.openStream(List.of(Gossipsub.MESHSUB_1_1))));
      int invalid = 0;
      for (int r = 0; r < 50; r++) {
        RpcProto.RPC.Builder rpc = RpcProto.RPC.newBuilder()
            .addSubscriptions(RpcProto.RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid("block"));
        for (int i = 0; i < 100; i++) {
          RpcProto.Message m = MessageSigning.sign(mallory, "block", ("spam " + r + "/" + i).getBytes(), r * 100L + i);
          rpc.addPublish(m.toBuilder().setSignature(ByteString.copyFrom(new byte[64])));
          invalid++;
        }
        RpcProto.ControlIWant.Builder iwant = RpcProto.ControlIWant.newBuilder();
        for (int i = 0; i < 200; i++) {
          iwant.addMessageIDs(ByteString.copyFromUtf8("no-such-message-" + r + "-" + i));
        }
        rpc.setControl(RpcProto.ControlMessage.newBuilder().addIwant(iwant));
        Buffer frame = LengthPrefixed.frame(rpc.build().toByteArray());
        attacker.onLoop(s -> stream.write(frame));
      }

      // honest traffic, both ways, during and after the flood
      P2pClient victimClient = new P2pClient(vertx, "fv");
      P2pClient honestClient = new P2pClient(vertx, "fh");
      int honestMessages = 50;
      CompletableFuture<Void> allAtHonest = new CompletableFuture<>();
      CompletableFuture<Void> allAtVictim = new CompletableFuture<>();
      java.util.Set<String> atHonest = java.util.concurrent.ConcurrentHashMap.newKeySet();
      java.util.Set<String> atVictim = java.util.concurrent.ConcurrentHashMap.newKeySet();
      honestClient.onBroadcast("block", m -> {
        if (m.body().toString().startsWith("honest ") && atHonest.add(m.body().toString()) && atHonest.size() == honestMessages) {
          allAtHonest.complete(null);
        }
      });
      victimClient.onBroadcast("block", m -> {
        if (m.body().toString().startsWith("honest ") && atVictim.add(m.body().toString()) && atVictim.size() == honestMessages) {
          allAtVictim.complete(null);
        }
      });
      for (int i = 0; i < honestMessages; i++) {
        TestNode.await(victimClient.broadcast("block", Buffer.buffer("honest v" + i)));
        TestNode.await(honestClient.broadcast("block", Buffer.buffer("honest h" + i)));
      }
      allAtHonest.get(30, TimeUnit.SECONDS);
      allAtVictim.get(30, TimeUnit.SECONDS);
      Map<String, Long> counters = victim.onLoop(s -> Future.succeededFuture(victim.verticle().node().gossipsub().router().counters()));
      double attackerScore = victim.<Double>onLoop(s -> Future.succeededFuture(
          victim.verticle().node().gossipsub().router().score(attacker.peerId())));
      double honestScore = victim.<Double>onLoop(s -> Future.succeededFuture(
          victim.verticle().node().gossipsub().router().score(honest.peerId())));
      io.tinyp2p.Figures.report(String.format("gossip flood: %d invalid messages sent, %d dropped as invalid, %d RPCs ignored once "
          + "graylisted (score %.0f; honest peer %.1f); %d + %d honest broadcasts, lost 0", invalid,
          counters.get("dropped.invalidSignature"), counters.get("graylisted"), attackerScore, honestScore,
          honestMessages, honestMessages));
      // the first invalid messages push the peer below the graylist: the rest is not even parsed
      assertTrue(counters.get("dropped.invalidSignature") >= 3, counters.toString());
      assertTrue(counters.get("graylisted") > 0, counters.toString());
      assertTrue(attackerScore < -80, "attacker score " + attackerScore);
      assertTrue(honestScore >= 0, "honest score " + honestScore);
      assertEquals(0L, counters.get("iwantServed"), counters.toString());
    } finally {
      TestNode.await(vertx.close());
    }
  }
}
