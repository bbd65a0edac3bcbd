package example;

import io.tinyp2p.client.P2pClient;
import io.tinyp2p.node.P2pVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** Placeholder: replaced by the README's example. */
public final class Embed {
  private Embed() {}

  public static Future<P2pClient> start(Vertx vertx, String prefix) {
    JsonObject config = new JsonObject().put("addr", "/ip4/127.0.0.1/tcp/0").put("busPrefix", prefix);
    return vertx.deployVerticle(new P2pVerticle(), new DeploymentOptions().setConfig(config))
        .map(id -> new P2pClient(vertx, prefix));
  }
}
