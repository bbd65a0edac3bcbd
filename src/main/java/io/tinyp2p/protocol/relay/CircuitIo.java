package io.tinyp2p.protocol.relay;

import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;

/**
 * Reads the one uvarint-length-prefixed message that opens (or answers) a hop or stop stream,
 * keeping what came after it: once a CONNECT succeeded the stream carries the relayed
 * connection, whose first bytes may share a chunk with the message.
 */
public final class CircuitIo {
  /** The largest hop or stop message we read (a reservation with many addresses fits well). */
  public static final int MAX_MESSAGE = 4096;

  /** A message and the bytes that followed it on the stream (empty when none). */
  public record Framed(Buffer message, Buffer rest) { }

  /** Why a message could not be read; {@link #malformed} when the peer sent garbage. */
  public static final class ReadException extends Exception {
    private final boolean malformed;

    ReadException(String message, boolean malformed) {
      super(message, null, false, false);
      this.malformed = malformed;
    }

    /** Whether the peer sent something that is not a message (rather than ending or timing out). */
    public boolean malformed() {
      return malformed;
    }
  }

  private CircuitIo() { }

  /**
   * Reads one message ({@link LengthPrefixed#readFirst}, at most {@link #MAX_MESSAGE}): the stream
   * is paused and its handler cleared once it has arrived. Fails when the stream ends or resets
   * first, the length prefix is malformed or over the limit, or the message does not arrive within
   * {@code deadline}.
   */
  public static Future<Framed> readOne(P2pStream stream, Vertx vertx, Duration deadline) {
    return LengthPrefixed.readFirst(stream, vertx, MAX_MESSAGE, deadline)
        .<Framed>map(first -> new Framed(first.message(), first.rest()))
        .recover(e -> Future.failedFuture(new ReadException(e.getMessage(),
            e instanceof LengthPrefixed.FrameException f && (f.kind() == LengthPrefixed.FrameException.Kind.MALFORMED
                || f.kind() == LengthPrefixed.FrameException.Kind.TOO_LARGE))));
  }

  /** Parses a message's bytes (a generated protobuf class's {@code parseFrom}). */
  @FunctionalInterface
  public interface Parser<T> {
    T parse(byte[] bytes) throws com.google.protobuf.InvalidProtocolBufferException;
  }

  /**
   * Reads and parses the message that opens an inbound hop or stop stream. {@code onMessage} gets
   * it with the bytes that followed; {@code onMalformed} hears why when the peer sent something
   * that is not a message; a stream that ends, resets or stays silent past {@code deadline} is
   * reset.
   */
  public static <T> void readRequest(P2pStream stream, Vertx vertx, Duration deadline, Parser<T> parser,
      java.util.function.BiConsumer<T, Buffer> onMessage, java.util.function.Consumer<String> onMalformed) {
    readOne(stream, vertx, deadline).onComplete(ar -> {
      if (ar.failed()) {
        if (ar.cause() instanceof ReadException e && e.malformed()) {
          onMalformed.accept(e.getMessage());
        } else {
          stream.reset();
        }
        return;
      }
      T msg;
      try {
        msg = parser.parse(ar.result().message().getBytes());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        onMalformed.accept("message does not parse: " + e.getMessage());
        return;
      }
      onMessage.accept(msg, ar.result().rest());
    });
  }

  /**
   * Answers a refused request with {@code answer} (a STATUS message) and closes our side; a
   * malformed one is logged through the swarm's per-peer log (once per peer and interval), the
   * others at debug.
   */
  public static void refuse(io.tinyp2p.swarm.Swarm swarm, org.slf4j.Logger log, P2pStream stream,
      String protocol, Object status, String why, byte[] answer) {
    if ("MALFORMED_MESSAGE".equals(String.valueOf(status))) {
      swarm.peerLog().info(log, stream.remotePeer(), "{} from {}: {}", protocol, stream.remotePeer(), why);
    } else {
      log.debug("{} from {} refused ({}): {}", protocol, stream.remotePeer(), status, why);
    }
    write(stream, answer);
    stream.end();
  }

  /** Writes one message with its length prefix. */
  public static Future<Void> write(P2pStream stream, byte[] message) {
    return stream.write(LengthPrefixed.frame(message));
  }
}
