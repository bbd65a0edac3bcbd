package io.tinyp2p;

import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Swarm;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/** A test protocol, the same as the js harness's: echo every byte, end when the peer ends. */
public final class Echo {
  public static final String PROTOCOL_ID = "/tinyp2p/echo/1.0.0";

  private Echo() {}

  public static void install(Swarm swarm) {
    swarm.handle(io.tinyp2p.swarm.ProtocolSpec.of(PROTOCOL_ID), stream -> {
      stream.pipeTo(stream);
    });
  }

  /** Opens a stream, sends {@code data}, ends, and completes with everything echoed back. */
  public static Future<Buffer> roundTrip(Swarm swarm, io.tinyp2p.crypto.PeerId peer, Buffer data) {
    return swarm.newStream(peer, List.of(PROTOCOL_ID)).compose(stream -> roundTrip(stream, data));
  }

  public static Future<Buffer> roundTrip(P2pStream stream, Buffer data) {
    Promise<Buffer> promise = Promise.promise();
    Buffer received = Buffer.buffer(data.length());
    stream.handler(received::appendBuffer);
    stream.endHandler(v -> promise.tryComplete(received));
    stream.exceptionHandler(promise::tryFail);
    // write in 64 KiB pieces, honouring backpressure
    writeFrom(stream, data, 0);
    return promise.future();
  }

  private static void writeFrom(P2pStream stream, Buffer data, int offset) {
    int pos = offset;
    while (pos < data.length()) {
      int end = Math.min(pos + 65536, data.length());
      stream.write(data.slice(pos, end));
      pos = end;
      if (stream.writeQueueFull()) {
        int next = pos;
        stream.drainHandler(v -> writeFrom(stream, data, next));
        return;
      }
    }
    stream.end();
  }
}
