package io.tinyp2p.transport.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.transport.RawLink;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import java.net.InetSocketAddress;

/**
 * A {@link RawLink} on a TCP channel that the transport connected itself, with Netty rather than a
 * Vert.x NetClient, because it binds the listener's port first (a NetClient cannot choose its local
 * port). Events reach the link's handlers on the transport's Vert.x context, as a NetSocket's do;
 * flow control is the channel's auto-read, the write queue its writability.
 */
final class ChannelLink extends ChannelInboundHandlerAdapter implements RawLink {
  private final ContextInternal context;
  private Channel channel;
  private Multiaddr local;
  private Multiaddr remote;
  private Handler<Buffer> handler = b -> { };
  private Handler<Void> endHandler = v -> { };
  private Handler<Void> closeHandler = v -> { };
  private Handler<Throwable> exceptionHandler = e -> { };
  private Handler<Void> drainHandler = v -> { };

  ChannelLink(ContextInternal context) {
    this.context = context;
  }

  /** The channel connected: the link is usable from here on. */
  void connected(Channel connected) {
    this.channel = connected;
    local = address((InetSocketAddress) connected.localAddress());
    remote = address((InetSocketAddress) connected.remoteAddress());
  }

  private static Multiaddr address(InetSocketAddress a) {
    return Multiaddr.tcp(a.getAddress().getHostAddress(), a.getPort());
  }

  // ---- Netty's side: on the event loop, passed on inside the Vert.x context ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    Buffer data;
    try {
      byte[] bytes = new byte[in.readableBytes()];
      in.readBytes(bytes);
      data = Buffer.buffer(bytes);
    } finally {
      in.release();
    }
    context.emit(data, handler);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    context.emit(null, endHandler);
    context.emit(null, closeHandler);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      context.emit(null, drainHandler);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    context.emit(cause, exceptionHandler);
    ctx.close();
  }

  // ---- the link ----

  @Override
  public Multiaddr localAddress() {
    return local;
  }

  @Override
  public Multiaddr remoteAddress() {
    return remote;
  }

  @Override
  public void handler(Handler<Buffer> h) {
    this.handler = h;
  }

  @Override
  public void endHandler(Handler<Void> h) {
    this.endHandler = h;
  }

  @Override
  public void closeHandler(Handler<Void> h) {
    this.closeHandler = h;
  }

  @Override
  public void exceptionHandler(Handler<Throwable> h) {
    this.exceptionHandler = h;
  }

  @Override
  public void drainHandler(Handler<Void> h) {
    this.drainHandler = h;
  }

  @Override
  public void write(Buffer data) {
    channel.writeAndFlush(((BufferInternal) data).getByteBuf(), channel.voidPromise());
  }

  @Override
  public boolean writeQueueFull() {
    return !channel.isWritable();
  }

  @Override
  public void pause() {
    channel.config().setAutoRead(false);
  }

  @Override
  public void resume() {
    channel.config().setAutoRead(true);
  }

  /** As a NetSocket's close: after what was written has gone out. */
  @Override
  public void close() {
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void closeNow() {
    channel.unsafe().close(channel.unsafe().voidPromise());
  }
}
