package io.tinyp2p.node;

import io.tinyp2p.client.Bus;
import io.tinyp2p.client.P2pClient;
import io.tinyp2p.util.Preview;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The original tinyp2p's example, as a user application of the event-bus API: answer
 * requests with an echo, send "Hello, request!" to a known peer every 11 s, broadcast
 * "Hello, a new block!" on "block" every 13 s, log every inbound broadcast and the node's
 * status every 7 s. Switched on with {@code "demo": true} in the config.
 */
public class DemoVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger("tinyp2p.demo");

  private P2pClient client;

  @Override
  public Future<?> start() {
    String prefix = config().getString("busPrefix", Bus.DEFAULT_PREFIX);
    client = new P2pClient(vertx, prefix);
    client.handleRequests((peer, request) -> {
      LOG.info("<<<< Inbound request: {} from {}", Preview.forLog(request.getBytes()), peer);
      return Future.succeededFuture(request);
    });
    vertx.eventBus().<Buffer>consumer(Bus.topic(prefix, "block"), msg -> LOG.info(
        "<<<< Inbound broadcast: \"{}\" {}", msg.headers().get(Bus.TOPIC), Preview.forLog(msg.body().getBytes())));
    vertx.setPeriodic(11_000, t -> request());
    vertx.setPeriodic(13_000, t -> broadcast());
    vertx.setPeriodic(7_000, t -> status());
    return Future.succeededFuture();
  }

  private void request() {
    client.peers().onSuccess(peers -> {
      if (peers.isEmpty()) {
        LOG.info("no known peer to send a request to");
        return;
      }
      String peer = peers.getJsonObject(ThreadLocalRandom.current().nextInt(peers.size())).getString("peerId");
      LOG.info(">>>> Outbound request: \"Hello, request!\" to {}", peer);
      client.request(peer, Buffer.buffer("Hello, request!"))
          .onSuccess(response -> LOG.info("<<<< Inbound response: {} from {}", Preview.forLog(response.getBytes()), peer))
          .onFailure(e -> LOG.info("request to {} failed: {}", peer, e.getMessage()));
    });
  }

  private void broadcast() {
    LOG.info(">>>> Outbound broadcast: \"block\" \"Hello, a new block!\"");
    client.broadcast("block", Buffer.buffer("Hello, a new block!"))
        .onFailure(e -> LOG.info("broadcast failed: {}", e.getMessage()));
  }

  private void status() {
    client.status().onSuccess(s -> {
      JsonArray known = s.getJsonArray("knownPeers", new JsonArray());
      JsonArray connections = s.getJsonArray("connections", new JsonArray());
      LOG.info("📣 Status: peer {}, {} known peers, {} connections, topics {}", s.getString("peerId"),
          known.size(), connections.size(), s.getJsonArray("topics", new JsonArray()));
      for (Object o : known) {
        JsonObject p = (JsonObject) o;
        LOG.info("     {} {}", p.getString("peerId"), p.getJsonArray("addrs"));
      }
    });
  }
}
