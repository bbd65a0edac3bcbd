package io.tinyp2p.transport.tcp;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.multistream.Multistream;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.tls.TlsSession;
import io.tinyp2p.transport.ConnectionIds;
import io.tinyp2p.transport.MuxedConnection;
import io.tinyp2p.transport.MuxedStream;
import io.tinyp2p.transport.PeerNotReadingException;
import io.tinyp2p.transport.RawLink;
import io.tinyp2p.transport.TransportException;
import io.tinyp2p.transport.Upgrade;
import io.tinyp2p.util.AfterIo;
import io.tinyp2p.yamux.YamuxException;
import io.tinyp2p.yamux.YamuxSession;
import io.tinyp2p.yamux.YamuxStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection and its upgrade to a libp2p connection, all on the transport's context:
 *
 * <pre>
 *   TCP ─ multistream-select "/noise" ─ Noise XX handshake (2-byte framed) ─ encrypted frames
 *       ─ multistream-select "/yamux/1.0.0" ─ Yamux session ─ streams
 *   TCP ─ multistream-select "/tls/1.0.0" ─ TLS 1.3 handshake ({@code TlsChannel}) ─ TLS records
 *       ─ (unless ALPN chose Yamux) multistream-select "/yamux/1.0.0" ─ Yamux session ─ streams
 * </pre>
 *
 * It is the {@link Upgrade} while the handshake runs and the {@link MuxedConnection} once open.
 * Bytes from the socket go through exactly one stage at a time; bytes that arrive with the
 * end of one stage flow on into the next. Anything malformed closes the connection with one
 * reason (which the swarm logs). Plaintext written during one event-loop task is encrypted and
 * written in one go at its end, so a Yamux header and its data share a Noise frame (or TLS
 * record) and a syscall.
 *
 * <p>Output is bounded: stream data is handed down only while the socket is writable and less
 * than {@link #OUT_HIGH} bytes wait for the end of the task; otherwise the Yamux streams keep
 * it (and their writers see {@code writeQueueFull()}) until the socket drains. Control frames
 * still go out; if a peer keeps making us answer while it reads nothing, we stop reading it
 * too. A socket that stays unwritable for the stall timeout closes the connection.
 */
public final class TcpConnection implements Upgrade, MuxedConnection {
  private static final Logger LOG = LoggerFactory.getLogger(TcpConnection.class);

  /** Largest plaintext in one Noise transport message (65535 minus the 16-byte tag). */
  public static final int MAX_PLAINTEXT = NoiseFrames.MAX_PLAINTEXT;
  /** Plaintext that may wait for the end of the task before streams have to hold their data. */
  static final int OUT_HIGH = 512 * 1024;
  /** Bytes written into an unwritable socket (control frames) before we stop reading the peer. */
  static final int BLOCKED_WRITE_BOUND = 256 * 1024;

  private static final Buffer EMPTY = Buffer.buffer(0);

  private enum State { SECURITY, HANDSHAKE, MUXER, OPEN, CLOSED }

  private final TcpTransport transport;
  private final TcpTransport.Settings settings;
  private final InputScheduler scheduler;
  private final Context context;
  private final RawLink socket; // a TCP socket, or a stream through a relay
  private final String transportName;
  private final Direction direction;
  private final Multiaddr remoteAddr;
  private final Multiaddr localAddr;
  private final long id = ConnectionIds.next();
  private ConnectionInfo info; // once the peer is authenticated
  private final PeerId expectedPeer; // from the dialed address, or null
  private final Promise<MuxedConnection> upgraded;
  private final long openedAt = System.currentTimeMillis();
  private Handler<MuxedStream> inboundStreams;
  private Handler<Throwable> closeHandler;

  private State state = State.SECURITY;
  private State closedIn = State.SECURITY; // the state it was in when it closed
  private boolean started;
  private Multistream negotiation;
  private SecureChannel secure; // Noise or TLS, once negotiated
  private String security; // its protocol id
  private boolean muxerInlined; // TLS's ALPN chose Yamux: no multistream-select for it
  private YamuxSession yamux;
  private PeerId remotePeer;
  private long handshakeTimer = -1;
  private List<Buffer> outPending;
  private int outBytes;
  private boolean flushScheduled;
  private boolean outputResumeScheduled; // yamux.outputReady() waits for the next I/O poll
  private Throwable closeReason;
  private boolean socketBlocked; // the socket's write queue is full: wait for its drain
  private long blockedAt;
  private long writtenWhileBlocked;
  private boolean readPaused; // control frames piled up in a blocked socket: the peer waits
  private boolean inputYielded; // this turn's input budget is used up: the rest waits
  private boolean socketPaused;
  private long turnPhase = -1; // the scheduler's I/O phase of this connection's current turn
  private long turnDeadline;
  private long inputStarted; // System.nanoTime() when the input now handled began
  private long lastYield; // System.nanoTime() of the last yield, or 0
  private Buffer plainBacklog; // Yamux input left when the budget ran out
  private long inputDeferrals;
  private boolean inputEnded; // the peer closed; its last input still waits for its turn
  private long socketClosedAt; // the socket closed while input still waited, or 0

  TcpConnection(TcpTransport transport, TcpTransport.Settings settings, Context context, RawLink socket,
      Direction direction, PeerId expectedPeer, String transportName) {
    this.transport = transport;
    this.settings = settings;
    this.scheduler = transport.inputScheduler();
    this.context = context;
    this.socket = socket;
    this.direction = direction;
    this.expectedPeer = expectedPeer;
    this.transportName = transportName;
    this.remoteAddr = socket.remoteAddress();
    this.localAddr = socket.localAddress();
    this.upgraded = Promise.promise();
  }

  // ---- public view ----

  /** The authenticated peer; null before the security handshake completed. */
  public PeerId remotePeer() {
    return remotePeer;
  }

  /** What the connection's streams tell their protocols about it; null before the peer is authenticated. */
  @Override
  public ConnectionInfo info() {
    return info;
  }

  @Override
  public Multiaddr remoteAddress() {
    return remoteAddr;
  }

  @Override
  public Direction direction() {
    return direction;
  }

  @Override
  public long openedAt() {
    return openedAt;
  }

  @Override
  public boolean isOpen() {
    return state == State.OPEN;
  }

  /** How far the upgrade got: 0 security negotiation, 1 Noise or TLS, 2 muxer, 3 open (kept once closed). */
  @Override
  public int stage() {
    return (state == State.CLOSED ? closedIn : state).ordinal();
  }

  @Override
  public int streamCount() {
    return yamux == null ? 0 : yamux.streamCount();
  }

  @Override
  public Future<MuxedStream> openStream() {
    if (state != State.OPEN) {
      return Future.failedFuture(new TransportException("connection is not open"));
    }
    try {
      return Future.succeededFuture(yamux.openStream());
    } catch (YamuxException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public void inboundStreamHandler(Handler<MuxedStream> handler) {
    this.inboundStreams = handler;
  }

  @Override
  public void closeHandler(Handler<Throwable> handler) {
    this.closeHandler = handler;
    if (handler != null && state == State.CLOSED && upgraded.future().succeeded()) {
      handler.handle(closeReason);
    }
  }

  /** Closes the connection: Yamux go-away, then the socket. */
  @Override
  public void close() {
    closeWith(null);
  }

  @Override
  public void abort() {
    closeWith(null);
  }

  @Override
  public Future<MuxedConnection> result() {
    return upgraded.future();
  }

  // ---- upgrade ----

  /** Starts the upgrade (once; not after an abort). */
  public void start() {
    if (started || state == State.CLOSED) {
      return;
    }
    started = true;
    handshakeTimer = context.owner().setTimer(settings.handshakeTimeout().toMillis(),
        t -> {
          handshakeTimer = -1;
          if (state != State.OPEN) {
            closeWith(new TransportException("handshake timed out in state " + state));
          }
        });
    socket.handler(this::onSocketData);
    socket.closeHandler(v -> onSocketClosed());
    socket.endHandler(v -> onSocketEnded());
    socket.exceptionHandler(e -> closeWith(new TransportException("socket error: " + e.getMessage())));
    socket.drainHandler(v -> onSocketDrained());
    negotiation = negotiate(settings.securityProtocols(), this::onSecurityNegotiated, socket::write);
  }

  private Multistream negotiate(List<String> protocols, java.util.function.BiConsumer<String, Buffer> next,
      java.util.function.Consumer<Buffer> out) {
    return Negotiation.start(direction == Direction.OUTBOUND, protocols, next, out, this::closeWith);
  }

  private void onSecurityNegotiated(String protocol, Buffer remaining) {
    security = protocol;
    state = State.HANDSHAKE;
    negotiation = null;
    boolean dialer = direction == Direction.OUTBOUND;
    java.util.function.Consumer<String> failed = reason -> closeWith(new TransportException(reason));
    if (protocol.equals(TcpTransport.TLS)) {
      TlsSession session = transport.tlsSession(dialer, expectedPeer);
      TlsChannel tls = new TlsChannel(session, socket::write,
          () -> onSecured(session.remotePeer(), session.inlinedMuxer() != null), this::onPlaintext, failed);
      secure = tls;
      tls.start(remaining, () -> state == State.CLOSED);
    } else {
      NoiseChannel noise = new NoiseChannel(settings.identity(), dialer, expectedPeer, socket::write,
          peer -> onSecured(peer, false), this::onPlaintext, failed);
      secure = noise;
      noise.start(remaining, () -> state == State.CLOSED);
    }
  }

  private void onSocketData(Buffer data) {
    try {
      switch (state) {
        case SECURITY -> negotiation.onData(data);
        case HANDSHAKE, MUXER -> secure.onData(data, this::stopInput);
        case OPEN -> {
          if (inputYielded) {
            secure.append(data); // what came in before the socket paused waits its turn
            return;
          }
          long phase = scheduler.phase();
          if (phase != turnPhase) {
            turnPhase = phase;
            turnDeadline = System.nanoTime() + scheduler.turnNanos();
          }
          long now = System.nanoTime();
          if (scheduler.spent(now) && secure.buffered() + data.length() > InputScheduler.SMALL_INPUT) {
            secure.append(data); // the phase's share is used up: a large input waits for a round
            yieldInput();
          } else {
            inputStarted = now;
            secure.onData(data, this::stopInput);
          }
        }
        case CLOSED -> { }
      }
    } catch (RuntimeException e) {
      // A bug, not the peer's doing; still, never let it escape to the event loop.
      LOG.error("connection {} failed on input", this, e);
      closeWith(new TransportException("internal error: " + e));
    }
  }

  /** The security handshake proved the peer: the muxer comes next, negotiated or (TLS's ALPN) inlined. */
  private void onSecured(PeerId peer, boolean muxerInlined) {
    remotePeer = peer;
    info = new ConnectionInfo(id, direction, localAddr, remoteAddr, remotePeer, transportName, security);
    if (expectedPeer != null && !expectedPeer.equals(remotePeer)) {
      closeWith(new TransportException("dialed " + expectedPeer + " but the remote is " + remotePeer));
      return;
    }
    state = State.MUXER;
    this.muxerInlined = muxerInlined;
    if (muxerInlined) {
      onYamuxNegotiated(null);
    } else {
      negotiation = negotiate(List.of(TcpTransport.YAMUX), (p, rest) -> onYamuxNegotiated(rest), this::writePlain);
    }
  }

  private void onPlaintext(Buffer plain) {
    if (state == State.MUXER) {
      negotiation.onData(plain);
    } else if (state == State.OPEN) {
      int used = yamux.onData(plain, this::stopInput);
      if (used < plain.length() && state == State.OPEN) {
        plainBacklog = plain.slice(used, plain.length());
      }
    }
  }

  // ---- input budget ----
  //
  // Netty reads up to 16 buffers from one socket before it turns to the next, and a peer can
  // pack a thousand stream openings into one of them. Each connection's input gets a turn
  // (Settings.inputTurn) in each I/O phase, and the phase as a whole a share that the
  // transport's InputScheduler keeps; past either, the connection stops between two frames,
  // stops reading its socket and waits for the scheduler to give it its next turn.

  /** Checked between frames: whether to stop here (closed, or this turn is used up). */
  private boolean stopInput() {
    if (state == State.CLOSED || inputYielded) {
      return true;
    }
    if (state == State.OPEN) {
      long now = System.nanoTime();
      // past its turn; or past the phase's share, at once for a connection that waited lately
      // and after a sparse peer's allowance for the others (a hundred fresh connections with
      // a turn each would otherwise make one phase a hundred turns long)
      if (now - turnDeadline > 0 || (scheduler.spent(now)
          && (lastYield != 0 && now - lastYield < HEAVY_NANOS || now - inputStarted > SPARSE_NANOS))) {
        yieldInput();
        return true;
      }
    }
    return false;
  }

  /** A connection that waited for a turn within this long stops as soon as the share is used up. */
  private static final long HEAVY_NANOS = 1_000_000_000L;
  /**
   * What the input of a connection that has not waited lately may still take once the phase's
   * share is used up: a ping or a stream opening (tens of microseconds), not a turn.
   */
  static final long SPARSE_NANOS = 100_000;

  private void yieldInput() {
    inputYielded = true;
    inputDeferrals++;
    lastYield = System.nanoTime();
    updateReading();
    scheduler.await(this);
  }

  /** How often this connection's input used up its turn and waited for the next one. */
  @Override
  public long inputDeferrals() {
    return inputDeferrals;
  }

  /** The scheduler gives this connection a turn, until {@code deadline}. */
  void continueInput(long deadline) {
    if (!inputYielded || state == State.CLOSED) {
      return;
    }
    try {
      inputYielded = false;
      turnDeadline = deadline;
      inputStarted = System.nanoTime();
      if (plainBacklog != null) {
        Buffer backlog = plainBacklog;
        plainBacklog = null;
        onPlaintext(backlog);
        if (inputYielded || state == State.CLOSED) {
          return;
        }
      }
      if (secure.buffered() > 0) {
        secure.onData(EMPTY, this::stopInput);
      }
      if (!inputYielded) {
        if (inputEnded) {
          socketGone();
        } else {
          updateReading();
        }
      }
    } catch (RuntimeException e) {
      LOG.error("connection {} failed on input", this, e);
      closeWith(new TransportException("internal error: " + e));
    }
  }

  private void updateReading() {
    boolean pause = (readPaused || inputYielded) && state != State.CLOSED;
    if (pause != socketPaused) {
      socketPaused = pause;
      if (pause) {
        socket.pause();
      } else {
        socket.resume();
      }
    }
  }

  private void onYamuxNegotiated(Buffer remaining) {
    negotiation = null;
    state = State.OPEN;
    if (handshakeTimer >= 0) {
      context.owner().cancelTimer(handshakeTimer);
      handshakeTimer = -1;
    }
    yamux = new YamuxSession(direction == Direction.OUTBOUND, settings.yamux(),
        this::writePlain, new YamuxSession.Listener() {
          @Override
          public void inboundStream(YamuxStream stream) {
            onInboundStream(stream);
          }

          @Override
          public void closed(Throwable error) {
            if (error instanceof YamuxSession.SlowReaderException) {
              closeWith(new PeerNotReadingException(PeerNotReadingException.Kind.QUEUE_OVERFLOW,
                  "yamux: " + error.getMessage()));
              return;
            }
            closeWith(error == null ? null : new TransportException("yamux: " + error.getMessage()));
          }
        });
    yamux.sharedWindowBudget(transport.windowBudget());
    yamux.transport(this::acceptsData);
    upgraded.tryComplete(this);
    inputStarted = System.nanoTime();
    turnDeadline = inputStarted + scheduler.turnNanos(); // the rest of this input is its first turn
    if (remaining != null && state == State.OPEN) {
      yamux.onData(remaining);
    }
  }

  private void onInboundStream(YamuxStream stream) {
    Handler<MuxedStream> handler = inboundStreams;
    if (handler == null) {
      stream.reset(); // nobody takes streams from this connection
      return;
    }
    handler.handle(stream);
  }

  // ---- output ----

  /** Whether stream data may be handed down now (else the streams hold it). */
  private boolean acceptsData() {
    return state == State.OPEN && !socketBlocked && outBytes < OUT_HIGH;
  }

  private void onSocketDrained() {
    socketBlocked = false;
    writtenWhileBlocked = 0;
    if (readPaused) {
      readPaused = false;
      updateReading();
    }
    if (yamux != null && state == State.OPEN) {
      yamux.outputReady();
    }
  }

  /**
   * Housekeeping, about once a second: a socket that has not drained for the write-stall timeout
   * closes the connection (the peer stopped reading); streams the peer gives no window reset.
   */
  @Override
  public int tick(long now) {
    if (state == State.CLOSED) {
      return 0;
    }
    long stallMillis = settings.writeStallTimeout().toMillis();
    if (socketClosedAt > 0 && (!inputYielded || now - socketClosedAt >= stallMillis)) {
      // the socket closed while input waited in line: once that input had its turns (Vert.x
      // hands over what it held after the resume, within the tick), the connection goes;
      // still waiting after the stall timeout, it goes anyway
      socketGone();
      return 0;
    }
    if (socketBlocked && now - blockedAt >= stallMillis) {
      closeWith(new PeerNotReadingException(PeerNotReadingException.Kind.WRITE_STALLED,
          "peer stopped reading: our output has not drained for " + (now - blockedAt) + " ms"));
      return 0;
    }
    return yamux == null ? 0 : yamux.tick(now, stallMillis);
  }

  /** Queues plaintext; it is encrypted and written at the end of the current task. */
  private void writePlain(Buffer plain) {
    if (state == State.CLOSED || plain.length() == 0) {
      return;
    }
    if (outPending == null) {
      outPending = new ArrayList<>();
    }
    outPending.add(plain);
    outBytes += plain.length();
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> flush());
    }
  }

  /** Encrypts everything queued into one buffer of Noise frames and writes it. */
  private void flush() {
    flushScheduled = false;
    List<Buffer> pieces = outPending;
    int total = outBytes;
    outPending = null;
    outBytes = 0;
    if (pieces == null || state == State.CLOSED) {
      return;
    }
    byte[] out;
    try {
      out = secure.seal(pieces, total);
    } catch (TransportException e) {
      closeWith(e);
      return;
    }
    if (socketBlocked) {
      // only control frames get here while blocked; a peer that keeps asking for them without
      // reading the answers is not read either until it does
      writtenWhileBlocked += out.length;
      if (writtenWhileBlocked > BLOCKED_WRITE_BOUND && !readPaused) {
        readPaused = true;
        updateReading();
      }
    }
    socket.write(Buffer.buffer(out));
    if (!socketBlocked && socket.writeQueueFull()) {
      socketBlocked = true;
      blockedAt = System.currentTimeMillis();
    } else if (!socketBlocked && yamux != null && !outputResumeScheduled) {
      // streams held back by OUT_HIGH go on, but only after other sockets had their turn:
      // resumed within this task, a fast reader would have us encrypt for it alone until
      // its socket fills
      outputResumeScheduled = true;
      AfterIo.run(context, v -> {
        outputResumeScheduled = false;
        if (state == State.OPEN && !socketBlocked) {
          yamux.outputReady();
        }
      });
    }
  }

  // ---- closing ----

  private void onSocketClosed() {
    if (inputYielded && !readPaused && state != State.CLOSED) {
      // Vert.x still holds what it read before we paused; its end comes after that input
      socketClosedAt = System.currentTimeMillis();
      return;
    }
    socketGone();
  }

  /** All the peer's input was handed to us; the end comes after what is still ours to process. */
  private void onSocketEnded() {
    if (inputYielded && state != State.CLOSED) {
      inputEnded = true;
    } else {
      socketGone();
    }
  }

  private void socketGone() {
    if (state != State.CLOSED) {
      terminate(state == State.OPEN ? null : new TransportException("peer closed the connection during " + state));
    }
  }

  private void closeWith(Throwable reason) {
    if (state == State.CLOSED) {
      return;
    }
    if (yamux != null && !yamux.isClosed() && reason == null) {
      yamux.close(); // go-away; its listener calls back here, by then CLOSED is not set yet
    }
    if (state == State.CLOSED) {
      return;
    }
    if (outPending != null) {
      flush();
    }
    terminate(reason);
    if (socketBlocked) {
      socket.closeNow(); // a graceful close would wait behind output the peer does not read: drop it
    } else {
      socket.close();
    }
  }

  private void terminate(Throwable reason) {
    if (state == State.CLOSED) {
      return;
    }
    closedIn = state;
    state = State.CLOSED;
    closeReason = reason;
    outPending = null;
    outBytes = 0;
    if (handshakeTimer >= 0) {
      context.owner().cancelTimer(handshakeTimer);
      handshakeTimer = -1;
    }
    if (yamux != null) {
      yamux.abort(reason);
    }
    if (!upgraded.future().isComplete()) {
      upgraded.tryFail(reason != null ? reason : new TransportException("connection closed during upgrade"));
    } else if (closeHandler != null) {
      closeHandler.handle(reason);
    }
  }

  @Override
  public String security() {
    return security;
  }

  /** Whether TLS's ALPN settled on Yamux, so that it was not negotiated with multistream-select. */
  boolean muxerInlined() {
    return muxerInlined;
  }

  @Override
  public Throwable closeReason() {
    return closeReason;
  }

  @Override
  public String toString() {
    // a relayed connection's address names its peer already
    return direction.json() + " " + remoteAddr + (remotePeer != null && remoteAddr.peerId() == null ? "/p2p/" + remotePeer : "");
  }
}
