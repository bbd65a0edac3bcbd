package io.tinyp2p.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.protocol.reqresp.RequestResponse;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /metrics} of two connected nodes on a Vert.x without metrics of its own (each
 * node has a Prometheus registry of its own): one request, one broadcast and a lookup show up
 * as the series the README lists, with exact values.
 */
class MetricsTest {
  static final String TOPIC = "blocks";
  static Vertx vertx;
  static TestNode a;
  static TestNode b;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    JsonObject common = new JsonObject().put("http", new JsonObject().put("port", 0))
        .put("pubsubTopics", new JsonArray().add(TOPIC))
        .put("gossipsub", new JsonObject().put("heartbeatMs", 200));
    a = TestNode.start(vertx, common.copy().put("busPrefix", "metrics-a"));
    var identified = a.expect(PeerIdentified.class, e -> true);
    b = TestNode.start(vertx, common.copy().put("busPrefix", "metrics-b").put("bootNode", a.addr().toString()));
    TestNode.join(identified);
    TestNode.join(a.whenTable(t -> t.contains(b.peerId())));
    TestNode.join(b.whenTable(t -> t.contains(a.peerId())));
    a.awaitMesh(TOPIC, 1);
    b.awaitMesh(TOPIC, 1);
    new P2pClient(vertx, "metrics-b").handleRequests(io.tinyp2p.Responder::answer);
  }

  @AfterAll
  static void stop() {
    b.close();
    a.close();
    TestNode.await(vertx.close());
  }

  static Scrape scrape(TestNode node) {
    Scrape s = Scrape.of(node.verticle().httpPort());
    assertEquals(200, s.status(), s.text());
    return s;
  }

  @Test
  void theScrapeIsPrometheusText() {
    Scrape s = scrape(a);
    assertTrue(s.contentType().startsWith("text/plain; version=0.0.4"), s.contentType());
    assertTrue(s.text().contains("# HELP tinyp2p_connections_open "), s.text());
    assertTrue(s.text().contains("# TYPE tinyp2p_connections_opened_total counter"), s.text());
  }

  @Test
  void connectionsByDirectionAndTransport() {
    Scrape sa = scrape(a);
    Scrape sb = scrape(b);
    assertEquals(1, sa.get("tinyp2p_connections_open", "direction", "inbound", "transport", "tcp"));
    assertEquals(0, sa.get("tinyp2p_connections_open", "direction", "outbound", "transport", "tcp"));
    assertEquals(1, sb.get("tinyp2p_connections_open", "direction", "outbound", "transport", "tcp"));
    assertEquals(1, sb.get("tinyp2p_connections_opened_total", "direction", "outbound", "transport", "tcp"));
    assertEquals(0, sb.get("tinyp2p_connections_closed_total", "direction", "outbound", "transport", "tcp"));
    assertEquals(1, sa.get("tinyp2p_kad_routing_table_peers"));
    assertEquals(0, sa.get("tinyp2p_limits_refused_total", "reason", "per_peer"));
  }

  @Test
  void oneRequestIsOneOkOutcomeOneLatencySampleAndItsBytes() {
    Buffer payload = Buffer.buffer(new byte[1000]);
    Buffer response = TestNode.await(new P2pClient(vertx, "metrics-a").request(b.peerId().toBase58(), payload));
    assertEquals(1000, response.length());
    Scrape sa = scrape(a);
    Scrape sb = scrape(b);
    assertEquals(1, sa.get("tinyp2p_reqresp_outbound_requests_total", "outcome", "ok"), sa.lines("tinyp2p_reqresp"));
    assertEquals(0, sa.get("tinyp2p_reqresp_outbound_requests_total", "outcome", "timeout"));
    assertEquals(1, sa.get("tinyp2p_reqresp_request_duration_seconds_count"));
    assertEquals(1, sa.get("tinyp2p_reqresp_request_duration_seconds_bucket", "le", "+Inf"));
    assertTrue(sa.get("tinyp2p_reqresp_request_duration_seconds_sum") > 0);
    assertEquals(1, sb.get("tinyp2p_reqresp_inbound_requests_total"));
    assertEquals(0, sb.get("tinyp2p_reqresp_inbound_failed_total"));
    // uvarint(1000) is 2 bytes: 1002 each way, counted at both ends
    String p = RequestResponse.PROTOCOL_ID;
    assertEquals(1, sa.get("tinyp2p_streams_opened_total", "protocol", p, "direction", "outbound"));
    assertEquals(1, sb.get("tinyp2p_streams_opened_total", "protocol", p, "direction", "inbound"));
    assertEquals(1002, sa.get("tinyp2p_stream_sent_bytes_total", "protocol", p));
    assertEquals(1002, sb.get("tinyp2p_stream_received_bytes_total", "protocol", p));
    assertEquals(1002, sb.get("tinyp2p_stream_sent_bytes_total", "protocol", p));
    assertEquals(1002, sa.get("tinyp2p_stream_received_bytes_total", "protocol", p));
  }

  @Test
  void aBroadcastIsReceivedAndDeliveredOnItsTopic() {
    CompletableFuture<Buffer> got = new CompletableFuture<>();
    var consumer = new P2pClient(vertx, "metrics-b").onBroadcast(TOPIC, m -> got.complete(m.body()));
    TestNode.await(consumer.completion());
    TestNode.await(new P2pClient(vertx, "metrics-a").broadcast(TOPIC, Buffer.buffer("a block")));
    assertEquals("a block", TestNode.join(got).toString());
    Scrape sb = scrape(b);
    assertEquals(1, sb.get("tinyp2p_gossipsub_messages_received_total", "topic", TOPIC), sb.lines("tinyp2p_gossipsub"));
    assertEquals(1, sb.get("tinyp2p_gossipsub_messages_delivered_total", "topic", TOPIC));
    assertEquals(1, sb.get("tinyp2p_gossipsub_mesh_peers", "topic", TOPIC));
    assertEquals(1, scrape(a).get("tinyp2p_gossipsub_published_total"));
    TestNode.await(consumer.unregister());
  }

  @Test
  void topicsWeAreNotInFoldIntoOther() {
    // what a peer can send: messages on as many topics as it likes, none of which we joined
    b.onLoop(s -> {
      var rpc = io.tinyp2p.protocol.gossipsub.pb.RpcProto.RPC.newBuilder();
      for (int i = 0; i < 30; i++) {
        rpc.addPublish(io.tinyp2p.protocol.gossipsub.MessageSigning.sign(a.verticle().swarm().identity(),
            "made-up-" + i, new byte[] {1}, 1000 + i));
      }
      b.verticle().node().gossipsub().router().handleRpc(a.peerId(), rpc.build());
      return io.vertx.core.Future.succeededFuture();
    });
    Scrape sb = scrape(b);
    assertEquals(30, sb.get("tinyp2p_gossipsub_messages_received_total", "topic", "other"), sb.lines("tinyp2p_gossipsub_m"));
    assertEquals(30, sb.get("tinyp2p_gossipsub_messages_dropped_total", "topic", "other", "reason", "not_subscribed"));
    assertFalse(sb.text().contains("made-up"), "a topic we are not in became a label value");
  }

  @Test
  void aLookupIsTimedAndCountedByOutcome() {
    Scrape before = scrape(a);
    java.util.List<?> found = a.onLoop(s -> a.verticle().node().kademlia().lookup(io.tinyp2p.crypto.KeyPair.generate()
        .peerId().toBytes()));
    assertFalse(found.isEmpty());
    Scrape after = scrape(a);
    assertTrue(after.get("tinyp2p_kad_lookups_total", "outcome", "found") >= before.get("tinyp2p_kad_lookups_total",
        "outcome", "found") + 1, after.lines("tinyp2p_kad"));
    // (discovery may run lookups of its own meanwhile)
    assertTrue(after.get("tinyp2p_kad_lookup_duration_seconds_count")
        >= before.get("tinyp2p_kad_lookup_duration_seconds_count") + 1, after.lines("tinyp2p_kad"));
    assertEquals(0, after.get("tinyp2p_kad_lookups_total", "outcome", "deadline"));
  }

  @Test
  void bytesGrowOnIdentifyAndPing() {
    Scrape s = scrape(a);
    assertTrue(s.get("tinyp2p_stream_received_bytes_total", "protocol", "/ipfs/id/1.0.0") > 0, s.lines("tinyp2p_stream"));
    assertTrue(s.get("tinyp2p_stream_sent_bytes_total", "protocol", "/ipfs/id/1.0.0") > 0);
  }
}
