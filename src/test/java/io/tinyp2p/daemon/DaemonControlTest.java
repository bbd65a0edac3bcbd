package io.tinyp2p.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.daemon.pb.DaemonProto.ConnectRequest;
import io.tinyp2p.daemon.pb.DaemonProto.DHTRequest;
import io.tinyp2p.daemon.pb.DaemonProto.DHTResponse;
import io.tinyp2p.daemon.pb.DaemonProto.PSMessage;
import io.tinyp2p.daemon.pb.DaemonProto.PSRequest;
import io.tinyp2p.daemon.pb.DaemonProto.Request;
import io.tinyp2p.daemon.pb.DaemonProto.Response;
import io.tinyp2p.daemon.pb.DaemonProto.StreamHandlerRequest;
import io.tinyp2p.daemon.pb.DaemonProto.StreamInfo;
import io.tinyp2p.daemon.pb.DaemonProto.StreamOpenRequest;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.kad.PkRecords;
import io.tinyp2p.util.Varint;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two daemons in one JVM driven over their control sockets: connect, peers, streams both
 * ways, pubsub, peer routing; and bad control input answered with an error while the daemon
 * keeps serving.
 */
class DaemonControlTest {
  static Vertx vertx;
  static ControlClient alice;
  static ControlClient bob;
  static ControlClient plain;

  static ControlClient start(String... flags) throws Exception {
    DaemonVerticle d = new DaemonVerticle(DaemonOptions.parse(List.of(flags)), KeyPair.generate());
    TestNode.await(vertx.deployVerticle(d));
    return new ControlClient(d.controlAddress());
  }

  @BeforeAll
  static void startDaemons() throws Exception {
    vertx = Vertx.vertx();
    alice = start("-dht", "-pubsub");
    bob = start("-dht", "-pubsub", "-pubsubRouter", "floodsub");
    plain = start("-noListen");
    Response r = alice.call(Request.newBuilder().setType(Request.Type.CONNECT).setConnect(ConnectRequest.newBuilder()
        .setPeer(ControlClient.bytes(bob.peerId())).addAddrs(ControlClient.bytes(bob.addrs().get(0)))).build());
    assertEquals(Response.Type.OK, r.getType(), r.toString());
  }

  @AfterAll
  static void stop() {
    TestNode.await(vertx.close());
  }

  @Test
  void identifyAndPeers() throws IOException {
    Response id = plain.identify();
    assertEquals(Response.Type.OK, id.getType());
    assertEquals(0, id.getIdentify().getAddrsCount(), "-noListen: no listen address");
    Response peers = alice.call(Request.newBuilder().setType(Request.Type.LIST_PEERS).build());
    assertTrue(peers.getPeersList().stream().anyMatch(p -> p.getId().equals(ControlClient.bytes(peerOf(bob)))),
        peers.toString());
  }

  private static PeerId peerOf(ControlClient c) {
    try {
      return c.peerId();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** alice opens /echo/1.0.0 to bob, whose client (this test) echoes on the handler connection. */
  @Test
  void streamsBothWays() throws Exception {
    try (ServerSocket handler = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Response reg = bob.call(Request.newBuilder().setType(Request.Type.STREAM_HANDLER).setStreamHandler(
          StreamHandlerRequest.newBuilder().addProto("/echo/1.0.0")
              .setAddr(ControlClient.bytes(Multiaddr.tcp("127.0.0.1", handler.getLocalPort())))).build());
      assertEquals(Response.Type.OK, reg.getType(), reg.toString());
      CompletableFuture<StreamInfo> inbound = CompletableFuture.supplyAsync(() -> {
        try (Socket s = handler.accept(); ControlClient.Conn c = new ControlClient.Conn(s)) {
          s.setSoTimeout(30_000);
          StreamInfo info = StreamInfo.parseFrom(c.read());
          byte[] data = c.read();
          c.send(data); // echo one message back
          c.read(); // until the sender is done
          return info;
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      try (ControlClient.Conn c = alice.open()) {
        c.send(Request.newBuilder().setType(Request.Type.STREAM_OPEN).setStreamOpen(StreamOpenRequest.newBuilder()
            .setPeer(ControlClient.bytes(bob.peerId())).addProto("/echo/1.0.0")).build().toByteArray());
        Response opened = c.response();
        assertEquals(Response.Type.OK, opened.getType(), opened.toString());
        assertEquals("/echo/1.0.0", opened.getStreamInfo().getProto());
        assertEquals(ControlClient.bytes(bob.peerId()), opened.getStreamInfo().getPeer());
        c.send("test".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("test".getBytes(StandardCharsets.UTF_8), c.read());
        c.send(new byte[] {1});
        StreamInfo info = inbound.get(30, TimeUnit.SECONDS);
        assertEquals(ControlClient.bytes(alice.peerId()), info.getPeer());
        assertEquals("/echo/1.0.0", info.getProto());
      }
    }
  }

  @Test
  void streamToAProtocolNobodyServesFails() throws IOException {
    Response r = alice.call(Request.newBuilder().setType(Request.Type.STREAM_OPEN).setStreamOpen(
        StreamOpenRequest.newBuilder().setPeer(ControlClient.bytes(bob.peerId())).addProto("/nobody/1.0.0")).build());
    assertEquals(Response.Type.ERROR, r.getType());
    assertTrue(r.getError().getMsg().contains("/nobody/1.0.0"), r.getError().getMsg());
  }

  /** alice runs gossipsub, bob floodsub only: gossipsub speaks floodsub with him. */
  @Test
  void pubsubBetweenDaemons() throws Exception {
    try (ControlClient.Conn sub = bob.open()) {
      sub.send(Request.newBuilder().setType(Request.Type.PUBSUB).setPubsub(PSRequest.newBuilder()
          .setType(PSRequest.Type.SUBSCRIBE).setTopic("daemon-news")).build().toByteArray());
      assertEquals(Response.Type.OK, sub.response().getType());
      Response topics = bob.call(pubsub(PSRequest.Type.GET_TOPICS, null));
      assertTrue(topics.getPubsub().getTopicsList().contains("daemon-news"), topics.toString());
      // alice publishes once she knows bob subscribes (the subscription travels over gossipsub)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!alice.call(pubsub(PSRequest.Type.LIST_PEERS, "daemon-news")).getPubsub().getPeerIDsList()
          .contains(ControlClient.bytes(bob.peerId()))) {
        assertTrue(System.nanoTime() < deadline, "alice never saw bob subscribe");
        // the control protocol has no subscription event: poll, as the interop suite does
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      }
      Request publish = Request.newBuilder().setType(Request.Type.PUBSUB).setPubsub(PSRequest.newBuilder()
          .setType(PSRequest.Type.PUBLISH).setTopic("daemon-news").setData(ByteString.copyFromUtf8("hello"))).build();
      assertEquals(Response.Type.OK, alice.call(publish).getType());
      PSMessage m = PSMessage.parseFrom(sub.read());
      assertEquals("hello", m.getData().toStringUtf8());
      assertEquals(List.of("daemon-news"), m.getTopicIDsList());
    }
  }

  private static Request pubsub(PSRequest.Type type, String topic) {
    PSRequest.Builder ps = PSRequest.newBuilder().setType(type);
    if (topic != null) {
      ps.setTopic(topic);
    }
    return Request.newBuilder().setType(Request.Type.PUBSUB).setPubsub(ps).build();
  }

  @Test
  void findConnectedPeer() throws IOException {
    Response r = alice.call(Request.newBuilder().setType(Request.Type.DHT).setDht(DHTRequest.newBuilder()
        .setType(DHTRequest.Type.FIND_PEER).setPeer(ControlClient.bytes(bob.peerId()))).build());
    assertEquals(Response.Type.OK, r.getType(), r.toString());
    assertEquals(DHTResponse.Type.VALUE, r.getDht().getType());
    assertEquals(ControlClient.bytes(bob.addrs().get(0)), r.getDht().getPeer().getAddrs(0));
  }

  @Test
  void quicDaemons() throws Exception {
    ControlClient a = start("-hostAddrs", "/ip4/127.0.0.1/udp/0/quic-v1");
    ControlClient b = start("-hostAddrs", "/ip4/127.0.0.1/udp/0/quic-v1,/ip4/127.0.0.1/tcp/0");
    assertTrue(a.addrs().get(0).isQuic(), a.addrs().toString());
    Response r = a.call(Request.newBuilder().setType(Request.Type.CONNECT).setConnect(ConnectRequest.newBuilder()
        .setPeer(ControlClient.bytes(b.peerId())).addAllAddrs(b.addrs().stream().map(ControlClient::bytes).toList()))
        .build());
    assertEquals(Response.Type.OK, r.getType(), r.toString());
    Response peers = b.call(Request.newBuilder().setType(Request.Type.LIST_PEERS).build());
    assertTrue(Multiaddr.fromBytes(peers.getPeers(0).getAddrs(0).toByteArray()).isQuic(), peers.toString());
  }

  private static Request dht(DHTRequest.Builder dht) {
    return Request.newBuilder().setType(Request.Type.DHT).setDht(dht).build();
  }

  /** The interop suite's record (an RSA key under /pk/): alice puts it, bob gets it. */
  @Test
  void recordsBetweenDaemons() throws IOException {
    Response put = alice.call(dht(DHTRequest.newBuilder().setType(DHTRequest.Type.PUT_VALUE)
        .setKey(ByteString.copyFrom(PkRecords.rsaKey())).setValue(ByteString.copyFrom(PkRecords.RSA_VALUE))));
    assertEquals(Response.Type.OK, put.getType(), put.toString());
    Response got = bob.call(dht(DHTRequest.newBuilder().setType(DHTRequest.Type.GET_VALUE)
        .setKey(ByteString.copyFrom(PkRecords.rsaKey()))));
    assertEquals(Response.Type.OK, got.getType(), got.toString());
    assertArrayEquals(PkRecords.RSA_VALUE, got.getDht().getValue().toByteArray());
    Response forged = alice.call(dht(DHTRequest.newBuilder().setType(DHTRequest.Type.PUT_VALUE)
        .setKey(ByteString.copyFrom(PkRecords.rsaKey())).setValue(ByteString.copyFromUtf8("not the key"))));
    assertEquals(Response.Type.ERROR, forged.getType());
    Response missing = bob.call(dht(DHTRequest.newBuilder().setType(DHTRequest.Type.GET_VALUE)
        .setKey(ByteString.copyFrom(PkRecords.pkKey(KeyPair.generate().peerId().toBytes())))));
    assertEquals(Response.Type.ERROR, missing.getType());
  }

  /** alice provides a CIDv0 and a CIDv1 of the same multihash; bob finds her for both. */
  @Test
  void providersBetweenDaemons() throws IOException {
    byte[] multihash = new byte[34];
    multihash[0] = 0x12;
    multihash[1] = 32;
    for (int i = 2; i < 34; i++) {
      multihash[i] = (byte) (i * 31);
    }
    byte[] cidV1 = new byte[36];
    cidV1[0] = 1;
    cidV1[1] = 0x55; // raw
    System.arraycopy(multihash, 0, cidV1, 2, 34);
    Response provided = alice.call(dht(DHTRequest.newBuilder().setType(DHTRequest.Type.PROVIDE)
        .setCid(ByteString.copyFrom(multihash))));
    assertEquals(Response.Type.OK, provided.getType(), provided.toString());
    for (byte[] cid : List.of(multihash, cidV1)) {
      try (ControlClient.Conn c = bob.open()) {
        c.send(dht(DHTRequest.newBuilder().setType(DHTRequest.Type.FIND_PROVIDERS).setCid(ByteString.copyFrom(cid))
            .setCount(1)).toByteArray());
        Response begin = c.response();
        assertEquals(Response.Type.OK, begin.getType(), begin.toString());
        assertEquals(DHTResponse.Type.BEGIN, begin.getDht().getType());
        DHTResponse value = DHTResponse.parseFrom(c.read());
        assertEquals(DHTResponse.Type.VALUE, value.getType());
        assertEquals(ControlClient.bytes(alice.peerId()), value.getPeer().getId());
        assertEquals(DHTResponse.Type.END, DHTResponse.parseFrom(c.read()).getType());
      }
    }
    assertRefused(bob.call(dht(DHTRequest.newBuilder().setType(DHTRequest.Type.FIND_PROVIDERS)
        .setCid(ByteString.copyFrom(new byte[] {2, 0x55, 0x12, 1, 0})))), "CID version 2 is not supported");
    assertRefused(bob.call(dht(DHTRequest.newBuilder().setType(DHTRequest.Type.PROVIDE)
        .setCid(ByteString.copyFrom(new byte[] {1, 0x55, 0x12, 32, 1})))), "does not end in a whole multihash");
  }

  // ---- bad input: an error response each time, and the daemon serves the next request ----

  private static Response rawRequest(ControlClient c, byte[] bytes) throws IOException {
    try (ControlClient.Conn conn = c.open()) {
      conn.raw(bytes);
      Response r = conn.response();
      assertEquals(0, conn.readToEnd().length, "the connection ends after the error");
      return r;
    }
  }

  private static void assertRefused(Response r, String why) throws IOException {
    assertEquals(Response.Type.ERROR, r.getType(), r.toString());
    assertTrue(r.getError().getMsg().contains(why), r.getError().getMsg());
    assertEquals(Response.Type.OK, alice.identify().getType(), "still serving");
  }

  @Test
  void garbageGetsAnError() throws IOException {
    assertRefused(rawRequest(alice, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}), "bad length prefix");
    assertRefused(rawRequest(alice, new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff}), "not a daemon Request");
  }

  @Test
  void oversizedRequestGetsAnError() throws IOException {
    assertRefused(rawRequest(alice, Varint.encode(ControlServer.MAX_REQUEST + 1L)), "exceeds the limit");
  }

  @Test
  void unknownTypesGetAnError() throws IOException {
    assertRefused(rawRequest(alice, new byte[] {2, 0x08, 42}), "unknown request type 42");
    Request unknownDht = Request.newBuilder().setType(Request.Type.DHT)
        .setDht(DHTRequest.newBuilder().setTypeValue(77)).build();
    assertRefused(alice.call(unknownDht), "unknown DHT request type 77");
    Request unknownPubsub = Request.newBuilder().setType(Request.Type.PUBSUB)
        .setPubsub(PSRequest.newBuilder().setTypeValue(9).setTopic("x")).build();
    assertRefused(alice.call(unknownPubsub), "unknown pubsub request type 9");
  }

  @Test
  void missingFieldsGetAnError() throws IOException {
    assertRefused(alice.call(Request.newBuilder().setType(Request.Type.CONNECT).build()), "connect.peer is missing");
    assertRefused(alice.call(Request.newBuilder().setType(Request.Type.CONNECT).setConnect(ConnectRequest.newBuilder()
        .setPeer(ByteString.copyFromUtf8("not a peer"))).build()), "connect.peer is not a peer id");
    assertRefused(alice.call(Request.newBuilder().setType(Request.Type.STREAM_OPEN).build()), "STREAM_OPEN needs");
    assertRefused(alice.call(Request.newBuilder().build()), "no type");
  }

  @Test
  void disabledServicesSaySo() throws IOException {
    Request topics = pubsub(PSRequest.Type.GET_TOPICS, null);
    assertRefused(plain.call(topics), "pubsub is not enabled");
    assertRefused(plain.call(Request.newBuilder().setType(Request.Type.DHT).setDht(DHTRequest.newBuilder()
        .setType(DHTRequest.Type.FIND_PEER).setPeer(ControlClient.bytes(bob.peerId()))).build()), "DHT is not enabled");
  }
}
