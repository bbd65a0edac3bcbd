package io.tinyp2p.bench;

import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.node.Node;
import io.tinyp2p.protocol.kad.Kademlia;
import io.tinyp2p.protocol.kad.Key;
import io.tinyp2p.swarm.Limits;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmConfig;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.management.ObjectName;

/**
 * Scaling curves ({@code ./run.sh bench --only=scale}): how the figures grow with what a node
 * holds and with the size of its network.
 *
 * <ol>
 *   <li>Idle connections: heap (after GC) and CPU of one node holding 100, 1 000 and 5 000
 *       idle connections, each from a client identity of its own after Identify answered both
 *       ways. The node is this JVM's; the clients live in a child JVM (a light swarm each, with
 *       Identify and Ping, dialing {@link #DIAL_WINDOW} at a time), which adds connections stage
 *       by stage when told to, so this JVM's heap and CPU are the node's alone. A class histogram
 *       at the first and last stage tells what grows per connection.
 *   <li>Gossipsub's maximum sustained rate at 10, 20 and 50 nodes (degree 3, 1 KiB messages,
 *       open loop), by {@link GossipBench#maxRate}.
 *   <li>Kademlia lookups at 30, 100 and 300 nodes in this JVM, joined from one boot node and
 *       bootstrapped (see {@link #kadNetwork}): {@link #LOOKUPS} sequential lookups for random
 *       keys from random nodes, timed, and checked against the known set of node ids.
 * </ol>
 */
final class ScaleBench {
  static final int[] IDLE_SIZES = {100, 1_000, 5_000};
  /** Connections opened before the first size: the heap per connection counts from there. */
  static final int IDLE_WARM_UP = 10;
  static final int[] GOSSIP_NODES = {10, 20, 50};
  /**
   * Bisection steps of the maximum-rate search per size (as the gossipsub workload: 4); fewer at
   * a size would bound the run time where trials cost most, and the table says so.
   */
  static final int[] GOSSIP_BISECTIONS = {4, 4, 4};
  static final int GOSSIP_START_RATE = 200;
  static final double GOSSIP_TRIAL_SECONDS = 3;
  static final int[] KAD_NODES = {30, 100, 300};
  static final int LOOKUPS = 50;
  /** The window over which the idle node's CPU is measured. */
  static final long CPU_WINDOW_MILLIS = 10_000;
  /** Client dials (TCP, Noise, Yamux, Identify both ways) in flight at once. */
  static final int DIAL_WINDOW = 64;
  /** Sockets beyond the connections a JVM needs: jars, epoll, pipes, listeners. */
  static final int FD_MARGIN = 512;
  static final double FLAT_RATIO = 1.5;
  static final double TARGET_KIB_PER_CONNECTION = 16;
  /**
   * Kademlia timers of the lookup networks: the bootstrap (a lookup for the node's own id) 1 s
   * after start; the bucket refreshes (every 30 s on the node) put off past the measurement: at
   * 300 nodes on 2 cores a refresh round of every node at once overloads the machine (handshakes
   * time out, nodes lose their boot node).
   */
  static final Kademlia.Config KAD_CONFIG = new Kademlia.Config(Duration.ofSeconds(1), Duration.ofSeconds(600),
      Duration.ofSeconds(5), Duration.ofSeconds(20));
  /**
   * How long connections outside the routing table stay open when idle: longer than a
   * network lives here. With the node's 10 s, a connection between two peers of which only one
   * holds the other in its table is closed by the other side when idle and redialed at once by
   * the first (Kademlia redials table peers), over and over: an idle 100-node network opened
   * 216 connection ends in 30 s with 10 s, none with 120 s.
   */
  static final Duration KAD_KEEP_ALIVE = Duration.ofSeconds(120);
  /** Tables whose sizes did not change this long after the bootstrap count as settled. */
  static final long KAD_QUIET_MILLIS = 2_000;
  static final long KAD_SETTLE_DEADLINE_MILLIS = 30_000;
  /** The lookups of one network stop after this, done or not. */
  static final long KAD_LOOKUP_BUDGET_SECONDS = 60;
  /** File descriptors a node of a lookup network holds, both ends of its connections (some 41 at 300 nodes). */
  static final int KAD_FDS_PER_NODE = 50;
  /** Second lookups of the nodes' own ids in flight at once. */
  static final int KAD_REJOIN_WINDOW = 8;

  private ScaleBench() {}

  /**
   * All three parts; the system property {@code tinyp2p.bench.scaleParts} (e.g. {@code idle,kad})
   * runs only some of them.
   */
  static JsonObject run(Vertx vertx) {
    long started = System.nanoTime();
    List<String> parts = List.of(System.getProperty("tinyp2p.bench.scaleParts", "idle,gossipsub,kad").split(","));
    JsonObject out = new JsonObject();
    if (parts.contains("idle")) {
      out.put("idle", part(() -> idle(vertx)));
    }
    if (parts.contains("gossipsub")) {
      out.put("gossipsub", part(() -> gossipsub(vertx)));
    }
    if (parts.contains("kad")) {
      out.put("kad", part(() -> kad(vertx)));
    }
    return out.put("seconds", Math.round((System.nanoTime() - started) / 1e9));
  }

  private static JsonObject part(Bench.Workload w) {
    try {
      return w.run();
    } catch (Exception | Error e) {
      return new JsonObject().put("error", String.valueOf(e));
    }
  }

  /** Connection, handshake and dial limits lifted: the bench asks for thousands on loopback. */
  static Limits lifted() {
    Limits d = Limits.defaults();
    return new Limits(1_000_000, d.maxConnectionsPerPeer(), 1_000_000, 100_000, true,
        d.maxInboundStreamsPerProtocol(), 100_000, 100_000, 100_000, 1_000_000, d.dialBackoffInitial(),
        d.dialBackoffMax(), d.allowDnsAddrs());
  }

  // ---- idle connections ----

  private static JsonObject idle(Vertx vertx) throws Exception {
    int largest = IDLE_SIZES[IDLE_SIZES.length - 1];
    String fdProblem = fileLimitProblem(largest, "the node's JVM");
    if (fdProblem != null) {
      throw new IllegalStateException(fdProblem);
    }
    BenchNode server = BenchNode.deploy(vertx, lifted());
    Identified identified = server.onLoop(n -> {
      Identified counter = new Identified();
      n.swarm.on(PeerIdentified.class, e -> counter.add(e.peer()));
      return Future.succeededFuture(counter);
    });
    long loopThread = server.onLoop(n -> Future.succeededFuture(Thread.currentThread().threadId()));
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long empty = heapAfterGc();
    Map<String, long[]> emptyHistogram = classHistogram();
    // the first stage is a warm-up: what the node allocates once, at its first connections
    // (classes' static state, caches, pools), is not a cost of each connection
    int[] stages = new int[IDLE_SIZES.length + 1];
    stages[0] = IDLE_WARM_UP;
    System.arraycopy(IDLE_SIZES, 0, stages, 1, IDLE_SIZES.length);
    Process clients = new ProcessBuilder(javaCommand(), "-cp", System.getProperty("java.class.path"),
        Bench.class.getName(), "--scale-clients", server.addr.toString(),
        Arrays.stream(stages).mapToObj(Integer::toString).collect(Collectors.joining(",")))
        .redirectErrorStream(true).start();
    ChildOutput output = new ChildOutput(clients, "the clients' JVM");
    JsonArray sizes = new JsonArray();
    long warm = 0;
    Map<String, long[]> warmHistogram = null;
    Map<String, long[]> firstHistogram = null;
    Map<String, long[]> lastHistogram = null;
    try (OutputStream commands = clients.getOutputStream()) {
      for (int s = 0; s < stages.length; s++) {
        int count = stages[s];
        if (s > 0) {
          commands.write("next\n".getBytes(StandardCharsets.UTF_8));
          commands.flush();
        }
        long t0 = System.nanoTime();
        String line = output.await(l -> l.equals("connected " + count) || l.startsWith("error"), 240);
        if (!line.equals("connected " + count)) {
          throw new IllegalStateException("clients' JVM: " + line);
        }
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        // the node's side of Identify: every client answered the node's request too
        int seen = server.onLoop(n -> identified.atLeast(count).timeout(60, TimeUnit.SECONDS)
            .recover(e -> Future.failedFuture(new IllegalStateException("the node saw Identify answer on "
                + identified.size() + " of " + count + " connections within 60 s"))));
        int open = openConnections(server);
        if (open < count) {
          throw new IllegalStateException("the node holds " + open + " connections, " + count + " expected");
        }
        long heap = heapAfterGc();
        Map<String, long[]> histogram = classHistogram();
        if (s == 0) {
          warm = heap;
          warmHistogram = histogram;
          continue;
        }
        if (s == 1) {
          firstHistogram = histogram;
        }
        lastHistogram = histogram;
        // a fixed measurement window: the node's process CPU while nothing happens, by thread group
        Map<String, Long> groups0 = threadGroupCpu();
        long cpu0 = processCpuNanos();
        long loop0 = threads.getThreadCpuTime(loopThread);
        long wall0 = System.nanoTime();
        Thread.sleep(CPU_WINDOW_MILLIS);
        long wall = System.nanoTime() - wall0;
        long cpu = processCpuNanos() - cpu0;
        long loop = threads.getThreadCpuTime(loopThread) - loop0;
        Map<String, Long> groups1 = threadGroupCpu();
        JsonObject byGroup = new JsonObject();
        for (String g : groups1.keySet()) {
          byGroup.put(g, Bench.round3(100.0 * (groups1.get(g) - groups0.getOrDefault(g, 0L)) / wall));
        }
        int openAfter = openConnections(server);
        sizes.add(new JsonObject().put("connections", open).put("identified", seen)
            .put("heapPerConnectionKiB", Bench.round((heap - warm) / 1024.0 / (open - IDLE_WARM_UP)))
            .put("heapPerConnectionFromEmptyKiB", Bench.round((heap - empty) / 1024.0 / open))
            .put("heapKiB", Math.round(heap / 1024.0))
            .put("idleCpuPercent", Bench.round3(100.0 * cpu / wall))
            .put("idleLoopCpuPercent", Bench.round3(100.0 * loop / wall))
            .put("idleCpuPercentByThreads", byGroup)
            .put("connectionsAfterWindow", openAfter)
            .put("connectSeconds", Bench.round(connectSeconds)));
      }
    } finally {
      // end of input tells the clients to go; destroy() only if they do not
      if (!clients.waitFor(15, TimeUnit.SECONDS)) {
        clients.destroy();
        clients.waitFor(10, TimeUnit.SECONDS);
      }
      BenchNode.await(vertx.undeploy(server.deploymentID()));
    }
    double ratio = Bench.round3(perConnection(sizes, sizes.size() - 1, "heapPerConnectionKiB")
        / perConnection(sizes, 0, "heapPerConnectionKiB"));
    double ratioFromEmpty = Bench.round3(perConnection(sizes, sizes.size() - 1, "heapPerConnectionFromEmptyKiB")
        / perConnection(sizes, 0, "heapPerConnectionFromEmptyKiB"));
    double worst = 0;
    double best = Double.MAX_VALUE;
    for (int i = 0; i < sizes.size(); i++) {
      worst = Math.max(worst, perConnection(sizes, i, "heapPerConnectionKiB"));
      best = Math.min(best, perConnection(sizes, i, "heapPerConnectionKiB"));
    }
    return new JsonObject().put("cpuWindowSeconds", CPU_WINDOW_MILLIS / 1000)
        .put("heapEmptyKiB", Math.round(empty / 1024.0))
        .put("warmUpConnections", IDLE_WARM_UP)
        .put("heapWarmKiB", Math.round(warm / 1024.0))
        .put("sizes", sizes)
        .put("heapPerConnectionRatio", ratio)
        .put("heapPerConnectionFromEmptyRatio", ratioFromEmpty)
        .put("flat", worst / best <= FLAT_RATIO)
        .put("withinTarget", worst <= TARGET_KIB_PER_CONNECTION)
        .put("warmUpGrowth", growth(emptyHistogram, warmHistogram, 1, 8, "bytes", "instances"))
        .put("growthPerConnection", growth(firstHistogram, lastHistogram,
            IDLE_SIZES[IDLE_SIZES.length - 1] - IDLE_SIZES[0], 10, "bytesPerConnection", "instancesPerConnection"));
  }

  private static double perConnection(JsonArray sizes, int i, String field) {
    return sizes.getJsonObject(i).getDouble(field);
  }

  /**
   * CPU time of this JVM's threads by group (the node's and the other event loops, JIT
   * compilers, GC, the rest), in nanoseconds, from /proc/self/task (Linux; empty elsewhere).
   */
  static Map<String, Long> threadGroupCpu() {
    Map<String, Long> out = new java.util.TreeMap<>();
    java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
    if (tasks == null) {
      return out;
    }
    long nanosPerTick = 1_000_000_000L / 100; // USER_HZ
    for (java.io.File task : tasks) {
      try {
        String stat = java.nio.file.Files.readString(task.toPath().resolve("stat"));
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
        String group = name.startsWith("vert.x-eventloo") ? "eventLoops"
            : name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler") ? "jit"
            : name.startsWith("GC ") || name.startsWith("G1 ") ? "gc" : "other";
        out.merge(group, ticks * nanosPerTick, Long::sum);
      } catch (IOException | RuntimeException e) {
        // the thread ended meanwhile
      }
    }
    return out;
  }

  private static int openConnections(BenchNode node) {
    return node.onLoop(n -> Future.succeededFuture(n.swarm.connections().size()));
  }

  /** Peers whose Identify answered, counted on the node's loop; {@link #atLeast} awaits a count. */
  private static final class Identified {
    private final Set<PeerId> peers = new HashSet<>();
    private int wanted;
    private Promise<Integer> reached;

    void add(PeerId peer) {
      peers.add(peer);
      if (reached != null && peers.size() >= wanted) {
        reached.tryComplete(peers.size());
        reached = null;
      }
    }

    int size() {
      return peers.size();
    }

    Future<Integer> atLeast(int count) {
      if (peers.size() >= count) {
        return Future.succeededFuture(peers.size());
      }
      wanted = count;
      reached = Promise.promise();
      return reached.future();
    }
  }

  /** The lines a child JVM prints, read by a thread of their own; the last ones kept for errors. */
  private static final class ChildOutput {
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final ArrayDeque<String> recent = new ArrayDeque<>();
    private static final String EOF = "\0eof";
    private final String name;

    ChildOutput(Process process, String name) {
      this.name = name;
      Thread.ofPlatform().daemon().name("scale-clients-output").start(() -> {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = in.readLine()) != null) {
            lines.add(line);
          }
        } catch (IOException e) {
          lines.add("error reading the output of " + name + ": " + e.getMessage());
        }
        lines.add(EOF);
      });
    }

    /** The first line that matches, within {@code seconds}; a failure names the last lines seen. */
    String await(java.util.function.Predicate<String> wanted, long seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (true) {
        String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new IllegalStateException(name + " did not report within " + seconds + " s; last lines: " + recent);
        }
        if (line.equals(EOF)) {
          throw new IllegalStateException(name + " ended; last lines: " + recent);
        }
        if (wanted.test(line)) {
          return line;
        }
        recent.add(line);
        if (recent.size() > 10) {
          recent.removeFirst();
        }
      }
    }
  }

  /**
   * The child JVM of the idle-connection workload: for each of {@code stages} (ascending
   * connection counts) it opens connections to {@code addr} from new identities, one each, up
   * to that count, prints {@code connected N}, and waits for a line {@code next} on its input;
   * it ends at the end of its input. A failure prints one {@code error ...} line and exits.
   */
  static void clients(String addr, String stages) throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    int[] counts = Arrays.stream(stages.split(",")).mapToInt(Integer::parseInt).toArray();
    String fdProblem = fileLimitProblem(counts[counts.length - 1], "the clients' JVM");
    if (fdProblem != null) {
      System.out.println("error " + fdProblem);
      System.exit(1);
    }
    Vertx vertx = Vertx.vertx();
    Multiaddr target = Multiaddr.parse(addr);
    // the swarms share a few event loops: one context per loop
    List<Context> loops = new ArrayList<>();
    for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
      Loop loop = new Loop();
      BenchNode.await(vertx.deployVerticle(loop));
      loops.add(loop.context());
    }
    ConcurrentLinkedQueue<Swarm> swarms = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    Semaphore window = new Semaphore(DIAL_WINDOW);
    BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int started = 0;
    for (int count : counts) {
      while (started < count) {
        window.acquire();
        Context loop = loops.get(started % loops.size());
        started++;
        loop.runOnContext(v -> connectClient(vertx, target, swarms).onComplete(ar -> {
          if (ar.failed()) {
            failures.add(String.valueOf(ar.cause().getMessage()));
          }
          window.release();
        }));
      }
      window.acquire(DIAL_WINDOW); // every dial of the stage finished
      window.release(DIAL_WINDOW);
      if (!failures.isEmpty()) {
        System.out.println("error " + failures.size() + " of " + count + " client connections failed, first: "
            + failures.peek());
        System.exit(1);
      }
      System.out.println("connected " + count);
      System.out.flush();
      String command = commands.readLine();
      if (command == null) {
        break;
      }
    }
    while (commands.readLine() != null) {
      // idle until the parent closes our input
    }
    System.exit(0);
  }

  /** A verticle that only lends its event-loop context to the client swarms. */
  private static final class Loop extends VerticleBase {
    Context context() {
      return context;
    }
  }

  /** A client identity: a swarm with Identify and Ping, connected once the node's Identify answered. */
  private static Future<Void> connectClient(Vertx vertx, Multiaddr target, ConcurrentLinkedQueue<Swarm> swarms) {
    Swarm swarm = Node.builder(vertx, KeyPair.generate()).ping(Duration.ZERO, Duration.ofSeconds(10)).build().swarm();
    swarms.add(swarm);
    Promise<Void> identified = Promise.promise();
    swarm.on(PeerIdentified.class, e -> identified.tryComplete());
    return swarm.dial(target).compose(c -> identified.future().timeout(30, TimeUnit.SECONDS)
        .recover(e -> Future.failedFuture(new IllegalStateException("no Identify answer from the node within 30 s"))));
  }

  /**
   * Null when this JVM may open {@code connections} more sockets; else what is wrong. The JVM
   * raises its soft limit to the hard one at start (-XX:+MaxFDLimit), so the hard limit counts.
   */
  static String fileLimitProblem(int connections, String who) {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (!(os instanceof com.sun.management.UnixOperatingSystemMXBean unix)) {
      return null;
    }
    long max = unix.getMaxFileDescriptorCount();
    long need = unix.getOpenFileDescriptorCount() + connections + FD_MARGIN;
    if (max >= need) {
      return null;
    }
    return String.format(Locale.ROOT, "the open-file limit of %s is %d, but %d idle connections need %d there "
        + "(one socket per connection in each of the node's and the clients' JVMs, %d in all): "
        + "raise it, e.g. ulimit -n %d (the hard limit, ulimit -Hn, too)", who, max, connections, need,
        2 * connections, 2 * (connections + FD_MARGIN));
  }

  private static String javaCommand() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The heap in use after full collections (the second one takes what cleaners freed). */
  static long heapAfterGc() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Live objects by class ({@code jcmd GC.class_histogram}, in-process): name to {instances, bytes}. */
  static Map<String, long[]> classHistogram() throws Exception {
    String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    Map<String, long[]> out = new HashMap<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].endsWith(":")) {
        out.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
      }
    }
    return out;
  }

  /**
   * The {@code top} classes whose live bytes grew most between two histograms, divided by
   * {@code connections} (the connections added), under the names {@code bytes} and {@code instances}.
   */
  private static JsonArray growth(Map<String, long[]> from, Map<String, long[]> to, int connections, int top,
      String bytes, String instances) {
    JsonArray out = new JsonArray();
    if (from == null || to == null || connections <= 0) {
      return out;
    }
    to.entrySet().stream()
        .map(e -> {
          long[] before = from.getOrDefault(e.getKey(), new long[2]);
          return Map.entry(e.getKey(), new long[] {e.getValue()[0] - before[0], e.getValue()[1] - before[1]});
        })
        .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[1]).reversed())
        .limit(top)
        .forEach(e -> out.add(new JsonObject().put("class", e.getKey())
            .put(bytes, Math.round((double) e.getValue()[1] / connections))
            .put(instances, Bench.round((double) e.getValue()[0] / connections))));
    return out;
  }

  // ---- gossipsub ----

  private static JsonObject gossipsub(Vertx vertx) throws Exception {
    JsonArray sizes = new JsonArray();
    for (int i = 0; i < GOSSIP_NODES.length; i++) {
      int count = GOSSIP_NODES[i];
      long t0 = System.nanoTime();
      JsonObject r;
      try (GossipBench b = GossipBench.start(vertx, count, 3)) {
        b.run(100, 100, 1024, 10); // warm-up at an easy rate
        r = b.maxRate(1024, GOSSIP_START_RATE, GOSSIP_TRIAL_SECONDS, GOSSIP_BISECTIONS[i]);
      }
      sizes.add(new JsonObject().put("nodes", count).put("bisections", GOSSIP_BISECTIONS[i])
          .put("seconds", Math.round((System.nanoTime() - t0) / 1e9)).mergeIn(r));
    }
    return new JsonObject().put("degree", 3).put("size", 1024).put("startPerSec", GOSSIP_START_RATE)
        .put("trialSeconds", GOSSIP_TRIAL_SECONDS).put("sizes", sizes);
  }

  // ---- Kademlia ----

  private static JsonObject kad(Vertx vertx) throws Exception {
    JsonArray sizes = new JsonArray();
    for (int count : KAD_NODES) {
      sizes.add(kadNetwork(vertx, count));
    }
    return new JsonObject().put("lookups", LOOKUPS).put("k", Kademlia.K)
        .put("firstDiscoverySeconds", KAD_CONFIG.firstDiscovery().toSeconds())
        .put("refreshSeconds", KAD_CONFIG.discoveryInterval().toSeconds())
        .put("keepAliveSeconds", KAD_KEEP_ALIVE.toSeconds())
        .put("peersContacted", "not exposed by Kademlia.lookup")
        .put("sizes", sizes);
  }

  /** A node for the lookup networks: the swarm with Identify, Ping and Kademlia, as the node runs them. */
  private static final class KadNode extends VerticleBase {
    private final Multiaddr boot;
    private final AtomicLong lastTableChange;
    private final AtomicLong opened;
    /** Completes once the routing table holds a peer (the boot node answered). */
    final Promise<Void> joined = Promise.promise();
    Node node;
    Swarm swarm;
    Kademlia kad;
    Multiaddr addr;

    KadNode(Multiaddr boot, AtomicLong lastTableChange, AtomicLong opened) {
      this.boot = boot;
      this.lastTableChange = lastTableChange;
      this.opened = opened;
    }

    @Override
    public Future<?> start() {
      node = Node.builder(vertx, KeyPair.generate())
          .limits(lifted())
          .ping(Duration.ZERO, Duration.ofSeconds(10))
          .kademlia(KAD_CONFIG, boot == null ? List.of() : List.of(boot))
          .keepAlive(KAD_KEEP_ALIVE) // as the node does, idle connections to peers outside the routing table close
          .build();
      swarm = node.swarm();
      kad = node.kademlia();
      // answers from known peers refresh their entries and call this too: only sizes count
      int[] last = {0};
      kad.onTableChange(size -> {
        if (size > 0) {
          joined.tryComplete();
        }
        if (size != last[0]) {
          last[0] = size;
          lastTableChange.set(System.nanoTime());
        }
      });
      swarm.on(SwarmEvent.ConnectionOpened.class, e -> opened.incrementAndGet());
      return node.start(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).map(a -> {
        addr = a.withPeerId(swarm.localPeer());
        return null;
      });
    }

    @Override
    public Future<?> stop() {
      return node.close();
    }

    <T> T onLoop(Function<KadNode, Future<T>> action) {
      java.util.concurrent.CompletableFuture<T> result = new java.util.concurrent.CompletableFuture<>();
      context.runOnContext(v -> action.apply(this).onComplete(ar -> {
        if (ar.succeeded()) {
          result.complete(ar.result());
        } else {
          result.completeExceptionally(ar.cause());
        }
      }));
      return BenchNode.join(result);
    }
  }

  /**
   * A lookup network of {@code count} nodes in this JVM, the first one the boot node: the nodes
   * join one after the other (each waits for its boot node's answer, as nodes come up in a
   * network rather than all at once at the boot node) and bootstrap by themselves (a lookup for
   * their own id 1 s after start). Nodes that bootstrapped while the network was small know
   * little of it and are known by few: the node's next discovery round would look its own id up
   * again, and so does the bench once all have joined ({@link #KAD_REJOIN_WINDOW} at a time),
   * without that round's bucket refreshes (see {@link #KAD_CONFIG}). Then {@link #LOOKUPS}
   * sequential lookups for random keys from random nodes, each checked against the known ids.
   */
  private static JsonObject kadNetwork(Vertx vertx, int count) throws Exception {
    long[] fds = fileDescriptors();
    long fdsNeeded = fds[0] + (long) count * KAD_FDS_PER_NODE + FD_MARGIN;
    if (fds[1] > 0 && fds[1] < fdsNeeded) {
      throw new IllegalStateException(String.format(Locale.ROOT, "the open-file limit of this JVM is %d, but a "
          + "%d-node lookup network in it needs about %d (both ends of every connection, some %d per node): "
          + "raise it, e.g. ulimit -n %d (the hard limit, ulimit -Hn, too)", fds[1], count, fdsNeeded,
          KAD_FDS_PER_NODE, fdsNeeded));
    }
    long t0 = System.nanoTime();
    AtomicLong lastChange = new AtomicLong(System.nanoTime());
    AtomicLong opened = new AtomicLong();
    List<KadNode> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        KadNode node = new KadNode(i == 0 ? null : nodes.get(0).addr, lastChange, opened);
        BenchNode.await(vertx.deployVerticle(node));
        nodes.add(node);
        if (i > 0) {
          int index = i;
          node.onLoop(n -> n.joined.future().timeout(15, TimeUnit.SECONDS).recover(e -> Future.failedFuture(
              new IllegalStateException("node " + index + " of " + count + " did not reach the boot node within 15 s"))));
        }
      }
      // the last node's bootstrap is due KAD_CONFIG.firstDiscovery() after it started
      long bootstrapDue = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KAD_CONFIG.firstDiscovery().toMillis());
      double joinSeconds = (System.nanoTime() - t0) / 1e9;
      long r0 = System.nanoTime();
      int rejoinFailures = rejoin(nodes);
      double rejoinSeconds = (System.nanoTime() - r0) / 1e9;
      // Settled: the last bootstrap is due and no routing table's size changed for
      // KAD_QUIET_MILLIS (nothing says when a bootstrap is done), within a deadline.
      long deadline = Math.max(bootstrapDue, System.nanoTime()) + TimeUnit.MILLISECONDS.toNanos(KAD_SETTLE_DEADLINE_MILLIS);
      boolean settled = false;
      while (System.nanoTime() < deadline) {
        long now = System.nanoTime();
        if (now >= bootstrapDue && now - lastChange.get() >= TimeUnit.MILLISECONDS.toNanos(KAD_QUIET_MILLIS)) {
          settled = true;
          break;
        }
        Thread.sleep(100);
      }
      double buildSeconds = (System.nanoTime() - t0) / 1e9;
      int[] tables = nodes.stream().mapToInt(n -> n.onLoop(x -> Future.succeededFuture(x.kad.routingTable().size()))).toArray();
      int[] conns = nodes.stream().mapToInt(n -> n.onLoop(x -> Future.succeededFuture(x.swarm.connections().size()))).toArray();
      long fdsBefore = fileDescriptors()[0];
      long openedBefore = opened.get();
      Map<PeerId, Key> keys = new HashMap<>();
      nodes.forEach(n -> keys.put(n.swarm.localPeer(), Key.of(n.swarm.localPeer())));
      Random random = new Random(11);
      long[] nanos = new long[LOOKUPS];
      int closestFound = 0;
      int empty = 0;
      double recall = 0;
      long lookupsStarted = System.nanoTime();
      long lookupsDeadline = lookupsStarted + TimeUnit.SECONDS.toNanos(KAD_LOOKUP_BUDGET_SECONDS);
      int done = 0;
      for (; done < LOOKUPS && System.nanoTime() < lookupsDeadline; done++) {
        KadNode from = nodes.get(random.nextInt(count));
        byte[] key = new byte[32];
        random.nextBytes(key);
        int index = done;
        List<PeerId> found = from.onLoop(n -> {
          long start = System.nanoTime();
          return n.kad.lookup(key).map(r -> {
            nanos[index] = System.nanoTime() - start;
            return r;
          });
        });
        Key target = Key.ofBytes(key);
        PeerId self = from.swarm.localPeer();
        List<PeerId> truth = keys.keySet().stream().filter(p -> !p.equals(self))
            .sorted((a, b) -> target.compareDistance(keys.get(a), keys.get(b)))
            .limit(Kademlia.K).toList();
        if (found.isEmpty()) {
          empty++;
        } else if (found.get(0).equals(truth.get(0))) {
          closestFound++;
        }
        Set<PeerId> top = new HashSet<>(truth);
        recall += found.stream().filter(top::contains).count() / (double) truth.size();
      }
      double lookupSeconds = (System.nanoTime() - lookupsStarted) / 1e9;
      long[] timed = Arrays.copyOf(nanos, done);
      return new JsonObject().put("nodes", count).put("lookups", done)
          .put("p50Ms", Bench.ms(Bench.percentile(timed, 0.50))).put("p99Ms", Bench.ms(Bench.percentile(timed, 0.99)))
          .put("maxMs", Bench.ms(Arrays.stream(timed).max().orElse(0)))
          .put("closestFoundRatio", Bench.round3((double) closestFound / Math.max(1, done)))
          .put("kClosestRecall", Bench.round3(recall / Math.max(1, done)))
          .put("emptyLookups", empty)
          .put("settled", settled).put("joinSeconds", Bench.round(joinSeconds))
          .put("rejoinSeconds", Bench.round(rejoinSeconds)).put("rejoinFailures", rejoinFailures)
          .put("buildSeconds", Bench.round(buildSeconds))
          .put("tableSizeMean", Bench.round(Arrays.stream(tables).average().orElse(0)))
          .put("tableSizeMin", Arrays.stream(tables).min().orElse(0))
          .put("connectionsPerNodeMean", Bench.round(Arrays.stream(conns).average().orElse(0)))
          .put("fileDescriptorsOpen", fdsBefore)
          .put("connectionsOpenedPerSecDuringLookups", Bench.round((opened.get() - openedBefore) / lookupSeconds));
    } finally {
      List<Future<Void>> stopping = new ArrayList<>();
      for (KadNode n : nodes) {
        stopping.add(vertx.undeploy(n.deploymentID()));
      }
      BenchNode.await(Future.join(stopping));
    }
  }

  /** Every node looks its own id up once more, {@link #KAD_REJOIN_WINDOW} at a time; returns the failures. */
  private static int rejoin(List<KadNode> nodes) throws InterruptedException {
    Semaphore window = new Semaphore(KAD_REJOIN_WINDOW);
    java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
    for (KadNode node : nodes) {
      window.acquire();
      node.swarm.context().runOnContext(v -> node.kad.lookup(node.swarm.localPeer().toBytes()).onComplete(ar -> {
        if (ar.failed() || ar.result().isEmpty()) {
          failures.incrementAndGet();
        }
        window.release();
      }));
    }
    // the lookups end by their deadline (KAD_CONFIG.lookupDeadline()) at the latest
    if (!window.tryAcquire(KAD_REJOIN_WINDOW, KAD_CONFIG.lookupDeadline().toSeconds() + 10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the nodes' second lookups of their own ids did not end by their deadline");
    }
    return failures.get();
  }

  /** This JVM's file descriptors: open, allowed; zeros where the JVM does not say. */
  private static long[] fileDescriptors() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return new long[] {unix.getOpenFileDescriptorCount(), unix.getMaxFileDescriptorCount()};
    }
    return new long[2];
  }

  // ---- report ----

  /** The Markdown table of the scaling curves, with the growth factor between consecutive sizes. */
  static String table(JsonObject scale) {
    StringBuilder t = new StringBuilder();
    t.append("| scaling | sizes | 1 | 2 | 3 | growth 1→2 | growth 2→3 |\n|---|---|---:|---:|---:|---:|---:|\n");
    JsonObject idle = scale.getJsonObject("idle", new JsonObject());
    String conns = sizesLabel(IDLE_SIZES, "connections");
    row(t, "idle connections open at the node", conns, column(idle, "connections"));
    row(t, "heap per idle connection, counted from the node warmed up with " + IDLE_WARM_UP + " (KiB)", conns,
        column(idle, "heapPerConnectionKiB"));
    row(t, "  … counted from the node with none, as footprint does (KiB)", conns,
        column(idle, "heapPerConnectionFromEmptyKiB"));
    row(t, "node heap after GC (KiB)", conns, column(idle, "heapKiB"));
    row(t, "node JVM CPU while idle, " + CPU_WINDOW_MILLIS / 1000 + " s window (% of one core)", conns,
        column(idle, "idleCpuPercent"));
    row(t, "  … of which the node's event loop (% of one core)", conns, column(idle, "idleLoopCpuPercent"));
    row(t, "  … of which JIT compiler threads (% of one core)", conns, column(idle, "idleCpuPercentByThreads", "jit"));
    row(t, "  … of which GC threads (% of one core)", conns, column(idle, "idleCpuPercentByThreads", "gc"));
    JsonObject gossip = scale.getJsonObject("gossipsub", new JsonObject());
    row(t, "gossipsub maximum sustained rate, degree 3, 1 KiB, open loop (msg/s)", sizesLabel(GOSSIP_NODES, "nodes"),
        column(gossip, "maxRatePerSec"));
    JsonObject kad = scale.getJsonObject("kad", new JsonObject());
    String kadNodes = sizesLabel(KAD_NODES, "nodes");
    row(t, "kad lookup p50 (ms)", kadNodes, column(kad, "p50Ms"));
    row(t, "kad lookup p99 (ms)", kadNodes, column(kad, "p99Ms"));
    row(t, "kad lookups that found the closest node (share)", kadNodes, column(kad, "closestFoundRatio"));
    row(t, "kad lookups' share of the true " + Kademlia.K + " closest found (mean)", kadNodes, column(kad, "kClosestRecall"));
    row(t, "kad routing table size (mean)", kadNodes, column(kad, "tableSizeMean"));
    t.append('\n');
    if (idle.containsKey("heapPerConnectionRatio")) {
      List<String> met = new ArrayList<>();
      List<String> missed = new ArrayList<>();
      for (Object o : idle.getJsonArray("sizes")) {
        JsonObject size = (JsonObject) o;
        double kib = size.getDouble("heapPerConnectionKiB");
        (kib <= TARGET_KIB_PER_CONNECTION ? met : missed).add(size.getInteger("connections")
            + (kib <= TARGET_KIB_PER_CONNECTION ? "" : " (" + kib + ")"));
      }
      t.append(String.format(Locale.ROOT, "heap per idle connection %d/%d: %.2f× from the warmed-up node, %.2f× "
              + "from the empty one; flat (every size within %.1f× of the others, from the warmed-up node): %s; "
              + "target ≤ %.0f KiB: %s%n", IDLE_SIZES[IDLE_SIZES.length - 1], IDLE_SIZES[0],
          idle.getDouble("heapPerConnectionRatio"), idle.getDouble("heapPerConnectionFromEmptyRatio"), FLAT_RATIO,
          idle.getBoolean("flat") ? "yes" : "NO", TARGET_KIB_PER_CONNECTION,
          missed.isEmpty() ? "met at every size" : "met at " + (met.isEmpty() ? "none" : String.join(", ", met))
              + ", missed at " + String.join(", ", missed)));
      t.append(String.format(Locale.ROOT, "node heap after GC: %d KiB with no connection, %d KiB with the %d of the "
              + "warm-up%n", idle.getLong("heapEmptyKiB"), idle.getLong("heapWarmKiB"), IDLE_WARM_UP));
      t.append(histogramNote("what each idle connection adds to the node's heap, " + IDLE_SIZES[0] + "→"
          + IDLE_SIZES[IDLE_SIZES.length - 1] + " connections (class histogram, bytes per connection): ",
          idle.getJsonArray("growthPerConnection"), "bytesPerConnection"));
      t.append(histogramNote("what the warm-up's first " + IDLE_WARM_UP + " connections added (bytes): ",
          idle.getJsonArray("warmUpGrowth"), "bytes"));
    }
    boolean sameSteps = Arrays.stream(GOSSIP_BISECTIONS).distinct().count() == 1;
    t.append(String.format(Locale.ROOT, "gossipsub maximum rate: doubling from %d msg/s with %.0f s trials until one "
            + "fails (delivery < 1 or p99 > 1 s), then at most %s bisection steps%s%n",
        GOSSIP_START_RATE, GOSSIP_TRIAL_SECONDS,
        sameSteps ? Integer.toString(GOSSIP_BISECTIONS[0])
            : Arrays.stream(GOSSIP_BISECTIONS).mapToObj(Integer::toString).collect(Collectors.joining("/")),
        sameSteps ? " at every size" : " at " + Arrays.stream(GOSSIP_NODES).mapToObj(Integer::toString)
            .collect(Collectors.joining("/")) + " nodes (fewer where trials cost most, to bound the run time)"));
    t.append(String.format(Locale.ROOT, "kad: %d sequential lookups for random keys from random nodes, timed on the "
            + "node's loop; the nodes joined one at a time from one boot node, bootstrapped by themselves (own-id lookup "
            + "%d s after start) and looked their own id up once more when all had joined; bucket refreshes put off "
            + "(at 300 nodes on 2 cores a refresh round overloads the machine) and idle connections kept %d s; "
            + "hops and peers contacted are not exposed by Kademlia.lookup%n", LOOKUPS,
        KAD_CONFIG.firstDiscovery().toSeconds(), KAD_KEEP_ALIVE.toSeconds()));
    for (String part : List.of("idle", "gossipsub", "kad")) {
      JsonObject p = scale.getJsonObject(part);
      if (p != null && p.containsKey("error")) {
        t.append("scale ").append(part).append(" error: ").append(p.getString("error")).append('\n');
      }
    }
    t.append("scale workload: ").append(scale.getValue("seconds", "?")).append(" s");
    return t.toString();
  }

  private static String histogramNote(String title, JsonArray classes, String field) {
    if (classes == null || classes.isEmpty()) {
      return "";
    }
    return title + classes.stream().limit(6).map(o -> (JsonObject) o)
        .map(o -> o.getString("class") + " " + o.getLong(field)).collect(Collectors.joining(", ")) + "\n";
  }

  private static String sizesLabel(int[] sizes, String unit) {
    return Arrays.stream(sizes).mapToObj(Integer::toString).collect(Collectors.joining(" / ")) + " " + unit;
  }

  private static List<Object> column(JsonObject part, String field) {
    List<Object> out = new ArrayList<>();
    JsonArray sizes = part.getJsonArray("sizes", new JsonArray());
    for (int i = 0; i < sizes.size(); i++) {
      out.add(sizes.getJsonObject(i).getValue(field));
    }
    return out;
  }

  private static List<Object> column(JsonObject part, String field, String inner) {
    List<Object> out = new ArrayList<>();
    JsonArray sizes = part.getJsonArray("sizes", new JsonArray());
    for (int i = 0; i < sizes.size(); i++) {
      JsonObject o = sizes.getJsonObject(i).getJsonObject(field);
      out.add(o == null ? null : o.getValue(inner));
    }
    return out;
  }

  private static void row(StringBuilder t, String name, String sizes, List<Object> values) {
    t.append("| ").append(name).append(" | ").append(sizes);
    for (int i = 0; i < 3; i++) {
      Object v = i < values.size() ? values.get(i) : null;
      t.append(" | ").append(v == null ? "—" : v);
    }
    for (int i = 1; i < 3; i++) {
      Object a = i - 1 < values.size() ? values.get(i - 1) : null;
      Object b = i < values.size() ? values.get(i) : null;
      t.append(" | ").append(a instanceof Number x && b instanceof Number y && x.doubleValue() != 0
          ? String.format(Locale.ROOT, "%.2f×", y.doubleValue() / x.doubleValue()) : "");
    }
    t.append(" |\n");
  }
}
