package io.tinyp2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tinyp2p.Figures;
import io.tinyp2p.TestNode;
import io.tinyp2p.protocol.reqresp.RequestException.Failure;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.kad.pb.KadProto;
import io.tinyp2p.protocol.reqresp.RequestException;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.multiaddr.AddressClass;
import io.tinyp2p.swarm.AddressPolicy;
import io.tinyp2p.swarm.Limits;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A kad peer that answers every FIND_NODE with fake peers does not make the node a dialer it
 * directs: fake peers at one address are dialed there only as often as the backoff allows, and
 * addresses of classes a loopback peer may not hand us are not even stored. Every address the
 * node could dial here is on 127.0.0.1.
 */
class KadFakePeersTest {
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

  /** The attacker answers FIND_NODE with {@code fakes} fresh PeerIds, each at {@code addrs}. */
  private void answerWithFakes(int fakes, List<Multiaddr> addrs) {
    attacker.onLoop(s -> {
      s.handle(Kademlia.SPEC, (P2pStream stream) -> {
        stream.handler(data -> {
          KadProto.Message.Builder answer = KadProto.Message.newBuilder()
              .setType(KadProto.Message.MessageType.FIND_NODE);
          for (int i = 0; i < fakes; i++) {
            KadProto.Message.Peer.Builder p = KadProto.Message.Peer.newBuilder()
                .setId(ByteString.copyFrom(KeyPair.generate().peerId().toBytes()));
            addrs.forEach(a -> p.addAddrs(ByteString.copyFrom(a.toBytes())));
            answer.addCloserPeers(p);
          }
          stream.write(LengthPrefixed.frame(answer.build().toByteArray()));
        });
        stream.endHandler(v -> stream.end());
      });
      return Future.succeededFuture();
    });
  }

  @Test
  void fakePeersAtOneAddressAreDialedThereOnlyAsTheBackoffAllows() throws Exception {
    // a loopback port with no libp2p behind it, counting the node's TCP connects
    AtomicInteger connects = new AtomicInteger();
    try (ServerSocket trap = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      Thread acceptor = new Thread(() -> {
        while (!trap.isClosed()) {
          try (Socket s = trap.accept()) {
            connects.incrementAndGet();
          } catch (IOException e) {
            return;
          }
        }
      }, "trap");
      acceptor.setDaemon(true);
      acceptor.start();
      Multiaddr trapAddr = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + trap.getLocalPort());
      answerWithFakes(KadRpc.MAX_CLOSER_PEERS, List.of(trapAddr));
      Multiaddr attackerAddr = attacker.addr();
      node.onLoop(s -> s.dial(attackerAddr));
      // lookups for random keys, one after the other, for 10 s: every one meets 40 fake peers
      long started = System.nanoTime();
      int lookups = 0;
      while (System.nanoTime() - started < 10_000_000_000L) {
        byte[] key = KeyPair.generate().peerId().toBytes();
        node.onLoop(s -> node.verticle().node().kademlia().lookup(key));
        lookups++;
        Thread.sleep(100); // the lookups' pace
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      long suppressed = node.<Long>onLoop(s -> Future.succeededFuture(
          s.limitCounters().dialsSuppressed(Limits.DialSuppression.BACKOFF)));
      int dials = connects.get();
      Figures.report(String.format("KadFakePeersTest: %d lookups in %.1f s met %d fake peers at one loopback"
          + " address: the node dialed it %d times, %d dials suppressed by the backoff", lookups, seconds,
          lookups * KadRpc.MAX_CLOSER_PEERS, dials, suppressed));
      // 1 s doubling: at t = 0, 1, 3, 7 s (and one more if a lookup lands just then)
      assertTrue(dials >= 1 && dials <= 6, "dials to the fake peers' address: " + dials);
      assertTrue(suppressed > dials, "the backoff never answered: " + suppressed);
      assertEquals(1, node.<Integer>onLoop(s -> Future.succeededFuture(
          node.verticle().node().kademlia().routingTable().size())), "only the attacker itself is in the table");

      // a request to a fake peer fails fast, as a dial failure naming the backoff
      PeerId fake = node.onLoop(s -> Future.succeededFuture(s.peerStore().all().stream()
          .filter(p -> p.listenAddrs().contains(trapAddr)).findFirst().orElseThrow().peerId()));
      long before = System.nanoTime();
      RequestException e = node.onLoop(s -> node.verticle().node().requestResponse().request(fake, Buffer.buffer("hi"))
          .<RequestException>transform(ar -> Future.succeededFuture((RequestException) ar.cause())));
      assertEquals(Failure.DIAL_FAILED, e.failure());
      assertTrue(e.getMessage().contains("dial backoff"), e.getMessage());
      assertTrue(System.nanoTime() - before < 1_000_000_000L, "a suppressed dial must fail fast");
      assertTrue(connects.get() <= dials + 1);
    }
  }

  @Test
  void addressesALoopbackPeerMayNotHandUsAreNotStored() {
    // only classes that are dropped: none of them may be dialed, and none is
    List<Multiaddr> hostile = List.of(
        Multiaddr.parse("/ip4/169.254.169.254/tcp/80"),
        Multiaddr.parse("/dns4/evil.example/tcp/4001"),
        Multiaddr.parse("/ip4/0.0.0.0/tcp/4001"),
        Multiaddr.parse("/ip6/fe80::1/tcp/4001"),
        Multiaddr.parse("/ip4/224.0.0.1/tcp/4001"));
    answerWithFakes(3, hostile);
    Multiaddr attackerAddr = attacker.addr();
    PeerId attackerId = attacker.peerId();
    List<PeerId> named = node.onLoop(s -> s.dial(attackerAddr)
        .compose(c -> node.verticle().node().kademlia().findNode(attackerId, node.peerId().toBytes())));
    assertEquals(3, named.size());
    List<List<Multiaddr>> stored = new ArrayList<>();
    for (PeerId p : named) {
      stored.add(node.onLoop(s -> Future.succeededFuture(s.peerStore().addresses(p))));
    }
    for (List<Multiaddr> addrs : stored) {
      assertTrue(addrs.isEmpty(), "stored from a kad answer: " + addrs);
    }
    // counted by class (the node's own probe of the attacker may have met an answer too)
    JsonObject dropped = node.verticle().status().getJsonObject("limits").getJsonObject("addressesDropped");
    assertTrue(dropped.getLong(AddressClass.LINK_LOCAL.name()) >= 6, dropped.encode()); // v4 and v6
    for (AddressClass c : List.of(AddressClass.DNS, AddressClass.UNSPECIFIED,
        AddressClass.RESERVED)) {
      assertTrue(dropped.getLong(c.name()) >= 3, dropped.encode());
    }
    // and a fake peer with nothing stored cannot be dialed at all
    RequestException e = node.onLoop(s -> node.verticle().node().requestResponse().request(named.get(0), Buffer.buffer("x"))
        .<RequestException>transform(ar -> Future.succeededFuture((RequestException) ar.cause())));
    assertTrue(e.failure() == Failure.PEER_NOT_FOUND || e.failure() == Failure.DIAL_FAILED, e.failure() + " " + e.getMessage());
    String status = node.verticle().status().encode();
    assertTrue(!status.contains("169.254.169.254") && !status.contains("evil.example"), status);
  }
}
