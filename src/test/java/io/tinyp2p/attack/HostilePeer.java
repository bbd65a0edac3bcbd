package io.tinyp2p.attack;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.multistream.Multistream;
import io.tinyp2p.multistream.MultistreamException;
import io.tinyp2p.noise.CipherState;
import io.tinyp2p.protocol.identify.Identify;
import io.tinyp2p.protocol.ping.Ping;
import io.tinyp2p.swarm.RawPeer;
import io.tinyp2p.yamux.Frame;
import io.tinyp2p.yamux.YamuxConfig;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A hostile libp2p peer in blocking Java: a {@link RawPeer} upgraded to Noise and Yamux,
 * then Yamux by hand, so a test can do what no honest peer does (grant a 4 GiB window, never
 * read the socket, flood PINGs, leave a request unfinished).
 *
 * <p>Writes go through an outbox drained by one writer thread (which encrypts, so the Noise
 * nonces stay in order); {@link #send} blocks while 4 MiB wait there, so a flood runs at the
 * speed the node takes it. Until {@link #startReading} nothing is read from the socket.
 * Once reading, the peer behaves like a plain Yamux implementation: it acknowledges the
 * node's streams, negotiates them with multistream-select and hands them to the handler
 * served for the protocol (others get "na"), returns receive credit for every byte it gets,
 * answers Yamux PINGs, and writes on its own streams within the node's windows.
 */
final class HostilePeer implements AutoCloseable {
  private static final int MAX_PLAINTEXT = CipherState.MAX_PLAINTEXT_LENGTH;
  private static final long OUTBOX_LIMIT = 4 << 20;
  private static final Buffer END = Buffer.buffer(0);

  private final KeyPair identity;
  private final RawPeer raw;
  private final LinkedBlockingQueue<Buffer> outbox = new LinkedBlockingQueue<>();
  private final AtomicLong queued = new AtomicLong();
  private final Object outboxSpace = new Object(); // notified when the writer took bytes out
  private final AtomicLong written = new AtomicLong();
  private final Map<Integer, Stream> streams = new ConcurrentHashMap<>();
  private final Map<String, Consumer<Stream>> handlers = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(1);
  private final CompletableFuture<String> ended = new CompletableFuture<>();
  private final Thread writer;
  private volatile boolean closing;

  private HostilePeer(KeyPair identity, RawPeer raw) {
    this.identity = identity;
    this.raw = raw;
    writer = Thread.ofVirtual().name("hostile-writer").start(this::writeLoop);
  }

  /** TCP to 127.0.0.1:{@code port}, then /noise, the Noise handshake as {@code identity}, /yamux/1.0.0. */
  static HostilePeer connect(int port, KeyPair identity) throws Exception {
    RawPeer raw = new RawPeer("127.0.0.1", port);
    try {
      raw.upgrade(identity);
      raw.readTimeout(0); // the reader waits for the node as long as it takes
    } catch (Exception e) {
      raw.close();
      throw e;
    }
    return new HostilePeer(identity, raw);
  }

  KeyPair identity() {
    return identity;
  }

  /** Plaintext bytes written to the socket so far. */
  long bytesWritten() {
    return written.get();
  }

  /** Completes with the reason when the connection ended (the node closed it, or we did). */
  CompletableFuture<String> ended() {
    return ended;
  }

  // ---- writing ----

  /** Queues plaintext (Yamux frames) for the socket, waiting while the outbox is full. */
  void send(Buffer plaintext) {
    synchronized (outboxSpace) {
      while (queued.get() > OUTBOX_LIMIT && !ended.isDone()) {
        try {
          outboxSpace.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    sendNow(plaintext);
  }

  /** Queues plaintext without waiting (control frames, small answers, the reader's writes). */
  void sendNow(Buffer plaintext) {
    if (!ended.isDone()) {
      queued.addAndGet(plaintext.length());
      outbox.add(plaintext);
    }
  }

  void frame(int type, int flags, int streamId, long length) {
    sendNow(Frame.header(type, flags, streamId, length));
  }

  private void writeLoop() {
    try {
      while (true) {
        Buffer first = outbox.take();
        if (first == END) {
          return;
        }
        Buffer batch = first;
        long taken = first.length();
        while (batch.length() < MAX_PLAINTEXT && outbox.peek() != null && outbox.peek() != END) {
          Buffer next = outbox.poll();
          batch = batch == first ? Buffer.buffer(MAX_PLAINTEXT).appendBuffer(first) : batch;
          batch.appendBuffer(next);
          taken += next.length();
        }
        for (int off = 0; off < batch.length(); off += MAX_PLAINTEXT) {
          raw.sendEncrypted(batch.getBytes(off, Math.min(batch.length(), off + MAX_PLAINTEXT)));
        }
        written.addAndGet(batch.length());
        queued.addAndGet(-taken);
        synchronized (outboxSpace) {
          outboxSpace.notifyAll();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      end("write failed: " + e.getMessage());
    }
  }

  // ---- streams ----

  /** Routes the node's streams of {@code protocol} to {@code handler} (on the reader thread). */
  HostilePeer serve(String protocol, Consumer<Stream> handler) {
    handlers.put(protocol, handler);
    return this;
  }

  /**
   * Serves what every libp2p peer serves: Identify (telling the node {@code listenAddrs} and
   * every protocol served, also those added later) and Ping.
   */
  HostilePeer asPeer(List<Multiaddr> listenAddrs) {
    serve(Identify.PROTOCOL_ID,
        Wire.identify(identity, listenAddrs, () -> List.copyOf(handlers.keySet())));
    return serve(Ping.PROTOCOL_ID, Wire.echo());
  }

  /**
   * Opens a stream for {@code protocol}: one DATA frame with SYN carrying the multistream
   * header, the proposal and {@code early} bytes (optimistic, as libp2p allows), plus FIN
   * if {@code fin}. The node's multistream answer is stripped before {@link Stream#onData}.
   */
  Stream open(String protocol, Buffer early, boolean fin) {
    int id = nextId.getAndAdd(2);
    Stream s = new Stream(id);
    List<Buffer> proposal = new ArrayList<>();
    s.negotiation = Multistream.dialer(List.of(protocol), proposal::add, s.negotiated(protocol));
    streams.put(id, s);
    Buffer payload = Buffer.buffer();
    proposal.forEach(payload::appendBuffer);
    payload.appendBuffer(early);
    s.takeCredit(payload.length());
    send(Frame.header(Frame.TYPE_DATA, Frame.FLAG_SYN | (fin ? Frame.FLAG_FIN : 0), id, payload.length())
        .appendBuffer(payload));
    return s;
  }

  /** A Yamux stream of this connection, opened by either side. */
  final class Stream {
    final int id;
    final long openedNanos = System.nanoTime();
    private long sendCredit = YamuxConfig.INITIAL_WINDOW;
    private Multistream negotiation;
    private volatile String protocol;
    private volatile Consumer<Buffer> onData = b -> { };
    /** Completes with "RST", "FIN" or the connection's end, when the node ended the stream. */
    final CompletableFuture<String> endedByNode = new CompletableFuture<>();
    private volatile long endedNanos;

    private Stream(int id) {
      this.id = id;
    }

    String protocol() {
      return protocol;
    }

    HostilePeer peer() {
      return HostilePeer.this;
    }

    /** Where the stream's bytes go once negotiated (runs on the reader thread). */
    Stream onData(Consumer<Buffer> handler) {
      onData = handler;
      return this;
    }

    /** Seconds from opening to the node's RST or FIN (or the connection's end), NaN while open. */
    double secondsToEnd() {
      return endedByNode.isDone() ? (endedNanos - openedNanos) / 1e9 : Double.NaN;
    }

    /** Writes within the node's window for this stream, waiting for credit. */
    void write(Buffer data) {
      int pos = 0;
      while (pos < data.length()) {
        int n;
        synchronized (this) {
          while (sendCredit == 0 && !endedByNode.isDone()) {
            try {
              wait(100);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
          if (endedByNode.isDone()) {
            return;
          }
          n = (int) Math.min(Math.min(sendCredit, data.length() - pos), MAX_PLAINTEXT - Frame.HEADER_LENGTH);
          sendCredit -= n;
        }
        send(Frame.header(Frame.TYPE_DATA, 0, id, n).appendBuffer(data.slice(pos, pos + n)));
        pos += n;
      }
    }

    /** Writes without waiting for credit (small answers from the reader thread). */
    void writeNow(Buffer data) {
      takeCredit(data.length());
      sendNow(Frame.header(Frame.TYPE_DATA, 0, id, data.length()).appendBuffer(data));
    }

    void end() {
      frame(Frame.TYPE_DATA, Frame.FLAG_FIN, id, 0);
    }

    void reset() {
      frame(Frame.TYPE_DATA, Frame.FLAG_RST, id, 0);
    }

    /** Grants the node {@code delta} more bytes of window on this stream. */
    void grant(long delta) {
      frame(Frame.TYPE_WINDOW_UPDATE, 0, id, delta);
    }

    private synchronized void takeCredit(long n) {
      sendCredit -= n;
    }

    private synchronized void addCredit(long delta) {
      sendCredit += delta;
      notifyAll();
    }

    private void endedByNode(String how) {
      if (!endedByNode.isDone()) {
        endedNanos = System.nanoTime();
        endedByNode.complete(how);
      }
      synchronized (this) {
        notifyAll();
      }
    }

    private Multistream.Listener negotiated(String proposed) {
      return new Multistream.Listener() {
        @Override
        public void negotiated(String p, Buffer remaining) {
          protocol = p;
          negotiation = null;
          Consumer<Stream> handler = handlers.get(p);
          if (handler != null && id % 2 == 0) {
            handler.accept(Stream.this);
          }
          if (remaining != null && remaining.length() > 0) {
            onData.accept(remaining);
          }
        }

        @Override
        public void failed(MultistreamException error) {
          negotiation = null;
          reset();
        }
      };
    }

    private void received(Buffer body) {
      if (negotiation != null) {
        negotiation.onData(body);
      } else {
        onData.accept(body);
      }
    }
  }

  // ---- reading ----

  /** Starts reading the socket (a virtual thread); see the class comment for what it answers. */
  HostilePeer startReading() {
    Thread.ofVirtual().name("hostile-reader").start(this::readLoop);
    return this;
  }

  private void readLoop() {
    Buffer pending = raw.takeLeftover();
    pending = pending == null ? Buffer.buffer() : pending;
    try {
      while (!ended.isDone()) {
        pending = frames(pending);
        Buffer plain = Buffer.buffer(raw.readDecrypted());
        pending = pending.length() == 0 ? plain : pending.appendBuffer(plain);
      }
    } catch (Exception e) {
      end(closing ? "closed by the test" : "closed by the node (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }
  }

  /** Handles every complete frame in {@code buf}; returns the incomplete rest. */
  private Buffer frames(Buffer buf) {
    int pos = 0;
    while (buf.length() - pos >= Frame.HEADER_LENGTH) {
      int type = buf.getUnsignedByte(pos + 1);
      int flags = buf.getUnsignedShort(pos + 2);
      int id = buf.getInt(pos + 4);
      long length = buf.getUnsignedInt(pos + 8);
      long body = type == Frame.TYPE_DATA ? length : 0;
      if (buf.length() - pos - Frame.HEADER_LENGTH < body) {
        break;
      }
      int start = pos + Frame.HEADER_LENGTH;
      pos = start + (int) body;
      onFrame(type, flags, id, length, buf.slice(start, pos));
    }
    return pos == 0 ? buf : buf.getBuffer(pos, buf.length());
  }

  private void onFrame(int type, int flags, int id, long length, Buffer body) {
    if (type == Frame.TYPE_PING) {
      if ((flags & Frame.FLAG_SYN) != 0) {
        frame(Frame.TYPE_PING, Frame.FLAG_ACK, 0, length);
      }
      return;
    }
    if (type == Frame.TYPE_GO_AWAY) {
      end("go-away " + length);
      return;
    }
    Stream s = streams.get(id);
    if ((flags & Frame.FLAG_SYN) != 0 && s == null) {
      s = new Stream(id);
      streams.put(id, s);
      frame(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_ACK, id, 0);
      s.negotiation = Multistream.listener(handlers::containsKey, s::writeNow, s.negotiated(null));
    }
    if (s == null) {
      return;
    }
    if (type == Frame.TYPE_WINDOW_UPDATE) {
      s.addCredit(length);
    } else if (body.length() > 0) {
      s.received(body);
      frame(Frame.TYPE_WINDOW_UPDATE, 0, id, body.length()); // consumed: credit back at once
    }
    if ((flags & Frame.FLAG_RST) != 0) {
      s.endedByNode("RST");
      streams.remove(id);
    } else if ((flags & Frame.FLAG_FIN) != 0) {
      s.endedByNode("FIN");
    }
  }

  private void end(String reason) {
    if (ended.complete(reason)) {
      streams.values().forEach(s -> s.endedByNode(reason));
      synchronized (outboxSpace) {
        outboxSpace.notifyAll();
      }
    }
  }

  @Override
  public void close() {
    closing = true;
    end("closed by the test");
    outbox.clear();
    outbox.add(END);
    try {
      raw.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
