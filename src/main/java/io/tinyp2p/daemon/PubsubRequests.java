package io.tinyp2p.daemon;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.daemon.pb.DaemonProto.PSMessage;
import io.tinyp2p.daemon.pb.DaemonProto.PSRequest;
import io.tinyp2p.daemon.pb.DaemonProto.PSResponse;
import io.tinyp2p.protocol.gossipsub.Gossipsub;
import io.vertx.core.net.NetSocket;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The daemon's PUBSUB requests. A SUBSCRIBE connection stays open and carries each message of
 * the topic as a varint-length-prefixed PSMessage; the topic stays subscribed while one such
 * connection is open. A subscriber that does not read falls behind by at most its socket's
 * write queue: messages that find it full are dropped for that subscriber.
 */
final class PubsubRequests {
  /** Bytes a subscriber's socket may hold unread before its messages are dropped. */
  static final int SUBSCRIBER_QUEUE = 4 << 20;

  private Gossipsub gossipsub;
  private final Map<String, Set<NetSocket>> subscribers = new HashMap<>();

  /** Binds to the node's pubsub (built after this, as it delivers here). */
  void attach(Gossipsub gossipsub) {
    this.gossipsub = gossipsub;
  }

  /** A message of a subscribed topic, for each of the topic's subscriber connections. */
  void deliver(String topic, PeerId from, byte[] id, byte[] data) {
    Set<NetSocket> sockets = subscribers.get(topic);
    if (sockets == null) {
      return;
    }
    PSMessage.Builder message = PSMessage.newBuilder().setData(ByteString.copyFrom(data)).addTopicIDs(topic);
    if (from != null) {
      message.setFrom(ByteString.copyFrom(from.toBytes()));
    }
    PSMessage built = message.build();
    for (NetSocket socket : sockets) {
      if (!socket.writeQueueFull()) { // a subscriber that does not read loses messages, nobody waits for it
        ControlServer.send(socket, built);
      }
    }
  }

  void serve(NetSocket socket, PSRequest request, ControlServer server) {
    String topic = request.getTopic();
    switch (request.getType()) {
      case GET_TOPICS -> ControlServer.reply(socket, ControlServer.ok()
          .setPubsub(PSResponse.newBuilder().addAllTopics(gossipsub.router().topics())).build());
      case LIST_PEERS -> {
        PSResponse.Builder peers = PSResponse.newBuilder().addTopics(topic(request));
        for (PeerId peer : gossipsub.router().topicPeers(topic)) {
          peers.addPeerIDs(ByteString.copyFrom(peer.toBytes()));
        }
        ControlServer.reply(socket, ControlServer.ok().setPubsub(peers).build());
      }
      case PUBLISH -> {
        if (!request.hasData()) {
          throw new ControlServer.BadRequest("PUBLISH needs data");
        }
        try {
          gossipsub.publish(topic(request), request.getData().toByteArray());
        } catch (IllegalArgumentException | IllegalStateException e) {
          ControlServer.reply(socket, ControlServer.error("cannot publish to " + topic + ": " + e.getMessage()));
          return;
        }
        ControlServer.reply(socket, ControlServer.ok().build());
      }
      case SUBSCRIBE -> subscribe(socket, topic(request), server);
      default -> throw new ControlServer.BadRequest("unknown pubsub request type " + request.getTypeValue());
    }
  }

  private static String topic(PSRequest request) {
    if (!request.hasTopic() || request.getTopic().isEmpty()) {
      throw new ControlServer.BadRequest("a pubsub " + request.getType() + " request needs a topic");
    }
    return request.getTopic();
  }

  private void subscribe(NetSocket socket, String topic, ControlServer server) {
    Set<NetSocket> sockets = subscribers.computeIfAbsent(topic, t -> new LinkedHashSet<>());
    if (sockets.isEmpty()) {
      gossipsub.subscribe(topic);
    }
    sockets.add(socket);
    socket.setWriteQueueMaxSize(SUBSCRIBER_QUEUE);
    socket.closeHandler(v -> {
      server.closed(socket);
      sockets.remove(socket);
      if (sockets.isEmpty()) {
        subscribers.remove(topic);
        gossipsub.unsubscribe(topic);
      }
    });
    socket.handler(ignored -> { }); // the client says nothing more; its close ends the subscription
    socket.resume();
    ControlServer.send(socket, ControlServer.ok().build());
  }

}
