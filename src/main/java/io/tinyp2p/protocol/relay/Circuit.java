package io.tinyp2p.protocol.relay;

import io.tinyp2p.stream.P2pStream;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;

/**
 * A relayed connection on the relay: the hop stream from the peer that dialed and the stop
 * stream to the peer it reaches, bridged byte for byte with back-pressure (a full write queue
 * pauses the other side). Past the limit's duration, or past its data bytes in either
 * direction, both streams are reset. One end's orderly close (EOF) is passed on to the other;
 * a reset resets both.
 */
final class Circuit {
  private final Vertx vertx;
  private final P2pStream hop;
  private final P2pStream stop;
  private final long maxBytes;
  private final Runnable ended;
  private final RelayServer.Counters counters;
  private long timer = -1;
  private long toStop; // bytes from the dialer to the destination
  private long toHop;
  private int closed;
  private boolean done;
  private boolean reset;

  Circuit(Vertx vertx, P2pStream hop, P2pStream stop, RelayConfig config, RelayServer.Counters counters,
      Runnable ended) {
    this.vertx = vertx;
    this.hop = hop;
    this.stop = stop;
    this.maxBytes = config.circuitBytes();
    this.counters = counters;
    this.ended = ended;
    Duration d = config.circuitDuration();
    if (!d.isZero()) {
      timer = vertx.setTimer(d.toMillis(), t -> {
        timer = -1;
        counters.circuitsCutByDuration++;
        resetBoth();
      });
    }
  }

  /** Starts relaying; {@code stopEarly} came from the destination with its STATUS and goes first. */
  void start(Buffer stopEarly) {
    pump(hop, stop, true);
    pump(stop, hop, false);
    if (stopEarly.length() > 0) {
      forward(stopEarly, hop, stop, false);
    }
    hop.resume();
    stop.resume();
  }

  private void pump(P2pStream from, P2pStream to, boolean fromHop) {
    from.handler(data -> forward(data, to, from, fromHop));
    from.endHandler(v -> {
      if (!to.isClosed()) {
        to.end();
      }
    });
    from.exceptionHandler(e -> resetBoth());
    from.closeHandler(v -> {
      if (++closed == 2) {
        finish();
      } else if (reset) {
        resetBoth();
      }
    });
  }

  private void forward(Buffer data, P2pStream to, P2pStream from, boolean fromHop) {
    if (done || reset) {
      return;
    }
    long count = fromHop ? (toStop += data.length()) : (toHop += data.length());
    if (maxBytes > 0 && count > maxBytes) {
      counters.circuitsCutByData++;
      resetBoth();
      return;
    }
    counters.bytesRelayed += data.length();
    to.write(data);
    if (to.writeQueueFull()) {
      from.pause();
      to.drainHandler(v -> {
        to.drainHandler(null);
        from.resume();
      });
    }
  }

  private void resetBoth() {
    reset = true;
    if (!hop.isClosed()) {
      hop.reset();
    }
    if (!stop.isClosed()) {
      stop.reset();
    }
    finish();
  }

  private void finish() {
    if (done) {
      return;
    }
    done = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    ended.run();
  }
}
