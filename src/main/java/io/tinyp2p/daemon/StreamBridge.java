package io.tinyp2p.daemon;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.daemon.pb.DaemonProto.StreamInfo;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins libp2p streams to the daemon's clients. STREAM_OPEN: the daemon opens the stream,
 * answers OK with its StreamInfo, and from then on the control connection carries the stream's
 * bytes both ways. STREAM_HANDLER: for each inbound stream of the registered protocols the
 * daemon connects to the client's address, sends the StreamInfo (varint-length-prefixed), and
 * then joins the two the same way.
 *
 * <p>Joined, each side's end ends the other's writing, a reset stream closes the socket, a
 * closed socket resets a stream still open; each direction is flow-controlled by the other's
 * write queue (Vert.x pipes).
 */
final class StreamBridge {
  private static final Logger LOG = LoggerFactory.getLogger(StreamBridge.class);
  /** How long the client's stream handler may take to accept the daemon's connection. */
  static final Duration HANDLER_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final Swarm swarm;
  private final NetClient client;

  StreamBridge(Vertx vertx, Swarm swarm) {
    this.swarm = swarm;
    this.client = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) HANDLER_CONNECT_TIMEOUT.toMillis()).setTcpNoDelay(true));
  }

  /** STREAM_OPEN: opens the stream, answers with its info, then joins it to the control connection. */
  void open(NetSocket socket, Buffer rest, PeerId peer, List<String> protocols, Duration timeout, Runnable closed) {
    swarm.dial(peer).compose(c -> c.openStream(protocols))
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .onComplete(ar -> {
          if (ar.failed()) {
            ControlServer.reply(socket, ControlServer.error("cannot open a stream to " + peer + " for " + protocols
                + ": " + ar.cause().getMessage()));
            return;
          }
          P2pStream stream = ar.result();
          ControlServer.send(socket, ControlServer.ok().setStreamInfo(info(stream)).build());
          join(socket, rest, stream, closed);
        });
  }

  /**
   * STREAM_HANDLER: inbound streams of {@code protocols} go to the client listening on {@code addr}
   * (a registration for the same protocol replaces the earlier one).
   */
  void register(Multiaddr addr, List<String> protocols) {
    if (!addr.isTcp()) {
      throw new ControlServer.BadRequest("streamHandler.addr " + addr + " is not a TCP address"
          + " (unix sockets are not supported)");
    }
    swarm.handle(ProtocolSpec.of(protocols.toArray(String[]::new)), stream -> {
      stream.pause();
      client.connect(addr.tcpPort(), addr.host()).onComplete(ar -> {
        if (ar.failed()) {
          LOG.info("stream handler at {} for {} unreachable: {}; resetting the stream from {}", addr,
              stream.protocol(), ar.cause().getMessage(), stream.remotePeer());
          stream.reset();
          return;
        }
        NetSocket socket = ar.result();
        ControlServer.send(socket, info(stream));
        join(socket, Buffer.buffer(), stream, () -> { });
      });
    });
  }

  private StreamInfo info(P2pStream stream) {
    return StreamInfo.newBuilder()
        .setPeer(ByteString.copyFrom(stream.remotePeer().toBytes()))
        .setAddr(ByteString.copyFrom(stream.connection().remoteAddress().withoutPeerId().toBytes()))
        .setProto(stream.protocol())
        .build();
  }

  /**
   * Joins a socket and a stream; {@code rest} is what the socket already carried for the stream,
   * {@code closed} runs when the socket closes. The socket's end (the client's FIN: Vert.x then
   * closes the socket, it keeps no half-open TCP) ends the stream's writing; a socket that closed
   * without one resets the stream.
   */
  static void join(NetSocket socket, Buffer rest, P2pStream stream, Runnable closed) {
    if (rest.length() > 0) {
      stream.write(rest);
    }
    boolean[] ended = {false};
    boolean[] over = {false};
    stream.closeHandler(v -> {
      over[0] = true;
      socket.close();
    });
    socket.handler(data -> {
      stream.write(data);
      if (stream.writeQueueFull()) {
        socket.pause();
        stream.drainHandler(v -> socket.resume());
      }
    });
    socket.endHandler(v -> {
      ended[0] = true;
      if (!over[0]) {
        stream.end();
      }
    });
    socket.closeHandler(v -> {
      closed.run();
      if (!ended[0] && !over[0]) {
        stream.reset();
      }
    });
    stream.pipeTo(socket);
    socket.resume();
  }
}
