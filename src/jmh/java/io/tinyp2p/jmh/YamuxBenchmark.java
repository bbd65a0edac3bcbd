package io.tinyp2p.jmh;

import io.tinyp2p.yamux.Frame;
import io.tinyp2p.yamux.YamuxConfig;
import io.tinyp2p.yamux.YamuxException;
import io.tinyp2p.yamux.YamuxSession;
import io.tinyp2p.yamux.YamuxStream;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Yamux framing: encoding one 12-byte header, and a session parsing a buffer of many data
 * frames for one open stream (header decode, window accounting, zero-copy body slice and
 * delivery to the stream's handler), in ns per frame.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class YamuxBenchmark {
  /** Data frames in the buffer that {@link #parseDataFrames} feeds per call. */
  static final int FRAMES = 128;

  /** Header fields, kept in fields so the JIT cannot fold them into constants. */
  @State(Scope.Thread)
  public static class HeaderArgs {
    int type = Frame.TYPE_DATA;
    int flags = 0;
    int streamId = 3;
    long length = 1024;
  }

  /**
   * A listener session (the receiver) with one stream that the dialer opened: two sessions
   * wired back to back as in YamuxSessionTest, pumped until SYN and ACK went through.
   */
  @State(Scope.Thread)
  public static class Wired {
    /** Payload bytes per data frame; at most half the 256 KiB window. */
    @Param({"1024"})
    int payload;

    YamuxSession server;
    /** FRAMES data frames for the open stream, as the dialer's session writes them. */
    Buffer wire;
    /** Bytes the stream handed to its handler. */
    long delivered;
    /** Frames the receiver sent back (window updates) once setup was over. */
    long sentBack;
    private boolean pumping = true;

    @Setup(Level.Trial)
    public void wire() throws YamuxException {
      if (payload < 1 || payload > YamuxConfig.INITIAL_WINDOW / 2) {
        throw new IllegalArgumentException("payload must be 1 .. 131072 bytes");
      }
      ArrayDeque<Buffer> toServer = new ArrayDeque<>();
      ArrayDeque<Buffer> toClient = new ArrayDeque<>();
      YamuxSession client = new YamuxSession(true, YamuxConfig.defaults(), toServer::add, ignoring());
      server = new YamuxSession(false, YamuxConfig.defaults(), frame -> {
        if (pumping) {
          toClient.add(frame);
        } else {
          sentBack++; // the window updates go nowhere during the measurement
        }
      }, new YamuxSession.Listener() {
        @Override
        public void inboundStream(YamuxStream stream) {
          // reads as fast as data comes, so the stream returns window credit as it goes
          stream.handler(data -> delivered += data.length());
        }

        @Override
        public void closed(Throwable error) {}
      });

      YamuxStream stream = client.openStream();
      while (!toServer.isEmpty() || !toClient.isEmpty()) {
        while (!toServer.isEmpty()) {
          server.onData(toServer.poll());
        }
        while (!toClient.isEmpty()) {
          client.onData(toClient.poll());
        }
      }
      pumping = false;
      if (server.streamCount() != 1) {
        throw new IllegalStateException("the stream did not open");
      }

      // The bytes the dialer's session sends for stream.write(...): header, then payload.
      byte[] body = new byte[payload];
      new Random(3).nextBytes(body);
      wire = Buffer.buffer(FRAMES * (Frame.HEADER_LENGTH + payload));
      for (int i = 0; i < FRAMES; i++) {
        Frame.appendHeader(wire, Frame.TYPE_DATA, 0, stream.id(), payload).appendBytes(body);
      }

      // one dry run: every byte delivered, the session still up
      server.onData(wire);
      if (server.isClosed() || delivered != (long) FRAMES * payload) {
        throw new IllegalStateException("setup parse failed: delivered " + delivered);
      }
    }

    @TearDown(Level.Trial)
    public void check() {
      // A protocol error (e.g. data beyond the window) would have made the rest a no-op.
      if (server.isClosed() || delivered % ((long) FRAMES * payload) != 0) {
        throw new IllegalStateException("the receiving session failed during the run");
      }
    }

    private static YamuxSession.Listener ignoring() {
      return new YamuxSession.Listener() {
        @Override
        public void inboundStream(YamuxStream stream) {}

        @Override
        public void closed(Throwable error) {}
      };
    }
  }

  @Benchmark
  public Buffer encodeHeader(HeaderArgs h) {
    return Frame.header(h.type, h.flags, h.streamId, h.length);
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public long parseDataFrames(Wired w) {
    w.server.onData(w.wire);
    return w.delivered;
  }
}
