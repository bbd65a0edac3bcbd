package io.tinyp2p.transport;

import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * A bidirectional byte pipe that a connection's security and muxer upgrade runs on: a TCP
 * socket, or a stream through a relay (a circuit). It is the little of a socket that the
 * upgrade needs: bytes in with flow control (pause, resume), bytes out with a bounded queue
 * (write, writeQueueFull, drain), and the ways it ends.
 *
 * <p>Single-threaded: the context of the transport that made it.
 */
public interface RawLink {

  /** Our end, as a multiaddr. */
  Multiaddr localAddress();

  /** The far end, as a multiaddr. */
  Multiaddr remoteAddress();

  /** Where the bytes that arrive go. */
  void handler(Handler<Buffer> handler);

  /** Runs when the far end has ended its side (EOF). */
  void endHandler(Handler<Void> handler);

  /** Runs when the link is gone, for whatever reason. */
  void closeHandler(Handler<Void> handler);

  /** Runs when the link failed. */
  void exceptionHandler(Handler<Throwable> handler);

  /** Runs when the write queue, once full, has drained. */
  void drainHandler(Handler<Void> handler);

  /** Queues bytes for the far end. */
  void write(Buffer data);

  /** Whether the write queue is full (wait for the drain handler). */
  boolean writeQueueFull();

  /** Stops delivering input until {@link #resume()}. */
  void pause();

  /** Delivers input again. */
  void resume();

  /** Closes in order: what was written goes out first. */
  void close();

  /** Closes now, dropping output the far end has not read (it stopped reading). */
  void closeNow();
}
