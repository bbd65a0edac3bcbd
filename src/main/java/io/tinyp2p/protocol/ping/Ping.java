package io.tinyp2p.protocol.ping;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.stream.Exchange;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.swarm.SwarmException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Ping {@code /ipfs/ping/1.0.0}: the dialer sends 32 random bytes, the listener echoes them,
 * the dialer measures the round trip. Every connection is pinged periodically; the outcome is
 * a {@link PingEvent.Succeeded} or {@link PingEvent.Failed} event (discovery drops
 * peers that fail).
 */
public final class Ping {
  public static final String PROTOCOL_ID = "/ipfs/ping/1.0.0";
  public static final int SIZE = 32;
  /** Ping streams are background traffic: they keep no connection alive; 16 open at once per connection. */
  public static final ProtocolSpec SPEC = ProtocolSpec.of(PROTOCOL_ID).maxInboundPerConnection(16).background();

  private final Swarm swarm;
  private final Duration interval;
  private final Duration timeout;
  private final SecureRandom random = new SecureRandom();
  private final Map<Connection, Long> timers = new HashMap<>();

  /**
   * @param interval how often each connection is pinged; zero disables periodic pings
   * @param timeout how long a ping may take
   */
  public Ping(Swarm swarm, Duration interval, Duration timeout) {
    this.swarm = swarm;
    this.interval = interval;
    this.timeout = timeout;
    swarm.handle(SPEC, this::onInbound);
    if (!interval.isZero()) {
      swarm.on(SwarmEvent.ConnectionOpened.class, e -> schedule(e.connection()));
      swarm.on(SwarmEvent.ConnectionClosed.class, e -> {
        Long timer = timers.remove(e.connection());
        if (timer != null) {
          swarm.vertx().cancelTimer(timer);
        }
      });
    }
  }

  private void schedule(Connection connection) {
    long timer = swarm.vertx().setPeriodic(interval.toMillis(), t -> {
      if (connection.isOpen()) {
        ping(connection);
      }
    });
    timers.put(connection, timer);
  }

  /**
   * Echoes whatever arrives until the peer ends the stream. A peer that sends without reading
   * the echo fills our write queue; we then stop reading, so its window closes too.
   */
  private void onInbound(P2pStream stream) {
    stream.handler(data -> {
      stream.write(data);
      stream.pauseWhileWriteQueueFull();
    });
    stream.endHandler(v -> stream.end());
  }

  /** Pings a connected peer (dialing it if needed) and reports the round-trip time. */
  public Future<Duration> ping(PeerId peer) {
    return swarm.dial(peer).compose(this::ping);
  }

  /** Pings over one connection; emits the outcome as an event too. */
  public Future<Duration> ping(Connection connection) {
    PeerId peer = connection.remotePeer();
    return Exchange.outbound(swarm.vertx(), timeout,
        () -> new SwarmException("ping to " + peer + " timed out after " + timeout.toMillis() + " ms"),
        connection.openStream(List.of(PROTOCOL_ID)), stream -> echo(stream, peer))
        .andThen(ar -> {
          if (ar.succeeded()) {
            swarm.emit(new PingEvent.Succeeded(peer, ar.result()));
          } else {
            swarm.emit(new PingEvent.Failed(peer, ar.cause()));
          }
        });
  }

  /** Sends 32 random bytes and completes with the round trip once the same 32 bytes came back. */
  private Future<Duration> echo(P2pStream stream, PeerId peer) {
    Promise<Duration> promise = Promise.promise();
    byte[] payload = new byte[SIZE];
    random.nextBytes(payload);
    Buffer received = Buffer.buffer(SIZE);
    long start = System.nanoTime();
    stream.handler(data -> {
      received.appendBuffer(data);
      if (received.length() >= SIZE) {
        Duration rtt = Duration.ofNanos(System.nanoTime() - start);
        stream.handler(null);
        stream.end();
        if (received.length() == SIZE && Arrays.equals(received.getBytes(), payload)) {
          promise.tryComplete(rtt);
        } else {
          promise.tryFail(new SwarmException("ping to " + peer + ": the echo did not match"));
        }
      }
    });
    stream.exceptionHandler(e -> promise.tryFail(new SwarmException("ping to " + peer + " failed: " + e.getMessage())));
    stream.endHandler(v -> promise.tryFail(new SwarmException("ping to " + peer + ": stream ended before the echo")));
    stream.write(Buffer.buffer(payload));
    return promise.future();
  }
}
