package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.transport.quic.QuicTransport;
import io.tinyp2p.transport.tcp.TcpTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A network of nodes on different transports: two listen on TCP only, two on QUIC only, two
 * on both. Nodes that share no transport cannot connect, so what they learn of each other comes
 * through the dual nodes: every node discovers every other (its peer store holds it with an
 * address), connects to every node it shares a transport with, and every broadcast reaches
 * every node. A dual node dials a dual peer over QUIC first, and over TCP once QUIC fails.
 */
class MixedTransportsTest {
  static final String TCP = "/ip4/127.0.0.1/tcp/0";
  static final String QUIC = "/ip4/127.0.0.1/udp/0/quic-v1";

  Vertx vertx;
  final List<TestNode> nodes = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    nodes.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }

  private TestNode node(List<String> addrs, String bootNode) {
    JsonObject config = new JsonObject().put("busPrefix", "mixed" + nodes.size()).put("addr", new JsonArray(addrs))
        .put("discoveryInterval", 1).put("pubsubTopics", new JsonArray().add("block"))
        .put("gossipsub", new JsonObject().put("heartbeatMs", 200));
    if (bootNode != null) {
      config.put("bootNode", bootNode);
    }
    TestNode n = TestNode.start(vertx, config);
    nodes.add(n);
    return n;
  }

  private static List<Multiaddr> listening(TestNode n) {
    return n.onLoop(s -> Future.succeededFuture(s.listenAddresses()));
  }

  private static String bootAddr(TestNode boot, boolean quic) {
    return listening(boot).stream().filter(a -> quic ? a.isQuic() : a.isTcp()).findFirst().orElseThrow()
        .withPeerId(boot.peerId()).toString();
  }

  @Test
  void everyNodeIsDiscoveredAndEveryBroadcastDelivered() throws Exception {
    TestNode boot = node(List.of(TCP, QUIC), null);
    node(List.of(TCP, QUIC), bootAddr(boot, true));
    for (int i = 0; i < 2; i++) {
      node(List.of(TCP), bootAddr(boot, false));
      node(List.of(QUIC), bootAddr(boot, true));
    }
    List<PeerId> ids = nodes.stream().map(TestNode::peerId).toList();

    // every node's peer store learns every other node with an address of its own kind
    for (TestNode n : nodes) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Set<PeerId> missing = new HashSet<>(ids);
      while (!missing.isEmpty() && System.nanoTime() < deadline) {
        missing = n.onLoop(s -> Future.succeededFuture(new HashSet<>(ids.stream()
            .filter(p -> !p.equals(s.localPeer()) && s.peerStore().addresses(p).isEmpty()).toList())));
        if (!missing.isEmpty()) {
          TestNode.join(delay(200)); // the peer store has no change event: look again shortly
        }
      }
      assertTrue(missing.isEmpty(), n.peerId() + " (" + listening(n) + ") never learnt " + missing);
    }

    // everyone is in the topic's mesh of someone it can reach; a broadcast from each node reaches all
    for (TestNode n : nodes) {
      n.awaitMesh("block", 1);
    }
    Set<String> delivered = ConcurrentHashMap.newKeySet();
    int expected = nodes.size() * (nodes.size() - 1);
    CompletableFuture<Void> all = new CompletableFuture<>();
    for (int i = 0; i < nodes.size(); i++) {
      int me = i;
      new P2pClient(vertx, "mixed" + i).onBroadcast("block", m -> {
        delivered.add(me + "<" + m.body());
        if (delivered.size() == expected) {
          all.complete(null);
        }
      });
    }
    for (int i = 0; i < nodes.size(); i++) {
      TestNode.await(new P2pClient(vertx, "mixed" + i).broadcast("block", Buffer.buffer("from " + i)));
    }
    try {
      all.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("delivered " + delivered.size() + " of " + expected + ": " + delivered);
    }

    // no node holds a connection over a transport it does not have
    for (TestNode n : nodes) {
      List<Multiaddr> mine = listening(n);
      List<Connection> connections = n.onLoop(s -> Future.succeededFuture(s.connections()));
      for (Connection c : connections) {
        String t = c.info().transport();
        assertTrue(t.equals(QuicTransport.NAME) ? mine.stream().anyMatch(Multiaddr::isQuic)
            : mine.stream().anyMatch(Multiaddr::isTcp), n.peerId() + " has a " + t + " connection");
      }
    }
  }

  @Test
  void aDualPeerIsDialedOverQuicFirstAndOverTcpWhenQuicFails() throws Exception {
    TestNode a = node(List.of(TCP, QUIC), null);
    TestNode b = node(List.of(TCP, QUIC), null);
    List<Multiaddr> bAddrs = listening(b);
    // the peer store lists TCP first; the dial still goes to QUIC
    a.onLoop(s -> {
      s.peerStore().addAddresses(b.peerId(), bAddrs.stream().sorted((x, y) -> Boolean.compare(x.isQuic(), y.isQuic())).toList());
      return Future.succeededFuture();
    });
    Connection first = a.onLoop(s -> s.dial(b.peerId(), false));
    assertEquals(QuicTransport.NAME, first.info().transport());
    JsonObject status = TestNode.await(new P2pClient(vertx, "mixed0").status());
    JsonObject shown = status.getJsonArray("connections").getJsonObject(0);
    assertEquals(QuicTransport.NAME, shown.getString("transport"), status.encode());
    a.onLoop(s -> {
      first.close();
      return Future.succeededFuture();
    });

    // a third node whose QUIC address for b is dead (UDP has no refusal): TCP starts after
    // QUIC's head start and connects while the QUIC handshake still waits for its timeout
    TestNode c = node(List.of(TCP, QUIC), null);
    Multiaddr deadQuic = Multiaddr.quic("127.0.0.1", DemoIT.freeUdpPort());
    Multiaddr tcp = bAddrs.stream().filter(Multiaddr::isTcp).findFirst().orElseThrow();
    c.onLoop(s -> {
      s.peerStore().addAddresses(b.peerId(), List.of(tcp, deadQuic));
      return Future.succeededFuture();
    });
    Connection fallback = c.onLoop(s -> s.dial(b.peerId(), false));
    assertEquals(TcpTransport.NAME, fallback.info().transport());
    long quicPending = c.onLoop(s -> Future.succeededFuture(s.transports().stream()
        .filter(t -> t.name().equals(QuicTransport.NAME)).findFirst().orElseThrow().counters().get("handshakes")));
    assertEquals(1, quicPending, "the TCP dial waited for the dead QUIC address's handshake timeout");
  }

  /** When QUIC connects within its head start, no TCP connection is made at all. */
  @Test
  void aQuicConnectionWithinItsHeadStartLeavesTcpUndialed() {
    TestNode a = node(List.of(TCP, QUIC), null);
    TestNode b = node(List.of(TCP, QUIC), null);
    a.onLoop(s -> {
      s.peerStore().addAddresses(b.peerId(), listening(b));
      return Future.succeededFuture();
    });
    assertEquals(QuicTransport.NAME, a.<Connection>onLoop(s -> s.dial(b.peerId(), false)).info().transport());
    List<Connection> atB = b.onLoop(s -> Future.succeededFuture(s.connections()));
    assertEquals(1, atB.size(), "b holds " + atB);
  }

  private CompletableFuture<Void> delay(long ms) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    vertx.setTimer(ms, t -> f.complete(null));
    return f;
  }
}
