package io.tinyp2p.attack;

import io.tinyp2p.TestNode;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * New honest peers: every {@link #INTERVAL_MS} a node with a fresh identity dials the node
 * under attack and pings it once; it is accepted when the connection (TCP, Noise, Yamux) is
 * up and the ping answered within {@link HonestPeer#PING_TIMEOUT}, refused otherwise. Then it
 * leaves. One newcomer at a time, counted under the phase current when it started.
 */
final class Newcomers implements AutoCloseable {
  static final long INTERVAL_MS = 1500;

  /** Accepted of tried in one phase. */
  record Count(int accepted, int tried) {
    @Override
    public String toString() {
      return accepted + "/" + tried;
    }
  }

  private final Map<String, int[]> counts = new ConcurrentHashMap<>(); // phase -> {accepted, tried}
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  Newcomers(Vertx vertx, Multiaddr target, Supplier<String> phase) {
    thread = Thread.ofPlatform().daemon().name("newcomers").start(() -> {
      while (running.get()) {
        long next = System.currentTimeMillis() + INTERVAL_MS;
        String p = phase.get();
        boolean accepted;
        try (TestNode newcomer = HonestPeer.peer(vertx)) {
          accepted = tryJoin(newcomer, target);
        } catch (RuntimeException e) {
          accepted = false;
        }
        int[] c = counts.computeIfAbsent(p, k -> new int[2]);
        synchronized (c) {
          c[0] += accepted ? 1 : 0;
          c[1]++;
        }
        long wait = next - System.currentTimeMillis();
        if (wait > 0 && running.get()) {
          HonestPeer.sleep(wait);
        }
      }
    });
  }

  private static boolean tryJoin(TestNode newcomer, Multiaddr target) {
    try {
      HonestPeer.ping(newcomer, target).join();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  Count count(String phase) {
    int[] c = counts.getOrDefault(phase, new int[2]);
    synchronized (c) {
      return new Count(c[0], c[1]);
    }
  }

  /** Counts of several phases together. */
  Count count(String... phases) {
    int accepted = 0;
    int tried = 0;
    for (String p : phases) {
      Count c = count(p);
      accepted += c.accepted();
      tried += c.tried();
    }
    return new Count(accepted, tried);
  }

  @Override
  public void close() {
    running.set(false); // the newcomer in progress finishes first (a few seconds at most)
    try {
      thread.join(15_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
