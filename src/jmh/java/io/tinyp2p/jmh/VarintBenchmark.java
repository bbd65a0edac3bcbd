package io.tinyp2p.jmh;

import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.util.Varint;
import io.vertx.core.buffer.Buffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * uvarint decoding (1-byte and 9-byte values, from a Vert.x Buffer and from a byte array)
 * and the uvarint-length-prefixed message decoder over a buffer of many small messages.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class VarintBenchmark {
  /** Messages in the buffer that {@link #lengthPrefixedMessages} feeds per call. */
  static final int MESSAGES = 256;
  /** Bytes per message: small, like most Identify/Kademlia/Gossipsub control traffic. */
  static final int MESSAGE_LENGTH = 64;

  @State(Scope.Thread)
  public static class Varints {
    /** 42: one byte. */
    Buffer small = Buffer.buffer(Varint.encode(42));
    /** 2^63-1: nine bytes, the most a multiformats varint may take. */
    Buffer max = Buffer.buffer(Varint.encode(Long.MAX_VALUE));
    byte[] smallArray = Varint.encode(42);
    byte[] maxArray = Varint.encode(Long.MAX_VALUE);
  }

  @State(Scope.Thread)
  public static class Stream {
    LengthPrefixed decoder;
    /** MESSAGES length-prefixed messages, back to back, none split. */
    Buffer wire;
    long received;

    @Setup(Level.Trial)
    public void setup() throws LengthPrefixed.FrameException {
      decoder = new LengthPrefixed(1 << 20, message -> received += message.length());
      byte[] payload = new byte[MESSAGE_LENGTH];
      new Random(5).nextBytes(payload);
      wire = Buffer.buffer();
      for (int i = 0; i < MESSAGES; i++) {
        wire.appendBuffer(LengthPrefixed.frame(payload));
      }
      decoder.onData(wire);
      if (received != (long) MESSAGES * MESSAGE_LENGTH || decoder.hasPartial()) {
        throw new IllegalStateException("setup decode failed: received " + received);
      }
    }
  }

  @Benchmark
  public long decodeSmall(Varints v) {
    return Varint.decode(v.small, 0);
  }

  @Benchmark
  public long decodeNineBytes(Varints v) {
    return Varint.decode(v.max, 0);
  }

  @Benchmark
  public long decodeSmallArray(Varints v) {
    return Varint.decode(v.smallArray, 0, v.smallArray.length);
  }

  @Benchmark
  public long decodeNineBytesArray(Varints v) {
    return Varint.decode(v.maxArray, 0, v.maxArray.length);
  }

  /** Per message: the length prefix, the limit check and a copy of the message out. */
  @Benchmark
  @OperationsPerInvocation(MESSAGES)
  public long lengthPrefixedMessages(Stream s) throws LengthPrefixed.FrameException {
    s.decoder.onData(s.wire);
    return s.received;
  }
}
