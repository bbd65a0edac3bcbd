package io.tinyp2p.transport.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.quic.DefaultQuicStreamFrame;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.Traffic;
import io.tinyp2p.transport.MuxedStream;
import io.tinyp2p.yamux.YamuxStream;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bidirectional QUIC stream as a {@link MuxedStream}. Reading follows Vert.x demand: while
 * the application pauses, the stream stops reading from QUIC, so the peer's stream window (not
 * our memory) holds what it sends on; what one read already brought in waits here. Writing hands
 * data to QUIC at once; bytes QUIC has not taken yet (the peer's window or congestion is closed)
 * count as queued: {@link #writeQueueFull()} past the writer's limit, the drain handler when half
 * of it went, a reset when nothing moved for the write-stall timeout.
 */
final class QuicStream extends ChannelInboundHandlerAdapter implements MuxedStream {
  private static final Logger LOG = LoggerFactory.getLogger(QuicStream.class);
  /** The QUIC application error code of a reset. */
  static final int RESET_CODE = 0;

  private final QuicConnection connection;
  private final boolean outbound;
  private QuicStreamChannel channel;
  private String protocol;
  private ConnectionInfo info;
  private Traffic traffic;

  private final ArrayDeque<Buffer> inbound = new ArrayDeque<>();
  private long demand = Long.MAX_VALUE;
  private boolean remoteFin;
  private boolean endDelivered;

  private long queuedBytes;
  private int writeQueueMax;
  private boolean endRequested;
  private boolean finTaken; // QUIC has our FIN
  private boolean needsDrain;
  private long stalledSince; // when queued output last stopped moving, or 0

  private boolean closed;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Void> drainHandler;
  private Handler<Void> closeHandler;
  private Handler<Throwable> exceptionHandler;
  private java.util.List<Runnable> terminated;

  QuicStream(QuicConnection connection, boolean outbound) {
    this.connection = connection;
    this.outbound = outbound;
    this.info = connection.info();
    this.writeQueueMax = connection.settings().writeQueueMax();
  }

  // ---- Netty side (the event loop; each call enters the Vert.x context) ----

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = (QuicStreamChannel) ctx.channel();
    channel.config().setAllowHalfClosure(true);
    connection.transport().context().emit(this, s -> {
      connection.streamOpened(s);
      if (!outbound) {
        connection.inboundStream(s);
      }
    });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf buf = (ByteBuf) msg;
    Buffer data;
    try {
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      data = Buffer.buffer(bytes);
    } finally {
      buf.release();
    }
    connection.transport().context().emit(data, this::onData);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event == ChannelInputShutdownReadComplete.INSTANCE) {
      connection.transport().context().emit(this, QuicStream::onFin);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    connection.transport().context().emit(cause, e -> {
      if (e instanceof QuicStreamResetException) {
        terminate(new YamuxStream.StreamResetException("stream reset by peer"));
      } else {
        terminate(e);
      }
      ctx.close();
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    connection.transport().context().emit(this, s -> {
      if (!closed) {
        terminate(endDelivered && finTaken ? null : new YamuxStream.StreamResetException("stream reset by peer"));
      }
    });
  }

  // ---- identity ----

  @Override
  public boolean isOutbound() {
    return outbound;
  }

  @Override
  public String protocol() {
    return protocol;
  }

  @Override
  public void protocol(String protocol) {
    this.protocol = protocol;
  }

  @Override
  public void traffic(Traffic traffic) {
    this.traffic = traffic;
  }

  @Override
  public PeerId remotePeer() {
    return info == null ? null : info.remotePeer();
  }

  @Override
  public ConnectionInfo connection() {
    return info;
  }

  @Override
  public void connection(ConnectionInfo connection) {
    this.info = connection;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  // ---- reading ----

  private void onData(Buffer data) {
    if (closed) {
      return;
    }
    if (demand > 0 && inbound.isEmpty() && handler != null) {
      deliver(data);
    } else {
      inbound.add(data);
      readFromQuic(false);
    }
  }

  private void onFin() {
    remoteFin = true;
    drainInbound();
  }

  private void deliver(Buffer data) {
    if (demand != Long.MAX_VALUE) {
      demand--;
    }
    if (traffic != null) {
      traffic.received(data.length());
    }
    if (!call(handler, data, "handler")) {
      reset();
    }
  }

  private void drainInbound() {
    while (!closed && demand > 0 && handler != null && !inbound.isEmpty()) {
      deliver(inbound.poll());
    }
    if (!closed && remoteFin && inbound.isEmpty() && !endDelivered && (demand > 0 || handler == null)) {
      endDelivered = true;
      call(endHandler, null, "end handler");
      maybeClosed();
    }
    if (!closed && !remoteFin) {
      readFromQuic(inbound.isEmpty() && demand > 0);
    }
  }

  /** Reads from QUIC while the application takes data; else QUIC's stream window holds the peer. */
  private void readFromQuic(boolean on) {
    if (channel != null && channel.config().isAutoRead() != on) {
      channel.config().setAutoRead(on);
    }
  }

  @Override
  public void unread(Buffer data) {
    inbound.addFirst(data);
    if (handler != null) {
      drainInbound();
    }
  }

  @Override
  public QuicStream handler(Handler<Buffer> handler) {
    this.handler = handler;
    if (handler != null) {
      drainInbound();
    }
    return this;
  }

  @Override
  public QuicStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public QuicStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public QuicStream fetch(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("negative fetch " + amount);
    }
    demand = Long.MAX_VALUE - demand < amount ? Long.MAX_VALUE : demand + amount;
    drainInbound();
    return this;
  }

  @Override
  public QuicStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  @Override
  public QuicStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public QuicStream closeHandler(Handler<Void> handler) {
    this.closeHandler = handler;
    return this;
  }

  // ---- writing ----

  @Override
  public Future<Void> write(Buffer data) {
    if (closed || endRequested) {
      return Future.failedFuture(new IllegalStateException("stream is closed for writing"));
    }
    int n = data.length();
    if (queuedBytes + n > YamuxStream.MAX_QUEUED_BYTES) {
      return Future.failedFuture(new IllegalStateException("stream has " + queuedBytes
          + " bytes queued for a peer that does not read; limit " + YamuxStream.MAX_QUEUED_BYTES));
    }
    if (n == 0) {
      return Future.succeededFuture();
    }
    if (!connection.queued(n)) {
      return Future.failedFuture(new IllegalStateException("connection closed: the peer does not read"));
    }
    if (traffic != null) {
      traffic.sent(n);
    }
    if (queuedBytes == 0) {
      stalledSince = System.currentTimeMillis();
    }
    queuedBytes += n;
    channel.writeAndFlush(((BufferInternal) data).getByteBuf()).addListener(f ->
        connection.transport().context().emit(n, this::taken));
    return Future.succeededFuture();
  }

  /** QUIC took {@code n} bytes of ours (or the stream ended with them). */
  private void taken(int n) {
    if (closed) {
      return;
    }
    queuedBytes -= n;
    connection.queued(-n);
    stalledSince = queuedBytes > 0 ? System.currentTimeMillis() : 0;
    if (needsDrain && queuedBytes <= writeQueueMax / 2) {
      needsDrain = false;
      if (!call(drainHandler, null, "drain handler")) {
        reset();
      }
    }
  }

  @Override
  public Future<Void> end() {
    if (closed || endRequested) {
      return Future.succeededFuture();
    }
    endRequested = true;
    // A FIN behind the data queued (shutdownOutput() would hand QUIC the FIN ahead of the data
    // still queued); once QUIC has it, the channel may go when the peer's FIN came too.
    channel.writeAndFlush(new DefaultQuicStreamFrame(Unpooled.EMPTY_BUFFER, true)).addListener(f -> connection.transport().context().emit(this, s -> {
      s.finTaken = true;
      s.closeChannelIfDone();
    }));
    maybeClosed();
    return Future.succeededFuture();
  }

  @Override
  public QuicStream setWriteQueueMaxSize(int maxSize) {
    this.writeQueueMax = maxSize;
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    if (queuedBytes >= writeQueueMax) {
      needsDrain = true;
      return true;
    }
    return false;
  }

  @Override
  public QuicStream drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    return this;
  }

  /** When queued output last stopped moving; 0 when nothing is queued. */
  long stalledSince() {
    return stalledSince;
  }

  /** The connection's tick found our output stalled for {@code millis}. */
  void stallReset(long millis) {
    LOG.debug("QUIC stream {} of {}: nothing sent for {} ms, reset", streamId(), connection, millis);
    reset();
  }

  private long streamId() {
    return channel == null ? -1 : channel.streamId();
  }

  // ---- ending ----

  @Override
  public void reset() {
    if (closed) {
      return;
    }
    terminate(null);
    if (channel != null) {
      channel.shutdown(RESET_CODE).addListener(f -> channel.close());
    }
  }

  private void maybeClosed() {
    if (!closed && endRequested && endDelivered) {
      terminate(null);
      closeChannelIfDone();
    }
  }

  /** Both FINs are through QUIC: the channel goes (closing it earlier would drop what QUIC has not taken). */
  private void closeChannelIfDone() {
    if (finTaken && endDelivered && channel.isOpen()) {
      channel.close();
    }
  }

  void connectionClosed(Throwable reason) {
    if (!closed) {
      terminate(reason);
    }
  }

  @Override
  public void onTerminated(Runnable action) {
    if (terminated == null) {
      terminated = new java.util.ArrayList<>(2);
    }
    terminated.add(action);
  }

  private void terminate(Throwable error) {
    if (closed) {
      return;
    }
    closed = true;
    inbound.clear();
    connection.queued(-queuedBytes);
    queuedBytes = 0;
    stalledSince = 0;
    connection.streamClosed(this);
    if (error != null) {
      call(exceptionHandler, error, "exception handler");
    }
    call(closeHandler, null, "close handler");
    if (terminated != null) {
      terminated.forEach(Runnable::run);
    }
  }

  private <T> boolean call(Handler<T> h, T value, String which) {
    if (h == null) {
      return true;
    }
    try {
      h.handle(value);
      return true;
    } catch (RuntimeException e) {
      LOG.warn("QUIC stream {} {} failed: {}", streamId(), which, e.toString());
      return false;
    }
  }

  @Override
  public String toString() {
    return "QuicStream(" + streamId() + (protocol != null ? " " + protocol : "") + ")";
  }

  /** Puts the handler of a stream the peer opened into its channel's pipeline. */
  @ChannelHandler.Sharable
  static final class InboundInit extends ChannelInitializer<QuicStreamChannel> {
    @Override
    protected void initChannel(QuicStreamChannel ch) {
      QuicStream stream = QuicConnection.inboundStream(ch);
      if (stream == null) {
        ch.close();
        return;
      }
      ch.pipeline().addLast(stream);
    }
  }
}
