package io.tinyp2p.stream;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Outbound stream exchanges, written once for every protocol: open a stream, talk on it, end
 * in exactly one outcome. A request that is silently dropped, a timer that outlives its
 * request, a stream left open after a failure: each was a bug somebody's protocol had, and none
 * can happen here.
 */
public final class Exchange {
  private Exchange() {}

  /**
   * Runs one outbound exchange within {@code timeout}: waits for {@code opening} (a stream being
   * opened, dial included), then runs {@code conversation} on the stream. The result is the
   * conversation's outcome, the opening's failure as it is, or {@code timedOut}'s error once the
   * timeout passed. On any failure (the timeout included) the stream is reset; a stream that
   * opens after the timeout is reset at once. The timer is cancelled with the outcome.
   */
  public static <T> Future<T> outbound(Vertx vertx, Duration timeout, Supplier<? extends Throwable> timedOut,
      Future<P2pStream> opening, Function<P2pStream, Future<T>> conversation) {
    Promise<T> promise = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> promise.tryFail(timedOut.get()));
    promise.future().onComplete(ar -> vertx.cancelTimer(timer));
    opening.onComplete(opened -> {
      if (opened.failed()) {
        promise.tryFail(opened.cause());
        return;
      }
      P2pStream stream = opened.result();
      if (promise.future().isComplete()) {
        stream.reset(); // timed out meanwhile
        return;
      }
      promise.future().onFailure(e -> stream.reset());
      Future<T> talk;
      try {
        talk = conversation.apply(stream);
      } catch (RuntimeException e) {
        talk = Future.failedFuture(e);
      }
      talk.onComplete(ar -> {
        if (ar.succeeded()) {
          promise.tryComplete(ar.result());
        } else {
          promise.tryFail(ar.cause());
        }
      });
    });
    return promise.future();
  }

  /**
   * The request-one-response conversation of the length-prefixed protocols: writes
   * {@code request} as one uvarint-prefixed message (and ends our write side when
   * {@code endWrite}: request-response does, Kademlia keeps the stream open for another request),
   * then reads one message of at most {@code maxResponse} bytes, which must complete within
   * {@code deadline} of its first byte. Fails with the reader's
   * {@link LengthPrefixed.FrameException} (its kind says why) or the stream's own error. After the
   * response our write side is ended, so the stream closes once the peer ends too.
   */
  public static Future<Buffer> request(P2pStream stream, Vertx vertx, Buffer request, boolean endWrite,
      int maxResponse, Duration deadline) {
    Future<Buffer> response = LengthPrefixed.readOne(stream, vertx, maxResponse, deadline);
    stream.write(LengthPrefixed.frame(request));
    if (endWrite) {
      stream.end();
    }
    return response.andThen(ar -> {
      if (ar.succeeded() && !endWrite) {
        stream.end();
      }
    });
  }

  /** Reads one message of at most {@code maxLength} bytes (the peer speaks first), then ends our side. */
  public static Future<Buffer> receive(P2pStream stream, Vertx vertx, int maxLength, Duration deadline) {
    return LengthPrefixed.readOne(stream, vertx, maxLength, deadline).andThen(ar -> {
      if (ar.succeeded()) {
        stream.end();
      }
    });
  }
}
