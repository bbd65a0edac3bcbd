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
import io.tinyp2p.transport.BufferedStream;
import io.tinyp2p.yamux.YamuxStream;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
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
final class QuicStream extends BufferedStream {
  private static final Logger LOG = LoggerFactory.getLogger(QuicStream.class);
  /** The QUIC application error code of a reset. */
  static final int RESET_CODE = 0;

  private final QuicConnection connection;
  private final boolean outbound;
  /** The handler in the stream channel's pipeline: it passes Netty's events on, in the Vert.x context. */
  final Pipe pipe = new Pipe();
  private QuicStreamChannel channel;

  private long queuedBytes;
  private boolean endRequested;
  private boolean finTaken; // QUIC has our FIN
  private boolean needsDrain;
  private long stalledSince; // when queued output last stopped moving, or 0

  QuicStream(QuicConnection connection, boolean outbound) {
    this.connection = connection;
    this.outbound = outbound;
    this.writeQueueMax = connection.settings.writeQueueMax();
    connection(connection.info());
  }

  private void emit(Runnable action) {
    connection.transport.context.emit(null, v -> action.run());
  }

  /** Netty's side: the event loop; each call enters the Vert.x context. */
  final class Pipe extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = (QuicStreamChannel) ctx.channel();
      channel.config().setAllowHalfClosure(true);
      emit(() -> {
        connection.streamOpened(QuicStream.this);
        if (!outbound) {
          connection.inboundStream(QuicStream.this);
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
      emit(() -> received(data));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event == ChannelInputShutdownReadComplete.INSTANCE) {
        emit(QuicStream.this::receivedFin);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      emit(() -> {
        terminate(cause instanceof QuicStreamResetException ? new YamuxStream.StreamResetException("stream reset by peer")
            : cause);
        ctx.close();
      });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      emit(() -> terminate(endDelivered && finTaken ? null : new YamuxStream.StreamResetException("stream reset by peer")));
    }
  }

  @Override
  public boolean isOutbound() {
    return outbound;
  }

  // ---- reading ----

  @Override
  protected void delivered(Buffer data) {
    // QUIC returns the peer's credit as data is read from it
  }

  /** Reads from QUIC while the application takes data; else QUIC's stream window holds the peer. */
  @Override
  protected void drained() {
    if (channel == null || isClosed()) {
      return;
    }
    if (endRequested && endDelivered) {
      terminate(null);
      closeChannelIfDone();
      return;
    }
    boolean on = !finReceived && readerWaiting();
    if (channel.config().isAutoRead() != on) {
      channel.config().setAutoRead(on);
    }
  }

  // ---- writing ----

  @Override
  public Future<Void> write(Buffer data) {
    if (isClosed() || endRequested) {
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
    if (traffic() != null) {
      traffic().sent(n);
    }
    if (queuedBytes == 0) {
      stalledSince = System.currentTimeMillis();
    }
    queuedBytes += n;
    channel.writeAndFlush(((BufferInternal) data).getByteBuf()).addListener(f ->
        emit(() -> taken(n)));
    return Future.succeededFuture();
  }

  /** QUIC took {@code n} bytes of ours (or the stream ended with them). */
  private void taken(int n) {
    if (isClosed()) {
      return;
    }
    queuedBytes -= n;
    connection.queued(-n);
    stalledSince = queuedBytes > 0 ? System.currentTimeMillis() : 0;
    if (needsDrain && queuedBytes <= writeQueueMax / 2) {
      needsDrain = false;
      runDrainHandler();
    }
  }

  @Override
  public Future<Void> end() {
    if (isClosed() || endRequested) {
      return Future.succeededFuture();
    }
    endRequested = true;
    // A FIN behind the data queued (shutdownOutput() would hand QUIC the FIN ahead of the data
    // still queued); once QUIC has it, the channel may go when the peer's FIN came too.
    channel.writeAndFlush(new DefaultQuicStreamFrame(Unpooled.EMPTY_BUFFER, true)).addListener(f -> emit(() -> {
      finTaken = true;
      closeChannelIfDone();
    }));
    drained();
    return Future.succeededFuture();
  }

  @Override
  public boolean writeQueueFull() {
    needsDrain |= queuedBytes >= writeQueueMax;
    return queuedBytes >= writeQueueMax;
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
    if (isClosed()) {
      return;
    }
    terminate(null);
    if (channel != null) {
      channel.shutdown(RESET_CODE).addListener(f -> channel.close());
    }
  }

  /** Both FINs are through QUIC: the channel goes (closing it earlier would drop what QUIC has not taken). */
  private void closeChannelIfDone() {
    if (finTaken && endDelivered && channel.isOpen()) {
      channel.close();
    }
  }

  void connectionClosed(Throwable reason) {
    terminate(reason);
  }

  @Override
  protected void released() {
    connection.queued(-queuedBytes);
    queuedBytes = 0;
    stalledSince = 0;
    connection.streamClosed(this);
  }

  @Override
  public String toString() {
    return "QuicStream(" + streamId() + (protocol() != null ? " " + protocol() : "") + ")";
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
      ch.pipeline().addLast(stream.pipe);
    }
  }
}
