package io.tinyp2p.transport.tcp;

import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.transport.DelegatingLink;
import io.vertx.core.Handler;
import io.vertx.core.net.NetSocket;

/** A {@link io.tinyp2p.transport.RawLink} on a Vert.x TCP socket. */
final class SocketLink extends DelegatingLink {
  private final NetSocket stream;

  SocketLink(NetSocket socket) {
    super(socket, socket, Multiaddr.tcp(socket.localAddress().hostAddress(), socket.localAddress().port()),
        Multiaddr.tcp(socket.remoteAddress().hostAddress(), socket.remoteAddress().port()));
    this.stream = socket;
  }

  @Override
  public void closeHandler(Handler<Void> handler) {
    stream.closeHandler(handler);
  }

  @Override
  public void close() {
    stream.close();
  }

  /** Vert.x's close waits for pending writes to flush; the channel's own unsafe close does not. */
  @Override
  public void closeNow() {
    io.netty.channel.Channel channel = ((io.vertx.core.internal.net.NetSocketInternal) stream)
        .channelHandlerContext().channel();
    channel.unsafe().close(channel.unsafe().voidPromise());
  }
}
