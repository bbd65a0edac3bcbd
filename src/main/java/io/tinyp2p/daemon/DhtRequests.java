package io.tinyp2p.daemon;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.daemon.pb.DaemonProto.DHTRequest;
import io.tinyp2p.daemon.pb.DaemonProto.DHTResponse;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.node.Node;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.protocol.kad.Kademlia;
import io.tinyp2p.util.Varint;
import io.vertx.core.Future;
import io.vertx.core.net.NetSocket;
import java.util.Arrays;
import java.util.List;

/**
 * The daemon's DHT requests on the node's Kademlia. Single answers are one Response; the
 * streamed ones (FIND_PROVIDERS, GET_CLOSEST_PEERS, SEARCH_VALUE) are a Response with a BEGIN,
 * then one DHTResponse per VALUE and a DHTResponse END, as p2pd streams them. Content keys
 * arrive as CIDs: the DHT key is the CID's multihash (as go and js use it).
 */
final class DhtRequests {
  /** Providers a FIND_PROVIDERS without a count looks for, as go and js default. */
  static final int DEFAULT_PROVIDERS = 20;

  private final Node node;
  private final Kademlia kad;

  DhtRequests(Node node) {
    this.node = node;
    this.kad = node.kademlia();
  }

  void serve(NetSocket socket, DHTRequest request, ControlServer server) {
    if (kad == null) {
      ControlServer.reply(socket, ControlServer.error("the DHT is not enabled (start the daemon with -dht)"));
      return;
    }
    switch (request.getType()) {
      case FIND_PEER -> findPeer(socket, ControlServer.peer(request.getPeer(), "dht.peer"));
      case FIND_PROVIDERS -> {
        int count = request.hasCount() && request.getCount() > 0 ? request.getCount() : DEFAULT_PROVIDERS;
        streamed(socket, kad.findProviders(multihashOfCid(request), count).map(found -> found.stream()
            .map(p -> DHTResponse.newBuilder().setType(DHTResponse.Type.VALUE)
                .setPeer(ControlServer.peerInfo(p.peer(), p.addrs())).build()).toList()));
      }
      case GET_CLOSEST_PEERS -> streamed(socket, kad.lookup(key(request)).map(peers -> peers.stream()
          .map(p -> DHTResponse.newBuilder().setType(DHTResponse.Type.VALUE)
              .setValue(ByteString.copyFrom(p.toBytes())).build()).toList()));
      case GET_PUBLIC_KEY -> publicKey(socket, ControlServer.peer(request.getPeer(), "dht.peer"));
      case GET_VALUE -> answer(socket, kad.getValue(key(request)).map(value -> DHTResponse.newBuilder()
          .setType(DHTResponse.Type.VALUE).setValue(ByteString.copyFrom(value)).build()));
      case SEARCH_VALUE -> streamed(socket, kad.getValue(key(request)).map(value -> List.of(DHTResponse.newBuilder()
          .setType(DHTResponse.Type.VALUE).setValue(ByteString.copyFrom(value)).build())));
      case PUT_VALUE -> {
        if (!request.hasValue()) {
          throw new ControlServer.BadRequest("PUT_VALUE needs a value");
        }
        answer(socket, kad.putValue(key(request), request.getValue().toByteArray()).map(n -> null));
      }
      case PROVIDE -> answer(socket, kad.provide(multihashOfCid(request)).map(n -> null));
      case FIND_PEERS_CONNECTED_TO_PEER -> ControlServer.reply(socket,
          ControlServer.error("FIND_PEERS_CONNECTED_TO_PEER is not supported (go-libp2p-daemon dropped it too)"));
      default -> throw new ControlServer.BadRequest("unknown DHT request type " + request.getTypeValue());
    }
  }

  /** A connected or known peer's addresses at once (as go's FindPeer), else a Kademlia lookup. */
  private void findPeer(NetSocket socket, PeerId peer) {
    List<Multiaddr> known = node.swarm().peerStore().addresses(peer);
    Future<List<Multiaddr>> found = !known.isEmpty() && node.swarm().isConnected(peer)
        ? Future.succeededFuture(known) : kad.findPeer(peer);
    found.onComplete(ar -> {
      if (ar.failed() || ar.result().isEmpty()) {
        ControlServer.reply(socket, ControlServer.error("peer " + peer + " not found"
            + (ar.failed() ? ": " + ar.cause().getMessage() : "")));
        return;
      }
      ControlServer.reply(socket, ControlServer.ok().setDht(DHTResponse.newBuilder().setType(DHTResponse.Type.VALUE)
          .setPeer(ControlServer.peerInfo(peer, ar.result()))).build());
    });
  }

  private void publicKey(NetSocket socket, PeerId peer) {
    io.tinyp2p.crypto.PublicKey key = peer.publicKey();
    if (key == null) {
      PeerStore.PeerInfo info = node.swarm().peerStore().get(peer);
      key = info == null ? null : info.publicKey();
    }
    if (key == null) {
      ControlServer.reply(socket, ControlServer.error("no public key known for " + peer));
      return;
    }
    ControlServer.reply(socket, ControlServer.ok().setDht(DHTResponse.newBuilder().setType(DHTResponse.Type.VALUE)
        .setValue(ByteString.copyFrom(key.marshal()))).build());
  }

  private static void answer(NetSocket socket, Future<DHTResponse> result) {
    result.onComplete(ar -> ControlServer.reply(socket, ar.succeeded()
        ? (ar.result() == null ? ControlServer.ok().build() : ControlServer.ok().setDht(ar.result()).build())
        : ControlServer.error(ar.cause().getMessage())));
  }

  private static void streamed(NetSocket socket, Future<List<DHTResponse>> result) {
    result.onComplete(ar -> {
      if (ar.failed()) {
        ControlServer.reply(socket, ControlServer.error(ar.cause().getMessage()));
        return;
      }
      ControlServer.send(socket, ControlServer.ok().setDht(DHTResponse.newBuilder().setType(DHTResponse.Type.BEGIN))
          .build());
      ar.result().forEach(value -> ControlServer.send(socket, value));
      ControlServer.send(socket, DHTResponse.newBuilder().setType(DHTResponse.Type.END).build());
      socket.close();
    });
  }

  private static byte[] key(DHTRequest request) {
    if (!request.hasKey() || request.getKey().isEmpty()) {
      throw new ControlServer.BadRequest("a DHT " + request.getType() + " request needs a key");
    }
    return request.getKey().toByteArray();
  }

  /** The multihash a CID names: a CIDv0 is one; a CIDv1 is its version and codec, then it. */
  static byte[] multihashOfCid(DHTRequest request) {
    if (!request.hasCid() || request.getCid().isEmpty()) {
      throw new ControlServer.BadRequest("a DHT " + request.getType() + " request needs a cid");
    }
    byte[] cid = request.getCid().toByteArray();
    if (cid.length == 34 && cid[0] == 0x12 && cid[1] == 32) {
      return cid; // CIDv0: a sha2-256 multihash
    }
    try {
      long version = Varint.decode(cid, 0, cid.length);
      if (version == Varint.NEED_MORE) {
        throw new ControlServer.BadRequest("dht.cid is truncated");
      }
      if (version != 1) {
        throw new ControlServer.BadRequest("dht.cid: CID version " + version + " is not supported (0 and 1 are)");
      }
      int at = Varint.encodedLength(version);
      long codec = Varint.decode(cid, at, cid.length);
      if (codec == Varint.NEED_MORE) {
        throw new ControlServer.BadRequest("dht.cid is truncated");
      }
      at += Varint.encodedLength(codec);
      byte[] multihash = Arrays.copyOfRange(cid, at, cid.length);
      long hash = Varint.decode(multihash, 0, multihash.length);
      int hashLen = Varint.encodedLength(hash);
      long digest = hash == Varint.NEED_MORE ? Varint.NEED_MORE : Varint.decode(multihash, hashLen, multihash.length);
      if (digest == Varint.NEED_MORE || hashLen + Varint.encodedLength(digest) + digest != multihash.length) {
        throw new ControlServer.BadRequest("dht.cid does not end in a whole multihash");
      }
      return multihash;
    } catch (Varint.VarintException e) {
      throw new ControlServer.BadRequest("dht.cid is not a CID: " + e.getMessage());
    }
  }
}
