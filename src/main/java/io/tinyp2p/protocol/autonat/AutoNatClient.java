package io.tinyp2p.protocol.autonat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.autonat.pb.AutoNatProto.Message;
import io.tinyp2p.stream.Exchange;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.List;

/** The AutoNAT v1 client's exchange: one DIAL request on a new stream, one DIAL_RESPONSE back. */
public final class AutoNatClient {
  private AutoNatClient() {}

  /**
   * What a server answered about {@code asked}.
   *
   * @param status the response status
   * @param text the server's status text (may be empty)
   * @param addr the address the server says it dialed, or null
   */
  public record Answer(PeerId server, List<Multiaddr> asked, Message.ResponseStatus status, String text, Multiaddr addr) {}

  /** Asks the server on {@code connection} to dial us back at {@code addrs}, within {@code timeout}. */
  static Future<Answer> ask(Swarm swarm, Connection connection, List<Multiaddr> addrs, Duration timeout) {
    PeerId server = connection.remotePeer();
    Message.PeerInfo.Builder peer = Message.PeerInfo.newBuilder()
        .setId(ByteString.copyFrom(swarm.localPeer().toBytes()));
    addrs.forEach(a -> peer.addAddrs(ByteString.copyFrom(a.toBytes())));
    Buffer request = Buffer.buffer(Message.newBuilder().setType(Message.MessageType.DIAL)
        .setDial(Message.Dial.newBuilder().setPeer(peer)).build().toByteArray());
    return Exchange.outbound(swarm.vertx(), timeout,
            () -> new SwarmException("autonat " + server + ": no answer within " + timeout.toMillis() + " ms"),
            connection.openStream(List.of(AutoNat.PROTOCOL_ID)),
            stream -> Exchange.request(stream, swarm.vertx(), request, true, AutoNat.MAX_MESSAGE_SIZE, AutoNat.READ_DEADLINE))
        .compose(bytes -> {
          Message m;
          try {
            m = Message.parseFrom(bytes.getBytes());
          } catch (InvalidProtocolBufferException e) {
            return Future.failedFuture(new SwarmException("autonat " + server + ": malformed answer: " + e.getMessage()));
          }
          if (m.getType() != Message.MessageType.DIAL_RESPONSE || !m.hasDialResponse() || !m.getDialResponse().hasStatus()) {
            return Future.failedFuture(new SwarmException("autonat " + server + ": the answer is no DIAL_RESPONSE"));
          }
          Message.DialResponse r = m.getDialResponse();
          Multiaddr dialed = null;
          if (r.hasAddr()) {
            try {
              dialed = Multiaddr.fromBytes(r.getAddr().toByteArray()).withoutPeerId();
            } catch (IllegalArgumentException e) {
              // an address we cannot read: the answer still counts
            }
          }
          return Future.succeededFuture(new Answer(server, List.copyOf(addrs), r.getStatus(), r.getStatusText(), dialed));
        });
  }
}
