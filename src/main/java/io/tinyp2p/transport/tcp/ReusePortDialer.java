package io.tinyp2p.transport.tcp;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.tinyp2p.multiaddr.AddressClass;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

/**
 * TCP dials that leave from a listener's port: a Netty channel on the Vert.x event loop with
 * SO_REUSEPORT, bound to the listener's address before it connects (which a Vert.x NetClient
 * cannot do), wrapped in a {@link ChannelLink}. Linux's epoll transport only: SO_REUSEPORT must be
 * on the listening socket too, and Vert.x sets it there only on its native transports.
 */
final class ReusePortDialer {
  /** As a Vert.x socket's write queue: unwritable past 64 KiB, writable again below 32 KiB. */
  private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

  private ReusePortDialer() {
  }

  /** Whether {@code vertx} runs on the epoll transport, where listeners and dials can share ports. */
  static boolean available(Vertx vertx) {
    return vertx.isNativeTransportEnabled() && Epoll.isAvailable()
        && ((VertxInternal) vertx).transport().getClass().getSimpleName().startsWith("Epoll");
  }

  /**
   * Why {@code host:port} cannot be listened on, or null when it is free. With SO_REUSEPORT a
   * second listener on a port would share it (the kernel splitting connections between the two)
   * instead of failing, so the port is first bound without it.
   */
  static String taken(String host, int port) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress(host, port));
      return null;
    } catch (java.io.IOException e) {
      return e.getMessage() == null ? "the port is taken" : e.getMessage();
    }
  }

  /**
   * The listener address a dial to {@code remote} should leave from: one of the same IP family
   * whose host can reach it (a loopback listener only for loopback peers); null when none.
   */
  static InetSocketAddress localFor(List<InetSocketAddress> listeners, Multiaddr remote) {
    InetAddress ip = AddressClass.literal(remote.host());
    if (ip == null) {
      return null; // a name: its family is not known before it resolves
    }
    for (InetSocketAddress l : listeners) {
      InetAddress lip = l.getAddress();
      if (lip == null || (lip instanceof java.net.Inet6Address) != (ip instanceof java.net.Inet6Address)) {
        continue;
      }
      if (lip.isLoopbackAddress() && !ip.isLoopbackAddress()) {
        continue;
      }
      return l;
    }
    return null;
  }

  /** Connects from {@code local} to {@code remote}; completes on {@code context}. */
  static Future<ChannelLink> connect(Context context, InetSocketAddress local, Multiaddr remote, Duration timeout) {
    ContextInternal ctx = (ContextInternal) context;
    ChannelLink link = new ChannelLink(ctx);
    Promise<ChannelLink> promise = Promise.promise();
    ChannelFuture connecting = new Bootstrap()
        .group(ctx.nettyEventLoop())
        .channelFactory(() -> reusingPort(ctx.owner().transport().channelFactory(false).newChannel()))
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
        .handler(link)
        .connect(new InetSocketAddress(remote.host(), remote.tcpPort()), local);
    connecting.addListener((ChannelFuture f) -> ctx.emit(f, done -> {
      if (done.isSuccess()) {
        link.connected(done.channel());
        promise.complete(link);
      } else {
        promise.fail(done.cause());
      }
    }));
    return promise.future();
  }

  /** Sets SO_REUSEPORT on a new epoll socket (Netty's epoll client channels take it as no channel option). */
  private static io.netty.channel.Channel reusingPort(io.netty.channel.Channel channel) {
    try {
      ((io.netty.channel.unix.Socket) ((io.netty.channel.unix.UnixChannel) channel).fd()).setReusePort(true);
    } catch (java.io.IOException | ClassCastException e) {
      channel.unsafe().closeForcibly();
      throw new io.netty.channel.ChannelException("cannot set SO_REUSEPORT: " + e.getMessage(), e);
    }
    return channel;
  }

  /**
   * Whether a dial failed because its address pair is in use: a connection between our port and
   * that ip:port is open or in TIME_WAIT, or the port cannot be bound.
   */
  static boolean tupleTaken(Throwable e) {
    if (e instanceof java.net.BindException) {
      return true;
    }
    String m = String.valueOf(e.getMessage());
    return m.contains("Cannot assign requested address") || m.contains("Address already in use");
  }
}
