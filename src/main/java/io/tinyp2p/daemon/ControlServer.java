package io.tinyp2p.daemon;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.daemon.pb.DaemonProto.ConnectRequest;
import io.tinyp2p.daemon.pb.DaemonProto.IdentifyResponse;
import io.tinyp2p.daemon.pb.DaemonProto.PeerInfo;
import io.tinyp2p.daemon.pb.DaemonProto.PeerstoreRequest;
import io.tinyp2p.daemon.pb.DaemonProto.PeerstoreResponse;
import io.tinyp2p.daemon.pb.DaemonProto.Request;
import io.tinyp2p.daemon.pb.DaemonProto.Response;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.node.Node;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.Swarm;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control socket: each connection carries one varint-length-prefixed
 * {@code Request} and gets its {@code Response}s back, as go-libp2p-daemon and
 * {@code @libp2p/daemon-server} serve them. A STREAM_OPEN connection then carries the stream's
 * bytes; a pubsub SUBSCRIBE one the topic's messages; the others end after their answer.
 *
 * <p>Bad input never reaches further than its own connection: a request that is not a
 * protobuf, longer than {@link #MAX_REQUEST}, incomplete after {@link #REQUEST_DEADLINE}, of an
 * unknown type or missing a field gets an ERROR response naming what is wrong, and the
 * connection is closed. The first such request is logged as a warning, later ones at debug.
 * At most {@link #MAX_CONNECTIONS} control connections are open at once.
 */
final class ControlServer {
  private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

  /** The longest request read, as {@code @libp2p/daemon-server}'s limit. */
  static final int MAX_REQUEST = 4 << 20;
  /** How long a request may take to arrive in full. */
  static final Duration REQUEST_DEADLINE = Duration.ofSeconds(10);
  /** Control connections open at once; more are closed at once. */
  static final int MAX_CONNECTIONS = 1024;
  /** How long a CONNECT or STREAM_OPEN may take when the request names no timeout. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private final Vertx vertx;
  private final Node node;
  private final Swarm swarm;
  private final StreamBridge streams;
  private final DhtRequests dht;
  private final PubsubRequests pubsub;
  private final Set<NetSocket> open = new LinkedHashSet<>();
  private NetServer server;
  private long badRequests;

  ControlServer(Vertx vertx, Node node, PubsubRequests pubsub) {
    this.vertx = vertx;
    this.node = node;
    this.swarm = node.swarm();
    this.streams = new StreamBridge(vertx, swarm);
    this.dht = new DhtRequests(node);
    this.pubsub = pubsub;
  }

  /** Listens on a TCP multiaddr; completes with the bound one (its port when 0 was asked). */
  Future<Multiaddr> listen(Multiaddr addr) {
    server = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true));
    server.connectHandler(this::accept);
    return server.listen(addr.tcpPort(), addr.host()).map(s -> Multiaddr.tcp(addr.host(), s.actualPort()));
  }

  Future<Void> close() {
    List<NetSocket> sockets = new ArrayList<>(open);
    sockets.forEach(NetSocket::close);
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** Forgets a control connection that closed (for those whose close handler is not ours). */
  void closed(NetSocket socket) {
    open.remove(socket);
  }

  private void accept(NetSocket socket) {
    if (open.size() >= MAX_CONNECTIONS) {
      socket.close();
      return;
    }
    open.add(socket);
    socket.closeHandler(v -> open.remove(socket)); // a joined stream or a subscription takes this over
    LengthPrefixed.readFirst(socket, vertx, MAX_REQUEST, REQUEST_DEADLINE).onComplete(ar -> {
      if (ar.failed()) {
        if (ar.cause() instanceof LengthPrefixed.FrameException e && e.kind() == LengthPrefixed.FrameException.Kind.ENDED) {
          socket.close(); // the client went away before asking anything
        } else {
          refuse(socket, ar.cause().getMessage());
        }
        return;
      }
      Request request;
      try {
        request = Request.parseFrom(ar.result().message().getBytes());
      } catch (InvalidProtocolBufferException e) {
        refuse(socket, "not a daemon Request protobuf: " + e.getMessage());
        return;
      }
      try {
        serve(socket, request, ar.result().rest());
      } catch (BadRequest e) {
        refuse(socket, e.getMessage());
      } catch (RuntimeException e) {
        LOG.warn("control request {} failed", request.getType(), e);
        reply(socket, error("internal error: " + e));
      }
    });
  }

  /** A request the daemon cannot act on; the message says why. */
  static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }

  private void serve(NetSocket socket, Request request, Buffer rest) {
    if (!request.hasType()) {
      throw new BadRequest("the request has no type");
    }
    switch (request.getType()) {
      case IDENTIFY -> reply(socket, ok().setIdentify(identify()).build());
      case CONNECT -> connect(socket, request.getConnect());
      case DISCONNECT -> {
        swarm.disconnect(peer(request.getDisconnect().getPeer(), "disconnect.peer"));
        reply(socket, ok().build());
      }
      case LIST_PEERS -> reply(socket, ok().addAllPeers(connectedPeers()).build());
      case STREAM_OPEN -> {
        if (!request.hasStreamOpen() || request.getStreamOpen().getProtoCount() == 0) {
          throw new BadRequest("STREAM_OPEN needs streamOpen with a peer and at least one protocol");
        }
        var req = request.getStreamOpen();
        streams.open(socket, rest, peer(req.getPeer(), "streamOpen.peer"), req.getProtoList(),
            timeout(req.hasTimeout() ? req.getTimeout() : 0), () -> closed(socket));
      }
      case STREAM_HANDLER -> {
        var handler = request.getStreamHandler();
        if (!request.hasStreamHandler() || handler.getProtoCount() == 0) {
          throw new BadRequest("STREAM_HANDLER needs streamHandler with an address and at least one protocol");
        }
        streams.register(address(handler.getAddr(), "streamHandler.addr"), handler.getProtoList());
        reply(socket, ok().build());
      }
      case DHT -> {
        if (!request.hasDht()) {
          throw new BadRequest("a DHT request needs its dht field");
        }
        dht.serve(socket, request.getDht(), this);
      }
      case PUBSUB -> {
        if (!request.hasPubsub()) {
          throw new BadRequest("a PUBSUB request needs its pubsub field");
        }
        if (pubsub == null) {
          reply(socket, error("pubsub is not enabled (start the daemon with -pubsub)"));
          return;
        }
        pubsub.serve(socket, request.getPubsub(), this);
      }
      case PEERSTORE -> peerStore(socket, request.getPeerStore());
      case CONNMANAGER -> reply(socket, error("CONNMANAGER is not supported: this node keeps no connection tags"));
      default -> throw new BadRequest("unknown request type " + request.getTypeValue());
    }
  }

  private IdentifyResponse identify() {
    IdentifyResponse.Builder id = IdentifyResponse.newBuilder().setId(ByteString.copyFrom(swarm.localPeer().toBytes()));
    for (Multiaddr a : swarm.listenAddresses()) {
      id.addAddrs(ByteString.copyFrom(a.withoutPeerId().toBytes()));
    }
    return id.build();
  }

  private void connect(NetSocket socket, ConnectRequest request) {
    PeerId peer = peer(request.getPeer(), "connect.peer");
    List<Multiaddr> addrs = new ArrayList<>();
    for (ByteString a : request.getAddrsList()) {
      addrs.add(address(a, "connect.addrs"));
    }
    if (!addrs.isEmpty()) {
      swarm.peerStore().addAddresses(peer, addrs.stream().map(Multiaddr::withoutPeerId).toList());
    }
    Duration timeout = timeout(request.hasTimeout() ? request.getTimeout() : 0);
    swarm.dial(peer).timeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .onComplete(ar -> reply(socket, ar.succeeded() ? ok().build()
            : error("cannot connect to " + peer + ": " + ar.cause().getMessage())));
  }

  private List<PeerInfo> connectedPeers() {
    List<PeerInfo> peers = new ArrayList<>();
    Set<PeerId> seen = new java.util.HashSet<>();
    for (Connection c : swarm.connections()) {
      if (seen.add(c.remotePeer())) {
        peers.add(peerInfo(c.remotePeer(), List.of(c.remoteAddress())));
      }
    }
    return peers;
  }

  private void peerStore(NetSocket socket, PeerstoreRequest request) {
    if (request.getType() != PeerstoreRequest.Type.GET_PROTOCOLS) {
      reply(socket, error("PEERSTORE " + request.getType() + " is not supported (GET_PROTOCOLS is)"));
      return;
    }
    PeerStore.PeerInfo info = swarm.peerStore().get(peer(request.getId(), "peerStore.id"));
    PeerstoreResponse.Builder protos = PeerstoreResponse.newBuilder();
    if (info != null) {
      protos.addAllProtos(info.protocols());
    }
    reply(socket, ok().setPeerStore(protos).build());
  }

  // ---- helpers shared by the request kinds ----

  static Response.Builder ok() {
    return Response.newBuilder().setType(Response.Type.OK);
  }

  static Response error(String message) {
    return Response.newBuilder().setType(Response.Type.ERROR)
        .setError(io.tinyp2p.daemon.pb.DaemonProto.ErrorResponse.newBuilder().setMsg(message)).build();
  }

  static PeerInfo peerInfo(PeerId peer, List<Multiaddr> addrs) {
    PeerInfo.Builder info = PeerInfo.newBuilder().setId(ByteString.copyFrom(peer.toBytes()));
    addrs.forEach(a -> info.addAddrs(ByteString.copyFrom(a.withoutPeerId().toBytes())));
    return info.build();
  }

  /** Writes one framed message; the connection stays open. */
  static void send(NetSocket socket, com.google.protobuf.MessageLite message) {
    socket.write(LengthPrefixed.frame(message.toByteArray()));
  }

  /** Writes the answer and closes the connection. */
  static void reply(NetSocket socket, Response response) {
    send(socket, response);
    socket.close();
  }

  /** Answers a bad request with an ERROR response naming what is wrong, and closes. */
  void refuse(NetSocket socket, String why) {
    badRequests++;
    if (badRequests == 1) {
      LOG.warn("control socket: refused a request from {}: {} (later ones are logged at debug)",
          socket.remoteAddress(), why);
    } else {
      LOG.debug("control socket: refused a request from {}: {}", socket.remoteAddress(), why);
    }
    reply(socket, error(why));
  }

  static PeerId peer(ByteString bytes, String field) {
    if (bytes.isEmpty()) {
      throw new BadRequest(field + " is missing");
    }
    try {
      return PeerId.fromBytes(bytes.toByteArray());
    } catch (IllegalArgumentException e) {
      throw new BadRequest(field + " is not a peer id: " + e.getMessage());
    }
  }

  static Multiaddr address(ByteString bytes, String field) {
    try {
      return Multiaddr.fromBytes(bytes.toByteArray());
    } catch (IllegalArgumentException e) {
      throw new BadRequest(field + " is not a multiaddr: " + e.getMessage());
    }
  }

  /** A request's timeout in seconds (as p2pd reads it), or the default when it names none. */
  static Duration timeout(long seconds) {
    if (seconds < 0) {
      throw new BadRequest("timeout must not be negative, got " + seconds);
    }
    return seconds == 0 ? DEFAULT_TIMEOUT : Duration.ofSeconds(Math.min(seconds, 3600));
  }
}
