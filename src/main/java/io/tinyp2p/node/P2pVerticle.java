package io.tinyp2p.node;

import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.identify.Identify;
import io.tinyp2p.protocol.ping.Ping;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmConfig;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node: owns the swarm and every protocol on this verticle's event loop. Deploy it with
 * a JSON config (see {@link NodeConfig}); a bad config fails the deployment with a message
 * naming the key.
 */
public class P2pVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(P2pVerticle.class);

  private NodeConfig config;
  private Swarm swarm;
  private Ping ping;
  private Identify identify;

  @Override
  public Future<?> start() {
    try {
      config = NodeConfig.from(config());
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    if (config.randomSecret()) {
      LOG.info("no secret configured: using a random identity {}", config.identity().peerId());
    }
    swarm = new Swarm(vertx, config.identity(), SwarmConfig.defaults());
    identify = new Identify(swarm);
    ping = new Ping(swarm, config.pingInterval(), Duration.ofSeconds(10));
    swarm.on(SwarmEvent.ConnectionOpened.class, e -> LOG.info("connected to {} ({})",
        e.peer(), e.connection()));
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> LOG.info("disconnected from {}", e.peer()));
    return swarm.listen(config.addr()).map(addr -> {
      LOG.info("node {} listening on {}", swarm.localPeer(), addr.withPeerId(swarm.localPeer()));
      for (Multiaddr boot : config.bootNodes()) {
        swarm.dial(boot).onFailure(e -> LOG.warn("boot node {}: {}", boot, e.getMessage()));
      }
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    return swarm == null ? Future.succeededFuture() : swarm.close();
  }

  public Swarm swarm() {
    return swarm;
  }

  public Ping ping() {
    return ping;
  }

  public Identify identify() {
    return identify;
  }

  public NodeConfig nodeConfig() {
    return config;
  }
}
