package io.tinyp2p.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Figures;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/**
 * One attack against one node, in phases: a node process with a bounded heap, an honest peer
 * pinging it every 50 ms and newcomers dialing it every 1.5 s throughout; a warm-up, a
 * rehearsal of the attack (not measured: it warms the JIT), a quiet phase that sets the
 * baseline (ping p99, heap after GC), the attack, and a short phase after it. {@link #assertNodeCoped} checks the acceptance criteria:
 *
 * <ul>
 *   <li>the node is alive;
 *   <li>the honest ping p99 during and after the attack stays within {@link #P99_FACTOR} × the
 *       quiet p99 (a quiet p99 below {@link #P99_FLOOR_MS} counts as that floor: on a shared
 *       2-core machine a few-millisecond loopback baseline would make scheduler noise and a
 *       young GC fail the test); a ping lost or slower than 2 s counts as infinitely slow;
 *   <li>every newcomer during and after the attack got in;
 *   <li>the heap after a full GC, taken while the attack is still held open, is within
 *       {@link #HEAP_SLACK} of the quiet one.
 * </ul>
 *
 * Hostile resources registered with {@link #attacker} are closed only after the node has
 * stopped, so a node never sees its attacker leave (and never redials what it learnt from it).
 */
final class Trial implements AutoCloseable {
  static final double P99_FACTOR = 3;
  static final double P99_FLOOR_MS = 20;
  static final long HEAP_SLACK = 64L << 20;
  static final Duration WARMUP = Duration.ofSeconds(2);
  static final Duration QUIET = Duration.ofSeconds(5);
  /** After a rehearsal, before the quiet phase. */
  static final Duration SETTLE = Duration.ofSeconds(1);

  /** A rehearsal of the attack (see {@link #quiet(RehearsalStep)}). */
  @FunctionalInterface
  interface RehearsalStep {
    void run() throws Exception;
  }

  static final String QUIET_PHASE = "quiet";
  static final String ATTACK_PHASE = "attack";
  static final String AFTER_PHASE = "after";

  private final String row;
  private final NodeProcess node;
  private final Vertx vertx = Vertx.vertx();
  private final List<AutoCloseable> attackers = new ArrayList<>();
  private volatile String phase = "warmup";
  private HonestPeer honest;
  private Newcomers newcomers;
  private long heapQuiet = -1;
  private long heapAttack = -1;
  private long rssQuiet = -1;
  private long rssAttack = -1;

  private Trial(String row, NodeProcess node) {
    this.row = row;
    this.node = node;
  }

  /** Starts the node ({@code config} is merged into the plain one) and the honest peers. */
  static Trial start(String row, JsonObject config) throws Exception {
    Trial t = new Trial(row, NodeProcess.start(row, config));
    try {
      t.honest = HonestPeer.start(t.vertx, t.node.addr(), () -> t.phase);
      t.newcomers = new Newcomers(t.vertx, t.node.addr(), () -> t.phase);
      return t;
    } catch (Exception | Error e) {
      t.close();
      throw e;
    }
  }

  NodeProcess node() {
    return node;
  }

  /** Closed after the node has stopped. */
  <T extends AutoCloseable> T attacker(T resource) {
    attackers.add(resource);
    return resource;
  }

  /** A hostile peer with a fresh identity, connected and upgraded (and closed at the end). */
  HostilePeer hostile() throws Exception {
    return hostile(KeyPair.generate());
  }

  HostilePeer hostile(KeyPair identity) throws Exception {
    return attacker(HostilePeer.connect(node.port(), identity));
  }

  /** Warm-up, then the quiet phase; ends with the quiet heap probe. */
  void quiet() {
    quiet(() -> { });
  }

  /**
   * Warm-up, a rehearsal of the attack, then the quiet phase; ends with the quiet heap probe.
   * The rehearsal runs the attack's code paths once before anything is measured, so that the
   * figures are those of a node that has met the attack before, not of the JIT compiling
   * them (on two cores a compile burst of a few seconds competes with the event loop); it
   * must end its attack, and the node must have recovered, before it returns.
   */
  void quiet(RehearsalStep rehearsal) {
    HonestPeer.sleep(WARMUP.toMillis());
    phase = "rehearsal";
    try {
      rehearsal.run();
    } catch (Exception e) {
      throw new AssertionError("the rehearsal failed", e);
    }
    HonestPeer.sleep(SETTLE.toMillis());
    phase = QUIET_PHASE;
    HonestPeer.sleep(QUIET.toMillis());
    phase = "probe"; // the probe's own GC pause is nobody's fault
    heapQuiet = honest.probe(node::heapAfterGc);
    rssQuiet = node.rss();
  }

  /** The attack starts now. */
  void attack() {
    phase = ATTACK_PHASE;
  }

  /**
   * Lets the attack run for {@code d} (pings and newcomers go on), then takes the heap
   * probe while the attack is still held open.
   */
  void hold(Duration d) {
    HonestPeer.sleep(d.toMillis());
    probeAttackHeap();
  }

  /** The heap probe under attack; its own GC pause is left out of the ping figures. */
  void probeAttackHeap() {
    String was = phase;
    phase = "probe";
    heapAttack = honest.probe(node::heapAfterGc);
    rssAttack = node.rss();
    phase = was;
  }

  /** The attack is over (the test closed it): pings and newcomers for {@code d} more. */
  void after(Duration d) {
    phase = AFTER_PHASE;
    HonestPeer.sleep(d.toMillis());
    phase = "done";
  }

  /**
   * Reports the figures (one line, with the row's own {@code details}) and checks the
   * criteria, and the row's own {@code checks} with them.
   */
  void reportAndAssert(String details, Executable... checks) {
    HonestPeer.Stats quiet = honest.stats(QUIET_PHASE);
    HonestPeer.Stats attack = honest.stats(ATTACK_PHASE);
    HonestPeer.Stats after = honest.stats(AFTER_PHASE);
    Newcomers.Count joined = newcomers.count(ATTACK_PHASE, AFTER_PHASE);
    double limit = P99_FACTOR * Math.max(quiet.p99(), P99_FLOOR_MS);
    boolean alive = node.alive();
    boolean targetMet = attack.p99() <= limit && after.p99() <= limit;
    Figures.report(String.format("attack %s: p99 target (3x quiet, floor %.0f ms: %.0f ms) %s; honest ping quiet %s; attack %s; after %s; newcomers accepted %s "
        + "(quiet %s); heap after GC quiet %s, attack %s (%s); RSS %s -> %s; %s; node %s",
        row, P99_FLOOR_MS, limit, targetMet ? "met" : "MISSED", quiet, attack, after, joined, newcomers.count(QUIET_PHASE), mib(heapQuiet), mib(heapAttack),
        heapQuiet >= 0 && heapAttack >= 0 ? String.format("%+d MiB", (heapAttack - heapQuiet) >> 20) : "?",
        mib(rssQuiet), mib(rssAttack), details, alive ? "alive" : "died: " + node.exitReason()));
    List<Executable> all = new ArrayList<>(List.of(
        () -> assertTrue(alive, "the node died: " + node.exitReason()),
        () -> assertTrue(attack.p99() <= limit, String.format("honest ping p99 during the attack %s, allowed %.0f ms (3x quiet %s, floor %.0f ms)",
            HonestPeer.Stats.ms(attack.p99()), limit, HonestPeer.Stats.ms(quiet.p99()), P99_FLOOR_MS)),
        () -> assertTrue(after.p99() <= limit, String.format("honest ping p99 after the attack %s, allowed %.0f ms",
            HonestPeer.Stats.ms(after.p99()), limit)),
        () -> assertTrue(joined.tried() > 0 && joined.accepted() == joined.tried(),
            "newcomers accepted during and after the attack: " + joined),
        () -> assertTrue(heapAttack >= 0, "no heap figure under attack (the node did not answer)"),
        () -> assertTrue(heapAttack - heapQuiet <= HEAP_SLACK, String.format(
            "heap after GC grew from %s to %s under attack (allowed: +64 MiB)", mib(heapQuiet), mib(heapAttack)))));
    all.addAll(List.of(checks));
    assertAll(row, all.stream());
  }

  private static String mib(long bytes) {
    return bytes < 0 ? "?" : (bytes >> 20) + " MiB";
  }

  /** Honest peers first, then the node (SIGTERM, kill), then the attackers. */
  @Override
  public void close() {
    if (newcomers != null) {
      newcomers.close();
    }
    if (honest != null) {
      honest.close();
    }
    node.close();
    for (AutoCloseable a : attackers) {
      try {
        a.close();
      } catch (Exception e) {
        // closing anyway
      }
    }
    TestNode.await(vertx.close());
  }
}
