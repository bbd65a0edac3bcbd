package io.tinyp2p.transport.relay;

import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.transport.DelegatingLink;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * A {@link io.tinyp2p.transport.RawLink} on a stream through a relay (a hop stream on the dialing
 * side, a stop stream on the listening side): the relayed connection's "socket". Bytes that came
 * with the hop or stop message are delivered first.
 */
final class StreamLink extends DelegatingLink {
  private final P2pStream stream;
  private final Context context;
  private Buffer early; // what arrived with the circuit's opening message, not delivered yet
  private Handler<Buffer> handler;
  private boolean paused;

  StreamLink(P2pStream stream, Context context, Buffer early, Multiaddr local, Multiaddr remote) {
    super(stream, stream, local, remote);
    this.stream = stream;
    this.context = context;
    this.early = early == null || early.length() == 0 ? null : early;
    stream.pause(); // until the upgrade sets its handler
  }

  @Override
  public void handler(Handler<Buffer> handler) {
    this.handler = handler;
    stream.handler(handler);
    if (handler != null) {
      // after the caller has finished setting up (the upgrade's first stage starts right after)
      context.runOnContext(v -> deliverEarly());
    }
  }

  private void deliverEarly() {
    Buffer data = early;
    if (data != null && !paused && handler != null) {
      early = null;
      handler.handle(data);
    }
    if (!paused && early == null) {
      stream.resume();
    }
  }

  @Override
  public void closeHandler(Handler<Void> handler) {
    stream.closeHandler(handler);
  }

  @Override
  public void pause() {
    paused = true;
    stream.pause();
  }

  @Override
  public void resume() {
    paused = false;
    if (early != null) {
      deliverEarly();
    } else {
      stream.resume();
    }
  }

  @Override
  public void close() {
    stream.end();
  }

  @Override
  public void closeNow() {
    stream.reset();
  }
}
