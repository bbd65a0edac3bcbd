package io.tinyp2p.yamux;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.transport.MuxedStream;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Yamux stream. Reading follows Vert.x demand ({@link #pause}, {@link #resume},
 * {@link #fetch}); bytes the application has not consumed yet are queued (at most one receive
 * window, which the peer cannot exceed) and withhold the window update. Writing queues behind
 * the peer's send window; {@link #writeQueueFull()} turns true past the queue limit and the
 * drain handler runs when it has halved. It is the {@link MuxedStream} the TCP transport's
 * connections hand out.
 */
public final class YamuxStream implements MuxedStream {
  private static final Logger LOG = LoggerFactory.getLogger(YamuxStream.class);

  /**
   * Hard cap on bytes queued behind the peer's window, whatever the application does: above
   * the largest message a protocol may write at once (64 MiB), far above writeQueueMax.
   */
  public static final long MAX_QUEUED_BYTES = 80L << 20;

  private final YamuxSession session;
  private final int id;
  private final boolean outbound;
  private int windowSize; // grows with auto-tuning (YamuxConfig.maxReceiveWindow)
  private long lastCreditAt; // System.nanoTime() of the last window update we sent, or 0

  private String protocol;
  private ConnectionInfo connection;
  private io.tinyp2p.stream.Traffic traffic; // null: not counted

  // inbound
  private long receiveCredit = YamuxConfig.INITIAL_WINDOW; // bytes the peer may still send
  private long consumed; // delivered bytes not yet returned to the peer as window
  private final ArrayDeque<Buffer> inbound = new ArrayDeque<>();
  private long demand = Long.MAX_VALUE;
  private boolean remoteFin;
  private boolean endDelivered;

  // outbound
  private long sendWindow = YamuxConfig.INITIAL_WINDOW;
  private final ArrayDeque<Buffer> outboundQueue = new ArrayDeque<>();
  private long queuedBytes;
  private int writeQueueMax;
  private boolean synSent;
  private boolean acked;
  private boolean endRequested;
  private boolean finSent;
  private boolean needsDrain;
  boolean waitingForTransport; // in the session's queue of streams waiting for the transport
  long windowBlockedSince; // when the session's tick first saw us blocked on the peer's window

  private boolean closed;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Void> drainHandler;
  private Handler<Void> closeHandler;
  private Handler<Throwable> exceptionHandler;
  private java.util.List<Runnable> terminated;

  YamuxStream(YamuxSession session, int id, boolean outbound) {
    this.session = session;
    this.id = id;
    this.outbound = outbound;
    this.windowSize = session.config.receiveWindow();
    this.writeQueueMax = session.config.writeQueueMax();
  }

  public int id() {
    return id;
  }

  @Override
  public boolean isOutbound() {
    return outbound;
  }

  @Override
  public String protocol() {
    return protocol;
  }

  /** Set by the swarm once multistream-select agreed on a protocol. */
  @Override
  public void protocol(String protocol) {
    this.protocol = protocol;
  }

  @Override
  public void traffic(io.tinyp2p.stream.Traffic traffic) {
    this.traffic = traffic;
  }

  @Override
  public PeerId remotePeer() {
    return connection == null ? null : connection.remotePeer();
  }

  @Override
  public ConnectionInfo connection() {
    return connection;
  }

  /** Set by the connection that carries the session, before the stream is handed out. */
  @Override
  public void connection(ConnectionInfo connection) {
    this.connection = connection;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  // ---- session side ----

  void synSent() {
    synSent = true;
    receiveCredit = windowSize;
    lastCreditAt = session.now();
    flush();
  }

  /** The stream's receive window now: the configured one, or what auto-tuning grew it to. */
  public int receiveWindow() {
    return windowSize;
  }

  boolean isSynSent() {
    return synSent;
  }

  boolean acked() {
    return acked;
  }

  void ackReceived() {
    acked = true;
  }

  long receiveCredit() {
    return receiveCredit;
  }

  boolean remoteEnded() {
    return remoteFin;
  }

  void consumeCredit(long length) {
    receiveCredit -= length;
  }

  void addSendWindow(long delta) {
    session.windowBlocked(this, false);
    sendWindow += delta;
    // A window beyond 2^32 - 1 can only come from a broken or hostile peer; cap it rather than
    // trust it, the peer's own buffers are its problem.
    if (sendWindow > 0xFFFFFFFFL) {
      sendWindow = 0xFFFFFFFFL;
    }
    flush();
  }

  void onData(Buffer data) {
    if (demand > 0 && inbound.isEmpty() && handler != null) {
      deliver(data);
    } else {
      inbound.add(data);
    }
  }

  void remoteFin() {
    remoteFin = true;
    drainInbound();
  }

  void remoteReset() {
    terminate(new StreamResetException("stream reset by peer"));
  }

  void sessionClosed(Throwable reason) {
    if (!closed) {
      terminate(reason);
    }
  }

  // ---- reading ----

  private void deliver(Buffer data) {
    if (demand != Long.MAX_VALUE) {
      demand--;
    }
    consumed += data.length();
    if (traffic != null) {
      traffic.received(data.length());
    }
    if (!call(handler, data, "handler")) {
      reset();
      return;
    }
    // Return credit once half the window has been consumed: few updates, no stalls.
    if (!remoteFin && !closed && consumed >= windowSize / 2) {
      long now = session.now();
      long grow = inbound.isEmpty() && lastCreditAt != 0 ? session.grantGrowth(windowSize, now - lastCreditAt) : 0;
      windowSize += (int) grow;
      lastCreditAt = now;
      receiveCredit += consumed + grow;
      session.sendWindowUpdate(id, 0, consumed + grow);
      consumed = 0;
    }
  }

  private void drainInbound() {
    while (!closed && demand > 0 && handler != null && !inbound.isEmpty()) {
      deliver(inbound.poll());
    }
    if (!closed && remoteFin && inbound.isEmpty() && !endDelivered && (demand > 0 || handler == null)) {
      endDelivered = true;
      call(endHandler, null, "end handler");
      maybeClosed();
    }
  }

  /**
   * Puts bytes back in front of the inbound queue: used by the swarm when bytes that arrived
   * with the end of protocol negotiation belong to the negotiated protocol's handler.
   */
  @Override
  public void unread(Buffer data) {
    consumed -= data.length(); // they will be counted again when delivered
    inbound.addFirst(data);
    if (handler != null) {
      drainInbound();
    }
  }

  @Override
  public YamuxStream handler(Handler<Buffer> handler) {
    this.handler = handler;
    if (handler != null) {
      drainInbound();
    }
    return this;
  }

  @Override
  public YamuxStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public YamuxStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public YamuxStream fetch(long amount) {
    if (amount < 0) {
      throw new IllegalArgumentException("negative fetch " + amount);
    }
    demand = Long.MAX_VALUE - demand < amount ? Long.MAX_VALUE : demand + amount;
    drainInbound();
    return this;
  }

  @Override
  public YamuxStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  @Override
  public YamuxStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public YamuxStream closeHandler(Handler<Void> handler) {
    this.closeHandler = handler;
    return this;
  }

  // ---- writing ----

  @Override
  public Future<Void> write(Buffer data) {
    if (closed || endRequested) {
      return Future.failedFuture(new IllegalStateException("stream " + id + " is closed for writing"));
    }
    if (session.queuedBytes() + data.length() > session.config.maxQueuedBytes()) {
      session.queueOverflow(data.length()); // ends the session: the peer does not read
      return Future.failedFuture(new IllegalStateException("connection has " + session.queuedBytes()
          + " bytes queued for a peer that does not read; limit " + session.config.maxQueuedBytes()));
    }
    if (queuedBytes + data.length() > MAX_QUEUED_BYTES) {
      // the application ignored writeQueueFull(): refuse rather than queue without end
      return Future.failedFuture(new IllegalStateException("stream " + id + " has " + queuedBytes
          + " bytes queued for a peer that does not read; limit " + MAX_QUEUED_BYTES));
    }
    if (data.length() > 0) {
      if (traffic != null) {
        traffic.sent(data.length());
      }
      outboundQueue.add(data);
      queuedBytes += data.length();
      session.queued(data.length());
      flush();
    }
    return Future.succeededFuture();
  }

  /** Sends what the peer's window and the transport allow (the session calls it on drain). */
  void flushQueued() {
    flush();
  }

  private void flush() {
    if (!synSent || closed) {
      return;
    }
    int maxFrame = session.config.maxFrameData();
    while (sendWindow > 0 && !outboundQueue.isEmpty() && session.transportWritable()) {
      Buffer head = outboundQueue.peek();
      int n = (int) Math.min(Math.min(head.length(), sendWindow), maxFrame);
      if (n == head.length()) {
        outboundQueue.poll();
        session.sendData(id, 0, head);
      } else {
        session.sendData(id, 0, head.slice(0, n));
        outboundQueue.poll();
        outboundQueue.addFirst(head.slice(n, head.length()));
      }
      sendWindow -= n;
      queuedBytes -= n;
      session.queued(-n);
    }
    if (!outboundQueue.isEmpty()) {
      if (sendWindow <= 0) {
        session.windowBlocked(this, true);
      } else {
        session.waitForTransport(this);
      }
    }
    if (endRequested && !finSent && outboundQueue.isEmpty()) {
      finSent = true;
      session.sendWindowUpdate(id, Frame.FLAG_FIN, 0);
      maybeClosed();
    }
    if (needsDrain && queuedBytes <= writeQueueMax / 2) {
      if (session.overSoftQueueLimit(this)) {
        return; // our own queue is short; the session tells us when it is too
      }
      drained();
    }
  }

  /** The session's queue went below its soft limit. */
  void sessionDrained() {
    if (!closed && needsDrain && queuedBytes <= writeQueueMax / 2) {
      drained();
    }
  }

  /**
   * Runs a user handler (if set); one that throws is logged and reported as false (data and
   * drain handlers that fail reset the stream, the others are only logged).
   */
  private <T> boolean call(Handler<T> h, T value, String which) {
    if (h == null) {
      return true;
    }
    try {
      h.handle(value);
      return true;
    } catch (RuntimeException e) {
      LOG.warn("stream {} {} failed: {}", id, which, e.toString());
      return false;
    }
  }

  private void drained() {
    needsDrain = false;
    if (!call(drainHandler, null, "drain handler")) {
      reset();
    }
  }

  @Override
  public Future<Void> end() {
    if (closed) {
      return Future.succeededFuture();
    }
    endRequested = true;
    flush();
    return Future.succeededFuture();
  }

  @Override
  public YamuxStream setWriteQueueMaxSize(int maxSize) {
    this.writeQueueMax = maxSize;
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    if (queuedBytes >= writeQueueMax || session.overSoftQueueLimit(this)) {
      needsDrain = true;
      return true;
    }
    return false;
  }

  @Override
  public YamuxStream drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    return this;
  }

  /** Bytes written but not yet sent: the peer's window or the transport is full. */
  public long queuedBytes() {
    return queuedBytes;
  }

  // ---- ending ----

  @Override
  public void reset() {
    if (closed) {
      return;
    }
    session.sendWindowUpdate(id, Frame.FLAG_RST, 0);
    terminate(null);
  }

  private void maybeClosed() {
    if (!closed && finSent && endDelivered) {
      terminate(null);
    }
  }

  /**
   * Runs once when the stream is gone, after the user's handlers: for bookkeeping by the
   * layer that owns the stream, independent of the handlers the application sets.
   */
  @Override
  public void onTerminated(Runnable action) {
    if (terminated == null) {
      terminated = new java.util.ArrayList<>(2);
    }
    terminated.add(action);
  }

  private void terminate(Throwable error) {
    closed = true;
    inbound.clear();
    outboundQueue.clear();
    session.queued(-queuedBytes);
    queuedBytes = 0;
    session.streamClosed(this);
    if (error != null) {
      call(exceptionHandler, error, "exception handler");
    }
    call(closeHandler, null, "close handler");
    if (terminated != null) {
      terminated.forEach(Runnable::run);
    }
  }

  @Override
  public String toString() {
    return "YamuxStream(" + id + (protocol != null ? " " + protocol : "") + ")";
  }

  /** The peer reset the stream. */
  public static final class StreamResetException extends Exception {
    public StreamResetException(String message) {
      super(message, null, false, false);
    }
  }

}
