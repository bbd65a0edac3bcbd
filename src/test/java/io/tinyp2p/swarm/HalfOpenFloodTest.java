package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Figures;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A node from a plain config under a half-open flood from 127.0.0.1 (the honest peers' IP too,
 * and loopback is exempt from the per-IP limits): 1000 silent TCP connections, then one more
 * every 10 ms (and, second round, every 100 ms) for 10 s, each replacing the attacker's oldest.
 * Meanwhile a fresh identity dials every 0.5 to 2 s and must get in every time, and a peer
 * connected before pings every 200 ms.
 */
class HalfOpenFloodTest {
  static final int HELD = 1000;
  static final Duration ROUND = Duration.ofSeconds(10);

  @Test
  void honestNewcomersGetInDuringAHalfOpenFlood() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("busPrefix", "victim"));
         TestNode steady = TestNode.start(vertx, new JsonObject().put("busPrefix", "steady"))) {
      Multiaddr target = node.addr();
      PeerId victim = node.peerId();
      steady.onLoop(s -> s.dial(target));
      AtomicLong pings = new AtomicLong();
      AtomicLong pingFailures = new AtomicLong();
      long pinger = vertx.setPeriodic(200, t -> steady.verticle().swarm().context().runOnContext(v ->
          steady.verticle().node().ping().ping(victim).onComplete(ar -> {
            if (ar.succeeded()) {
              pings.incrementAndGet();
            } else {
              pingFailures.incrementAndGet();
            }
          })));
      try {
        for (int rate : new int[] {100, 10}) {
          round(vertx, node, rate);
        }
      } finally {
        vertx.cancelTimer(pinger);
      }
      Figures.report("HalfOpenFloodTest: the connected peer's pings every 200 ms during both rounds: "
          + pings.get() + " answered, " + pingFailures.get() + " failed");
      assertEquals(0, pingFailures.get(), "an open connection suffered from the flood");
    } finally {
      TestNode.await(vertx.close());
    }
  }

  private void round(Vertx vertx, TestNode node, int perSecond) throws Exception {
    Multiaddr target = node.addr();
    PeerId victim = node.peerId();
    int port = target.tcpPort();
    long evictedBefore = evictions(node);
    Flood flood = new Flood(port, perSecond);
    Thread attacker = new Thread(flood, "half-open-flood");
    attacker.setDaemon(true);
    attacker.start();
    List<Long> millis = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    Random random = new Random(perSecond);
    try {
      flood.awaitHeld();
      long end = System.nanoTime() + ROUND.toNanos();
      while (System.nanoTime() < end) {
        Thread.sleep(500 + random.nextInt(1501)); // the newcomers' pace, not a wait for an event
        long start = System.nanoTime();
        try (TestNode fresh = TestNode.start(vertx, new JsonObject().put("busPrefix", "fresh"))) {
          fresh.onLoop(s -> s.dial(target));
          Duration rtt = fresh.onLoop(s -> fresh.verticle().node().ping().ping(victim));
          assertTrue(rtt.toNanos() > 0);
          millis.add((System.nanoTime() - start) / 1_000_000);
        } catch (RuntimeException e) {
          failures.add(e.getMessage());
        }
      }
    } finally {
      flood.stop();
      attacker.join(10_000);
    }
    Collections.sort(millis);
    long evicted = evictions(node) - evictedBefore;
    long refused = node.<Long>onLoop(s -> Future.succeededFuture(
        s.limitCounters().refused(Limits.Refusal.PENDING_HANDSHAKES) + s.limitCounters().refused(Limits.Refusal.TOTAL)));
    Figures.report("HalfOpenFloodTest: " + HELD + " half-open connections from 127.0.0.1 refilled at " + perSecond
        + "/s for " + ROUND.toSeconds() + " s (" + flood.opened + " opened): " + millis.size() + " of "
        + (millis.size() + failures.size()) + " fresh identities got in (dial + ping, median "
        + (millis.isEmpty() ? "-" : millis.get(millis.size() / 2)) + " ms, max "
        + (millis.isEmpty() ? "-" : millis.get(millis.size() - 1)) + " ms); pending handshakes evicted "
        + evicted + ", connections refused " + refused);
    assertTrue(failures.isEmpty(), "honest newcomers refused during the flood: " + failures);
    assertTrue(millis.size() >= 4, "too few honest dials to say anything: " + millis.size());
    assertTrue(evicted >= HELD - 64, "the flood did not fill the pending handshakes: " + evicted + " evicted");
  }

  private static long evictions(TestNode node) {
    return node.<Long>onLoop(s -> {
      long n = 0;
      for (Limits.Eviction e : Limits.Eviction.values()) {
        n += s.limitCounters().evicted(e);
      }
      return Future.succeededFuture(n);
    });
  }

  /** Holds HELD silent connections, then replaces its oldest with a new one perSecond times a second. */
  static final class Flood implements Runnable {
    final int port;
    final int perSecond;
    volatile boolean running = true;
    volatile long opened;
    private final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);

    Flood(int port, int perSecond) {
      this.port = port;
      this.perSecond = perSecond;
    }

    @Override
    public void run() {
      ArrayDeque<Socket> sockets = new ArrayDeque<>();
      try {
        while (running && sockets.size() < HELD) {
          sockets.add(new Socket("127.0.0.1", port));
          opened++;
        }
        held.countDown();
        long interval = 1_000_000_000L / perSecond;
        long next = System.nanoTime();
        while (running) {
          next += interval;
          long wait = next - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          sockets.poll().close();
          sockets.add(new Socket("127.0.0.1", port));
          opened++;
        }
      } catch (IOException | InterruptedException e) {
        held.countDown();
        if (running) {
          throw new IllegalStateException("the flood stopped: " + e, e);
        }
      } finally {
        for (Socket s : sockets) {
          try {
            s.close();
          } catch (IOException e) {
            // closing anyway
          }
        }
      }
    }

    void awaitHeld() throws InterruptedException {
      assertTrue(held.await(60, java.util.concurrent.TimeUnit.SECONDS), "could not open the flood's connections");
    }

    void stop() {
      running = false;
    }
  }
}
