package io.tinyp2p.yamux;

import static io.tinyp2p.yamux.Frame.FLAG_ACK;
import static io.tinyp2p.yamux.Frame.FLAG_FIN;
import static io.tinyp2p.yamux.Frame.FLAG_RST;
import static io.tinyp2p.yamux.Frame.FLAG_SYN;
import static io.tinyp2p.yamux.Frame.HEADER_LENGTH;
import static io.tinyp2p.yamux.Frame.TYPE_DATA;
import static io.tinyp2p.yamux.Frame.TYPE_GO_AWAY;
import static io.tinyp2p.yamux.Frame.TYPE_PING;
import static io.tinyp2p.yamux.Frame.TYPE_WINDOW_UPDATE;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A Yamux session (hashicorp/yamux spec.md, as libp2p uses it) over an ordered, reliable byte
 * stream. Sans-IO and single-threaded: feed it the peer's bytes with {@link #onData}; it writes
 * frames through {@code out} and reports streams and its end through {@link Listener}.
 *
 * <p>Flow control: every stream starts with the spec's 256 KiB window each way; a larger
 * configured receive window is announced with the first window update. A stream returns
 * credit to the peer once the application has consumed half its window, so a paused reader
 * stops its sender. Data beyond the window is a protocol error.
 *
 * <p>Stream ids: the dialer (client) uses odd ids, the listener even ones. A frame for a
 * stream that was closed is ignored (it may have been in flight); a frame for a stream that
 * never existed is a protocol error. At most 256 of our streams wait for the peer's ACK at a
 * time; further opens wait for an ACK before their SYN goes out.
 *
 * <p>Backpressure towards the transport: data frames go out only while the transport says it
 * is writable ({@link #transport}); streams that have data but meet a full transport wait in a
 * round-robin queue until {@link #outputReady} is called, so one busy stream cannot starve the
 * others and nothing piles up below the streams. Control frames (window updates, ACKs, pings,
 * resets) are small and always go out. Bytes that streams hold for the peer are bounded: past
 * {@code maxQueuedBytes / 4} every stream reports {@code writeQueueFull()}, past
 * {@code maxQueuedBytes} the session ends (the peer does not read), and {@link #tick} resets a
 * stream whose peer granted no window for the stall timeout.
 */
public final class YamuxSession {
  /** Streams of ours that may await the peer's ACK at once (the spec's backlog). */
  public static final int MAX_ACK_BACKLOG = 256;
  /**
   * Pings a peer may ask us to answer per second; more is a flood, and a protocol error (peers
   * ping to measure round trips or keep a connection alive, a few times a minute).
   */
  public static final int MAX_PINGS_PER_SECOND = 100;

  /** What the owner of a session hears from it. */
  public interface Listener {
    /** The peer opened a stream; set its handlers before returning. */
    void inboundStream(YamuxStream stream);

    /** The session ended; {@code error} is null when it closed normally (go-away or close). */
    void closed(Throwable error);
  }

  final YamuxConfig config;
  private final boolean client;
  private final Consumer<Buffer> out;
  private final Listener listener;
  private final Map<Integer, YamuxStream> streams = new HashMap<>();
  private final ArrayDeque<YamuxStream> awaitingSyn = new ArrayDeque<>();
  private int nextStreamId;
  private int highestRemoteId;
  private int unacked;
  private boolean goAwayReceived;
  private boolean goAwaySent;
  private boolean closed;
  private java.util.function.BooleanSupplier transportWritable = () -> true;
  private final ArrayDeque<YamuxStream> waitingForTransport = new ArrayDeque<>();
  private final java.util.LinkedHashSet<YamuxStream> windowBlocked = new java.util.LinkedHashSet<>();
  private final java.util.LinkedHashSet<YamuxStream> waitingForDrain = new java.util.LinkedHashSet<>();
  private long stalledStreamsReset;
  private long pingWindowStart = System.nanoTime();
  private int pingsInWindow;
  // window auto-tuning: the round trip from a ping of ours, and the growth handed out
  private static final long RTT_MAX_AGE = 10_000_000_000L;
  private long rttNanos; // 0 until measured
  private long rttMeasuredAt;
  private long pingSentAt; // 0 when no ping of ours is out
  private int pingOpaque;
  private long windowGrowth; // bytes all streams' windows grew by
  private java.util.function.LongSupplier clock = System::nanoTime;
  private java.util.concurrent.atomic.AtomicLong sharedBudget; // of all sessions of a node, or null

  // Parser: a header is collected in headerBytes; a data body streams to bodyStream.
  private final byte[] headerBytes = new byte[HEADER_LENGTH];
  private int headerFill;
  private long bodyRemaining;
  private YamuxStream bodyStream; // null while discarding the body of a closed stream
  private int bodyFlags;

  public YamuxSession(boolean client, YamuxConfig config, Consumer<Buffer> out, Listener listener) {
    this.client = client;
    this.config = config;
    this.out = out;
    this.listener = listener;
    this.nextStreamId = client ? 1 : 2;
  }

  public boolean isClient() {
    return client;
  }

  public boolean isClosed() {
    return closed;
  }

  public int streamCount() {
    return streams.size();
  }

  /**
   * Opens a stream. Its SYN goes out now, or once the peer acknowledged enough earlier
   * streams; writes before that are queued.
   *
   * @throws YamuxException if the session is closed, going away, or at its stream limit
   */
  public YamuxStream openStream() throws YamuxException {
    if (closed) {
      throw new YamuxException("session is closed");
    }
    if (goAwayReceived || goAwaySent) {
      throw new YamuxException("session is going away");
    }
    if (streams.size() >= config.maxStreams()) {
      throw new YamuxException("stream limit reached (" + config.maxStreams() + ")");
    }
    if (nextStreamId < 0) {
      throw new YamuxException("stream ids exhausted");
    }
    int id = nextStreamId;
    nextStreamId += 2;
    YamuxStream stream = new YamuxStream(this, id, true);
    streams.put(id, stream);
    if (unacked < MAX_ACK_BACKLOG) {
      sendSyn(stream);
    } else {
      awaitingSyn.add(stream);
    }
    return stream;
  }

  private void sendSyn(YamuxStream stream) {
    unacked++;
    sendWindowUpdate(stream.id(), FLAG_SYN, config.receiveWindow() - YamuxConfig.INITIAL_WINDOW);
    stream.synSent();
  }

  /** Feeds bytes from the peer; protocol violations close the session. */
  public void onData(Buffer data) {
    onData(data, () -> false);
  }

  /**
   * Feeds bytes from the peer until they are used up or, between two frames, {@code pause}
   * says to stop (the caller's share of the event loop is used up); returns how many bytes
   * were taken. The caller feeds the rest later.
   */
  public int onData(Buffer data, java.util.function.BooleanSupplier pause) {
    int pos = 0;
    int len = data.length();
    while (pos < len && !closed) {
      if (pos > 0 && bodyRemaining == 0 && headerFill == 0 && pause.getAsBoolean()) {
        return pos;
      }
      if (bodyRemaining > 0) {
        int n = (int) Math.min(bodyRemaining, len - pos);
        bodyRemaining -= n;
        if (bodyStream != null && !bodyStream.isClosed()) {
          bodyStream.onData(data.slice(pos, pos + n));
        }
        pos += n;
        if (bodyRemaining == 0) {
          endOfFrame();
        }
      } else {
        int n = Math.min(HEADER_LENGTH - headerFill, len - pos);
        data.getBytes(pos, pos + n, headerBytes, headerFill);
        headerFill += n;
        pos += n;
        if (headerFill == HEADER_LENGTH) {
          headerFill = 0;
          try {
            onHeader();
          } catch (YamuxException e) {
            protocolError(e.getMessage());
          }
        }
      }
    }
    return len;
  }

  private void onHeader() throws YamuxException {
    int version = headerBytes[0] & 0xFF;
    int type = headerBytes[1] & 0xFF;
    int flags = ((headerBytes[2] & 0xFF) << 8) | (headerBytes[3] & 0xFF);
    int id = ((headerBytes[4] & 0xFF) << 24) | ((headerBytes[5] & 0xFF) << 16)
        | ((headerBytes[6] & 0xFF) << 8) | (headerBytes[7] & 0xFF);
    long length = (((headerBytes[8] & 0xFFL) << 24) | ((headerBytes[9] & 0xFF) << 16)
        | ((headerBytes[10] & 0xFF) << 8) | (headerBytes[11] & 0xFF));
    if (version != Frame.VERSION) {
      throw new YamuxException("unsupported yamux version " + version);
    }
    switch (type) {
      case TYPE_DATA -> onDataHeader(flags, id, length);
      case TYPE_WINDOW_UPDATE -> onWindowUpdate(flags, id, length);
      case TYPE_PING -> onPing(flags, id, length);
      case TYPE_GO_AWAY -> onGoAway(id, length);
      default -> throw new YamuxException("unknown yamux frame type " + type);
    }
  }

  private void onDataHeader(int flags, int id, long length) throws YamuxException {
    YamuxStream stream = streamFor(flags, id);
    if (length > 0) {
      if (stream != null) {
        if (length > stream.receiveCredit()) {
          throw new YamuxException("stream " + id + " sent " + length
              + " bytes beyond its receive window of " + stream.receiveCredit());
        }
        if (stream.remoteEnded()) {
          throw new YamuxException("stream " + id + " sent data after FIN");
        }
        stream.consumeCredit(length);
      } else if (length > config.maxReceiveWindow()) {
        throw new YamuxException("data frame of " + length + " bytes exceeds any window");
      }
      bodyStream = stream;
      bodyFlags = flags;
      bodyRemaining = length;
    } else {
      streamEndFlags(stream, flags);
    }
  }

  private void endOfFrame() {
    YamuxStream stream = bodyStream;
    bodyStream = null;
    streamEndFlags(stream, bodyFlags);
  }

  private void onWindowUpdate(int flags, int id, long delta) throws YamuxException {
    YamuxStream stream = streamFor(flags, id);
    if (stream != null && delta > 0) {
      stream.addSendWindow(delta);
    }
    streamEndFlags(stream, flags);
  }

  /**
   * Resolves the stream a DATA or WINDOW_UPDATE frame is for, creating it on SYN and
   * completing our open on ACK. Null for a stream that was closed (the frame is ignored).
   */
  private YamuxStream streamFor(int flags, int id) throws YamuxException {
    if (id == 0) {
      throw new YamuxException("stream frame with stream id 0");
    }
    boolean remoteParity = (id & 1) == (client ? 0 : 1);
    if ((flags & FLAG_SYN) != 0) {
      if (!remoteParity) {
        throw new YamuxException("peer opened stream " + id + " with our parity");
      }
      if (Integer.compareUnsigned(id, highestRemoteId) <= 0) {
        throw new YamuxException("peer reopened stream id " + id);
      }
      highestRemoteId = id;
      if (goAwaySent || streams.size() >= config.maxStreams()) {
        sendWindowUpdate(id, FLAG_RST, 0);
        return null;
      }
      YamuxStream stream = new YamuxStream(this, id, false);
      streams.put(id, stream);
      sendWindowUpdate(id, FLAG_ACK, config.receiveWindow() - YamuxConfig.INITIAL_WINDOW);
      stream.synSent();
      listener.inboundStream(stream);
      return stream.isClosed() ? null : stream;
    }
    YamuxStream stream = streams.get(id);
    if (stream == null) {
      boolean existed = remoteParity
          ? Integer.compareUnsigned(id, highestRemoteId) <= 0
          : Integer.compareUnsigned(id, nextStreamId) < 0;
      if (!existed) {
        throw new YamuxException("frame for unknown stream " + id);
      }
      return null;
    }
    if ((flags & FLAG_ACK) != 0 && stream.isOutbound() && !stream.acked()) {
      stream.ackReceived();
      unacked--;
      while (unacked < MAX_ACK_BACKLOG && !awaitingSyn.isEmpty()) {
        YamuxStream next = awaitingSyn.poll();
        if (!next.isClosed()) {
          sendSyn(next);
        }
      }
    }
    return stream;
  }

  private void streamEndFlags(YamuxStream stream, int flags) {
    if (stream == null) {
      return;
    }
    if ((flags & FLAG_RST) != 0) {
      stream.remoteReset();
    } else if ((flags & FLAG_FIN) != 0) {
      stream.remoteFin();
    }
  }

  private void onPing(int flags, int id, long opaque) throws YamuxException {
    if (id != 0) {
      throw new YamuxException("ping on stream " + id);
    }
    if ((flags & FLAG_SYN) != 0) {
      long now = System.nanoTime();
      if (now - pingWindowStart > 1_000_000_000L) {
        pingWindowStart = now;
        pingsInWindow = 0;
      }
      if (++pingsInWindow > MAX_PINGS_PER_SECOND) {
        throw new YamuxException("ping flood: more than " + MAX_PINGS_PER_SECOND + " pings in a second");
      }
      send(Frame.header(TYPE_PING, FLAG_ACK, 0, opaque));
    } else if ((flags & FLAG_ACK) != 0 && pingSentAt != 0 && opaque == (pingOpaque & 0xFFFFFFFFL)) {
      long now = now();
      rttNanos = Math.max(1, now - pingSentAt);
      rttMeasuredAt = now;
      pingSentAt = 0;
    }
  }

  /**
   * A budget of window growth this session shares with others (a node's connections): what all of
   * them together can be made to buffer beyond their streams' configured windows.
   */
  public void sharedWindowBudget(java.util.concurrent.atomic.AtomicLong budget) {
    this.sharedBudget = budget;
  }

  /** The clock of the window tuning, in nanoseconds; tests drive a simulated link with it. */
  void clock(java.util.function.LongSupplier nanos) {
    this.clock = nanos;
  }

  long now() {
    return clock.getAsLong();
  }

  /** The round trip measured by our last ping, in nanoseconds; 0 until one came back. */
  public long rttNanos() {
    return rttNanos;
  }

  /**
   * How much a stream's receive window should grow at this window update: {@code window} more
   * (doubling it) when its reader kept up and the last half window arrived within two round trips
   * ({@code sinceLastUpdate}), so the window, not the reader, bounds the transfer; 0 otherwise,
   * or past the stream's cap or the session's budget. Asks for a round trip (a ping) when none
   * is known or it is old, and grows nothing until it is back.
   */
  long grantGrowth(int window, long sinceLastUpdate) {
    if (config.maxReceiveWindow() <= window || closed) {
      return 0;
    }
    long now = now();
    if (rttNanos == 0 || now - rttMeasuredAt > RTT_MAX_AGE) {
      if (pingSentAt == 0 || now - pingSentAt > RTT_MAX_AGE) {
        pingSentAt = now;
        pingOpaque++;
        send(Frame.header(TYPE_PING, FLAG_SYN, 0, pingOpaque & 0xFFFFFFFFL));
      }
      if (rttNanos == 0) {
        return 0;
      }
    }
    if (sinceLastUpdate >= 2 * rttNanos) {
      return 0;
    }
    long grow = Math.min(Math.min(window, config.maxReceiveWindow() - window), config.windowBudget() - windowGrowth);
    if (sharedBudget != null) {
      grow = Math.min(grow, sharedBudget.get());
    }
    if (grow <= 0) {
      return 0;
    }
    if (sharedBudget != null) {
      sharedBudget.addAndGet(-grow);
    }
    windowGrowth += grow;
    return grow;
  }

  /** Bytes all streams' receive windows have grown by through auto-tuning. */
  public long windowGrowth() {
    return windowGrowth;
  }

  private void onGoAway(int id, long code) throws YamuxException {
    if (id != 0) {
      throw new YamuxException("go-away on stream " + id);
    }
    goAwayReceived = true;
    if (code != Frame.GO_AWAY_NORMAL) {
      shutdown(new YamuxException("peer went away with error code " + code));
    } else if (streams.isEmpty()) {
      shutdown(null);
    }
  }

  // ---- called by streams ----

  private long queuedBytes;

  /** Bytes queued in all streams: behind the peer's windows or a full transport. */
  public long queuedBytes() {
    return queuedBytes;
  }

  void queued(long delta) {
    queuedBytes += delta;
    if (delta < 0 && !waitingForDrain.isEmpty() && queuedBytes <= softQueueLimit() / 2) {
      for (YamuxStream stream : new ArrayList<>(waitingForDrain)) {
        waitingForDrain.remove(stream);
        stream.sessionDrained();
      }
    }
  }

  /** Past this, every stream of the session reports {@code writeQueueFull()}. */
  long softQueueLimit() {
    return config.maxQueuedBytes() / 4;
  }

  boolean overSoftQueueLimit(YamuxStream asking) {
    if (queuedBytes < softQueueLimit()) {
      return false;
    }
    waitingForDrain.add(asking);
    return true;
  }

  /**
   * A write would take the session past {@code maxQueuedBytes}: the peer does not read what
   * we send. The session ends with a {@link SlowReaderException}.
   */
  void queueOverflow(long wanted) {
    if (!closed) {
      shutdown(new SlowReaderException("peer does not read: " + (queuedBytes + wanted)
          + " bytes would be queued for it, limit " + config.maxQueuedBytes()));
    }
  }

  // ---- transport backpressure ----

  /** Tells the session when its transport takes more data (default: always). */
  public void transport(java.util.function.BooleanSupplier writable) {
    this.transportWritable = writable;
  }

  boolean transportWritable() {
    return transportWritable.getAsBoolean();
  }

  void waitForTransport(YamuxStream stream) {
    if (!stream.waitingForTransport) {
      stream.waitingForTransport = true;
      waitingForTransport.add(stream);
    }
  }

  /**
   * The transport drained: streams that waited for it send again, one after the other, until
   * it is full again. A stream that still has data goes to the back of the queue.
   */
  public void outputReady() {
    int turns = waitingForTransport.size();
    while (turns-- > 0 && !closed && transportWritable.getAsBoolean()) {
      YamuxStream stream = waitingForTransport.poll();
      if (stream == null) {
        break;
      }
      stream.waitingForTransport = false;
      stream.flushQueued();
    }
  }

  void windowBlocked(YamuxStream stream, boolean blocked) {
    if (blocked) {
      windowBlocked.add(stream);
    } else if (windowBlocked.remove(stream)) {
      stream.windowBlockedSince = 0;
    }
  }

  /**
   * Housekeeping, about once a second: resets streams whose peer has granted no send window
   * for {@code stallMillis} while we had data for it; returns how many.
   */
  public int tick(long now, long stallMillis) {
    if (windowBlocked.isEmpty()) {
      return 0;
    }
    int reset = 0;
    for (YamuxStream stream : new ArrayList<>(windowBlocked)) {
      if (stream.windowBlockedSince == 0) {
        stream.windowBlockedSince = now;
      } else if (now - stream.windowBlockedSince >= stallMillis) {
        stalledStreamsReset++;
        reset++;
        stream.reset();
      }
    }
    return reset;
  }

  /** Streams reset because their peer stopped granting window. */
  public long stalledStreamsReset() {
    return stalledStreamsReset;
  }

  /** The header and the data go out as two pieces: the connection copies each once. */
  void sendData(int id, int flags, Buffer data) {
    send(Frame.header(TYPE_DATA, flags, id, data.length()));
    send(data);
  }

  void sendWindowUpdate(int id, int flags, long delta) {
    send(Frame.header(TYPE_WINDOW_UPDATE, flags, id, delta));
  }

  void streamClosed(YamuxStream stream) {
    if (streams.remove(stream.id()) == stream) {
      long grown = stream.receiveWindow() - config.receiveWindow();
      windowGrowth -= grown;
      if (sharedBudget != null && grown > 0) {
        sharedBudget.addAndGet(grown);
      }
    }
    windowBlocked.remove(stream);
    waitingForDrain.remove(stream);
    if (stream.isOutbound() && !stream.acked() && stream.isSynSent()) {
      unacked--;
    }
    if (goAwayReceived && streams.isEmpty() && !closed) {
      shutdown(null);
    }
  }

  private void send(Buffer frame) {
    if (!closed) {
      out.accept(frame);
    }
  }

  // ---- ending ----

  /** Tells the peer we go away, then ends the session and every stream in it. */
  public void close() {
    if (closed) {
      return;
    }
    goAwaySent = true;
    send(Frame.header(TYPE_GO_AWAY, 0, 0, Frame.GO_AWAY_NORMAL));
    shutdown(null);
  }

  /** Ends the session without a word to the peer (its transport is gone). */
  public void abort(Throwable reason) {
    shutdown(reason);
  }

  private void protocolError(String message) {
    if (closed) {
      return;
    }
    send(Frame.header(TYPE_GO_AWAY, 0, 0, Frame.GO_AWAY_PROTOCOL_ERROR));
    shutdown(new YamuxException(message));
  }

  /** The session ended because the peer left our data unread past the queue limit. */
  public static final class SlowReaderException extends YamuxException {
    public SlowReaderException(String message) {
      super(message);
    }
  }

  private void shutdown(Throwable reason) {
    if (closed) {
      return;
    }
    closed = true;
    Throwable streamError = reason != null ? reason : new YamuxException("connection closed");
    for (YamuxStream stream : new ArrayList<>(streams.values())) {
      stream.sessionClosed(streamError);
    }
    streams.clear();
    awaitingSyn.clear();
    waitingForTransport.clear();
    windowBlocked.clear();
    waitingForDrain.clear();
    listener.closed(reason);
  }
}
