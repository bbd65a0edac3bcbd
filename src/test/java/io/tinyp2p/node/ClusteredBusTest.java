package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hazelcast.config.Config;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.Test;

/** A client on one clustered Vert.x reaches a node deployed on another (Hazelcast, 127.0.0.1). */
class ClusteredBusTest {

  static Vertx clustered() {
    Config hz = new Config();
    hz.setClusterName("tinyp2p-test-" + ProcessHandle.current().pid());
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "slf4j");
    var network = hz.getNetworkConfig();
    network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    network.getJoin().getAutoDetectionConfig().setEnabled(false);
    network.getJoin().getMulticastConfig().setEnabled(false);
    network.getJoin().getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1");
    return TestNode.await(Vertx.builder().with(options)
        .withClusterManager(new HazelcastClusterManager(hz)).buildClustered());
  }

  @Test
  void statusAndPeersFromAnotherClusterMember() {
    Vertx one = clustered();
    Vertx two = clustered();
    try (TestNode node = TestNode.start(one, new JsonObject().put("busPrefix", "clustered"));
         TestNode other = TestNode.start(one, new JsonObject().put("busPrefix", "clustered-other"))) {
      P2pClient client = new P2pClient(two, "clustered");
      JsonObject status = TestNode.await(client.status());
      assertEquals(node.peerId().toBase58(), status.getString("peerId"));
      JsonArray peers = TestNode.await(client.peers());
      assertEquals(0, peers.size());

      // a request sent from member two, answered by a handler on member two, between
      // two nodes that live on member one
      new P2pClient(two, "clustered-other").handleRequests(
          (peer, body) -> Future.succeededFuture(Buffer.buffer("answered on two: " + body)));
      node.onLoop(s -> s.dial(other.addr()));
      Buffer response = TestNode.await(client.request(other.peerId().toBase58(), Buffer.buffer("hi")));
      assertEquals("answered on two: hi", response.toString());
    } finally {
      TestNode.await(two.close());
      TestNode.await(one.close());
    }
  }
}
