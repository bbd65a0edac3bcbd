package io.tinyp2p.transport.quic;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicSslEngine;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamLimitChangedEvent;
import io.netty.handler.codec.quic.QuicStreamType;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.tls.TlsSession;
import io.tinyp2p.transport.ConnectionIds;
import io.tinyp2p.transport.MuxedConnection;
import io.tinyp2p.transport.MuxedStream;
import io.tinyp2p.transport.PeerNotReadingException;
import io.tinyp2p.transport.Transport;
import io.tinyp2p.transport.TransportException;
import io.tinyp2p.transport.Upgrade;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * One QUIC connection, inbound or outbound: the {@link Upgrade} while QUIC's handshake (with TLS
 * 1.3 and the libp2p certificate inside) runs, then the {@link MuxedConnection} whose streams are
 * QUIC's bidirectional streams. Netty calls it on the transport's event loop; it enters the
 * transport's Vert.x context for everything it reports.
 *
 * <p>Opening a stream when the peer's stream credit is used up waits for the peer to grant more
 * (at most {@link #MAX_WAITING_OPENS} such opens; they fail when the connection closes). All
 * streams together may queue {@link QuicTransport.Settings#maxQueuedBytes()} for the peer; one
 * more byte closes the connection as a peer that does not read.
 */
final class QuicConnection implements Upgrade, MuxedConnection {
  /** Opens that may wait for the peer's stream credit at once. */
  static final int MAX_WAITING_OPENS = 1024;
  /** QUIC application error code of an orderly close, and of a refused or failed one. */
  static final int CLOSE_OK = 0;
  static final int CLOSE_ERROR = 1;
  /** How long a refused connection may wait for its handshake's alert before it is closed outright. */
  static final long REFUSED_LINGER_MS = 1000;

  final QuicTransport transport;
  final QuicTransport.Settings settings;
  private final Direction direction;
  private final Multiaddr remoteAddr;
  private final PeerId expectedPeer;
  private final long id = ConnectionIds.next();
  private final long openedAt = System.currentTimeMillis();
  private final Promise<MuxedConnection> upgraded = Promise.promise();
  private final Set<QuicStream> streams = new HashSet<>();
  private final ArrayDeque<Promise<MuxedStream>> waitingOpens = new ArrayDeque<>();
  private Transport.Inbound inbound; // listener side, until offered
  /** The swarm refused it: its handshake is to fail (read by the listener's key manager). */
  boolean refused;
  private QuicChannel channel;
  private QuicSslEngine engine;
  private ConnectionInfo info;
  private PeerId remotePeer;
  private int stage = SECURITY_NEGOTIATION;
  private boolean closed;
  private boolean aborted;
  private Throwable closeReason;
  private Throwable certificateError;
  private long handshakeTimer = -1;
  private long queuedBytes;
  private Handler<MuxedStream> inboundStreams;
  private Handler<Throwable> closeHandler;

  QuicConnection(QuicTransport transport, Direction direction, Multiaddr remoteAddr, PeerId expectedPeer) {
    this.transport = transport;
    this.settings = transport.settings;
    this.direction = direction;
    this.remoteAddr = remoteAddr;
    this.expectedPeer = expectedPeer;
  }

  // ---- handshake ----

  void inbound(Transport.Inbound inbound) {
    this.inbound = inbound;
    this.stage = SECURITY_HANDSHAKE;
  }

  void engine(QuicSslEngine engine) {
    this.engine = engine;
  }

  /** Dials {@code remote} from the transport's dialing socket (unless the dialer aborted already). */
  void connect(Channel socket, InetSocketAddress remote) {
    if (closed) {
      return;
    }
    startTimer();
    QuicChannel.newBootstrap(socket)
        .attr(QuicTransport.CONNECTION, this)
        .handler(new Init())
        .streamHandler(new QuicStream.InboundInit())
        .remoteAddress(remote)
        .connect()
        .addListener(f -> transport.context.emit(f, done -> {
          if (!done.isSuccess()) {
            fail(certificateError != null ? certificateError
                : new TransportException("QUIC handshake with " + remoteAddr + " failed: " + done.cause().getMessage()));
          }
        }));
  }

  private void startTimer() {
    handshakeTimer = transport.context.owner().setTimer(settings.handshakeTimeout().toMillis(), t -> {
      handshakeTimer = -1;
      if (!upgraded.future().isComplete()) {
        fail(new TransportException("QUIC handshake timed out after " + settings.handshakeTimeout().toMillis() + " ms"));
      }
    });
  }

  /** The QUIC channel is registered: a listener offers the connection to the swarm now. */
  private void registered(QuicChannel channel) {
    this.channel = channel;
    // Netty tells a channel's handlers it went inactive only if it was ever active: a connection
    // whose handshake failed or was refused ends here
    channel.closeFuture().addListener(f -> transport.context.emit(this, c -> c.channelClosed(null)));
    if (closed) {
      closeChannel(CLOSE_ERROR, "refused");
      return;
    }
    if (direction == Direction.OUTBOUND) {
      stage = SECURITY_HANDSHAKE;
      return;
    }
    boolean admitted;
    if (transport.closed) {
      admitted = false;
    } else {
      Transport.Inbound offer = inbound;
      inbound = null;
      admitted = offer.offer(this);
    }
    if (!admitted || closed) {
      // the TLS handshake about to run on the peer's first packet refuses it (no certificate
      // for it), so quiche answers with an alert; should the peer stall, the channel goes soon
      refused = true;
      closed = true;
      aborted = true;
      upgraded.tryFail(new TransportException("connection refused"));
      transport.context.owner().setTimer(REFUSED_LINGER_MS, t -> closeChannel(CLOSE_ERROR, "refused"));
      return;
    }
    startTimer();
  }

  /** The certificate check proved the peer (inside the handshake): a dialer also checks it is the one dialed. */
  void peerProved(PeerId peer) throws CertificateException {
    if (expectedPeer != null && !expectedPeer.equals(peer)) {
      throw new CertificateException("QUIC handshake reached peer " + peer + ", expected " + expectedPeer);
    }
    remotePeer = peer;
  }

  void certificateRefused(CertificateException e) {
    certificateError = new TransportException("TLS handshake refused the peer's certificate: " + e.getMessage());
  }

  /** QUIC's handshake completed (the channel is active). */
  private void established() {
    transport.handshakeEnded(engine);
    if (closed) {
      return;
    }
    if (remotePeer == null) {
      fail(new TransportException("QUIC handshake completed without a verified peer certificate"));
      return;
    }
    String alpn = engine == null ? null : engine.getApplicationProtocol();
    if (!TlsSession.ALPN_LIBP2P.equals(alpn)) {
      fail(new TransportException("QUIC peer did not agree on ALPN " + TlsSession.ALPN_LIBP2P + " (got " + alpn + ")"));
      return;
    }
    cancelTimer();
    Multiaddr local = channel.localSocketAddress() instanceof InetSocketAddress a ? Multiaddr.quic(a)
        : Multiaddr.quic("0.0.0.0", 0);
    // the libp2p TLS handshake (tls.md) inside QUIC's: reported as its protocol id, though not negotiated
    info = new ConnectionInfo(id, direction, local, remoteAddr, remotePeer, QuicTransport.NAME, TlsSession.PROTOCOL_ID);
    stage = OPEN;
    upgraded.tryComplete(this);
  }

  private void fail(Throwable reason) {
    if (closed) {
      return;
    }
    terminate(reason);
    closeChannel(CLOSE_ERROR, reason == null ? "closed" : "error");
  }

  // ---- Upgrade ----

  @Override
  public Direction direction() {
    return direction;
  }

  @Override
  public Multiaddr remoteAddress() {
    return remoteAddr;
  }

  @Override
  public int stage() {
    return stage;
  }

  @Override
  public void abort() {
    if (closed) {
      return;
    }
    aborted = true;
    terminate(null);
    closeChannel(CLOSE_ERROR, "aborted");
  }

  @Override
  public Future<MuxedConnection> result() {
    return upgraded.future();
  }

  @Override
  public Throwable closeReason() {
    return closeReason;
  }

  // ---- MuxedConnection ----

  @Override
  public ConnectionInfo info() {
    return info;
  }

  @Override
  public long openedAt() {
    return openedAt;
  }

  @Override
  public boolean isOpen() {
    return !closed && stage == OPEN;
  }

  @Override
  public Future<MuxedStream> openStream() {
    if (!isOpen()) {
      return Future.failedFuture(new TransportException("connection is closed"));
    }
    if (!waitingOpens.isEmpty() || channel.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL) <= 0) {
      if (waitingOpens.size() >= MAX_WAITING_OPENS) {
        return Future.failedFuture(new TransportException("peer allows no more streams and "
            + MAX_WAITING_OPENS + " opens wait for it"));
      }
      Promise<MuxedStream> waiting = Promise.promise();
      waitingOpens.add(waiting);
      return waiting.future();
    }
    Promise<MuxedStream> promise = Promise.promise();
    createStream(promise);
    return promise.future();
  }

  private void createStream(Promise<MuxedStream> promise) {
    QuicStream stream = new QuicStream(this, true);
    channel.createStream(QuicStreamType.BIDIRECTIONAL, stream.pipe).addListener(f -> transport.context.emit(f, done -> {
      if (done.isSuccess()) {
        promise.tryComplete(stream);
      } else {
        promise.tryFail(new TransportException("cannot open a QUIC stream: " + done.cause().getMessage()));
      }
    }));
  }

  private void streamCreditChanged() {
    while (isOpen() && !waitingOpens.isEmpty() && channel.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL) > 0) {
      createStream(waitingOpens.poll());
    }
  }

  @Override
  public void inboundStreamHandler(Handler<MuxedStream> handler) {
    this.inboundStreams = handler;
  }

  /** The peer opened a stream; it has its handler in the stream channel's pipeline already. */
  void inboundStream(QuicStream stream) {
    if (!isOpen() || inboundStreams == null) {
      stream.reset();
      return;
    }
    inboundStreams.handle(stream);
  }

  void streamOpened(QuicStream stream) {
    streams.add(stream);
  }

  void streamClosed(QuicStream stream) {
    streams.remove(stream);
  }

  @Override
  public int streamCount() {
    return streams.size();
  }

  /** A stream's queue changed by {@code delta}; past the connection's bound the peer does not read. */
  boolean queued(long delta) {
    queuedBytes += delta;
    if (delta > 0 && queuedBytes > settings.maxQueuedBytes()) {
      fail(new PeerNotReadingException(PeerNotReadingException.Kind.QUEUE_OVERFLOW, "peer left more than "
          + settings.maxQueuedBytes() + " bytes unread on its QUIC streams"));
      return false;
    }
    return true;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    terminate(null);
    closeChannel(CLOSE_OK, "closed");
  }

  @Override
  public void closeHandler(Handler<Throwable> handler) {
    this.closeHandler = handler;
    if (handler != null && closed && upgraded.future().succeeded()) {
      handler.handle(closeReason);
    }
  }

  @Override
  public int tick(long now) {
    int reset = 0;
    long stallMillis = settings.writeStallTimeout().toMillis();
    for (QuicStream stream : java.util.List.copyOf(streams)) {
      if (stream.stalledSince() > 0 && now - stream.stalledSince() >= stallMillis) {
        stream.stallReset(stallMillis);
        reset++;
      }
    }
    return reset;
  }

  @Override
  public long inputDeferrals() {
    return 0;
  }

  @Override
  public String security() {
    return TlsSession.PROTOCOL_ID;
  }

  // ---- ending ----

  private void closeChannel(int code, String reason) {
    if (channel != null && channel.isOpen()) {
      channel.close(true, code, io.netty.buffer.Unpooled.copiedBuffer(reason, StandardCharsets.US_ASCII));
    }
  }

  /** The QUIC channel closed: the peer or the idle timeout ended it, or we did. */
  private void channelClosed(QuicConnectionCloseEvent event) {
    transport.handshakeEnded(engine); // a refused connection kept its entry until now
    if (closed) {
      return;
    }
    Throwable reason;
    if (stage != OPEN) {
      reason = certificateError != null ? certificateError
          : new TransportException("QUIC connection closed during the handshake"
              + (event != null ? " (" + describe(event) + ")" : ""));
    } else if (event == null || event.isApplicationClose() || event.error() == 0) {
      reason = null; // an orderly close (the peer's, whatever its application's code, or an idle one)
    } else {
      reason = new TransportException("QUIC connection closed: " + describe(event));
    }
    terminate(reason);
  }

  private static String describe(QuicConnectionCloseEvent event) {
    byte[] r;
    try {
      r = event.reason();
    } catch (NullPointerException e) {
      r = null; // Netty 4.2.9 clones a reason that may be absent
    }
    String what = event.isApplicationClose() ? "application error " + event.error()
        : event.error() >= 0x100 && event.error() < 0x200 ? "TLS alert " + (event.error() - 0x100)
        : "transport error " + event.error();
    return what + (r != null && r.length > 0 ? " " + new String(r, StandardCharsets.UTF_8) : "");
  }

  private void terminate(Throwable reason) {
    if (closed) {
      return;
    }
    closed = true;
    closeReason = reason;
    cancelTimer();
    transport.handshakeEnded(engine);
    TransportException gone = new TransportException("connection closed");
    while (!waitingOpens.isEmpty()) {
      waitingOpens.poll().tryFail(gone);
    }
    for (QuicStream stream : java.util.List.copyOf(streams)) {
      stream.connectionClosed(reason != null ? reason : gone);
    }
    if (!upgraded.future().isComplete()) {
      upgraded.tryFail(aborted ? new TransportException("connection aborted")
          : reason != null ? reason : new TransportException("connection closed during the handshake"));
    } else if (closeHandler != null) {
      closeHandler.handle(reason);
    }
  }

  private void cancelTimer() {
    if (handshakeTimer >= 0) {
      transport.context.owner().cancelTimer(handshakeTimer);
      handshakeTimer = -1;
    }
  }

  @Override
  public String toString() {
    return direction.json() + " " + remoteAddr + (remotePeer != null ? "/p2p/" + remotePeer : "");
  }

  /**
   * The handler of every QUIC connection channel: it finds the channel's {@link QuicConnection}
   * and passes on what happens, inside the transport's Vert.x context.
   */
  @ChannelHandler.Sharable
  static final class Init extends ChannelInboundHandlerAdapter {
    private static QuicConnection of(ChannelHandlerContext ctx) {
      return ctx.channel().attr(QuicTransport.CONNECTION).get();
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
      QuicConnection c = of(ctx);
      c.transport.context.emit(c, x -> x.registered((QuicChannel) ctx.channel()));
      ctx.fireChannelRegistered();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      QuicConnection c = of(ctx);
      c.transport.context.emit(c, QuicConnection::established);
      ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      QuicConnection c = of(ctx);
      if (event instanceof QuicStreamLimitChangedEvent) {
        c.transport.context.emit(c, QuicConnection::streamCreditChanged);
      } else if (event instanceof QuicConnectionCloseEvent close) {
        c.transport.context.emit(c, x -> x.channelClosed(close));
      }
      io.netty.util.ReferenceCountUtil.release(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      QuicConnection c = of(ctx);
      c.transport.context.emit(c, x -> x.channelClosed(null));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      QuicConnection c = of(ctx);
      // quiche closes the connection itself (a TLS failure sends its alert): closing the channel
      // now would drop that CONNECTION_CLOSE, and the peer would wait out its handshake timeout
      c.transport.context.emit(c, x -> x.terminate(x.certificateError != null ? x.certificateError
          : new TransportException("QUIC connection failed: " + cause.getMessage())));
    }
  }

  /** Streams the peer opens: handed to their connection (used by both sides' channels). */
  static QuicStream inboundStream(QuicStreamChannel ch) {
    QuicConnection c = ch.parent().attr(QuicTransport.CONNECTION).get();
    return c == null ? null : new QuicStream(c, false);
  }
}
