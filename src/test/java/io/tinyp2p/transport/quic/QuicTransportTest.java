package io.tinyp2p.transport.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.tls.TestCertificates;
import io.tinyp2p.tls.TlsCertificate;
import io.tinyp2p.transport.MuxedConnection;
import io.tinyp2p.transport.MuxedStream;
import io.tinyp2p.transport.Upgrade;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two QUIC transports over loopback: the libp2p TLS handshake inside QUIC authenticates both
 * peers, QUIC streams carry data both ways with end and reset, and the limits hold: the peer's
 * stream credit, a handshake that never finishes, certificates that do not prove their key,
 * datagrams that are not QUIC.
 */
class QuicTransportTest {
  private static final long TIMEOUT_SECONDS = 20;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  static QuicTransport.Settings settings(KeyPair identity, int maxStreams, Duration handshakeTimeout) {
    return new QuicTransport.Settings(identity, handshakeTimeout, Duration.ofSeconds(30), maxStreams,
        256 * 1024, 4L << 20, 1 << 20, 64L << 20, Duration.ofSeconds(20));
  }

  /** A transport on a context of its own, with its identity; inbound connections are collected. */
  private record Node(Context context, QuicTransport transport, KeyPair identity,
      List<CompletableFuture<MuxedConnection>> inbound) implements AutoCloseable {
    static Node start(KeyPair identity, TlsCertificate certificate, int maxStreams, Duration handshakeTimeout) {
      Context context = vertx.getOrCreateContext();
      QuicTransport transport = on(context, () -> Future.succeededFuture(certificate == null
          ? new QuicTransport(context, settings(identity, maxStreams, handshakeTimeout))
          : new QuicTransport(context, settings(identity, maxStreams, handshakeTimeout), certificate)));
      return new Node(context, transport, identity, new ArrayList<>());
    }

    static Node start() {
      return start(KeyPair.generate(), null, 64, Duration.ofSeconds(10));
    }

    /** Listens and refuses every connection. */
    Multiaddr listenRefusing() {
      return on(context, () -> transport.listen(Multiaddr.parse("/ip4/127.0.0.1/udp/0/quic-v1"), upgrade -> false)).get(0);
    }

    Multiaddr listen() {
      return on(context, () -> transport.listen(Multiaddr.parse("/ip4/127.0.0.1/udp/0/quic-v1"), upgrade -> {
        CompletableFuture<MuxedConnection> f = new CompletableFuture<>();
        synchronized (inbound) {
          inbound.add(f);
          inbound.notifyAll();
        }
        assertEquals(Direction.INBOUND, upgrade.direction());
        assertEquals(Upgrade.SECURITY_HANDSHAKE, upgrade.stage());
        upgrade.result().onComplete(ar -> {
          if (ar.succeeded()) {
            f.complete(ar.result());
          } else {
            f.completeExceptionally(ar.cause());
          }
        });
        return true;
      })).get(0);
    }

    /** The n-th inbound connection (0-based), once offered. */
    CompletableFuture<MuxedConnection> inbound(int n) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
      synchronized (inbound) {
        while (inbound.size() <= n) {
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          if (left <= 0) {
            throw new AssertionError("no inbound connection " + n);
          }
          inbound.wait(left);
        }
        return inbound.get(n);
      }
    }

    MuxedConnection dial(Multiaddr addr, PeerId expected) {
      return on(context, () -> transport.dial(addr, expected).compose(Upgrade::result));
    }

    <T> T call(Supplier<T> action) {
      return on(context, () -> Future.succeededFuture(action.get()));
    }

    @Override
    public void close() {
      on(context, transport::close);
    }
  }

  static <T> T on(Context context, Supplier<Future<T>> action) {
    return TestNode.onContext(context, action);
  }

  static <T> T get(CompletableFuture<T> f) {
    return TestNode.join(f);
  }

  @Test
  void connectsAndAuthenticatesBothPeers() throws Exception {
    try (Node a = Node.start(); Node b = Node.start()) {
      Multiaddr addr = b.listen();
      assertTrue(addr.isQuic(), addr.toString());
      MuxedConnection out = a.dial(addr, b.identity().peerId());
      MuxedConnection in = get(b.inbound(0));
      assertEquals(b.identity().peerId(), out.info().remotePeer());
      assertEquals(a.identity().peerId(), in.info().remotePeer());
      assertEquals(QuicTransport.NAME, out.info().transport());
      assertEquals(QuicTransport.NAME, in.info().transport());
      assertEquals(addr, out.info().remoteAddress());
      assertTrue(in.info().remoteAddress().isQuic(), in.info().remoteAddress().toString());
      assertEquals(0L, a.call(() -> a.transport().counters().get("handshakes")));
    }
  }

  @Test
  void streamsCarryDataBothWaysAndEnd() throws Exception {
    try (Node a = Node.start(); Node b = Node.start()) {
      MuxedConnection out = a.dial(b.listen(), null);
      MuxedConnection in = get(b.inbound(0));
      // the listener echoes each stream, reversed order of nothing: bytes back, then its end
      b.call(() -> {
        in.inboundStreamHandler(s -> {
          s.handler(s::write);
          s.endHandler(v -> s.end());
        });
        return null;
      });
      int size = 3 << 20;
      CompletableFuture<Long> echoed = new CompletableFuture<>();
      CompletableFuture<Void> closed = new CompletableFuture<>();
      long sent = a.call(() -> {
        long[] sum = {0};
        long[] got = {0};
        long[] sumBack = {0};
        out.openStream().onSuccess(s -> {
          s.handler(buf -> {
            for (int i = 0; i < buf.length(); i++) {
              sumBack[0] += buf.getUnsignedByte(i);
            }
            got[0] += buf.length();
          });
          s.endHandler(v -> echoed.complete(got[0] == size ? sumBack[0] : -got[0]));
          s.closeHandler(v -> closed.complete(null));
          java.util.Random random = new java.util.Random(7);
          for (int off = 0; off < size; off += 16384) {
            byte[] chunk = new byte[16384];
            random.nextBytes(chunk);
            for (byte x : chunk) {
              sum[0] += x & 0xFF;
            }
            s.write(Buffer.buffer(chunk));
          }
          s.end();
        });
        return sum[0];
      });
      assertEquals(sent, get(echoed));
      get(closed);
    }
  }

  @Test
  void aResetReachesThePeer() throws Exception {
    try (Node a = Node.start(); Node b = Node.start()) {
      MuxedConnection out = a.dial(b.listen(), null);
      MuxedConnection in = get(b.inbound(0));
      CompletableFuture<Throwable> peerSaw = new CompletableFuture<>();
      b.call(() -> {
        in.inboundStreamHandler(s -> {
          s.exceptionHandler(peerSaw::complete);
          s.handler(buf -> { });
        });
        return null;
      });
      a.call(() -> out.openStream().onSuccess(s -> s.write(Buffer.buffer("hello")).onSuccess(v ->
          a.context().owner().setTimer(50, t -> s.reset()))));
      Throwable e = get(peerSaw);
      assertTrue(e.getMessage().contains("reset"), e.getMessage());
    }
  }

  @Test
  void thePeersStreamCreditBoundsOpenStreams() throws Exception {
    try (Node a = Node.start(); Node b = Node.start(KeyPair.generate(), null, 4, Duration.ofSeconds(10))) {
      MuxedConnection out = a.dial(b.listen(), null);
      MuxedConnection in = get(b.inbound(0));
      List<MuxedStream> held = new ArrayList<>();
      CompletableFuture<Void> fourArrived = new CompletableFuture<>();
      b.call(() -> {
        in.inboundStreamHandler(s -> {
          held.add(s);
          s.handler(buf -> { });
          if (held.size() == 4) {
            fourArrived.complete(null);
          }
        });
        return null;
      });
      List<CompletableFuture<MuxedStream>> opens = new ArrayList<>();
      a.call(() -> {
        for (int i = 0; i < 6; i++) {
          CompletableFuture<MuxedStream> f = new CompletableFuture<>();
          opens.add(f);
          out.openStream().onComplete(ar -> {
            if (ar.succeeded()) {
              ((P2pStream) ar.result()).write(Buffer.buffer("x"));
              f.complete(ar.result());
            } else {
              f.completeExceptionally(ar.cause());
            }
          });
        }
        return null;
      });
      for (int i = 0; i < 4; i++) {
        get(opens.get(i));
      }
      get(fourArrived);
      assertFalse(opens.get(4).isDone(), "a fifth stream opened beyond the peer's credit of 4");
      // the listener ends one: QUIC grants one more and the waiting open goes on
      b.call(() -> {
        held.get(0).reset();
        return null;
      });
      get(opens.get(4));
      assertFalse(opens.get(5).isDone(), "a sixth stream opened with only one credit returned");
      assertTrue(b.call(() -> in.streamCount()) <= 4);
    }
  }

  @Test
  void aDifferentPeerThanDialedIsRefused() {
    try (Node a = Node.start(); Node b = Node.start()) {
      Multiaddr addr = b.listen();
      PeerId wrong = KeyPair.generate().peerId();
      RuntimeException e = assertThrows(RuntimeException.class, () -> a.dial(addr, wrong));
      assertTrue(e.getMessage().contains("reached peer " + b.identity().peerId() + ", expected " + wrong), e.getMessage());
      assertEquals(1L, a.call(() -> a.transport().counters().get("refusedCertificates")));
    }
  }

  @Test
  void aListenerWhoseCertificateDoesNotProveItsKeyIsRefused() {
    KeyPair bad = KeyPair.generate();
    TlsCertificate forged = TestCertificates.forged(bad, KeyPair.generate());
    try (Node a = Node.start(); Node b = Node.start(bad, forged, 64, Duration.ofSeconds(10))) {
      Multiaddr addr = b.listen();
      RuntimeException e = assertThrows(RuntimeException.class, () -> a.dial(addr, bad.peerId()));
      assertTrue(e.getMessage().contains("did not sign"), e.getMessage());
      assertEquals(1L, a.call(() -> a.transport().counters().get("refusedCertificates")));
    }
  }

  @Test
  void aDialerWhoseCertificateDoesNotProveItsKeyIsRefused() throws Exception {
    KeyPair bad = KeyPair.generate();
    TlsCertificate forged = TestCertificates.forged(bad, KeyPair.generate());
    try (Node a = Node.start(bad, forged, 64, Duration.ofSeconds(10)); Node b = Node.start()) {
      Multiaddr addr = b.listen();
      try {
        MuxedConnection out = a.dial(addr, b.identity().peerId());
        CompletableFuture<Throwable> closed = new CompletableFuture<>();
        a.call(() -> {
          out.closeHandler(closed::complete);
          return null;
        });
        Throwable reason = get(closed);
        assertTrue(reason != null && reason.getMessage().contains("TLS alert"), String.valueOf(reason));
      } catch (RuntimeException expected) {
        // the listener's alert may end the dial before it completes
      }
      ExecutionException in = assertThrows(ExecutionException.class,
          () -> b.inbound(0).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
      assertTrue(in.getCause().getMessage().contains("did not sign"), in.getCause().getMessage());
      assertEquals(1L, b.call(() -> b.transport().counters().get("refusedCertificates")));
    }
  }

  @Test
  void datagramsThatAreNotQuicAreDroppedAndCounted() throws Exception {
    try (Node b = Node.start()) {
      Multiaddr addr = b.listen();
      DatagramSocket socket = vertx.createDatagramSocket();
      byte[] garbage = new byte[40];
      new java.util.Random(6).nextBytes(garbage);
      garbage[0] = 0x00; // fixed bit clear: not QUIC
      TestNode.await(socket.send(Buffer.buffer(garbage), addr.udpPort(), addr.host()));
      TestNode.await(socket.send(Buffer.buffer(new byte[5]), addr.udpPort(), addr.host()));
      // an Initial-looking datagram of the right size whose protection is noise: quiche drops it
      byte[] initial = new byte[1200];
      new java.util.Random(5).nextBytes(initial);
      initial[0] = (byte) 0xC0;
      initial[1] = 0;
      initial[2] = 0;
      initial[3] = 0;
      initial[4] = 1;
      initial[5] = 8;
      initial[14] = 8;
      TestNode.await(socket.send(Buffer.buffer(initial), addr.udpPort(), addr.host()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
      while (b.call(() -> b.transport().counters().get("garbageDatagrams")) < 2 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(2L, b.call(() -> b.transport().counters().get("garbageDatagrams")));
      // the node still serves
      try (Node a = Node.start()) {
        assertEquals(b.identity().peerId(), a.dial(addr, null).info().remotePeer());
      }
      TestNode.await(socket.close());
    }
  }

  /**
   * A relay between a dialer and a listener that drops one datagram in {@code 1/dropOneIn} each
   * way (seeded): QUIC's loss recovery must carry a transfer through it.
   */
  private static DatagramSocket lossyRelay(Multiaddr to, int dropOneIn, long seed) {
    DatagramSocket front = TestNode.await(vertx.createDatagramSocket().listen(0, "127.0.0.1"));
    DatagramSocket back = TestNode.await(vertx.createDatagramSocket().listen(0, "127.0.0.1"));
    java.util.Random random = new java.util.Random(seed);
    io.vertx.core.net.SocketAddress[] dialer = {null};
    front.handler(packet -> {
      dialer[0] = packet.sender();
      if (random.nextInt(dropOneIn) != 0) {
        back.send(packet.data(), to.udpPort(), to.host());
      }
    });
    back.handler(packet -> {
      if (dialer[0] != null && random.nextInt(dropOneIn) != 0) {
        front.send(packet.data(), dialer[0].port(), dialer[0].host());
      }
    });
    return front;
  }

  @Test
  void aTransferGoesThroughALossyPath() throws Exception {
    try (Node a = Node.start(); Node b = Node.start()) {
      Multiaddr addr = b.listen();
      DatagramSocket relay = lossyRelay(addr, 50, 3); // 2 % each way
      MuxedConnection out = a.dial(Multiaddr.quic("127.0.0.1", relay.localAddress().port()), b.identity().peerId());
      MuxedConnection in = get(b.inbound(0));
      int size = 32 << 20;
      CompletableFuture<Long> received = new CompletableFuture<>();
      b.call(() -> {
        in.inboundStreamHandler(s -> {
          long[] got = {0};
          s.handler(buf -> got[0] += buf.length());
          s.endHandler(v -> received.complete(got[0]));
        });
        return null;
      });
      a.call(() -> out.openStream().onSuccess(s -> {
        Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
        long[] sent = {0};
        Runnable[] pump = new Runnable[1];
        pump[0] = () -> {
          while (sent[0] < size && !s.writeQueueFull()) {
            s.write(chunk);
            sent[0] += chunk.length();
          }
          if (sent[0] >= size) {
            s.end();
          } else {
            s.drainHandler(v -> pump[0].run());
          }
        };
        pump[0].run();
      }));
      assertEquals(size, received.get(120, TimeUnit.SECONDS));
      TestNode.await(relay.close());
    }
  }

  @Test
  void aHandshakeThatNeverFinishesTimesOutOnBothSides() throws Exception {
    try (Node a = Node.start(KeyPair.generate(), null, 64, Duration.ofMillis(800));
        Node b = Node.start(KeyPair.generate(), null, 64, Duration.ofMillis(800))) {
      Multiaddr addr = b.listen();
      // a relay that passes the dialer's first datagram to the listener and nothing after:
      // the listener has a connection in its handshake that never completes, so does the dialer
      DatagramSocket relay = TestNode.await(vertx.createDatagramSocket().listen(0, "127.0.0.1"));
      DatagramSocket toListener = vertx.createDatagramSocket();
      boolean[] passed = {false};
      relay.handler(packet -> {
        if (!passed[0]) {
          passed[0] = true;
          toListener.send(packet.data(), addr.udpPort(), addr.host());
        }
      });
      Multiaddr viaRelay = Multiaddr.quic("127.0.0.1", relay.localAddress().port());
      RuntimeException e = assertThrows(RuntimeException.class, () -> a.dial(viaRelay, null));
      assertTrue(e.getMessage().contains("timed out"), e.getMessage());
      ExecutionException in = assertThrows(ExecutionException.class,
          () -> b.inbound(0).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
      assertTrue(in.getCause().getMessage().contains("timed out"), in.getCause().getMessage());
      assertEquals(0L, b.call(() -> b.transport().counters().get("handshakes")));
      assertEquals(0L, a.call(() -> a.transport().counters().get("handshakes")));
      TestNode.await(relay.close());
      TestNode.await(toListener.close());
    }
  }

  /** 20 000 random datagrams, a third of them shaped like QUIC headers: dropped, and the node still serves. */
  @Test
  void aFloodOfRandomDatagramsLeavesTheListenerServing() throws Exception {
    try (Node b = Node.start()) {
      Multiaddr addr = b.listen();
      DatagramSocket socket = vertx.createDatagramSocket();
      java.util.Random random = new java.util.Random(11);
      for (int i = 0; i < 20_000; i++) {
        byte[] d = new byte[1 + random.nextInt(1400)];
        random.nextBytes(d);
        switch (i % 3) {
          case 0 -> d[0] |= 0x40; // QUIC's fixed bit: a short header naming no connection
          case 1 -> { // a long header, version 1, sane connection id lengths
            if (d.length > 30) {
              d[0] = (byte) (0xC0 | (d[0] & 0x3F));
              d[1] = 0; d[2] = 0; d[3] = 0; d[4] = 1;
              d[5] = 8;
              d[14] = 8;
            }
          }
          default -> { }
        }
        socket.send(Buffer.buffer(d), addr.udpPort(), addr.host());
        if (i % 500 == 0) {
          TestNode.await(socket.send(Buffer.buffer(new byte[1]), addr.udpPort(), addr.host())); // pace the sender
        }
      }
      try (Node a = Node.start()) {
        MuxedConnection out = a.dial(addr, b.identity().peerId());
        assertEquals(b.identity().peerId(), out.info().remotePeer());
      }
      assertTrue(b.call(() -> b.transport().counters().get("garbageDatagrams")) > 0);
      assertEquals(0L, b.call(() -> b.transport().counters().get("handshakes")), "garbage left handshakes behind");
      TestNode.await(socket.close());
    }
  }

  @Test
  void garbageIsToldApartFromQuic() {
    io.netty.buffer.ByteBuf shortOne = io.netty.buffer.Unpooled.wrappedBuffer(new byte[10]);
    assertTrue(DatagramFilter.garbage(shortOne).contains("shorter"));
    byte[] initial = new byte[300];
    initial[0] = (byte) 0xC0;
    initial[4] = 1;
    initial[5] = 8;
    initial[14] = 8;
    assertTrue(DatagramFilter.garbage(io.netty.buffer.Unpooled.wrappedBuffer(initial)).contains("Initial"));
    byte[] big = java.util.Arrays.copyOf(initial, 1200);
    assertNull(DatagramFilter.garbage(io.netty.buffer.Unpooled.wrappedBuffer(big)));
    big[5] = 30;
    assertTrue(DatagramFilter.garbage(io.netty.buffer.Unpooled.wrappedBuffer(big)).contains("connection id"));
    byte[] shortHeader = new byte[40];
    shortHeader[0] = 0x40;
    assertNull(DatagramFilter.garbage(io.netty.buffer.Unpooled.wrappedBuffer(shortHeader)));
  }

  @Test
  void aRefusedInboundConnectionNeverOpens() throws Exception {
    try (Node a = Node.start(); Node b = Node.start()) {
      Multiaddr addr = b.listenRefusing();
      RuntimeException e = assertThrows(RuntimeException.class, () -> a.dial(addr, null));
      // the listener's TLS refuses it at once (no certificate for it): an alert, not a timeout
      assertTrue(e.getMessage().contains("TLS alert"), e.getMessage());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
      while (b.call(() -> b.transport().counters().get("handshakes")) > 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(0L, b.call(() -> b.transport().counters().get("handshakes")), "the refused handshake is still held");
    }
  }
}
