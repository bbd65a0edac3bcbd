package io.tinyp2p.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.tls.TestCertificates;
import io.tinyp2p.tls.TlsCertificate;
import io.tinyp2p.transport.MuxedConnection;
import io.tinyp2p.transport.Upgrade;
import io.tinyp2p.yamux.YamuxConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two TCP transports over loopback with {@code /tls/1.0.0}: Yamux inlined in ALPN or negotiated
 * with multistream-select when either side does not inline it, the security protocol chosen by
 * the dialer's preference, and certificates that do not prove their key refused on either side.
 */
class TlsTransportTest {
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

  /** A transport on a context of its own, with its identity. */
  private record Node(Context context, TcpTransport transport, KeyPair identity, CompletableFuture<MuxedConnection> inbound)
      implements AutoCloseable {
    static Node start(List<String> security, TlsCertificate certificate, KeyPair identity, boolean inline) {
      Context context = vertx.getOrCreateContext();
      TcpTransport.Settings settings = new TcpTransport.Settings(identity, Duration.ofSeconds(10), Duration.ofSeconds(5),
          YamuxConfig.defaults(), Duration.ofSeconds(1), Duration.ofSeconds(20), security);
      TcpTransport transport = on(context, () -> {
        TcpTransport t = certificate == null || !security.contains("tls")
            ? new TcpTransport(context, settings) : new TcpTransport(context, settings, certificate);
        t.inlineMuxer(inline);
        return Future.succeededFuture(t);
      });
      return new Node(context, transport, identity, new CompletableFuture<>());
    }

    static Node start(List<String> security, boolean inline) {
      return start(security, null, KeyPair.generate(), inline);
    }

    Multiaddr listen() {
      return on(context, () -> transport.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"), upgrade -> {
        upgrade.result().onComplete(ar -> {
          if (ar.succeeded()) {
            inbound.complete(ar.result());
          } else {
            inbound.completeExceptionally(ar.cause());
          }
        });
        return true;
      })).get(0);
    }

    /** Dials and waits for the upgrade's outcome. */
    MuxedConnection dial(Multiaddr addr, PeerId expected) {
      return on(context, () -> transport.dial(addr, expected).compose(Upgrade::result));
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

  /** The dialer opens a stream, writes, and the listener reads it: Yamux runs over the session. */
  private static void exchange(Node dialer, MuxedConnection out, MuxedConnection in, Node listener) {
    CompletableFuture<String> received = new CompletableFuture<>();
    on(listener.context(), () -> {
      in.inboundStreamHandler(s -> s.handler(b -> received.complete(b.toString())));
      return Future.succeededFuture();
    });
    on(dialer.context(), () -> out.openStream().compose(s -> {
      s.protocol("/test");
      return ((io.tinyp2p.stream.P2pStream) s).write(Buffer.buffer("over tls"));
    }));
    assertEquals("over tls", get(received));
  }

  private static void connects(boolean dialerInlines, boolean listenerInlines) {
    try (Node a = Node.start(List.of("tls"), dialerInlines); Node b = Node.start(List.of("tls"), listenerInlines)) {
      MuxedConnection out = a.dial(b.listen(), b.identity().peerId());
      MuxedConnection in = get(b.inbound());
      assertEquals(b.identity().peerId(), out.info().remotePeer());
      assertEquals(a.identity().peerId(), in.info().remotePeer());
      assertEquals(TcpTransport.TLS, out.security());
      assertEquals(TcpTransport.TLS, in.security());
      boolean inlined = dialerInlines && listenerInlines;
      assertEquals(inlined, ((TcpConnection) out).muxerInlined(), "dialer");
      assertEquals(inlined, ((TcpConnection) in).muxerInlined(), "listener");
      exchange(a, out, in, b);
    }
  }

  @Test
  void yamuxInlinedInAlpn() {
    connects(true, true);
  }

  @Test
  void yamuxNegotiatedWhenTheDialerOffersOnlyLibp2p() {
    connects(false, true);
  }

  @Test
  void yamuxNegotiatedWhenTheListenerPicksLibp2p() {
    connects(true, false);
  }

  @Test
  void theDialersPreferenceWins() {
    try (Node a = Node.start(List.of("noise", "tls"), true); Node b = Node.start(List.of("tls", "noise"), true)) {
      Multiaddr aAddr = a.listen();
      Multiaddr bAddr = b.listen();
      assertEquals(TcpTransport.NOISE, a.dial(bAddr, null).security());
      assertEquals(TcpTransport.TLS, b.dial(aAddr, null).security());
    }
  }

  @Test
  void noCommonSecurityProtocolFails() {
    try (Node a = Node.start(List.of("noise"), true); Node b = Node.start(List.of("tls"), true)) {
      Multiaddr addr = b.listen();
      RuntimeException e = assertThrows(RuntimeException.class, () -> a.dial(addr, null));
      assertTrue(e.getMessage().contains("negotiating /noise"), e.getMessage());
    }
  }

  @Test
  void aDifferentPeerThanDialedIsRefused() {
    try (Node a = Node.start(List.of("tls"), true); Node b = Node.start(List.of("tls"), true)) {
      Multiaddr addr = b.listen();
      PeerId wrong = KeyPair.generate().peerId();
      RuntimeException e = assertThrows(RuntimeException.class, () -> a.dial(addr, wrong));
      assertTrue(e.getMessage().contains("reached peer " + b.identity().peerId() + ", expected " + wrong), e.getMessage());
    }
  }

  @Test
  void aListenerWhoseCertificateDoesNotProveItsKeyIsRefused() {
    KeyPair bad = KeyPair.generate();
    TlsCertificate forged = TestCertificates.forged(bad, KeyPair.generate());
    try (Node a = Node.start(List.of("tls"), true); Node b = Node.start(List.of("tls"), forged, bad, true)) {
      Multiaddr addr = b.listen();
      RuntimeException e = assertThrows(RuntimeException.class, () -> a.dial(addr, bad.peerId()));
      assertTrue(e.getMessage().contains("did not sign"), e.getMessage());
      // the listener's side fails too: the dialer told it why
      ExecutionException in = assertThrows(ExecutionException.class,
          () -> b.inbound().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
      assertTrue(in.getCause().getMessage().startsWith("tls: "), in.getCause().getMessage());
    }
  }

  @Test
  void aDialerWhoseCertificateDoesNotProveItsKeyIsRefused() throws Exception {
    KeyPair bad = KeyPair.generate();
    TlsCertificate forged = TestCertificates.forged(bad, KeyPair.generate());
    try (Node a = Node.start(List.of("tls"), forged, bad, true); Node b = Node.start(List.of("tls"), true)) {
      Multiaddr addr = b.listen();
      // TLS 1.3: the client's handshake completes before the server checked its certificate, so
      // the dial may succeed for a moment; the listener refuses it and the connection ends
      CompletableFuture<Throwable> closed = new CompletableFuture<>();
      try {
        MuxedConnection out = a.dial(addr, b.identity().peerId());
        on(a.context(), () -> {
          out.closeHandler(closed::complete);
          return Future.succeededFuture();
        });
      } catch (RuntimeException e) {
        closed.complete(e);
      }
      ExecutionException in = assertThrows(ExecutionException.class,
          () -> b.inbound().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
      assertTrue(in.getCause().getMessage().contains("did not sign"), in.getCause().getMessage());
      Throwable reason = closed.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertFalse(reason == null, "the dialer's connection ended without a reason");
    }
  }

  @Test
  void garbageAfterNegotiatingTlsClosesTheConnection() throws Exception {
    try (Node b = Node.start(List.of("tls"), true)) {
      Multiaddr addr = b.listen();
      io.vertx.core.net.NetSocket socket = TestNode.await(vertx.createNetClient().connect(addr.tcpPort(), addr.host()));
      byte[] garbage = new byte[4096];
      new java.util.Random(3).nextBytes(garbage);
      garbage[0] = 0x16; // a handshake record header whose body is noise
      socket.write(io.tinyp2p.multistream.Multistream.message("/multistream/1.0.0")
          .appendBuffer(io.tinyp2p.multistream.Multistream.message(TcpTransport.TLS)).appendBytes(garbage));
      ExecutionException in = assertThrows(ExecutionException.class,
          () -> b.inbound().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
      assertTrue(in.getCause().getMessage().startsWith("tls: "), in.getCause().getMessage());
      socket.close();
    }
  }

  @Test
  void expiredCertificateIsRefused() {
    KeyPair id = KeyPair.generate();
    try (Node a = Node.start(List.of("tls"), true); Node b = Node.start(List.of("tls"), TestCertificates.expired(id), id, true)) {
      Multiaddr addr = b.listen();
      RuntimeException e = assertThrows(RuntimeException.class, () -> a.dial(addr, null));
      assertTrue(e.getMessage().contains("not valid now"), e.getMessage());
    }
  }

  @Test
  void muchDataCrossesInManyRecords() {
    try (Node a = Node.start(List.of("tls"), true); Node b = Node.start(List.of("tls"), true)) {
      MuxedConnection out = a.dial(b.listen(), null);
      MuxedConnection in = get(b.inbound());
      int size = 3 << 20;
      CompletableFuture<Integer> received = new CompletableFuture<>();
      on(b.context(), () -> {
        in.inboundStreamHandler(s -> {
          int[] total = {0};
          long[] sum = {0};
          s.handler(buf -> {
            for (int i = 0; i < buf.length(); i++) {
              sum[0] += buf.getUnsignedByte(i);
            }
            total[0] += buf.length();
            if (total[0] >= size) {
              received.complete((int) (sum[0] % 1_000_003));
            }
          });
        });
        return Future.succeededFuture();
      });
      byte[] data = new byte[size];
      new java.util.Random(7).nextBytes(data);
      long expected = 0;
      for (byte x : data) {
        expected += x & 0xFF;
      }
      on(a.context(), () -> out.openStream().compose(s -> {
        s.protocol("/test");
        Promise<Void> done = Promise.promise();
        ((io.tinyp2p.stream.P2pStream) s).write(Buffer.buffer(data)).onComplete(done);
        return done.future();
      }));
      assertEquals((int) (expected % 1_000_003), get(received));
    }
  }
}
