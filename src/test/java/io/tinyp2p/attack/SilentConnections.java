package io.tinyp2p.attack;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Half-open connections: TCP connections to the node that never send a byte. {@code target}
 * of them are opened within a second, and every one the node closes is replaced, at most
 * {@code perSecond} a second. Each connection waits on its own virtual thread for the
 * node to close it.
 */
final class SilentConnections implements AutoCloseable {
  private final int port;
  private final int target;
  private final long refillGapNanos;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger opened = new AtomicInteger();
  private final AtomicInteger closedByNode = new AtomicInteger();
  private final AtomicInteger connectFailed = new AtomicInteger();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread refiller;

  SilentConnections(int port, int target, int perSecond) {
    this.port = port;
    this.target = target;
    this.refillGapNanos = 1_000_000_000L / perSecond;
    refiller = Thread.ofPlatform().daemon().name("silent-refill").start(this::run);
  }

  private void run() {
    long fillGap = 1_000_000_000L / target;
    for (int i = 0; i < target && running.get(); i++) {
      openOne();
      sleepNanos(fillGap);
    }
    long next = System.nanoTime();
    while (running.get()) {
      if (open.get() < target) {
        openOne();
        next += refillGapNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          sleepNanos(wait);
        } else {
          next = System.nanoTime();
        }
      } else {
        sleepNanos(refillGapNanos);
        next = System.nanoTime();
      }
    }
  }

  private void openOne() {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
    } catch (IOException e) {
      connectFailed.incrementAndGet();
      closeQuietly(s);
      return;
    }
    sockets.add(s);
    open.incrementAndGet();
    opened.incrementAndGet();
    Thread.ofVirtual().start(() -> {
      try (InputStream in = s.getInputStream()) {
        while (in.read() >= 0) {
          // the node sent something (it should not before we do): ignore it
        }
      } catch (IOException e) {
        // reset by the node, or closed by us
      }
      if (running.get()) {
        closedByNode.incrementAndGet();
      }
      open.decrementAndGet();
      sockets.remove(s);
    });
  }

  private static void sleepNanos(long nanos) {
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public String toString() {
    return String.format("%d half-open connections opened (%d open now, %d closed by the node, %d connects failed)",
        opened.get(), open.get(), closedByNode.get(), connectFailed.get());
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    refiller.join(5_000);
    sockets.forEach(SilentConnections::closeQuietly);
  }
}
