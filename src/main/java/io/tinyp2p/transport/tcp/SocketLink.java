package io.tinyp2p.transport.tcp;

import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.transport.RawLink;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/** A {@link RawLink} on a Vert.x TCP socket. */
final class SocketLink implements RawLink {
  private final NetSocket socket;
  private final Multiaddr local;
  private final Multiaddr remote;

  SocketLink(NetSocket socket) {
    this.socket = socket;
    this.remote = Multiaddr.tcp(socket.remoteAddress().hostAddress(), socket.remoteAddress().port());
    this.local = Multiaddr.tcp(socket.localAddress().hostAddress(), socket.localAddress().port());
  }

  @Override
  public Multiaddr localAddress() {
    return local;
  }

  @Override
  public Multiaddr remoteAddress() {
    return remote;
  }

  @Override
  public void handler(Handler<Buffer> handler) {
    socket.handler(handler);
  }

  @Override
  public void endHandler(Handler<Void> handler) {
    socket.endHandler(handler);
  }

  @Override
  public void closeHandler(Handler<Void> handler) {
    socket.closeHandler(handler);
  }

  @Override
  public void exceptionHandler(Handler<Throwable> handler) {
    socket.exceptionHandler(handler);
  }

  @Override
  public void drainHandler(Handler<Void> handler) {
    socket.drainHandler(handler);
  }

  @Override
  public void write(Buffer data) {
    socket.write(data);
  }

  @Override
  public boolean writeQueueFull() {
    return socket.writeQueueFull();
  }

  @Override
  public void pause() {
    socket.pause();
  }

  @Override
  public void resume() {
    socket.resume();
  }

  @Override
  public void close() {
    socket.close();
  }

  /** Vert.x's close waits for pending writes to flush; the channel's own unsafe close does not. */
  @Override
  public void closeNow() {
    io.netty.channel.Channel channel = ((io.vertx.core.internal.net.NetSocketInternal) socket)
        .channelHandlerContext().channel();
    channel.unsafe().close(channel.unsafe().voidPromise());
  }
}
