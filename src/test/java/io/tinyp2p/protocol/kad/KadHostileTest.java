package io.tinyp2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tinyp2p.protocol.ping.PingEvent;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.kad.pb.KadProto;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.util.Varint;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A misbehaving kad peer meets a node: streams close, the node keeps working, no fake peer is trusted. */
class KadHostileTest {
  Vertx vertx;
  TestNode node;
  TestNode attacker;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    node = TestNode.start(vertx, new JsonObject().put("busPrefix", "victim"));
    attacker = TestNode.start(vertx, new JsonObject().put("busPrefix", "attacker"));
  }

  @AfterEach
  void stop() {
    attacker.close();
    node.close();
    TestNode.await(vertx.close());
  }

  /** Sends raw bytes on a kad stream; completes with what came back before the stream ended or reset. */
  private Buffer exchange(Buffer bytes) {
    return attacker.onLoop(s -> s.dial(node.addr())
        .compose(c -> c.openStream(List.of(Kademlia.PROTOCOL_ID)))
        .compose(stream -> {
          Promise<Buffer> done = Promise.promise();
          Buffer got = Buffer.buffer();
          stream.handler(got::appendBuffer);
          stream.endHandler(v -> done.tryComplete(got));
          stream.closeHandler(v -> done.tryComplete(got));
          stream.write(bytes);
          stream.end();
          return done.future();
        }));
  }

  private void assertStillServes() {
    KadProto.Message ping = KadProto.Message.newBuilder().setType(KadProto.Message.MessageType.PING).build();
    Buffer answer = exchange(LengthPrefixed.frame(ping.toByteArray()));
    assertTrue(answer.length() > 0, "a PING right after must still be answered");
  }

  @Test
  void malformedProtobufClosesTheStream() {
    assertEquals(0, exchange(LengthPrefixed.frame(new byte[] {(byte) 0xff, 1, 2, 3, 4})).length());
    assertStillServes();
  }

  @Test
  void oversizedMessageClosesTheStream() {
    Buffer huge = Varint.append(Buffer.buffer(), 10L << 20).appendBytes(new byte[1000]);
    assertEquals(0, exchange(huge).length());
    assertStillServes();
  }

  @Test
  void unknownMessageTypeClosesTheStream() {
    // field 1 (type) = 99: not a MessageType
    assertEquals(0, exchange(LengthPrefixed.frame(new byte[] {0x08, 99})).length());
    assertStillServes();
  }

  @Test
  void aFloodOfFakeCloserPeersIsNotTrusted() {
    // the attacker answers every FIND_NODE with as many fake peers as fit, or far too many
    for (int fakes : new int[] {1_500, 10_000}) {
      Random random = new Random(fakes);
      KadProto.Message.Builder flood = KadProto.Message.newBuilder().setType(KadProto.Message.MessageType.FIND_NODE);
      for (int i = 0; i < fakes; i++) {
        byte[] mh = new byte[34];
        random.nextBytes(mh);
        mh[0] = 0x12;
        mh[1] = 32;
        flood.addCloserPeers(KadProto.Message.Peer.newBuilder().setId(ByteString.copyFrom(mh)));
      }
      byte[] answer = flood.build().toByteArray();
      attacker.onLoop(s -> {
        s.handle(Kademlia.SPEC, (P2pStream stream) -> {
          stream.handler(data -> { });
          stream.write(LengthPrefixed.frame(answer));
          stream.end();
        });
        return Future.succeededFuture();
      });
      List<PeerId> found = node.onLoop(s -> s.dial(attacker.addr())
          .compose(c -> node.verticle().node().kademlia().lookup(PeerId.parse(attacker.peerId().toBase58()).toBytes())));
      RoutingTable table = node.onLoop(s -> Future.succeededFuture(node.verticle().node().kademlia().routingTable()));
      int size = node.onLoop(s -> Future.succeededFuture(table.size()));
      assertTrue(size <= 1, "only the attacker itself may be in the table, size " + size);
      for (PeerId p : found) {
        assertTrue(p.equals(attacker.peerId()), "an unverified peer came out of the lookup: " + p);
      }
      assertStillServes();
    }
    var pinged = node.expect(PingEvent.Succeeded.class, e -> true);
    node.onLoop(s -> node.verticle().node().ping().ping(attacker.peerId()));
    assertFalse(TestNode.join(pinged).rtt().isNegative());
  }

  /** The attacker answers every kad request with {@code answer}, whatever was asked. */
  private void attackerAnswers(KadProto.Message answer) {
    attacker.onLoop(s -> {
      s.handle(Kademlia.SPEC, (P2pStream stream) -> {
        stream.handler(data -> stream.write(LengthPrefixed.frame(answer.toByteArray())));
        stream.endHandler(v -> stream.end());
      });
      return Future.succeededFuture();
    });
  }

  @Test
  void forgedRecordsInGetValueAnswersAreIgnored() {
    byte[] key = PkRecords.rsaKey();
    // an honest answer is taken (and not kept: the next getValue asks again)
    attackerAnswers(KadProto.Message.newBuilder().setType(KadProto.Message.MessageType.GET_VALUE)
        .setKey(ByteString.copyFrom(key)).setRecord(KadProto.Record.newBuilder().setKey(ByteString.copyFrom(key))
            .setValue(ByteString.copyFrom(PkRecords.RSA_VALUE))).build());
    var known = node.whenTable(t -> t.contains(attacker.peerId())); // it answered our probe
    node.onLoop(s -> s.dial(attacker.addr()));
    TestNode.join(known);
    byte[] got = node.onLoop(s -> node.verticle().node().kademlia().getValue(key));
    org.junit.jupiter.api.Assertions.assertArrayEquals(PkRecords.RSA_VALUE, got);
    byte[] forged = PkRecords.RSA_VALUE.clone();
    forged[50] ^= 1;
    for (KadProto.Record record : List.of(
        KadProto.Record.newBuilder().setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(forged)).build(),
        // a valid record, but for another key than the one asked for
        KadProto.Record.newBuilder().setKey(ByteString.copyFrom(PkRecords.pkKey(node.peerId().toBytes())))
            .setValue(ByteString.copyFrom(PkRecords.RSA_VALUE)).build())) {
      attackerAnswers(KadProto.Message.newBuilder().setType(KadProto.Message.MessageType.GET_VALUE)
          .setKey(ByteString.copyFrom(key)).setRecord(record).build());
      DhtException e = org.junit.jupiter.api.Assertions.assertThrows(DhtException.class,
          () -> node.onLoop(s -> node.verticle().node().kademlia().getValue(key)));
      assertEquals(DhtException.Reason.NOT_FOUND, e.reason());
    }
    assertStillServes();
  }

  @Test
  void garbageRecordsAndProvidersSentToUsAreRefused() {
    byte[] key = PkRecords.rsaKey();
    // PUT_VALUE without a record, with a record for another key, with an over-long value
    for (KadProto.Message put : List.of(
        KadProto.Message.newBuilder().setType(KadProto.Message.MessageType.PUT_VALUE).setKey(ByteString.copyFrom(key)).build(),
        KadRpc.putValue(key, PkRecords.RSA_VALUE).toBuilder().setKey(ByteString.copyFromUtf8("/pk/other")).build(),
        KadRpc.putValue(KadRecordStoreTest.utf8("/pk/x"), new byte[70 * 1024]))) {
      assertEquals(0, exchange(LengthPrefixed.frame(put.toByteArray())).length(), put.toString());
    }
    // ADD_PROVIDER with a garbage provider id is no answer and stores nothing
    KadProto.Message add = KadProto.Message.newBuilder().setType(KadProto.Message.MessageType.ADD_PROVIDER)
        .setKey(ByteString.copyFrom(key)).addProviderPeers(KadProto.Message.Peer.newBuilder()
            .setId(ByteString.copyFromUtf8("not a peer id"))).build();
    assertEquals(0, exchange(LengthPrefixed.frame(add.toByteArray())).length());
    assertEquals(0, (int) node.onLoop(s -> Future.succeededFuture(node.verticle().node().kademlia().providerStore().keys())));
    assertEquals(0, (int) node.onLoop(s -> Future.succeededFuture(node.verticle().node().kademlia().recordStore().size())));
    assertStillServes();
  }
}
