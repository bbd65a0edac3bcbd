package example;

import io.tinyp2p.client.P2pClient;
import io.tinyp2p.client.P2pOptions;
import io.tinyp2p.node.P2pVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.stream.Stream;

public final class Embed {
  /** Starts a node that answers requests in upper case and prints what is broadcast on "news". */
  public static Future<P2pClient> start(Vertx vertx, P2pOptions options) {
    return vertx.deployVerticle(new P2pVerticle(options)).map(id -> {
      P2pClient client = P2pClient.create(vertx, options);
      client.handleRequests((peer, payload) -> Future.succeededFuture(Buffer.buffer(payload.toString().toUpperCase())));
      client.onBroadcast("news", msg -> System.out.println(msg.headers().get("from") + ": " + msg.body()));
      return client;
    });
  }

  public static void main(String[] args) { // args: /p2p/ multiaddrs of nodes to join
    Vertx vertx = Vertx.vertx();
    P2pOptions options = new P2pOptions().setAddr("/ip4/0.0.0.0/tcp/4001").addPubsubTopic("news");
    Stream.of(args).forEach(options::addBootNode);
    start(vertx, options).onSuccess(c -> vertx.setPeriodic(10_000, t -> c.broadcast("news", Buffer.buffer("hi"))));
  }
}
