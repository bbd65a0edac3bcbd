package io.tinyp2p.protocol.reqresp;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.reqresp.RequestException.Failure;
import io.tinyp2p.stream.Exchange;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Limits;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.util.AfterIo;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The original tinyp2p's request-response protocol, {@code /tinyp2p/req-resp/1.0.0}: a new
 * stream per request; the requester writes uvarint(length) ‖ payload and closes its write
 * side; the responder answers uvarint(length) ‖ payload and closes; an error response is a
 * close without any bytes.
 *
 * <p>Every outbound request ends in exactly one outcome: the response, or a
 * {@link RequestException} with its {@link Failure} code. Lengths are checked against the
 * limits before anything is buffered, in both directions.
 */
public final class RequestResponse {
  private static final Logger LOG = LoggerFactory.getLogger(RequestResponse.class);

  public static final String PROTOCOL_ID = "/tinyp2p/req-resp/1.0.0";
  public static final ProtocolSpec SPEC = ProtocolSpec.of(PROTOCOL_ID);

  /** Limits and timeout, from {@code reqResp} in the config. */
  public record Config(Duration requestTimeout, int maxRequestSize, int maxResponseSize) {}

  private final Swarm swarm;
  private final Config config;
  private final BiFunction<PeerId, Buffer, Future<Buffer>> handler;
  private final Stats stats = new Stats();
  static final long EXPIRY_SLICE_NANOS = 1_000_000;
  private final ArrayDeque<Runnable> expiring = new ArrayDeque<>();
  private boolean expiringScheduled;

  /**
   * @param handler answers an inbound request; a failed future (or none within the request
   *     timeout) becomes the error response. It must not block the event loop.
   */
  public RequestResponse(Swarm swarm, Config config, BiFunction<PeerId, Buffer, Future<Buffer>> handler) {
    this.swarm = swarm;
    this.config = config;
    this.handler = handler;
    swarm.handle(SPEC, this::onInbound);
  }

  public Stats stats() {
    return stats;
  }

  // ---- outbound ----

  /** Sends {@code payload} to {@code peer}: over its connection, or dialing it first. */
  public Future<Buffer> request(PeerId peer, Buffer payload) {
    long start = System.nanoTime();
    stats.outbound++;
    Future<Buffer> result;
    if (payload.length() > config.maxRequestSize()) {
      result = Future.failedFuture(new RequestException(Failure.REQUEST_TOO_LARGE,
          "request of " + payload.length() + " bytes exceeds maxRequestSize " + config.maxRequestSize()));
    } else {
      result = send(peer, payload);
    }
    return result.andThen(ar -> {
      if (ar.succeeded()) {
        stats.recordLatency(System.nanoTime() - start);
      } else {
        stats.failed(ar.cause() instanceof RequestException re ? re.failure() : Failure.INTERNAL_ERROR);
      }
    });
  }

  private Future<Buffer> send(PeerId peer, Buffer payload) {
    Future<P2pStream> opening = swarm.dial(peer)
        .recover(e -> Future.failedFuture(new RequestException(e instanceof Swarm.PeerNotFoundException
            ? Failure.PEER_NOT_FOUND : Failure.DIAL_FAILED, e.getMessage())))
        .compose(connection -> connection.openStream(List.of(PROTOCOL_ID))
            .recover(e -> Future.failedFuture(new RequestException(Failure.REMOTE_ERROR,
                "cannot open a request stream to " + peer + ": " + e.getMessage()))));
    Duration timeout = config.requestTimeout();
    return Exchange.outbound(swarm.vertx(), timeout,
        () -> new RequestException(Failure.TIMEOUT, "no response from " + peer + " within " + timeout.toMillis() + " ms"),
        opening,
        stream -> Exchange.request(stream, swarm.vertx(), payload, true, config.maxResponseSize(), timeout)
            .recover(e -> Future.failedFuture(responseFailure(peer, e))));
  }

  /** What a failed read of the response means for the requester. */
  private static RequestException responseFailure(PeerId peer, Throwable e) {
    if (!(e instanceof LengthPrefixed.FrameException frame)) {
      return new RequestException(Failure.REMOTE_ERROR, "request stream to " + peer + " failed: " + e.getMessage());
    }
    return switch (frame.kind()) {
      case ENDED -> new RequestException(Failure.REMOTE_ERROR, peer + " answered with an error response");
      case TRUNCATED -> new RequestException(Failure.REMOTE_ERROR, "response from " + peer + " was truncated");
      case TOO_LARGE -> new RequestException(Failure.RESPONSE_TOO_LARGE, "response from " + peer + ": " + e.getMessage());
      case TIMEOUT -> new RequestException(Failure.TIMEOUT, "response from " + peer + ": " + e.getMessage());
      case MALFORMED -> new RequestException(Failure.REMOTE_ERROR, "response from " + peer + ": " + e.getMessage());
    };
  }

  // ---- inbound ----

  /**
   * One inbound request: it must arrive whole within {@code requestTimeout} of the stream's
   * opening (else the stream is reset and counted), and the handler has as long again to
   * answer. Only the bytes that arrived are buffered, never the declared length.
   */
  private void onInbound(P2pStream stream) {
    PeerId peer = stream.remotePeer();
    stats.inbound++;
    boolean[] answered = {false};
    LengthPrefixed[] decoder = new LengthPrefixed[1];
    long readTimer = swarm.vertx().setTimer(config.requestTimeout().toMillis(), t -> expired(() -> {
      if (!answered[0] && !stream.isClosed()) {
        decoder[0].stop();
        stats.inboundFailed++;
        swarm.limitCounters().count(Limits.Closure.READ_TIMEOUT);
        swarm.peerLog().info(LOG, peer, "request from {}: not complete within {} ms, stream reset", peer,
            config.requestTimeout().toMillis());
        stream.reset();
      }
    }));
    decoder[0] = new LengthPrefixed(config.maxRequestSize(), request -> {
      answered[0] = true;
      decoder[0].stop(); // trailing bytes after the request are ignored
      swarm.vertx().cancelTimer(readTimer);
      answer(stream, peer, request);
    });
    stream.handler(data -> {
      try {
        decoder[0].onData(data);
      } catch (LengthPrefixed.FrameException e) {
        swarm.vertx().cancelTimer(readTimer);
        swarm.peerLog().info(LOG, peer, "request from {}: {}", peer, e.getMessage());
        stats.inboundFailed++;
        stream.reset();
      }
    });
    stream.endHandler(v -> {
      if (!answered[0]) {
        // the requester closed before a complete request: nothing to answer
        swarm.vertx().cancelTimer(readTimer);
        stream.end();
      }
    });
  }

  /**
   * Requests whose deadline passed are ended in slices of {@link #EXPIRY_SLICE_NANOS}, one after
   * each socket poll: a peer that opened a thousand streams at once has their thousand timers
   * fire in the same millisecond, and resetting them all in one go held the event loop for
   * 20-50 ms.
   */
  private void expired(Runnable end) {
    expiring.add(end);
    if (!expiringScheduled) {
      expiringScheduled = true;
      AfterIo.run(swarm.context(), v -> expireSlice());
    }
  }

  private void expireSlice() {
    long deadline = System.nanoTime() + EXPIRY_SLICE_NANOS;
    do {
      expiring.poll().run();
    } while (!expiring.isEmpty() && System.nanoTime() - deadline < 0);
    if (expiring.isEmpty()) {
      expiringScheduled = false;
    } else {
      AfterIo.run(swarm.context(), v -> expireSlice());
    }
  }

  private void answer(P2pStream stream, PeerId peer, Buffer request) {
    Promise<Buffer> response = Promise.promise();
    long timer = swarm.vertx().setTimer(config.requestTimeout().toMillis(),
        t -> response.tryFail(new RequestException(Failure.TIMEOUT, "no answer in time")));
    try {
      handler.apply(peer, request).onComplete(ar -> {
        if (ar.succeeded()) {
          response.tryComplete(ar.result());
        } else {
          response.tryFail(ar.cause());
        }
      });
    } catch (RuntimeException e) {
      response.tryFail(e);
    }
    response.future().onComplete(ar -> {
      swarm.vertx().cancelTimer(timer);
      if (stream.isClosed()) {
        return;
      }
      if (ar.succeeded() && ar.result() != null) {
        Buffer body = ar.result();
        stream.write(LengthPrefixed.frame(body));
      } else {
        stats.inboundFailed++;
        LOG.debug("request from {} gets the error response: {}", peer,
            ar.failed() ? ar.cause().getMessage() : "no response");
      }
      stream.end();
    });
  }

  // ---- counters ----

  /** Request counters and outbound latency, as /status shows them. */
  public static final class Stats {
    private static final int SAMPLES = 1024;
    private long inbound;
    private long inboundFailed;
    private long outbound;
    private final Map<Failure, Long> failures = new EnumMap<>(Failure.class);
    private final long[] latencies = new long[SAMPLES];
    private long latencyCount;
    private java.util.function.LongConsumer latencyListener; // null: nobody listens

    void recordLatency(long nanos) {
      latencies[(int) (latencyCount++ % SAMPLES)] = nanos;
      if (latencyListener != null) {
        latencyListener.accept(nanos);
      }
    }

    /** Also tells {@code listener} the latency (nanoseconds) of every outbound request answered from now on. */
    public void onLatency(java.util.function.LongConsumer listener) {
      this.latencyListener = listener;
    }

    /**
     * The latencies (nanoseconds) of the outbound requests answered after the first
     * {@code answered} of them ({@link #succeeded()} at an earlier moment), oldest first: at
     * most the last 1024.
     */
    public long[] latenciesSince(long answered) {
      long from = Math.max(Math.max(0, answered), latencyCount - SAMPLES);
      if (from >= latencyCount) {
        return new long[0];
      }
      long[] out = new long[(int) (latencyCount - from)];
      for (long i = from; i < latencyCount; i++) {
        out[(int) (i - from)] = latencies[(int) (i % SAMPLES)];
      }
      return out;
    }

    /** The {@code q} quantile (0 to 1, nearest rank) of sorted, non-empty values. */
    public static long percentile(long[] sorted, double q) {
      int n = sorted.length;
      return sorted[(int) Math.min(n - 1, Math.round(q * (n - 1)))];
    }

    void failed(Failure f) {
      failures.merge(f, 1L, Long::sum);
    }

    /** Requests peers sent us, whatever became of them. */
    public long inbound() {
      return inbound;
    }

    /** Requests we sent, whatever became of them. */
    public long outbound() {
      return outbound;
    }

    /** Outbound requests that got their response. */
    public long succeeded() {
      return latencyCount;
    }

    /** Inbound requests that got the error response, or were reset (malformed, too slow). */
    public long inboundFailed() {
      return inboundFailed;
    }

    public long failures(Failure f) {
      return failures.getOrDefault(f, 0L);
    }

    /** {@code {"inbound", "inboundFailed", "outbound", "failures": {code: n}, "latencyMs": {"p50", "p99", "samples"}}} */
    public JsonObject toJson() {
      JsonObject byCode = new JsonObject();
      failures.forEach((f, n) -> byCode.put(f.name(), n));
      int n = (int) Math.min(latencyCount, SAMPLES);
      long[] sorted = Arrays.copyOf(latencies, n);
      Arrays.sort(sorted);
      JsonObject latency = new JsonObject().put("samples", n);
      if (n > 0) {
        latency.put("p50", percentile(sorted, 0.50) / 1e6).put("p99", percentile(sorted, 0.99) / 1e6);
      }
      return new JsonObject().put("inbound", inbound).put("inboundFailed", inboundFailed)
          .put("outbound", outbound).put("failures", byCode).put("latencyMs", latency);
    }
  }
}
