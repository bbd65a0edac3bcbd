package io.tinyp2p.swarm;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.multistream.Multistream;
import io.tinyp2p.multistream.MultistreamException;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.Direction;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.transport.MuxedConnection;
import io.tinyp2p.transport.MuxedStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The swarm's view of one open connection, over whichever transport made it (TCP, QUIC, …):
 * the transport's {@link MuxedConnection} authenticated the peer and multiplexes the streams;
 * this class negotiates each stream's protocol with multistream-select (outbound: the first of
 * the protocols asked for that the peer supports; inbound: one the swarm has a handler for),
 * holds each protocol's inbound streams to its cap, and tracks whether a stream that keeps the
 * connection alive is open. All on the swarm's context.
 */
public final class Connection {
  private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

  private final Swarm swarm;
  private final Context context;
  private final MuxedConnection muxed;
  private final ConnectionInfo info;
  private final Map<String, Integer> inboundPerProtocol = new HashMap<>();
  private int busyStreams;
  private long lastBusy;
  private Throwable closeReason;

  /** Takes over {@code muxed}: its inbound streams and its end come here from now on. */
  Connection(Swarm swarm, MuxedConnection muxed) {
    this.swarm = swarm;
    this.context = swarm.context();
    this.muxed = muxed;
    this.info = muxed.info();
    this.lastBusy = muxed.openedAt();
    muxed.inboundStreamHandler(this::onInboundStream);
    muxed.closeHandler(reason -> {
      closeReason = reason;
      swarm.connectionClosed(this, reason);
    });
  }

  // ---- public view ----

  public PeerId remotePeer() {
    return info.remotePeer();
  }

  /** What the connection's streams tell their protocols about it. */
  public ConnectionInfo info() {
    return info;
  }

  public Multiaddr remoteAddress() {
    return info.remoteAddress();
  }

  public Direction direction() {
    return info.direction();
  }

  /** When the transport connection was made, in milliseconds since the epoch. */
  public long openedAt() {
    return muxed.openedAt();
  }

  public boolean isOpen() {
    return muxed.isOpen();
  }

  /**
   * Milliseconds this connection has had no stream that keeps it alive (see
   * {@link ProtocolSpec#keepsAlive}); 0 while one is open.
   */
  public long idleSince(long now) {
    return busyStreams > 0 ? 0 : now - lastBusy;
  }

  public int streamCount() {
    return muxed.streamCount();
  }

  /** How often this connection's input used up its turn and waited for the next one. */
  public long inputDeferrals() {
    return muxed.inputDeferrals();
  }

  /** Why it closed: null while open or after an orderly close. */
  public Throwable closeReason() {
    return closeReason;
  }

  /** Opens a stream and negotiates the first of {@code protocols} the peer supports. */
  public Future<P2pStream> openStream(List<String> protocols) {
    PeerId remotePeer = remotePeer();
    if (!muxed.isOpen()) {
      return Future.failedFuture(new SwarmException("connection to " + remotePeer + " is not open"));
    }
    Promise<P2pStream> promise = Promise.promise();
    muxed.openStream().onComplete(ar -> {
      if (ar.failed()) {
        promise.fail(new SwarmException("cannot open a stream to " + remotePeer + ": " + ar.cause().getMessage()));
        return;
      }
      MuxedStream stream = ar.result();
      stream.connection(info);
      stream.exceptionHandler(e -> promise.tryFail(new SwarmException("stream to " + remotePeer + " failed during negotiation: " + e.getMessage())));
      stream.closeHandler(v -> promise.tryFail(new SwarmException("stream to " + remotePeer + " closed during negotiation")));
      negotiateStream(stream, listener -> Multistream.dialer(protocols, stream::write, listener),
          promise::tryComplete,
          error -> promise.tryFail(new SwarmException("protocol negotiation with " + remotePeer + " " + error)));
    });
    return promise.future();
  }

  /** Closes the connection in order (the muxer's go-away, then the transport). */
  public void close() {
    muxed.close();
  }

  /** Housekeeping, about once a second: the transport's stall checks; stalled streams it reset are counted. */
  void tick(long now) {
    swarm.limitCounters().count(Limits.Closure.STREAM_STALLED, muxed.tick(now));
  }

  // ---- streams ----

  /** Counts a negotiated stream for keep-alive until it closes. */
  private void track(MuxedStream stream) {
    if (!swarm.keepsAlive(stream.protocol())) {
      return;
    }
    busyStreams++;
    lastBusy = System.currentTimeMillis();
    stream.onTerminated(() -> {
      busyStreams--;
      lastBusy = System.currentTimeMillis();
    });
  }

  private void onInboundStream(MuxedStream stream) {
    stream.connection(info);
    negotiateStream(stream, listener -> Multistream.listener(swarm::supports, stream::write, listener),
        this::admitInbound,
        error -> LOG.debug("inbound stream from {}: negotiation {}", remotePeer(), error));
  }

  /** Hands a negotiated inbound stream to its protocol, unless that protocol's cap is reached. */
  private void admitInbound(MuxedStream stream) {
    String protocol = stream.protocol();
    int open = inboundPerProtocol.getOrDefault(protocol, 0);
    if (open >= swarm.inboundCap(protocol)) {
      swarm.streamRefused();
      stream.reset();
      return;
    }
    inboundPerProtocol.put(protocol, open + 1);
    stream.onTerminated(() -> inboundPerProtocol.merge(protocol, -1, Integer::sum));
    swarm.dispatchInbound(stream);
  }

  /**
   * Runs multistream-select on a new stream within the negotiation timeout. On success the
   * stream carries its protocol and has no handlers of ours; on failure it is reset.
   */
  private void negotiateStream(MuxedStream stream,
      java.util.function.Function<Multistream.Listener, Multistream> start,
      java.util.function.Consumer<MuxedStream> negotiated,
      java.util.function.Consumer<String> failed) {
    long timer = context.owner().setTimer(swarm.config().negotiationTimeout().toMillis(), t -> {
      if (stream.protocol() == null && !stream.isClosed()) {
        failed.accept("timed out");
        stream.reset();
      }
    });
    Multistream ms = start.apply(new Multistream.Listener() {
      @Override
      public void negotiated(String protocol, Buffer remaining) {
        context.owner().cancelTimer(timer);
        stream.protocol(protocol);
        stream.traffic(swarm.traffic(protocol, stream.isOutbound()));
        detach(stream, remaining);
        track(stream);
        negotiated.accept(stream);
      }

      @Override
      public void failed(MultistreamException error) {
        context.owner().cancelTimer(timer);
        failed.accept("failed: " + error.getMessage());
        stream.reset();
      }
    });
    stream.handler(ms::onData);
  }

  /** Hands a negotiated stream over: no handlers of ours, early bytes put back in front. */
  private static void detach(MuxedStream stream, Buffer remaining) {
    stream.handler(null).exceptionHandler(null).closeHandler(null);
    if (remaining != null && remaining.length() > 0) {
      stream.unread(remaining);
    }
  }

  /** Direction, remote address and peer, as the transport names them. */
  @Override
  public String toString() {
    return muxed.toString();
  }
}
