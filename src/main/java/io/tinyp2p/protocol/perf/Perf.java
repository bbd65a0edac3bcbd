package io.tinyp2p.protocol.perf;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * The libp2p perf protocol {@code /perf/1.0.0} (libp2p/specs perf/perf.md): the client sends
 * an 8-byte big-endian count of the bytes it wants back, uploads its bytes and closes its
 * write side; the server discards the upload, then sends the requested bytes and closes.
 * Both sides honour backpressure, so memory stays at a window or two whatever the sizes.
 */
public final class Perf {
  public static final String PROTOCOL_ID = "/perf/1.0.0";
  public static final ProtocolSpec SPEC = ProtocolSpec.of(PROTOCOL_ID);
  static final int CHUNK = 64 * 1024;
  private static final Buffer ZEROS = Buffer.buffer(new byte[CHUNK]);

  /** One measured exchange: from opening the stream to the server's close. */
  public record Result(long uploaded, long downloaded, long nanos) {
    /** Bytes moved (both ways) per second, in MB (10^6 bytes). */
    public double mbps() {
      return (uploaded + downloaded) / 1e6 / (nanos / 1e9);
    }
  }

  private final Swarm swarm;

  public Perf(Swarm swarm) {
    this.swarm = swarm;
    swarm.handle(SPEC, this::serve);
  }

  private void serve(P2pStream stream) {
    Buffer header = Buffer.buffer(8);
    stream.handler(data -> {
      if (header.length() < 8) {
        header.appendBuffer(data, 0, Math.min(8 - header.length(), data.length()));
      }
      // the rest of the upload is read and dropped
    });
    stream.endHandler(v -> {
      if (header.length() < 8) {
        stream.reset();
        return;
      }
      long wanted = header.getLong(0);
      if (wanted < 0) {
        stream.reset();
        return;
      }
      send(stream, wanted, () -> stream.end());
    });
  }

  /** Writes {@code remaining} bytes, pausing whenever the stream's queue is full. */
  private static void send(P2pStream stream, long remaining, Runnable done) {
    long left = remaining;
    while (left > 0) {
      int n = (int) Math.min(CHUNK, left);
      stream.write(n == CHUNK ? ZEROS : ZEROS.slice(0, n));
      left -= n;
      if (stream.writeQueueFull()) {
        long next = left;
        stream.drainHandler(v -> {
          stream.drainHandler(null);
          send(stream, next, done);
        });
        return;
      }
    }
    done.run();
  }

  /** Uploads {@code upload} bytes to {@code peer} and downloads {@code download} back. */
  public Future<Result> run(PeerId peer, long upload, long download) {
    return swarm.dial(peer).compose(c -> c.openStream(List.of(PROTOCOL_ID))).compose(stream -> {
      Promise<Result> promise = Promise.promise();
      long[] received = {0};
      long start = System.nanoTime();
      stream.handler(data -> received[0] += data.length());
      stream.endHandler(v -> {
        long end = System.nanoTime();
        if (received[0] != download) {
          promise.tryFail(new SwarmException("perf: expected " + download + " bytes, got " + received[0]));
        } else {
          promise.tryComplete(new Result(upload, download, end - start));
        }
      });
      stream.exceptionHandler(promise::tryFail);
      stream.write(Buffer.buffer(8).appendLong(download));
      send(stream, upload, stream::end);
      return promise.future();
    });
  }
}
