package io.tinyp2p.protocol.kad;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.kad.pb.KadProto;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.Exchange;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire side of Kademlia {@code /ipfs/kad/1.0.0}: length-prefixed {@code Message}
 * protobufs, one request and one response per exchange, several exchanges per stream
 * allowed. Decoding is strict and bounded: a peer entry with an invalid id is dropped, an
 * address we cannot parse is skipped, at most {@link #MAX_CLOSER_PEERS} peers are read.
 */
final class KadRpc {
  static final String PROTOCOL_ID = "/ipfs/kad/1.0.0";
  /** Largest message accepted (a FIND_NODE answer with 20 peers is a few KiB). */
  static final int MAX_MESSAGE_SIZE = 64 * 1024;
  /** Peers read from one answer; honest peers send k = 20. */
  static final int MAX_CLOSER_PEERS = 40;
  static final int MAX_ADDRS_PER_PEER = 16;

  /** An answer and the connection it came over (what the peers it names are judged by). */
  record Reply(KadProto.Message message, ConnectionInfo via) {}

  /** A peer in an answer. */
  record PeerEntry(PeerId peer, List<Multiaddr> addrs) {}

  private KadRpc() {}

  static KadProto.Message findNode(byte[] key) {
    return KadProto.Message.newBuilder()
        .setType(KadProto.Message.MessageType.FIND_NODE)
        .setKey(ByteString.copyFrom(key))
        .build();
  }

  static KadProto.Message getValue(byte[] key) {
    return keyed(KadProto.Message.MessageType.GET_VALUE, key).build();
  }

  static KadProto.Message getProviders(byte[] key) {
    return keyed(KadProto.Message.MessageType.GET_PROVIDERS, key).build();
  }

  /** PUT_VALUE: the record, its key also on the message (as the spec asks). */
  static KadProto.Message putValue(byte[] key, byte[] value) {
    return keyed(KadProto.Message.MessageType.PUT_VALUE, key).setRecord(KadProto.Record.newBuilder()
        .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))).build();
  }

  /** ADD_PROVIDER: we provide {@code key}, reachable at {@code addrs}. */
  static KadProto.Message addProvider(byte[] key, PeerId self, List<Multiaddr> addrs) {
    return keyed(KadProto.Message.MessageType.ADD_PROVIDER, key).addProviderPeers(encodePeer(self, addrs)).build();
  }

  private static KadProto.Message.Builder keyed(KadProto.Message.MessageType type, byte[] key) {
    return KadProto.Message.newBuilder().setType(type).setKey(ByteString.copyFrom(key));
  }

  static KadProto.Message.Peer encodePeer(PeerId peer, List<Multiaddr> addrs) {
    KadProto.Message.Peer.Builder b = KadProto.Message.Peer.newBuilder()
        .setId(ByteString.copyFrom(peer.toBytes()));
    for (Multiaddr a : addrs) {
      b.addAddrs(ByteString.copyFrom(a.toBytes()));
    }
    return b.build();
  }

  static List<PeerEntry> decodePeers(List<KadProto.Message.Peer> peers) {
    List<PeerEntry> out = new ArrayList<>();
    for (KadProto.Message.Peer p : peers) {
      if (out.size() >= MAX_CLOSER_PEERS) {
        break;
      }
      PeerId id;
      try {
        id = PeerId.fromBytes(p.getId().toByteArray());
      } catch (IllegalArgumentException e) {
        continue;
      }
      List<Multiaddr> addrs = new ArrayList<>();
      for (ByteString a : p.getAddrsList()) {
        if (addrs.size() >= MAX_ADDRS_PER_PEER) {
          break;
        }
        try {
          addrs.add(Multiaddr.fromBytes(a.toByteArray()));
        } catch (IllegalArgumentException e) {
          // a transport we do not speak
        }
      }
      out.add(new PeerEntry(id, addrs));
    }
    return out;
  }

  static KadProto.Message parse(Buffer bytes) throws SwarmException {
    try {
      return KadProto.Message.parseFrom(bytes.getBytes());
    } catch (InvalidProtocolBufferException e) {
      throw new SwarmException("malformed kad message: " + e.getMessage());
    }
  }

  /**
   * Sends one request on a new stream and completes with the answer; the stream is closed
   * either way, and reset if no answer comes within {@code timeout}.
   */
  static Future<Reply> request(Swarm swarm, PeerId peer, KadProto.Message request, Duration timeout, int maxAnswer) {
    return Exchange.outbound(swarm.vertx(), timeout, () -> new SwarmException("kad request to " + peer + " timed out"),
        swarm.dial(peer, false).compose(c -> c.openStream(List.of(PROTOCOL_ID))),
        stream -> Exchange.request(stream, swarm.vertx(), Buffer.buffer(request.toByteArray()), false,
                maxAnswer, timeout)
            .recover(e -> Future.failedFuture(new SwarmException("kad request to " + peer + ": " + e.getMessage())))
            .compose(answer -> {
              try {
                return Future.succeededFuture(new Reply(parse(answer), stream.connection()));
              } catch (SwarmException e) {
                return Future.failedFuture(e);
              }
            }));
  }

  /**
   * Sends one message that has no answer (ADD_PROVIDER) on a new stream and ends it; completes
   * once it is written, fails if that does not happen within {@code timeout}.
   */
  static Future<Void> send(Swarm swarm, PeerId peer, KadProto.Message message, Duration timeout) {
    return Exchange.outbound(swarm.vertx(), timeout, () -> new SwarmException("kad message to " + peer + " timed out"),
        swarm.dial(peer, false).compose(c -> c.openStream(List.of(PROTOCOL_ID))),
        stream -> {
          stream.write(io.tinyp2p.stream.LengthPrefixed.frame(message.toByteArray()));
          return stream.end();
        });
  }
}
