package io.tinyp2p.protocol.identify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.identify.pb.IdentifyProto;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A peer reached over loopback tells the node listen addresses of every class. Decision: a
 * peer on this host is local, so its loopback and private (LAN) addresses are plausible and
 * kept; a link-local address (169.254.169.254, the cloud metadata service, or fe80::) is not
 * (only a peer reached over link-local may name one), DNS names are not (limits.allowDnsAddrs
 * is off), unspecified and multicast never. The peer advertises neither kad nor anything
 * else that would make the node dial it by id, and the node stops first: it dials nothing.
 */
class IdentifyAddressesTest {

  @Test
  void aLoopbackPeersAddressesAreKeptByClass() throws Exception {
    Vertx vertx = Vertx.vertx();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closedPort = s.getLocalPort();
    }
    Multiaddr loopback = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + closedPort);
    Multiaddr lan = Multiaddr.parse("/ip4/10.1.2.3/tcp/4001");
    List<Multiaddr> told = List.of(
        Multiaddr.parse("/ip4/169.254.169.254/tcp/80"),
        lan,
        Multiaddr.parse("/dns4/evil.example/tcp/4001"),
        loopback,
        Multiaddr.parse("/ip4/0.0.0.0/tcp/4001"),
        Multiaddr.parse("/ip6/fe80::1/tcp/4001"),
        Multiaddr.parse("/ip4/224.0.0.1/tcp/4001"));
    TestNode peer = TestNode.start(vertx, new JsonObject().put("busPrefix", "liar"));
    TestNode node = TestNode.start(vertx, new JsonObject().put("busPrefix", "victim"));
    try {
      peer.onLoop(s -> {
        IdentifyProto.Identify.Builder record = IdentifyProto.Identify.newBuilder()
            .setProtocolVersion(Identify.PROTOCOL_VERSION)
            .setAgentVersion("liar/1")
            .setPublicKey(ByteString.copyFrom(s.identity().publicKey().marshal()))
            .addProtocols(Identify.PROTOCOL_ID);
        told.forEach(a -> record.addListenAddrs(ByteString.copyFrom(a.toBytes())));
        byte[] bytes = record.build().toByteArray();
        s.handle(Identify.SPEC, (P2pStream stream) -> {
          stream.handler(d -> { });
          stream.write(LengthPrefixed.frame(bytes));
          stream.end();
        });
        return Future.succeededFuture();
      });
      PeerId liar = peer.peerId();
      Multiaddr liarAddr = peer.addr();
      var identified = node.expect(PeerIdentified.class, e -> e.peer().equals(liar));
      node.onLoop(s -> s.dial(liarAddr));
      TestNode.join(identified);
      List<Multiaddr> stored = node.onLoop(s -> Future.succeededFuture(s.peerStore().addresses(liar)));
      assertEquals(List.of(loopback), stored);
      JsonObject status = node.verticle().status();
      JsonObject dropped = status.getJsonObject("limits").getJsonObject("addressesDropped");
      assertEquals(2, dropped.getLong("LINK_LOCAL"), dropped.encode());
      assertEquals(1, dropped.getLong("DNS"), dropped.encode());
      assertEquals(1, dropped.getLong("UNSPECIFIED"), dropped.encode());
      assertEquals(1, dropped.getLong("RESERVED"), dropped.encode());
      assertEquals(0, dropped.getLong("LOOPBACK"), dropped.encode());
      assertEquals(1, dropped.getLong("PRIVATE"), dropped.encode());
      String text = status.encode();
      assertFalse(text.contains("169.254.169.254") || text.contains("evil.example"), text);
      assertTrue(node.<Boolean>onLoop(s -> Future.succeededFuture(!s.addressPolicy().dialable(
          Multiaddr.parse("/dns4/evil.example/tcp/4001")))));
    } finally {
      node.close(); // first: the one that holds the liar's addresses dials nothing on its way out
      peer.close();
      TestNode.await(vertx.close());
    }
  }
}
