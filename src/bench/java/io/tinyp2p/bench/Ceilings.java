package io.tinyp2p.bench;

import io.tinyp2p.noise.CipherState;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What this machine allows at most, measured with the same size as the transfers they bound,
 * each after a warm-up run of its own: bytes through a loopback TCP connection with plain JDK
 * NIO (blocking channels, 64 KiB direct buffers, a thread each side: the JVM's socket ceiling),
 * the same through Vert.x NetSockets (what the node's transport sits on), and
 * ChaCha20-Poly1305 on one core in Noise-sized frames.
 */
final class Ceilings {
  private static final long WARM_UP = 256L << 20;

  private Ceilings() {}

  static JsonObject measure(Vertx vertx, long bytes) throws Exception {
    nio(Math.min(bytes, WARM_UP));
    double nio = nio(bytes);
    netSocket(vertx, Math.min(bytes, WARM_UP));
    double netSocket = netSocket(vertx, bytes);
    double chacha = chacha(bytes);
    return new JsonObject().put("bytes", bytes).put("nioMBps", Bench.round(nio))
        .put("netSocketMBps", Bench.round(netSocket)).put("tcpMBps", Bench.round(netSocket))
        .put("chachaMBps", Bench.round(chacha)).put("chachaProvider", io.tinyp2p.crypto.ChaChaPoly.PROVIDER);
  }

  /** Plain JDK NIO on loopback: one thread writes 64 KiB direct buffers, another reads them. */
  static double nio(long bytes) throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      CompletableFuture<Long> done = new CompletableFuture<>();
      Thread reader = Thread.ofPlatform().name("nio-reader").start(() -> {
        try (SocketChannel in = server.accept()) {
          ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
          long got = 0;
          while (got < bytes) {
            buf.clear();
            int n = in.read(buf);
            if (n < 0) {
              throw new IOException("closed after " + got + " bytes");
            }
            got += n;
          }
          done.complete(System.nanoTime());
        } catch (IOException e) {
          done.completeExceptionally(e);
        }
      });
      long start;
      try (SocketChannel out = SocketChannel.open(server.getLocalAddress())) {
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        start = System.nanoTime();
        for (long sent = 0; sent < bytes; ) {
          buf.clear();
          sent += out.write(buf);
        }
        long end = BenchNode.join(done);
        reader.join();
        return bytes / 1e6 / ((end - start) / 1e9);
      }
    }
  }

  /** Bytes through a Vert.x NetSocket on loopback, client writing with backpressure, server discarding. */
  static double netSocket(Vertx vertx, long bytes) {
    Vertx other = Bench.newVertx();
    try {
      CompletableFuture<Long> done = new CompletableFuture<>();
      AtomicLong got = new AtomicLong();
      long[] start = {0};
      NetServer server = BenchNode.await(other.createNetServer().connectHandler(s -> s.handler(b -> {
        if (got.addAndGet(b.length()) >= bytes) {
          done.complete(System.nanoTime());
        }
      })).listen(0, "127.0.0.1"));
      NetSocket socket = BenchNode.await(vertx.createNetClient().connect(server.actualPort(), "127.0.0.1"));
      Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
      vertx.runOnContext(v -> {
        start[0] = System.nanoTime();
        writeAll(socket, chunk, bytes);
      });
      long end = BenchNode.join(done);
      socket.close();
      return bytes / 1e6 / ((end - start[0]) / 1e9);
    } finally {
      BenchNode.await(other.close());
    }
  }

  private static void writeAll(NetSocket socket, Buffer chunk, long remaining) {
    while (remaining > 0) {
      socket.write(chunk);
      remaining -= chunk.length();
      if (socket.writeQueueFull()) {
        long left = remaining;
        socket.drainHandler(v -> writeAll(socket, chunk, left));
        return;
      }
    }
  }

  /** ChaCha20-Poly1305 through our CipherState, on this one thread, in Noise-sized frames. */
  static double chacha(long bytes) throws Exception {
    CipherState[] pair = Bench.cipherPair();
    int size = 65519;
    byte[] in = new byte[size];
    byte[] out = new byte[size + 16];
    for (int i = 0; i < 4000; i++) { // warm up the intrinsics
      pair[0].encrypt(in, 0, size, out, 0);
    }
    long frames = Math.max(1, bytes / size);
    long start = System.nanoTime();
    for (long i = 0; i < frames; i++) {
      pair[0].encrypt(in, 0, size, out, 0);
    }
    return frames * size / 1e6 / ((System.nanoTime() - start) / 1e9);
  }
}
