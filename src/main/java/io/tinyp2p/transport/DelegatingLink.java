package io.tinyp2p.transport;

import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/**
 * A {@link RawLink} on a Vert.x read and write stream (a TCP socket, a stream through a relay):
 * input, output and flow control pass straight through; how it closes is the subclass's.
 *
 * (NetSocket and P2pStream are both at once; Java's generics cannot name that type.)
 */
public abstract class DelegatingLink implements RawLink {
  private final ReadStream<Buffer> in;
  private final WriteStream<Buffer> out;
  private final Multiaddr local;
  private final Multiaddr remote;

  /** A link that reads {@code in} and writes {@code out} (the same stream) between these addresses. */
  protected DelegatingLink(ReadStream<Buffer> in, WriteStream<Buffer> out, Multiaddr local, Multiaddr remote) {
    this.in = in;
    this.out = out;
    this.local = local;
    this.remote = remote;
  }

  @Override
  public Multiaddr localAddress() {
    return local;
  }

  @Override
  public Multiaddr remoteAddress() {
    return remote;
  }

  @Override
  public void handler(Handler<Buffer> handler) {
    in.handler(handler);
  }

  @Override
  public void endHandler(Handler<Void> handler) {
    in.endHandler(handler);
  }

  @Override
  public void exceptionHandler(Handler<Throwable> handler) {
    in.exceptionHandler(handler);
  }

  @Override
  public void drainHandler(Handler<Void> handler) {
    out.drainHandler(handler);
  }

  @Override
  public void write(Buffer data) {
    out.write(data);
  }

  @Override
  public boolean writeQueueFull() {
    return out.writeQueueFull();
  }

  @Override
  public void pause() {
    in.pause();
  }

  @Override
  public void resume() {
    in.resume();
  }
}
