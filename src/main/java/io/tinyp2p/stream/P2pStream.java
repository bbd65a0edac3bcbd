package io.tinyp2p.stream;

import io.tinyp2p.crypto.PeerId;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/**
 * A libp2p stream: one multiplexed, flow-controlled, bidirectional byte stream on a secured
 * connection, speaking one protocol. It is a Vert.x {@link ReadStream} and {@link WriteStream}
 * (so {@code pipeTo}, {@code pause}, {@code writeQueueFull} and drain handlers work), bound to
 * the event loop of the node that owns it: call it only from that context.
 *
 * <p>Closing has three forms: {@link #end()} closes our write side (the peer reads EOF) and
 * keeps reading; the stream is fully closed once both sides ended. {@link #reset()} aborts
 * both directions at once. {@link #closeHandler} runs once when the stream is gone for
 * whatever reason; {@link #exceptionHandler} runs first if it was reset or its connection
 * failed.
 */
public interface P2pStream extends ReadStream<Buffer>, WriteStream<Buffer> {

  /** The protocol id negotiated with multistream-select, or null while negotiating. */
  String protocol();

  /** The authenticated peer at the other end. */
  PeerId remotePeer();

  /** The connection this stream runs on. */
  ConnectionInfo connection();

  /** Whether we opened it (outbound) or the peer did. */
  boolean isOutbound();

  /** Aborts the stream in both directions (Yamux RST). */
  void reset();

  /** Called once when the stream is fully closed or reset. */
  P2pStream closeHandler(Handler<Void> handler);

  boolean isClosed();

  @Override
  P2pStream exceptionHandler(Handler<Throwable> handler);

  @Override
  P2pStream handler(Handler<Buffer> handler);

  @Override
  P2pStream pause();

  @Override
  P2pStream resume();

  @Override
  P2pStream fetch(long amount);

  @Override
  P2pStream endHandler(Handler<Void> endHandler);

  @Override
  P2pStream setWriteQueueMaxSize(int maxSize);

  @Override
  P2pStream drainHandler(Handler<Void> handler);

  @Override
  Future<Void> write(Buffer data);

  @Override
  Future<Void> end();

  /**
   * For protocols that answer what they read: when the write queue is full, stop reading
   * until it drains, so a peer that sends requests without reading the answers only stalls
   * itself. Sets the drain handler.
   */
  default void pauseWhileWriteQueueFull() {
    if (writeQueueFull()) {
      pause();
      drainHandler(v -> {
        drainHandler(null);
        resume();
      });
    }
  }
}
