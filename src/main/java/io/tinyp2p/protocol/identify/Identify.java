package io.tinyp2p.protocol.identify;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.PublicKey;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.identify.pb.IdentifyProto;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.Exchange;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.swarm.SwarmException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Identify {@code /ipfs/id/1.0.0} and {@code /ipfs/id/push/1.0.0}. On every new connection we
 * ask the peer who it is (public key, listen addresses, protocols, agent, the address it sees
 * us at); the answer goes to the peer store and out as a {@link PeerIdentified}.
 * When our listen addresses change we push our record to every connected peer that speaks
 * push.
 */
public final class Identify {
  private static final Logger LOG = LoggerFactory.getLogger(Identify.class);

  public static final String PROTOCOL_ID = "/ipfs/id/1.0.0";
  public static final String PUSH_PROTOCOL_ID = "/ipfs/id/push/1.0.0";
  /** Identify streams are background traffic (they keep no connection alive); 16 open at once per connection. */
  public static final ProtocolSpec SPEC = ProtocolSpec.of(PROTOCOL_ID).maxInboundPerConnection(16).background();
  public static final ProtocolSpec PUSH_SPEC = ProtocolSpec.of(PUSH_PROTOCOL_ID).maxInboundPerConnection(16).background();
  public static final String PROTOCOL_VERSION = "ipfs/0.1.0";
  /** Largest identify message accepted. */
  public static final int MAX_MESSAGE_SIZE = 64 * 1024;
  /** How long an identify message may take from its first byte. */
  static final java.time.Duration READ_DEADLINE = java.time.Duration.ofSeconds(10);

  private final Swarm swarm;

  public Identify(Swarm swarm) {
    this.swarm = swarm;
    swarm.handle(SPEC, this::onRequest);
    swarm.handle(PUSH_SPEC, this::onPush);
    swarm.on(SwarmEvent.ConnectionOpened.class, e -> identify(e.connection()));
    swarm.on(SwarmEvent.ListenAddressesChanged.class, e -> pushToAll());
  }

  /** Our identify record, as the peer on {@code connection} should see it. */
  private IdentifyProto.Identify ourRecord(ConnectionInfo connection) {
    IdentifyProto.Identify.Builder b = IdentifyProto.Identify.newBuilder()
        .setProtocolVersion(PROTOCOL_VERSION)
        .setAgentVersion(swarm.config().agentVersion())
        .setPublicKey(ByteString.copyFrom(swarm.identity().publicKey().marshal()))
        .addAllProtocols(swarm.protocols());
    for (Multiaddr addr : swarm.announcedAddresses()) {
      b.addListenAddrs(ByteString.copyFrom(addr.toBytes()));
    }
    if (connection != null) {
      b.setObservedAddr(ByteString.copyFrom(connection.remoteAddress().toBytes()));
    }
    return b.build();
  }

  /** Tells the peer who we are, and where it connects from as seen on this stream's own connection. */
  private void onRequest(P2pStream stream) {
    stream.handler(data -> { }); // nothing to read; drain whatever comes
    stream.write(LengthPrefixed.frame(ourRecord(stream.connection()).toByteArray()));
    stream.end();
  }

  private void onPush(P2pStream stream) {
    PeerId peer = stream.remotePeer();
    LengthPrefixed.readOne(stream, swarm.vertx(), MAX_MESSAGE_SIZE, READ_DEADLINE).onComplete(ar -> {
      stream.end();
      if (ar.failed()) {
        LOG.debug("identify push from {} failed: {}", peer, ar.cause().getMessage());
        return;
      }
      accept(peer, ar.result(), null, stream.connection());
    });
  }

  /** Asks the peer on {@code connection} to identify itself. */
  public Future<PeerStore.PeerInfo> identify(Connection connection) {
    PeerId peer = connection.remotePeer();
    return Exchange.outbound(swarm.vertx(), READ_DEADLINE,
            () -> new SwarmException("identify " + peer + ": no record within " + READ_DEADLINE.toMillis() + " ms"),
            connection.openStream(List.of(PROTOCOL_ID)),
            stream -> Exchange.receive(stream, swarm.vertx(), MAX_MESSAGE_SIZE, READ_DEADLINE))
        .compose(message -> {
          PeerStore.PeerInfo info = accept(peer, message, connection, connection.info());
          return info == null
              ? Future.<PeerStore.PeerInfo>failedFuture(new SwarmException("invalid identify record from " + peer))
              : Future.succeededFuture(info);
        })
        .onFailure(e -> LOG.debug("identify {} failed: {}", peer, e.getMessage()));
  }

  /**
   * Takes a peer's record into the peer store. Its listen addresses pass the swarm's address
   * policy for the remote address of the connection they came over ({@code via}): a record
   * that names private, link-local or DNS addresses does not make us dial them unless that fits.
   * {@code identified} is the connection an identify request was answered on (null for a push):
   * the swarm checks it for a second node using the same identity.
   */
  private PeerStore.PeerInfo accept(PeerId peer, Buffer message, Connection identified, ConnectionInfo via) {
    boolean push = identified == null;
    IdentifyProto.Identify record;
    try {
      record = IdentifyProto.Identify.parseFrom(message.getBytes());
    } catch (InvalidProtocolBufferException e) {
      swarm.peerLog().info(LOG, peer, "identify from {}: malformed message: {}", peer, e.getMessage());
      return null;
    }
    PeerStore.PeerInfo previous = swarm.peerStore().get(peer);
    PublicKey key = previous != null ? previous.publicKey() : peer.publicKey();
    if (record.hasPublicKey()) {
      try {
        key = PublicKey.unmarshal(record.getPublicKey().toByteArray());
      } catch (IllegalArgumentException e) {
        swarm.peerLog().info(LOG, peer, "identify from {}: {}", peer, e.getMessage());
        return null;
      }
      if (!peer.matches(key)) {
        swarm.peerLog().info(LOG, peer, "identify from {}: its public key belongs to another peer", peer);
        return null;
      }
    }
    List<Multiaddr> addrs = new ArrayList<>();
    for (ByteString bytes : record.getListenAddrsList()) {
      try {
        addrs.add(Multiaddr.fromBytes(bytes.toByteArray()));
      } catch (IllegalArgumentException e) {
        // A transport we do not speak (quic, webrtc...): not an address for us.
      }
    }
    if (identified != null) {
      swarm.connectionIdentified(identified, addrs);
    }
    addrs = swarm.addressPolicy().filter(addrs, via.remoteAddress());
    Multiaddr observed = null;
    if (record.hasObservedAddr()) {
      try {
        observed = Multiaddr.fromBytes(record.getObservedAddr().toByteArray());
      } catch (IllegalArgumentException e) {
        // ignore
      }
    }
    boolean partial = push && previous != null;
    PeerStore.PeerInfo info = new PeerStore.PeerInfo(peer, key,
        partial && record.getListenAddrsCount() == 0 ? previous.listenAddrs() : addrs,
        partial && record.getProtocolsCount() == 0 ? previous.protocols() : record.getProtocolsList(),
        record.hasProtocolVersion() || !partial ? record.getProtocolVersion() : previous.protocolVersion(),
        record.hasAgentVersion() || !partial ? record.getAgentVersion() : previous.agentVersion(),
        observed != null || !partial ? observed : previous.observedAddr(),
        System.currentTimeMillis());
    swarm.peerStore().put(info);
    swarm.emit(new PeerIdentified(peer, info));
    if (observed != null) {
      swarm.emit(new AddressObserved(peer, via, observed));
    }
    return info;
  }

  /** Sends our record to every connected peer that speaks identify push. */
  private void pushToAll() {
    for (Connection connection : swarm.connections()) {
      PeerStore.PeerInfo info = swarm.peerStore().get(connection.remotePeer());
      if (info != null && !info.protocols().isEmpty() && !info.supports(PUSH_PROTOCOL_ID)) {
        continue; // (a peer not identified yet may have our old record: it gets the push, or refuses it)
      }
      byte[] record = ourRecord(connection.info()).toByteArray();
      connection.openStream(List.of(PUSH_PROTOCOL_ID)).onSuccess(stream -> {
        stream.handler(data -> { });
        stream.write(LengthPrefixed.frame(record));
        stream.end();
      }).onFailure(e -> LOG.debug("identify push to {} failed: {}", connection.remotePeer(), e.getMessage()));
    }
  }
}
