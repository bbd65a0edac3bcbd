package io.tinyp2p.yamux;

import io.tinyp2p.transport.BufferedStream;
import io.tinyp2p.transport.MuxedStream;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;

/**
 * One Yamux stream. Reading follows Vert.x demand ({@link #pause}, {@link #resume},
 * {@link #fetch}); bytes the application has not consumed yet are queued (at most one receive
 * window, which the peer cannot exceed) and withhold the window update. Writing queues behind
 * the peer's send window; {@link #writeQueueFull()} turns true past the queue limit and the
 * drain handler runs when it has halved. It is the {@link MuxedStream} the TCP transport's
 * connections hand out.
 */
public final class YamuxStream extends BufferedStream {
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

  // inbound
  private long receiveCredit = YamuxConfig.INITIAL_WINDOW; // bytes the peer may still send
  private long consumed; // delivered bytes not yet returned to the peer as window

  // outbound
  private long sendWindow = YamuxConfig.INITIAL_WINDOW;
  private final ArrayDeque<Buffer> outboundQueue = new ArrayDeque<>();
  private long queuedBytes;
  private boolean synSent;
  private boolean acked;
  private boolean endRequested;
  private boolean finSent;
  private boolean needsDrain;
  boolean waitingForTransport; // in the session's queue of streams waiting for the transport
  long windowBlockedSince; // when the session's tick first saw us blocked on the peer's window

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
    return finReceived;
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
    received(data);
  }

  void remoteFin() {
    receivedFin();
  }

  void remoteReset() {
    terminate(new StreamResetException("stream reset by peer"));
  }

  void sessionClosed(Throwable reason) {
    terminate(reason);
  }

  // ---- reading ----

  /** Returns credit once half the window has been consumed: few updates, no stalls. */
  @Override
  protected void delivered(Buffer data) {
    consumed += data.length();
    if (!finReceived && !isClosed() && consumed >= windowSize / 2) {
      long now = session.now();
      long grow = nothingQueued() && lastCreditAt != 0 ? session.grantGrowth(windowSize, now - lastCreditAt) : 0;
      windowSize += (int) grow;
      lastCreditAt = now;
      receiveCredit += consumed + grow;
      session.sendWindowUpdate(id, 0, consumed + grow);
      consumed = 0;
    }
  }

  @Override
  protected void drained() {
    maybeClosed();
  }

  /**
   * Puts bytes back in front of the inbound queue: used by the swarm when bytes that arrived
   * with the end of protocol negotiation belong to the negotiated protocol's handler.
   */
  @Override
  public void unread(Buffer data) {
    consumed -= data.length(); // they will be counted again when delivered
    super.unread(data);
  }
  // ---- writing ----

  @Override
  public Future<Void> write(Buffer data) {
    if (isClosed() || endRequested) {
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
      if (traffic() != null) {
        traffic().sent(data.length());
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
    if (!synSent || isClosed()) {
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
      drainedOutput();
    }
  }

  /** The session's queue went below its soft limit. */
  void sessionDrained() {
    if (!isClosed() && needsDrain && queuedBytes <= writeQueueMax / 2) {
      drainedOutput();
    }
  }

  private void drainedOutput() {
    needsDrain = false;
    runDrainHandler();
  }

  @Override
  public Future<Void> end() {
    if (isClosed()) {
      return Future.succeededFuture();
    }
    endRequested = true;
    flush();
    return Future.succeededFuture();
  }

  @Override
  public boolean writeQueueFull() {
    if (queuedBytes >= writeQueueMax || session.overSoftQueueLimit(this)) {
      needsDrain = true;
      return true;
    }
    return false;
  }

  /** Bytes written but not yet sent: the peer's window or the transport is full. */
  public long queuedBytes() {
    return queuedBytes;
  }

  // ---- ending ----

  @Override
  public void reset() {
    if (isClosed()) {
      return;
    }
    session.sendWindowUpdate(id, Frame.FLAG_RST, 0);
    terminate(null);
  }

  private void maybeClosed() {
    if (!isClosed() && finSent && endDelivered) {
      terminate(null);
    }
  }

  @Override
  protected void released() {
    outboundQueue.clear();
    session.queued(-queuedBytes);
    queuedBytes = 0;
    session.streamClosed(this);
  }

  @Override
  public String toString() {
    return "YamuxStream(" + id + (protocol() != null ? " " + protocol() : "") + ")";
  }

  /** The peer reset the stream. */
  public static final class StreamResetException extends Exception {
    public StreamResetException(String message) {
      super(message, null, false, false);
    }
  }

}
