package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Echo;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each connection's input gets a bounded share of the event loop per turn; what is left waits
 * for the next turn, after the other sockets were read. Nothing may be lost or reordered on
 * the way, even when every single frame is put off to a turn of its own.
 */
class InputBudgetTest {
  static Vertx vertx;
  static TestNode peer;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    peer = TestNode.start(vertx);
    peer.onLoop(s -> {
      Echo.install(s);
      return Future.succeededFuture();
    });
  }

  @AfterAll
  static void stop() {
    peer.close();
    TestNode.await(vertx.close());
  }

  /** A bare swarm on the peer's event loop, listening on loopback, with echo installed. */
  private static Swarm swarm(SwarmConfig config) {
    return peer.onLoop(s -> {
      Swarm swarm = new Swarm(s.vertx(), KeyPair.generate(), config);
      Echo.install(swarm);
      return swarm.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).map(a -> swarm);
    });
  }

  /** The input scheduler of the swarm's TCP transport. */
  private static io.tinyp2p.transport.tcp.InputScheduler scheduler(Swarm swarm) {
    return ((io.tinyp2p.transport.tcp.TcpTransport) swarm.transports().get(0)).inputScheduler();
  }

  private static Multiaddr addr(Swarm swarm) {
    return swarm.listenAddresses().get(0).withPeerId(swarm.localPeer());
  }

  private static List<Buffer> payloads(int n, int size) {
    Random random = new Random(n);
    List<Buffer> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] b = new byte[size];
      random.nextBytes(b);
      all.add(Buffer.buffer(b));
    }
    return all;
  }

  private static List<Buffer> echoAll(Swarm from, PeerId to, List<Buffer> payloads) {
    return peer.onLoop(s -> {
      List<Future<Buffer>> all = new ArrayList<>();
      for (Buffer p : payloads) {
        all.add(Echo.roundTrip(from, to, p));
      }
      return Future.all(all).map(cf -> cf.<Buffer>list());
    });
  }

  @Test
  void everyFrameInATurnOfItsOwnStillArrivesWholeAndInOrder() {
    Swarm slow = swarm(SwarmConfig.defaults().withInputTurn(Duration.ZERO));
    Swarm fast = swarm(SwarmConfig.defaults());
    try {
      Connection c = peer.onLoop(s -> fast.dial(addr(slow)));
      // the slow side receives: 200 streams opened at once, 64 KiB each way
      List<Buffer> in = payloads(200, 64 * 1024);
      List<Buffer> back = echoAll(fast, slow.localPeer(), in);
      for (int i = 0; i < in.size(); i++) {
        assertArrayEquals(in.get(i).getBytes(), back.get(i).getBytes(), "stream " + i);
      }
      // and the slow side sends: its echoes come back through its own deferred input
      List<Buffer> out = payloads(50, 256 * 1024);
      List<Buffer> echoed = echoAll(slow, fast.localPeer(), out);
      for (int i = 0; i < out.size(); i++) {
        assertArrayEquals(out.get(i).getBytes(), echoed.get(i).getBytes(), "stream " + i);
      }
      long deferred = peer.onLoop(s -> Future.succeededFuture(slow.connection(fast.localPeer()).inputDeferrals()));
      assertTrue(deferred > 200, "input was put off only " + deferred + " times");
      assertEquals(1, (int) peer.<Integer>onLoop(s -> Future.succeededFuture(slow.connections().size())));
      assertTrue(c.isOpen());
    } finally {
      peer.onLoop(s -> Future.join(slow.close(), fast.close()).mapEmpty());
    }
  }

  @Test
  void aBurstOfStreamOpeningsIsSpreadOverTurns() {
    // a short turn, so that the burst surely outlasts it however fast this machine is
    Swarm node = swarm(SwarmConfig.defaults().withInputTurn(Duration.ofNanos(200_000)));
    Swarm burst = swarm(SwarmConfig.defaults());
    try {
      peer.onLoop(s -> burst.dial(addr(node)));
      // 250 streams opened and written in one task (the per-protocol cap is 256): a few
      // reads the node must negotiate stream by stream
      List<Buffer> in = payloads(250, 1024);
      List<Buffer> back = echoAll(burst, node.localPeer(), in);
      for (int i = 0; i < in.size(); i++) {
        assertArrayEquals(in.get(i).getBytes(), back.get(i).getBytes(), "stream " + i);
      }
      long deferred = peer.onLoop(s -> Future.succeededFuture(node.connection(burst.localPeer()).inputDeferrals()));
      assertTrue(deferred > 0, "the burst was handled in one turn");
    } finally {
      peer.onLoop(s -> Future.join(node.close(), burst.close()).mapEmpty());
    }
  }

  @Test
  void inputThatWaitsForItsTurnIsNotLostWhenThePeerCloses() {
    Swarm slow = swarm(SwarmConfig.defaults().withInputTurn(Duration.ZERO));
    Swarm sender = swarm(SwarmConfig.defaults());
    int streams = 50;
    int size = 8 * 1024; // all of it fits the output one task may queue
    java.util.concurrent.CompletableFuture<List<Integer>> received = new java.util.concurrent.CompletableFuture<>();
    List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
    peer.onLoop(s -> {
      slow.handle(io.tinyp2p.swarm.ProtocolSpec.of("/tinyp2p/test/sink/1"), stream -> {
        int[] n = {0};
        stream.handler(b -> n[0] += b.length());
        stream.endHandler(v -> {
          sizes.add(n[0]);
          if (sizes.size() == streams) {
            received.complete(sizes);
          }
        });
      });
      return Future.succeededFuture();
    });
    try {
      Connection c = peer.onLoop(s -> sender.dial(addr(slow)));
      List<io.tinyp2p.stream.P2pStream> open = peer.onLoop(s -> {
        List<Future<io.tinyp2p.stream.P2pStream>> all = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
          all.add(c.openStream(List.of("/tinyp2p/test/sink/1")));
        }
        return Future.all(all).map(cf -> cf.<io.tinyp2p.stream.P2pStream>list());
      });
      // every stream written and ended, and the connection closed, in one task: the slow
      // side reads it all, and the close, long before its turns are over
      peer.onLoop(s -> {
        for (io.tinyp2p.stream.P2pStream st : open) {
          st.write(Buffer.buffer(new byte[size]));
          st.end();
        }
        c.close();
        return Future.succeededFuture();
      });
      List<Integer> got = TestNode.join(received.orTimeout(20, java.util.concurrent.TimeUnit.SECONDS));
      assertEquals(streams, got.size());
      got.forEach(n -> assertEquals(size, n));
    } finally {
      peer.onLoop(s -> Future.join(slow.close(), sender.close()).mapEmpty());
    }
  }

  @Test
  void manyConnectionsWaitingTogetherAllGetTheirTurns() {
    // every input waits for a serving round, and each round serves one connection or a few:
    // twenty senders at once must all be served to the end, none starved by the others
    Swarm slow = swarm(SwarmConfig.defaults().withInputTurn(Duration.ZERO));
    List<Swarm> senders = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      senders.add(swarm(SwarmConfig.defaults()));
    }
    try {
      List<Buffer> in = payloads(20, 32 * 1024);
      List<Buffer> back = peer.onLoop(s -> Future.all(senders.stream()
              .map(from -> from.dial(addr(slow)).compose(c -> Future.all(in.stream()
                  .map(p -> Echo.roundTrip(from, slow.localPeer(), p)).toList())))
              .toList())
          .map(cf -> cf.<io.vertx.core.CompositeFuture>list().stream()
              .flatMap(f -> f.<Buffer>list().stream()).toList()));
      assertEquals(senders.size() * in.size(), back.size());
      for (int i = 0; i < back.size(); i++) {
        assertArrayEquals(in.get(i % in.size()).getBytes(), back.get(i).getBytes(), "echo " + i);
      }
      long served = peer.onLoop(s -> Future.succeededFuture(scheduler(slow).served()));
      assertTrue(served > 20 * 20, "turns given to waiting connections: " + served);
      assertEquals(0, (int) peer.<Integer>onLoop(s -> Future.succeededFuture(scheduler(slow).waiting())));
    } finally {
      peer.onLoop(s -> Future.join(slow.close(), Future.all(senders.stream().map(Swarm::close).toList())).mapEmpty());
    }
  }
}
