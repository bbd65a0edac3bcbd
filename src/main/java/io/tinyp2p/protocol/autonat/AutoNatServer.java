package io.tinyp2p.protocol.autonat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.autonat.pb.AutoNatProto.Message;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.Swarm;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AutoNAT v1 server: reads one DIAL request, dials the requester back on the addresses it
 * names whose IP is the one its connection comes from (never any other: the spec's defence
 * against using us to flood a third party), and answers OK with the address that worked,
 * E_DIAL_ERROR when none did, E_DIAL_REFUSED when none may be dialed (or the requester is over
 * its rate limit), E_BAD_REQUEST for a request without a DIAL or naming another peer. A dial
 * back is a new connection, closed once it is up; it has {@code dialTimeout} in all. A stream
 * that carries garbage is reset, logged once.
 */
final class AutoNatServer {
  private static final Logger LOG = LoggerFactory.getLogger(AutoNatServer.class);
  /** Addresses of one request dialed at most. */
  static final int MAX_DIALS = 4;

  private final Swarm swarm;
  private final AutoNatConfig config;
  private final RateLimiter limiter;
  private final Map<String, Long> counters = new LinkedHashMap<>();

  AutoNatServer(Swarm swarm, AutoNatConfig config, LongSupplier clock) {
    this.swarm = swarm;
    this.config = config;
    this.limiter = new RateLimiter(config.perPeerLimit(), config.globalLimit(), config.limitWindow().toMillis(), clock);
    for (String key : List.of("ok", "dialError", "dialRefused", "badRequest", "internalError", "dialBacks")) {
      counters.put(key, 0L);
    }
  }

  /** Answers so far by status, and {@code dialBacks}: the addresses dialed. */
  Map<String, Long> counters() {
    return java.util.Collections.unmodifiableMap(counters);
  }

  void onStream(P2pStream stream) {
    LengthPrefixed.readOne(stream, swarm.vertx(), AutoNat.MAX_MESSAGE_SIZE, AutoNat.READ_DEADLINE).onComplete(ar -> {
      if (ar.failed()) {
        if (ar.cause() instanceof LengthPrefixed.FrameException e) {
          swarm.streamReadFailed(stream, AutoNat.PROTOCOL_ID, e);
        }
        stream.reset();
        return;
      }
      Message request;
      try {
        request = Message.parseFrom(ar.result().getBytes());
      } catch (InvalidProtocolBufferException e) {
        swarm.peerLog().info(LOG, stream.remotePeer(), "autonat from {}: malformed message: {}", stream.remotePeer(),
            e.getMessage());
        stream.reset();
        return;
      }
      Future<Message> answer;
      try {
        answer = answer(stream.connection(), request);
      } catch (RuntimeException e) {
        LOG.warn("autonat request from {} failed", stream.remotePeer(), e);
        answer = Future.succeededFuture(response(Message.ResponseStatus.E_INTERNAL_ERROR, "internal error", null));
      }
      answer.onComplete(res -> {
        Message m = res.succeeded() ? res.result()
            : response(Message.ResponseStatus.E_INTERNAL_ERROR, "internal error", null);
        count(m.getDialResponse().getStatus());
        stream.write(LengthPrefixed.frame(m.toByteArray()));
        stream.end();
      });
    });
  }

  private void count(Message.ResponseStatus status) {
    String key = switch (status) {
      case OK -> "ok";
      case E_DIAL_ERROR -> "dialError";
      case E_DIAL_REFUSED -> "dialRefused";
      case E_BAD_REQUEST -> "badRequest";
      case E_INTERNAL_ERROR -> "internalError";
    };
    counters.merge(key, 1L, Long::sum);
  }

  static Message response(Message.ResponseStatus status, String text, Multiaddr addr) {
    Message.DialResponse.Builder r = Message.DialResponse.newBuilder().setStatus(status).setStatusText(text);
    if (addr != null) {
      r.setAddr(ByteString.copyFrom(addr.toBytes()));
    }
    return Message.newBuilder().setType(Message.MessageType.DIAL_RESPONSE).setDialResponse(r).build();
  }

  private Future<Message> answer(ConnectionInfo connection, Message request) {
    if (request.getType() != Message.MessageType.DIAL || !request.hasDial() || !request.getDial().hasPeer()) {
      return refuse(Message.ResponseStatus.E_BAD_REQUEST, "expected a DIAL message with peer info");
    }
    Message.PeerInfo peer = request.getDial().getPeer();
    PeerId requester = connection.remotePeer();
    if (peer.hasId()) {
      PeerId named;
      try {
        named = PeerId.fromBytes(peer.getId().toByteArray());
      } catch (IllegalArgumentException e) {
        return refuse(Message.ResponseStatus.E_BAD_REQUEST, "bad peer id");
      }
      if (!named.equals(requester)) {
        return refuse(Message.ResponseStatus.E_BAD_REQUEST, "the peer id is not the requester's");
      }
    }
    String ip = connection.remoteAddress().host();
    if (ip == null || connection.remoteAddress().toString().contains("/p2p-circuit")) {
      return refuse(Message.ResponseStatus.E_DIAL_REFUSED, "no dial back over a relayed connection");
    }
    List<Multiaddr> dialable = sameIp(peer.getAddrsList(), ip, requester);
    if (dialable.isEmpty()) {
      return refuse(Message.ResponseStatus.E_DIAL_REFUSED, "no dialable address on the IP you connect from (" + ip + ")");
    }
    if (!limiter.tryTake(requester)) {
      return refuse(Message.ResponseStatus.E_DIAL_REFUSED, "too many dial requests, try later");
    }
    return dialBack(requester, dialable, 0, "no address");
  }

  private static Future<Message> refuse(Message.ResponseStatus status, String text) {
    return Future.succeededFuture(response(status, text, null));
  }

  /** The addresses of the request that are the requester's own IP, on a transport we dial, without a peer id. */
  private List<Multiaddr> sameIp(List<ByteString> addrs, String ip, PeerId requester) {
    List<Multiaddr> out = new ArrayList<>();
    for (ByteString bytes : addrs) {
      Multiaddr named;
      try {
        named = Multiaddr.fromBytes(bytes.toByteArray());
      } catch (IllegalArgumentException e) {
        continue; // a transport we do not speak
      }
      if (named.peerId() != null && !named.peerId().equals(requester)) {
        continue;
      }
      Multiaddr a = named.withoutPeerId();
      boolean port = a.isTcp() ? a.tcpPort() > 0 : a.isQuic() && a.udpPort() > 0;
      if (port && ip.equals(a.host()) && !a.isUnspecified() && swarm.addressPolicy().dialable(a)
          && swarm.transports().stream().anyMatch(t -> t.canDial(a)) && !out.contains(a) && out.size() < MAX_DIALS) {
        out.add(a);
      }
    }
    return out;
  }

  /** Dials {@code addrs[index..]} one after the other until one reaches {@code requester}. */
  private Future<Message> dialBack(PeerId requester, List<Multiaddr> addrs, int index, String lastError) {
    if (index >= addrs.size()) {
      return Future.succeededFuture(response(Message.ResponseStatus.E_DIAL_ERROR, "dial back failed: " + lastError, null));
    }
    Multiaddr addr = addrs.get(index);
    counters.merge("dialBacks", 1L, Long::sum);
    return dialOnce(addr).transform(ar -> {
      if (ar.succeeded()) {
        Connection c = ar.result();
        PeerId answered = c.remotePeer();
        c.close();
        if (requester.equals(answered)) {
          return Future.succeededFuture(response(Message.ResponseStatus.OK, "dialed back", addr));
        }
        return dialBack(requester, addrs, index + 1, "another peer (" + answered + ") answered at " + addr);
      }
      return dialBack(requester, addrs, index + 1, ar.cause().getMessage());
    });
  }

  /** A new connection to {@code addr} within the dial timeout; one that comes up after it is closed. */
  private Future<Connection> dialOnce(Multiaddr addr) {
    Promise<Connection> promise = Promise.promise();
    long timer = swarm.vertx().setTimer(Math.max(1, config.dialTimeout().toMillis()),
        t -> promise.tryFail("no connection within " + config.dialTimeout().toMillis() + " ms"));
    swarm.dial(addr).onComplete(ar -> {
      swarm.vertx().cancelTimer(timer);
      if (ar.succeeded() && !promise.tryComplete(ar.result())) {
        ar.result().close();
      } else if (ar.failed()) {
        promise.tryFail(ar.cause());
      }
    });
    return promise.future();
  }
}
