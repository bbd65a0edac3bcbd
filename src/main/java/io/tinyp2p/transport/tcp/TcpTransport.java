package io.tinyp2p.transport.tcp;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.tls.TlsCertificate;
import io.tinyp2p.tls.TlsSession;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.transport.ListenAddresses;
import io.tinyp2p.transport.RawLink;
import io.tinyp2p.transport.Transport;
import io.tinyp2p.transport.Upgrade;
import io.tinyp2p.yamux.YamuxConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * libp2p over TCP: Vert.x NetServers and one NetClient; each socket is upgraded by a
 * {@link TcpConnection} (multistream-select {@value #NOISE} or {@value #TLS}, Noise XX or TLS 1.3,
 * multistream-select {@value #YAMUX} unless TLS's ALPN settled on it, Yamux). The transport owns what its connections share: the
 * {@link InputScheduler} that divides the event loop's input time among them, and the node-wide
 * budget by which their Yamux streams may grow their receive windows.
 *
 * <p>Single-threaded: it lives on the context it was created with.
 */
public final class TcpTransport implements Transport {
  /** The security protocol, negotiated with multistream-select on the socket. */
  public static final String NOISE = "/noise";
  /** The other security protocol: the libp2p TLS handshake. */
  public static final String TLS = TlsSession.PROTOCOL_ID;
  /** The names of the security protocols in {@link Settings#security()}, with their protocol ids. */
  public static final java.util.Map<String, String> SECURITY = java.util.Map.of("noise", NOISE, "tls", TLS);
  /** The muxer, negotiated with multistream-select inside Noise. */
  public static final String YAMUX = "/yamux/1.0.0";
  /** The transport's name in {@link io.tinyp2p.stream.ConnectionInfo#transport()}. */
  public static final String NAME = "tcp";

  /**
   * What all connections' Yamux streams together may grow their receive windows by (auto-tuning):
   * 64 MiB, so that many fast peers that stop being read cannot make the node buffer more.
   */
  static final long NODE_WINDOW_BUDGET = 64L << 20;

  /**
   * What the TCP transport needs from the node.
   *
   * @param identity our key: it signs the Noise handshake
   * @param handshakeTimeout from TCP connect to a usable Yamux session
   * @param dialTimeout TCP connect
   * @param yamux stream limits and windows
   * @param inputTurn input work (decryption, Yamux, stream handlers) one connection may do in
   *     one turn of the event loop before the other sockets are read
   * @param writeStallTimeout how long a connection's output may stay undrained (socket full,
   *     or a stream's send window closed with data waiting) before the connection is closed or
   *     the stream reset
   * @param security the security protocols by name ({@link #SECURITY}), in the order a dialer
   *     proposes them; a listener accepts each of them
   */
  public record Settings(KeyPair identity, Duration handshakeTimeout, Duration dialTimeout,
      YamuxConfig yamux, Duration inputTurn, Duration writeStallTimeout, List<String> security) {
    public Settings {
      security = List.copyOf(security);
      if (security.isEmpty() || !SECURITY.keySet().containsAll(security)) {
        throw new IllegalArgumentException("security must name some of " + SECURITY.keySet() + ", got " + security);
      }
    }

    /** The protocol ids of {@link #security()}, in order. */
    List<String> securityProtocols() {
      return security.stream().map(SECURITY::get).toList();
    }
  }

  private final Context context;
  private final Settings settings;
  private final InputScheduler inputScheduler;
  private final NetClient client;
  private final List<NetServer> servers = new ArrayList<>();
  /** Where the listeners are bound: the local addresses dials reuse when {@link #portReuse}. */
  private final List<java.net.InetSocketAddress> bound = new ArrayList<>();
  /** Whether listeners and dials share ports (SO_REUSEPORT): on Vert.x's epoll transport. */
  private final boolean portReuse;
  private final java.util.concurrent.atomic.AtomicLong windowBudget =
      new java.util.concurrent.atomic.AtomicLong(NODE_WINDOW_BUDGET);
  private final TlsCertificate certificate;
  private boolean inlineMuxer = true;
  private boolean closed;

  /** A TCP transport on {@code context} (the swarm's). */
  public TcpTransport(Context context, Settings settings) {
    this(context, settings, settings.security().contains("tls") ? TlsCertificate.generate(settings.identity()) : null);
  }

  /**
   * A TCP transport that presents {@code certificate} in TLS handshakes (the tests give it wrong
   * ones); null when {@code settings} has no TLS.
   */
  public TcpTransport(Context context, Settings settings, TlsCertificate certificate) {
    if (settings.security().contains("tls") && certificate == null) {
      throw new IllegalArgumentException("TLS needs a certificate");
    }
    this.certificate = certificate;
    this.context = context;
    this.settings = settings;
    this.inputScheduler = new InputScheduler(context, settings.inputTurn());
    this.client = context.owner().createNetClient(new NetClientOptions()
        .setConnectTimeout((int) settings.dialTimeout().toMillis())
        .setTcpNoDelay(true));
    this.portReuse = ReusePortDialer.available(context.owner());
  }

  /**
   * Whether dials leave from the port we listen on (SO_REUSEPORT), as go-libp2p's do: then the
   * address a peer observes for an outbound connection is our listen address as a NAT maps it,
   * and a NAT's mapping of it is what hole punching needs. Only where Vert.x runs on Linux's
   * epoll transport (the launcher prefers it); elsewhere dials leave from ephemeral ports.
   */
  public boolean portReuse() {
    return portReuse;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** An IP host (or a name) and /tcp/N. */
  @Override
  public boolean canListen(Multiaddr addr) {
    return addr.tcpPort() >= 0 && addr.host() != null && !addr.host().isEmpty() && !addr.isCircuit();
  }

  /** A host and /tcp/N (not through a relay: a {@code /p2p-circuit} address is the relay transport's). */
  @Override
  public boolean canDial(Multiaddr addr) {
    return addr.tcpPort() >= 0 && addr.host() != null && !addr.isCircuit();
  }

  @Override
  public Future<List<Multiaddr>> listen(Multiaddr addr, Inbound inbound) {
    if (!canListen(addr)) {
      return Future.failedFuture(new IllegalArgumentException(
          "listen address must be /ip4/<ip>/tcp/<port> or /ip6/<ip>/tcp/<port>, got " + addr));
    }
    if (portReuse && addr.tcpPort() > 0) {
      String taken = ReusePortDialer.taken(addr.host(), addr.tcpPort());
      if (taken != null) { // with SO_REUSEPORT a second listener would share the port, not fail
        return Future.failedFuture(new java.net.BindException("cannot listen on " + addr + ": " + taken));
      }
    }
    NetServer server = context.owner().createNetServer(new NetServerOptions().setTcpNoDelay(true)
        .setReusePort(portReuse));
    server.connectHandler(socket -> onInbound(socket, inbound));
    return server.listen(addr.tcpPort(), addr.host()).map(s -> {
      servers.add(s);
      bound.add(new java.net.InetSocketAddress(addr.host(), s.actualPort()));
      return ListenAddresses.hosts(addr).stream().map(h -> Multiaddr.tcp(h, s.actualPort())).toList();
    });
  }

  private void onInbound(NetSocket socket, Inbound inbound) {
    if (closed) {
      socket.close();
      return;
    }
    TcpConnection connection = new TcpConnection(this, settings, context, new SocketLink(socket), Direction.INBOUND, null, NAME);
    boolean admitted;
    try {
      admitted = inbound.offer(connection);
    } catch (RuntimeException e) {
      connection.abort();
      throw e;
    }
    if (admitted) {
      connection.start();
    } else {
      connection.abort(); // never started: the socket closes without a byte written
    }
  }

  @Override
  public Future<Upgrade> dial(Multiaddr addr, PeerId expectedPeer) {
    if (!canDial(addr)) {
      return Future.failedFuture(new IllegalArgumentException("cannot dial " + addr + ": need a host and /tcp/<port>"));
    }
    return dial(addr, expectedPeer, Direction.OUTBOUND);
  }

  /**
   * Dials as the listener: the connection's security and Yamux run in the responder's role. For
   * hole punching, where both ends dial at once and one TCP connection comes of the two dials
   * (a simultaneous open); the side that sent the synchronising message takes this role.
   */
  @Override
  public Future<Upgrade> dialAsListener(Multiaddr addr, PeerId expectedPeer) {
    if (!canDial(addr)) {
      return Future.failedFuture(new IllegalArgumentException("cannot dial " + addr + ": need a host and /tcp/<port>"));
    }
    return dial(addr, expectedPeer, Direction.INBOUND);
  }

  private Future<Upgrade> dial(Multiaddr addr, PeerId expectedPeer, Direction role) {
    java.net.InetSocketAddress local = portReuse ? ReusePortDialer.localFor(bound, addr) : null;
    Future<RawLink> link = local == null ? plainDial(addr)
        : ReusePortDialer.connect(context, local, addr, settings.dialTimeout()).<RawLink>map(l -> l)
            // that ip:port pair is taken (a connection to the peer from our port is open, or in
            // TIME_WAIT): from an ephemeral port then, as go-libp2p does
            .recover(e -> ReusePortDialer.tupleTaken(e) ? plainDial(addr) : Future.failedFuture(e));
    Promise<Upgrade> promise = Promise.promise();
    link.onComplete(ar -> {
      if (ar.failed()) {
        promise.fail(ar.cause());
        return;
      }
      TcpConnection connection = new TcpConnection(this, settings, context, ar.result(), role, expectedPeer, NAME);
      promise.complete(connection);
      connection.start(); // unless the dialer aborted it in its handler
    });
    return promise.future();
  }

  private Future<RawLink> plainDial(Multiaddr addr) {
    return client.connect(addr.tcpPort(), addr.host()).map(SocketLink::new);
  }

  @Override
  public Future<Void> close() {
    closed = true;
    List<Future<Void>> closing = new ArrayList<>();
    servers.forEach(s -> closing.add(s.close()));
    closing.add(client.close());
    return Future.join(closing).mapEmpty();
  }

  /**
   * The same upgrade as a TCP socket's (multistream-select security, Noise or TLS,
   * multistream-select Yamux, Yamux) on another link: a stream through a relay. Call
   * {@link TcpConnection#start()} to begin (after offering an inbound one to the swarm).
   *
   * @param transportName what {@link io.tinyp2p.stream.ConnectionInfo#transport()} shows
   */
  public TcpConnection upgrade(io.tinyp2p.transport.RawLink link, Direction direction, PeerId expectedPeer,
      String transportName) {
    return new TcpConnection(this, settings, context, link, direction, expectedPeer, transportName);
  }

  /** Shares the event loop's input time among this transport's connections. */
  public InputScheduler inputScheduler() {
    return inputScheduler;
  }

  /**
   * A TLS handshake with our certificate; it offers (dialing) and accepts (listening) Yamux in
   * ALPN unless a test turned that off.
   */
  TlsSession tlsSession(boolean dialer, PeerId expectedPeer) {
    return TlsSession.create(certificate, dialer, expectedPeer, inlineMuxer ? List.of(YAMUX) : List.of());
  }

  void inlineMuxer(boolean on) {
    inlineMuxer = on;
  }

  /** What all connections' streams may still grow their receive windows by. */
  java.util.concurrent.atomic.AtomicLong windowBudget() {
    return windowBudget;
  }
}
