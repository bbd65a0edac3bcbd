package io.tinyp2p.protocol.gossipsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The validation queue against a model that counts by scanning every peer: whatever the
 * order of offers, polls and departures, a topic never holds more than its cap, and a message
 * is refused for a full topic only when its sender would hold more than an even share or no
 * other peer holds more than the sender would.
 */
class ValidationQueueTest {
  private static final List<PeerId> PEERS = IntStream.range(0, 12).mapToObj(i -> KeyPair.generate().peerId()).toList();
  private static final String TOPIC = "t";

  /** An operation: peer index and what to do (0-7: offer, 8: poll, 9: the peer leaves). */
  record Op(int peer, int kind) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    return Arbitraries.integers().between(0, PEERS.size() - 1)
        .flatMap(p -> Arbitraries.integers().between(0, 9).map(k -> new Op(p, k)))
        .list().ofMinSize(1).ofMaxSize(600);
  }

  @Property(tries = 200)
  void aFullTopicRefusesOnlyWhatWouldBeUnfair(@ForAll("ops") List<Op> ops, @ForAll("caps") int cap) {
    ValidationQueue q = new ValidationQueue(1000, cap, Long.MAX_VALUE, (why, topic) -> { });
    Map<PeerId, Integer> held = new HashMap<>(); // the model: messages queued per peer
    int seq = 0;
    for (Op op : ops) {
      PeerId peer = PEERS.get(op.peer());
      if (op.kind() < 8) {
        int total = held.values().stream().mapToInt(Integer::intValue).sum();
        int own = held.getOrDefault(peer, 0);
        int active = held.size() + (own == 0 ? 1 : 0);
        int most = held.entrySet().stream().filter(e -> !e.getKey().equals(peer))
            .mapToInt(Map.Entry::getValue).max().orElse(0);
        ValidationQueue.Admission a = q.offer(peer, message(seq), ByteString.copyFromUtf8("id" + seq), TOPIC, 100);
        seq++;
        if (a == ValidationQueue.Admission.TOPIC_FULL) {
          assertEquals(cap, total, "refused for a full topic that was not full");
          assertTrue((long) (own + 1) * active > cap || most <= own + 1,
              "refused although the sender holds " + own + " of " + cap + " among " + active + " and another holds " + most);
        } else {
          assertEquals(ValidationQueue.Admission.QUEUED, a);
        }
      } else if (op.kind() == 8) {
        q.poll();
      } else {
        q.removePeer(peer);
      }
      held.clear(); // re-read the queue's own per-peer figures: evictions change others' counts
      for (PeerId p : PEERS) {
        if (q.size(p) > 0) {
          held.put(p, q.size(p));
        }
      }
      int total = held.values().stream().mapToInt(Integer::intValue).sum();
      assertEquals(total, q.size(TOPIC));
      assertEquals(total, q.size());
      assertTrue(total <= cap, total + " queued in a topic capped at " + cap);
    }
  }

  @Provide
  Arbitrary<Integer> caps() {
    return Arbitraries.integers().between(1, 40);
  }

  private static RpcProto.Message message(int seq) {
    return RpcProto.Message.newBuilder().setTopic(TOPIC).setFrom(ByteString.copyFromUtf8("author" + (seq % 3)))
        .setData(ByteString.copyFromUtf8("m" + seq)).build();
  }
}
