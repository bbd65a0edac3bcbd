package io.tinyp2p.transport;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.Traffic;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every transport's streams share (Yamux's, QUIC's): the protocol and connection they
 * report, traffic counting, and the reading side of a Vert.x {@link io.vertx.core.streams.ReadStream}:
 * data is delivered while there is demand and a handler, else queued (the muxer's flow control
 * bounds the queue: the peer cannot send past the window we granted), then the end once the
 * peer's FIN and everything before it were delivered. A subclass feeds it ({@link #received},
 * {@link #receivedFin}), hears what the reader did ({@link #delivered}, {@link #drained}) and
 * ends it ({@link #terminate}).
 *
 * <p>Handlers the application sets are run through {@link #call}: one that throws is logged;
 * a data or drain handler that throws resets the stream.
 */
public abstract class BufferedStream implements MuxedStream {
  private static final Logger LOG = LoggerFactory.getLogger(BufferedStream.class);

  private String protocol;
  private ConnectionInfo info;
  private Traffic traffic; // null: not counted

  private final ArrayDeque<Buffer> inbound = new ArrayDeque<>();
  private long demand = Long.MAX_VALUE;
  /** The peer's FIN came. */
  protected boolean finReceived;
  /** The end was delivered to the reader (the peer's FIN and all before it). */
  protected boolean endDelivered;
  /** Bytes a writer may queue before {@code writeQueueFull()}; the subclass sets its default. */
  protected int writeQueueMax;
  private boolean closed;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Void> closeHandler;
  private Handler<Throwable> exceptionHandler;
  /** The writer's drain handler, run by the subclass through {@link #runDrainHandler}. */
  private Handler<Void> drainHandler;
  private List<Runnable> terminated;

  // ---- what the stream reports ----

  @Override
  public String protocol() {
    return protocol;
  }

  @Override
  public void protocol(String protocol) {
    this.protocol = protocol;
  }

  @Override
  public void traffic(Traffic traffic) {
    this.traffic = traffic;
  }

  /** Where sent bytes are counted, or null. */
  protected Traffic traffic() {
    return traffic;
  }

  @Override
  public PeerId remotePeer() {
    return info == null ? null : info.remotePeer();
  }

  @Override
  public ConnectionInfo connection() {
    return info;
  }

  @Override
  public void connection(ConnectionInfo connection) {
    this.info = connection;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  // ---- fed by the subclass ----

  /** Data from the peer, in order. */
  protected void received(Buffer data) {
    if (closed) {
      return;
    }
    if (demand > 0 && inbound.isEmpty() && handler != null) {
      deliver(data);
    } else {
      inbound.add(data);
      drained();
    }
  }

  /** The peer's FIN: its end is delivered after what is queued. */
  protected void receivedFin() {
    finReceived = true;
    drainInbound();
  }

  /** Whether nothing waits for the reader. */
  protected boolean nothingQueued() {
    return inbound.isEmpty();
  }

  /** Whether the reader takes data now: there is demand, a handler and nothing queued. */
  protected boolean readerWaiting() {
    return !closed && inbound.isEmpty() && demand > 0;
  }

  /** Data the reader took: the subclass may return flow-control credit. */
  protected abstract void delivered(Buffer data);

  /** The queue or the demand changed, or the end was delivered: the subclass may read on, or close. */
  protected abstract void drained();

  private void deliver(Buffer data) {
    if (demand != Long.MAX_VALUE) {
      demand--;
    }
    if (traffic != null) {
      traffic.received(data.length());
    }
    if (!call(handler, data, "handler")) {
      reset();
      return;
    }
    delivered(data);
  }

  private void drainInbound() {
    while (!closed && demand > 0 && handler != null && !inbound.isEmpty()) {
      deliver(inbound.poll());
    }
    if (!closed && finReceived && inbound.isEmpty() && !endDelivered && (demand > 0 || handler == null)) {
      endDelivered = true;
      call(endHandler, null, "end handler");
    }
    if (!closed) {
      drained();
    }
  }

  @Override
  public void unread(Buffer data) {
    inbound.addFirst(data);
    if (handler != null) {
      drainInbound();
    }
  }

  // ---- the reader's side ----

  @Override
  public BufferedStream handler(Handler<Buffer> handler) {
    this.handler = handler;
    if (handler != null) {
      drainInbound();
    }
    return this;
  }

  @Override
  public BufferedStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public BufferedStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public BufferedStream fetch(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("negative fetch " + amount);
    }
    demand = Long.MAX_VALUE - demand < amount ? Long.MAX_VALUE : demand + amount;
    drainInbound();
    return this;
  }

  // one line each: the setters the stream interfaces ask for
  @Override public BufferedStream endHandler(Handler<Void> h) { endHandler = h; return this; }
  @Override public BufferedStream exceptionHandler(Handler<Throwable> h) { exceptionHandler = h; return this; }
  @Override public BufferedStream closeHandler(Handler<Void> h) { closeHandler = h; return this; }
  @Override public BufferedStream drainHandler(Handler<Void> h) { drainHandler = h; return this; }
  @Override public BufferedStream setWriteQueueMaxSize(int max) { writeQueueMax = max; return this; }

  /** Runs the writer's drain handler; one that throws resets the stream. */
  protected void runDrainHandler() {
    if (!call(drainHandler, null, "drain handler")) {
      reset();
    }
  }

  // ---- ending ----

  @Override
  public void onTerminated(Runnable action) {
    if (terminated == null) {
      terminated = new ArrayList<>(2);
    }
    terminated.add(action);
  }

  /**
   * Ends the stream (once): what is queued is dropped, the exception handler hears
   * {@code error} (null: none), then the close handler, then the owners' bookkeeping.
   */
  protected void terminate(Throwable error) {
    if (closed) {
      return;
    }
    closed = true;
    inbound.clear();
    released();
    if (error != null) {
      call(exceptionHandler, error, "exception handler");
    }
    call(closeHandler, null, "close handler");
    if (terminated != null) {
      terminated.forEach(Runnable::run);
    }
  }

  /** The stream just ended: the subclass gives back what it held (queued output, its place in the session). */
  protected abstract void released();

  /** Runs an application handler (if set); one that throws is logged and reported as false. */
  protected <T> boolean call(Handler<T> h, T value, String which) {
    if (h == null) {
      return true;
    }
    try {
      h.handle(value);
      return true;
    } catch (RuntimeException e) {
      LOG.warn("{} {} failed: {}", this, which, e.toString());
      return false;
    }
  }
}
