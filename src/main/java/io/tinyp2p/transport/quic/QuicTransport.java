package io.tinyp2p.transport.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.handler.codec.quic.Quic;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicSslEngine;
import io.netty.handler.ssl.ClientAuth;
import io.netty.util.AttributeKey;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.tls.TlsCertificate;
import io.tinyp2p.tls.TlsSession;
import io.tinyp2p.transport.ListenAddresses;
import io.tinyp2p.transport.Transport;
import io.tinyp2p.transport.Upgrade;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * libp2p over QUIC ({@code /ip4|ip6/<ip>/udp/<port>/quic-v1}) on Netty's QUIC codec (quiche and
 * BoringSSL), on the event loop of the swarm's Vert.x context: the TLS 1.3 handshake inside QUIC
 * authenticates both peers with the libp2p certificate ({@link TlsCertificate}, ALPN
 * {@value TlsSession#ALPN_LIBP2P}), and QUIC's bidirectional streams are the connection's streams.
 *
 * <p>Each listen address gets its own UDP socket; dials go out from one more socket per address
 * family, bound to an ephemeral port. The limits are QUIC's own where QUIC has them: the peer may
 * open {@link Settings#maxStreams()} streams at once (QUIC's stream credit, not a reset after the
 * fact), each stream's and the connection's receive windows bound what it can make us buffer, and
 * the handshake must finish within the handshake timeout. Datagrams that cannot be QUIC and
 * handshakes whose certificate fails the libp2p checks are dropped and counted ({@link #counters()}).
 *
 * <p>Single-threaded: it lives on the context it was created with, and Netty runs it on that
 * context's event loop.
 */
public final class QuicTransport implements Transport {
  /** The transport's name in {@link io.tinyp2p.stream.ConnectionInfo#transport()}. */
  public static final String NAME = "quic-v1";

  /** The UDP socket buffers asked for (net.core.rmem_max / wmem_max bound what the kernel grants). */
  static final int SOCKET_BUFFER = 4 << 20;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QuicTransport.class);
  private static boolean bufferWarned; // once per JVM: it is the kernel's setting

  /** The channel attribute by which a QUIC connection finds its {@link QuicConnection}. */
  static final AttributeKey<QuicConnection> CONNECTION = AttributeKey.valueOf("tinyp2p.quic.connection");

  /**
   * What the QUIC transport needs from the node.
   *
   * @param identity our key: the certificate's libp2p extension carries it, signed
   * @param handshakeTimeout from the first packet to an authenticated connection
   * @param idleTimeout QUIC's idle timeout: a connection that hears nothing for this long is gone
   * @param maxStreams streams the peer may have open on one connection at once
   * @param streamWindow what a peer may send on one stream before we read it
   * @param connectionWindow what a peer may send on all streams of a connection before we read it
   * @param writeQueueMax bytes a stream's writer may queue before {@code writeQueueFull()}
   * @param maxQueuedBytes bytes all streams of a connection may queue for a peer that does not read
   * @param writeStallTimeout how long a stream's output may stay undrained before it is reset
   */
  public record Settings(KeyPair identity, Duration handshakeTimeout, Duration idleTimeout, int maxStreams,
      int streamWindow, long connectionWindow, int writeQueueMax, long maxQueuedBytes, Duration writeStallTimeout) {
    public Settings {
      if (maxStreams < 1) {
        throw new IllegalArgumentException("maxStreams must be at least 1");
      }
      if (streamWindow < 1024 || connectionWindow < streamWindow) {
        throw new IllegalArgumentException("windows too small: stream " + streamWindow + ", connection " + connectionWindow);
      }
    }
  }

  /** Whether this platform can run QUIC (Netty's native QUIC library loaded). */
  public static boolean isAvailable() {
    return Quic.isAvailable();
  }

  /** Why QUIC cannot run here, or null when it can. */
  public static Throwable unavailabilityCause() {
    return Quic.unavailabilityCause();
  }

  final ContextInternal context;
  final Settings settings;
  private final QuicSslContext serverTls;
  private final QuicSslContext clientTls;
  /** Connections whose TLS handshake runs, by their engine: the certificate check reports to them. */
  private final Map<SSLEngine, QuicConnection> handshaking = new HashMap<>();
  private final List<Channel> sockets = new ArrayList<>();
  private Future<Channel> dialSocket4;
  private Future<Channel> dialSocket6;
  private long garbageDatagrams;
  private long refusedCertificates;
  boolean closed;

  /** A QUIC transport on {@code context} (the swarm's). */
  public QuicTransport(Context context, Settings settings) {
    this(context, settings, TlsCertificate.generate(settings.identity()));
  }

  /** A QUIC transport that presents {@code certificate} (the tests give it wrong ones). */
  public QuicTransport(Context context, Settings settings, TlsCertificate certificate) {
    Quic.ensureAvailability();
    this.context = (ContextInternal) context;
    this.settings = settings;
    PeerCheck check = new PeerCheck();
    // a refused inbound connection gets no certificate: its handshake ends with an alert in
    // quiche's first answer, so the dialer hears at once and nothing of ours is sent
    TlsSession.OwnKey serverKey = new TlsSession.OwnKey(certificate) {
      @Override
      protected boolean presentsTo(SSLEngine engine) {
        QuicConnection connection = handshaking.get(engine);
        return connection != null && !connection.refused;
      }
    };
    this.serverTls = QuicSslContextBuilder.forServer(serverKey, null)
        .trustManager(check)
        .clientAuth(ClientAuth.REQUIRE)
        .applicationProtocols(TlsSession.ALPN_LIBP2P)
        .earlyData(false)
        .build();
    this.clientTls = QuicSslContextBuilder.forClient()
        .keyManager(new TlsSession.OwnKey(certificate), null)
        .trustManager(check)
        .applicationProtocols(TlsSession.ALPN_LIBP2P)
        .earlyData(false)
        .build();
  }

  @Override
  public String name() {
    return NAME;
  }

  /** An IP literal, /udp/N and /quic-v1. */
  @Override
  public boolean canListen(Multiaddr addr) {
    return addr.isQuic() && addr.peerId() == null;
  }

  @Override
  public boolean canDial(Multiaddr addr) {
    return addr.isQuic();
  }

  @Override
  public Future<List<Multiaddr>> listen(Multiaddr addr, Inbound inbound) {
    if (!canListen(addr)) {
      return Future.failedFuture(new IllegalArgumentException(
          "listen address must be /ip4/<ip>/udp/<port>/quic-v1 or /ip6/<ip>/udp/<port>/quic-v1, got " + addr));
    }
    ChannelHandler codec = configure(new QuicServerCodecBuilder())
        .sslEngineProvider(ch -> inboundEngine(ch, inbound))
        .handler(new QuicConnection.Init())
        .streamHandler(new QuicStream.InboundInit())
        .build();
    return bind(new InetSocketAddress(addr.host(), addr.udpPort()), addr.isIp6(), codec).map(ch -> {
      sockets.add(ch);
      int port = ((InetSocketAddress) ch.localAddress()).getPort();
      return ListenAddresses.hosts(addr).stream().map(h -> Multiaddr.quic(h, port)).toList();
    });
  }

  @Override
  public Future<Upgrade> dial(Multiaddr addr, PeerId expectedPeer) {
    if (!canDial(addr)) {
      return Future.failedFuture(new IllegalArgumentException("cannot dial " + addr + ": need /ip4|ip6/<ip>/udp/<port>/quic-v1"));
    }
    if (closed) {
      return Future.failedFuture(new IllegalStateException("QUIC transport is closed"));
    }
    InetSocketAddress remote = new InetSocketAddress(addr.host(), addr.udpPort());
    if (remote.isUnresolved()) {
      return Future.failedFuture(new IllegalArgumentException("cannot dial " + addr + ": not an IP address"));
    }
    return dialSocket(addr.isIp6()).map(socket -> {
      QuicConnection connection = new QuicConnection(this, Direction.OUTBOUND, Multiaddr.quic(remote), expectedPeer);
      context.runOnContext(v -> connection.connect(socket, remote)); // after the dialer's handlers (it may abort)
      return connection;
    });
  }

  private Future<Channel> dialSocket(boolean ip6) {
    Future<Channel> socket = ip6 ? dialSocket6 : dialSocket4;
    if (socket == null || socket.failed()) {
      ChannelHandler codec = configure(new QuicClientCodecBuilder())
          .sslEngineProvider(this::outboundEngine)
          .build();
      socket = bind(new InetSocketAddress(ip6 ? "::" : "0.0.0.0", 0), ip6, codec).onSuccess(sockets::add);
      if (ip6) {
        dialSocket6 = socket;
      } else {
        dialSocket4 = socket;
      }
    }
    return socket;
  }

  private <B extends QuicCodecBuilder<B>> B configure(B builder) {
    return builder
        .maxIdleTimeout(settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .initialMaxData(settings.connectionWindow())
        .initialMaxStreamDataBidirectionalLocal(settings.streamWindow())
        .initialMaxStreamDataBidirectionalRemote(settings.streamWindow())
        .initialMaxStreamsBidirectional(settings.maxStreams())
        .initialMaxStreamsUnidirectional(0)
        .activeMigration(false)
        .sslTaskExecutor(Runnable::run);
  }

  private Future<Channel> bind(InetSocketAddress local, boolean ip6, ChannelHandler codec) {
    VertxInternal vertx = context.owner();
    InternetProtocolFamily family = ip6 ? InternetProtocolFamily.IPv6 : InternetProtocolFamily.IPv4;
    Promise<Channel> promise = Promise.promise();
    new Bootstrap()
        .group(context.nettyEventLoop())
        .channelFactory(() -> vertx.transport().datagramChannel(family))
        // as quic-go and quinn do: a bulk transfer overruns the kernel's default UDP buffers
        // (some 200 KiB, a few ms of a loopback stream); the kernel caps this at its maximum
        .option(io.netty.channel.ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
        .option(io.netty.channel.ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
        .handler(new DatagramFilter(this, codec))
        .bind(local)
        .addListener((io.netty.channel.ChannelFuture f) -> context.emit(f, done -> {
          if (done.isSuccess()) {
            checkBuffers(done.channel());
            promise.complete(done.channel());
          } else {
            promise.fail(done.cause());
          }
        }));
    return promise.future();
  }

  /** Says once when the kernel granted less receive buffer than asked (its net.core.rmem_max is lower). */
  private static void checkBuffers(Channel socket) {
    Integer granted = socket.config().getOption(io.netty.channel.ChannelOption.SO_RCVBUF);
    if (granted != null && granted < SOCKET_BUFFER && !bufferWarned) {
      bufferWarned = true;
      LOG.warn("QUIC socket {}: the kernel granted a {} KiB receive buffer of the {} KiB asked for; bulk QUIC "
          + "transfers lose datagrams at the socket with less (raise net.core.rmem_max and net.core.wmem_max)",
          socket.localAddress(), granted / 1024, SOCKET_BUFFER / 1024);
    }
  }

  /** A peer's first handshake packet arrived: its connection, offered to the swarm once registered. */
  private QuicSslEngine inboundEngine(QuicChannel channel, Inbound inbound) {
    InetSocketAddress from = (InetSocketAddress) channel.remoteSocketAddress();
    QuicConnection connection = new QuicConnection(this, Direction.INBOUND,
        from == null ? Multiaddr.quic("0.0.0.0", 0) : Multiaddr.quic(from), null);
    connection.inbound(inbound);
    channel.attr(CONNECTION).set(connection);
    return engine(serverTls.newEngine(channel.alloc()), connection);
  }

  private QuicSslEngine outboundEngine(QuicChannel channel) {
    QuicConnection connection = channel.attr(CONNECTION).get();
    return engine(clientTls.newEngine(channel.alloc()), connection);
  }

  private QuicSslEngine engine(QuicSslEngine engine, QuicConnection connection) {
    handshaking.put(engine, connection);
    connection.engine(engine);
    return engine;
  }

  /** The handshake of the connection with this engine ended: its certificate checks are done. */
  void handshakeEnded(SSLEngine engine) {
    if (engine != null) {
      handshaking.remove(engine);
    }
  }

  void garbageDatagram() {
    garbageDatagrams++;
  }

  /**
   * {@code garbageDatagrams}: datagrams dropped because they cannot be QUIC packets (too short,
   * QUIC's fixed bit clear, a bad header); {@code refusedCertificates}: handshakes refused because
   * the peer's certificate failed the libp2p checks or named another peer; {@code handshakes}:
   * connections whose TLS handshake is still running.
   */
  @Override
  public Map<String, Long> counters() {
    return Map.of("garbageDatagrams", garbageDatagrams, "refusedCertificates", refusedCertificates,
        "handshakes", (long) handshaking.size());
  }

  @Override
  public Future<Void> close() {
    closed = true;
    List<Future<Void>> closing = new ArrayList<>();
    for (Channel socket : sockets) {
      Promise<Void> p = Promise.promise();
      socket.close().addListener(f -> context.emit(null, v -> p.complete()));
      closing.add(p.future());
    }
    sockets.clear();
    return Future.join(closing).mapEmpty();
  }

  /**
   * The libp2p checks of a peer's certificate, both directions, inside the TLS handshake: a
   * certificate that fails them, or that proves a peer other than the one dialed, ends the
   * handshake with an alert before we send our own certificate (as a dialer) or finish (as a
   * listener). BoringSSL calls it on the event loop; the certificates are parsed by BouncyCastle.
   */
  private final class PeerCheck extends X509ExtendedTrustManager {
    private void check(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
      QuicConnection connection = engine == null ? null : handshaking.get(engine);
      try {
        X509Certificate[] parsed = new X509Certificate[chain == null ? 0 : chain.length];
        for (int i = 0; i < parsed.length; i++) {
          parsed[i] = TlsCertificate.parse(chain[i].getEncoded());
        }
        PeerId peer = TlsCertificate.verify(parsed, Instant.now());
        if (connection == null) {
          throw new CertificateException("no QUIC connection for this TLS handshake");
        }
        connection.peerProved(peer);
      } catch (CertificateException e) {
        refusedCertificates++;
        if (connection != null) {
          connection.certificateRefused(e);
        }
        throw e;
      }
    }

    // the engine tells which connection it is; the other forms are not used by BoringSSL
    @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException { check(c, e); }
    @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) throws CertificateException { check(c, e); }
    @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException { check(c, null); }
    @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) throws CertificateException { check(c, null); }
    @Override public void checkClientTrusted(X509Certificate[] c, String a) throws CertificateException { check(c, null); }
    @Override public void checkServerTrusted(X509Certificate[] c, String a) throws CertificateException { check(c, null); }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
