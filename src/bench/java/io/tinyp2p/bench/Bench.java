package io.tinyp2p.bench;

import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.noise.CipherState;
import io.tinyp2p.noise.NoiseHandshake;
import io.tinyp2p.protocol.perf.Perf;
import io.tinyp2p.stream.Traffic;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.transport.quic.QuicTransport;
import io.tinyp2p.transport.tcp.TcpTransport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark command ({@code ./run.sh bench}): every workload Java ⇄ Java and, with the
 * same parameters in the same run, js ⇄ js (interop/js/bench/js-bench.mjs), beside the
 * machine's ceilings ({@link Ceilings}: loopback TCP with plain NIO and through Vert.x
 * NetSocket, ChaCha20-Poly1305 on one core), measured with the throughput's size.
 * Prints a Markdown table with the ratios Java / js and writes target/bench.json.
 *
 * <p>Options: {@code --only=ceilings,throughput,reqresp,gossipsub,connections,footprint,scale},
 * {@code --no-js}, {@code --bytes=N} (throughput and ceiling size, default 1 GiB),
 * {@code --transports=tcp,quic-v1} (the transports of {@code throughput} and {@code connections},
 * default both), {@code --quic-runs=N} (runs each way of the QUIC throughput, default 1: at
 * QUIC's rate here three would add some two minutes to the run). The scaling curves ({@code scale}, {@link ScaleBench}, Java only) print a table
 * of their own after the main one.
 *
 * <p>{@code throughput} and {@code connections} run once per transport, the same workload with
 * the transport as its parameter, Java and js alike: over TCP (Noise and Yamux; results under
 * {@code throughput}, {@code connections}) and over QUIC ({@value QuicTransport#NAME}: TLS 1.3
 * inside QUIC's handshake, QUIC's own streams; results under {@code throughputQuic},
 * {@code connectionsQuic}; js-libp2p with {@code @chainsafe/libp2p-quic}). The QUIC rows carry
 * QUIC / TCP of the same run, each side against its own TCP row.
 */
public final class Bench {
  private static final long MIB = 1024 * 1024;
  /** The throughput's warm-up transfer, each way, over TCP. */
  static final long TCP_WARM_UP = 256 * MIB;
  /**
   * The same over QUIC: smaller, as QUIC moves a fifth to a third of TCP's rate here. What QUIC
   * shares with TCP is warm from the TCP runs, and QUIC's own code compiles within it: with it,
   * the first of three QUIC runs measured no slower than the other two.
   */
  static final long QUIC_WARM_UP = 64 * MIB;

  private Bench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--footprint-clients")) {
      footprintClients(args[1], Integer.parseInt(args[2]));
      return;
    }
    if (args.length > 0 && args[0].equals("--scale-clients")) {
      ScaleBench.clients(args[1], args[2]);
      return;
    }
    List<String> only = List.of("ceilings", "throughput", "reqresp", "gossipsub", "connections", "footprint", "scale");
    boolean js = true;
    long bytes = 1024 * MIB;
    List<String> transports = List.of(TcpTransport.NAME, QuicTransport.NAME);
    int quicRuns = 1;
    for (String a : args) {
      if (a.startsWith("--only=")) {
        only = List.of(a.substring(7).split(","));
      } else if (a.equals("--no-js")) {
        js = false;
      } else if (a.startsWith("--bytes=")) {
        bytes = Long.parseLong(a.substring(8));
      } else if (a.startsWith("--quic-runs=")) {
        quicRuns = Integer.parseInt(a.substring(12));
      } else if (a.startsWith("--transports=")) {
        transports = List.of(a.substring(13).split(","));
        if (!List.of(TcpTransport.NAME, QuicTransport.NAME).containsAll(transports)) {
          System.err.println("--transports takes " + TcpTransport.NAME + " and " + QuicTransport.NAME);
          System.exit(2);
        }
      } else {
        System.err.println("unknown option " + a);
        System.exit(2);
      }
    }
    // the nodes' INFO lines would drown the table
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    long started = System.nanoTime();
    final long size = bytes;
    final int quicThroughputRuns = quicRuns;
    JsonObject javaResult = new JsonObject();
    Vertx vertx = newVertx();
    try {
      if (only.contains("ceilings")) {
        javaResult.put("ceilings", run(() -> Ceilings.measure(vertx, size)));
      }
      if (only.contains("throughput")) {
        for (String t : transports) {
          boolean quic = t.equals(QuicTransport.NAME);
          javaResult.put(key("throughput", t), run(() -> throughput(vertx, size, t, quic ? quicThroughputRuns : 3,
              quic ? QUIC_WARM_UP : TCP_WARM_UP)));
        }
      }
      if (only.contains("reqresp")) {
        javaResult.put("reqresp", run(() -> reqresp(vertx, 20_000, 100, 64, 2_000)));
      }
      if (only.contains("gossipsub")) {
        javaResult.put("gossipsub", run(() -> gossipsub(vertx, 20, 200, 1024, 50, 3)));
      }
      if (only.contains("connections")) {
        for (String t : transports) {
          javaResult.put(key("connections", t), run(() -> connections(vertx, 200, t)));
        }
      }
      if (only.contains("footprint")) {
        javaResult.put("footprint", run(() -> footprint(vertx, 100)));
      }
      if (only.contains("scale")) {
        javaResult.put("scale", run(() -> ScaleBench.run(vertx)));
      }
    } finally {
      BenchNode.await(vertx.close());
    }
    JsonObject jsResult = js ? runJs(only, bytes, transports, quicRuns) : new JsonObject().put("skipped", true);
    JsonObject all = new JsonObject()
        .put("date", java.time.Instant.now().toString().substring(0, 19))
        .put("machine", new JsonObject().put("cores", Runtime.getRuntime().availableProcessors())
            .put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"))
            .put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch")))
        .put("java", javaResult).put("js", jsResult)
        .put("seconds", Math.round((System.nanoTime() - started) / 1e9));
    Path out = Path.of("target/bench.json");
    Files.createDirectories(out.getParent());
    Files.writeString(out, all.encodePrettily());
    System.out.println(table(all));
    if (javaResult.containsKey("scale")) {
      System.out.println();
      System.out.println(ScaleBench.table(javaResult.getJsonObject("scale")));
    }
    System.out.println("JSON: " + out.toAbsolutePath());
  }

  interface Workload {
    JsonObject run() throws Exception;
  }

  /** Where a workload's result over {@code transport} goes: its name for TCP, name + "Quic" for QUIC. */
  static String key(String workload, String transport) {
    return transport.equals(QuicTransport.NAME) ? workload + "Quic" : workload;
  }

  /** Runs a workload; its result gets the workload's wall time, and its failure as "error". */
  private static JsonObject run(Workload w) {
    long started = System.nanoTime();
    JsonObject result;
    try {
      result = w.run();
    } catch (Exception | Error e) {
      result = new JsonObject().put("error", String.valueOf(e));
    }
    return result.put("wallSeconds", round((System.nanoTime() - started) / 1e9));
  }

  // ---- ceilings: see Ceilings ----

  static CipherState[] cipherPair() throws Exception {
    NoiseHandshake i = NoiseHandshake.initiator(KeyPair.generate());
    NoiseHandshake r = NoiseHandshake.responder(KeyPair.generate());
    r.readMessage(i.writeMessage());
    i.readMessage(r.writeMessage());
    r.readMessage(i.writeMessage());
    return new CipherState[] {i.sendCipher(), r.receiveCipher()};
  }

  /**
   * A Vert.x instance of the bench: on Netty's native epoll transport when {@code
   * -Dtinyp2p.bench.native=true}, else on NIO.
   */
  static Vertx newVertx() {
    return Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(60_000)
        .setPreferNativeTransport(Boolean.getBoolean("tinyp2p.bench.native")));
  }

  // ---- throughput ----

  /** Seconds in which a perf exchange must move a byte (both ends on loopback), else it stalled. */
  static final int STALL_SECONDS = 5;
  /**
   * Stalled exchanges of one throughput workload that are tried again on a new connection; at
   * the next stall it gives up (this bounds the time stalls cost: some 5 to 15 s each).
   */
  static final int STALL_RETRIES = 3;

  /**
   * One stream each way over {@code transport}, {@code bytes} per run after a warm-up transfer
   * of its own (the JIT compiles the path during it), {@code runs} runs per direction; the
   * median is the figure. An exchange in which nothing moved for {@link #STALL_SECONDS} stalled:
   * it is counted ({@code stalled}, of {@code exchanges} started) and tried again on a new
   * connection, at most {@link #STALL_RETRIES} times in the workload; then the workload ends with
   * an error, the runs done so far kept.
   */
  private static JsonObject throughput(Vertx vertx, long bytes, String transport, int runs, long warmUpBytes) {
    // two Vert.x instances: client and server on their own event loops, like two processes
    Vertx other = newVertx();
    try {
      BenchNode server = BenchNode.deploy(other, transport);
      BenchNode client = BenchNode.deploy(vertx, transport);
      // what perf's streams carry, counted from here on: how a stall is seen
      Traffic traffic = client.onLoop(n -> Future.succeededFuture(n.swarm.traffic().get(Perf.PROTOCOL_ID)));
      client.onLoop(n -> n.swarm.dial(server.addr));
      long warmUp = Math.min(bytes, warmUpBytes);
      JsonObject out = new JsonObject().put("transport", transport).put("bytes", bytes).put("runs", runs)
          .put("warmUpBytes", warmUp).put("exchanges", 0).put("stalled", new JsonArray());
      try {
        perf(client, server, traffic, warmUp, warmUp, out);
        for (String dir : List.of("upload", "download")) {
          List<Double> done = new ArrayList<>();
          out.put(dir + "RunsMBps", new JsonArray(done));
          for (int i = 0; i < runs; i++) {
            boolean up = dir.equals("upload");
            done.add(round(perf(client, server, traffic, up ? bytes : 0, up ? 0 : bytes, out).mbps()));
          }
          out.put(dir + "MBps", done.stream().sorted().toList().get(runs / 2));
        }
      } catch (RuntimeException e) {
        out.put("error", String.valueOf(e.getCause() != null ? e.getCause() : e));
      }
      return out;
    } finally {
      BenchNode.await(other.close());
    }
  }

  /**
   * One perf exchange on a new stream, tried again on a new connection when it stalls (see
   * {@link #throughput}); each start counts into {@code out}'s {@code exchanges}, each stall
   * into its {@code stalled}.
   */
  private static Perf.Result perf(BenchNode client, BenchNode server, Traffic traffic, long upload, long download,
      JsonObject out) {
    PeerId peer = server.swarm.localPeer();
    while (true) {
      out.put("exchanges", out.getInteger("exchanges") + 1);
      Traffic.Totals before = client.onLoop(n -> Future.succeededFuture(traffic.totals()));
      try {
        return client.onLoop(n -> watched(n, traffic, n.perf.run(peer, upload, download)));
      } catch (IllegalStateException e) {
        if (!(e.getCause() instanceof Stalled)) {
          throw e;
        }
        Traffic.Totals at = client.onLoop(n -> Future.succeededFuture(traffic.totals()));
        out.getJsonArray("stalled").add(new JsonObject().put("uploadBytes", upload).put("downloadBytes", download)
            .put("sentBeforeStall", at.bytesSent() - before.bytesSent())
            .put("receivedBeforeStall", at.bytesReceived() - before.bytesReceived()));
        if (out.getJsonArray("stalled").size() > STALL_RETRIES) {
          throw e;
        }
        client.onLoop(n -> {
          n.swarm.disconnect(peer);
          return closed(n, peer);
        });
        client.onLoop(n -> n.swarm.dial(server.addr));
      }
    }
  }

  /** {@code exchange}, failed with {@link Stalled} once perf's streams moved no byte for {@link #STALL_SECONDS}. */
  private static Future<Perf.Result> watched(BenchNode n, Traffic traffic, Future<Perf.Result> exchange) {
    Vertx vertx = n.swarm.context().owner();
    Promise<Perf.Result> result = Promise.promise();
    long[] last = {-1, 0}; // bytes moved, seconds without a change
    long timer = vertx.setPeriodic(1000, id -> {
      Traffic.Totals t = traffic.totals();
      long moved = t.bytesSent() + t.bytesReceived();
      last[1] = moved == last[0] ? last[1] + 1 : 0;
      last[0] = moved;
      if (last[1] >= STALL_SECONDS) {
        result.tryFail(new Stalled("perf exchange moved nothing for " + STALL_SECONDS + " s (stalled)"));
      }
    });
    exchange.onComplete(ar -> {
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        result.tryFail(ar.cause());
      }
    });
    return result.future().andThen(ar -> vertx.cancelTimer(timer));
  }

  /** A perf exchange in which nothing moved for {@link #STALL_SECONDS}. */
  private static final class Stalled extends RuntimeException {
    Stalled(String message) {
      super(message, null, false, false);
    }
  }

  // ---- request-response ----

  private static JsonObject reqresp(Vertx vertx, int requests, int size, int inFlight, int sequential) {
    Vertx other = newVertx();
    try {
      BenchNode server = BenchNode.deploy(other, null, null);
      BenchNode client = BenchNode.deploy(vertx, null, null);
      PeerId peer = server.swarm.localPeer();
      client.onLoop(n -> n.swarm.dial(server.addr));
      Buffer payload = BenchNode.payload(size);
      runRequests(client, peer, payload, 2_000, 64); // warm-up
      long start = System.nanoTime();
      long[] lat = runRequests(client, peer, payload, requests, inFlight);
      double seconds = (System.nanoTime() - start) / 1e9;
      long[] seq = runRequests(client, peer, payload, sequential, 1);
      return new JsonObject().put("requests", requests).put("inFlight", inFlight)
          .put("requestsPerSec", Math.round(requests / seconds))
          .put("p50Ms", ms(percentile(lat, 0.50))).put("p99Ms", ms(percentile(lat, 0.99)))
          .put("seqP50Ms", ms(percentile(seq, 0.50))).put("seqP99Ms", ms(percentile(seq, 0.99)));
    } finally {
      BenchNode.await(other.close());
    }
  }

  /** Sends {@code total} requests keeping {@code inFlight} outstanding; returns each latency. */
  private static long[] runRequests(BenchNode client, PeerId peer, Buffer payload, int total, int inFlight) {
    long[] latencies = new long[total];
    return client.onLoop(n -> {
      Promise<long[]> done = Promise.promise();
      int[] sent = {0};
      int[] finished = {0};
      Runnable[] next = new Runnable[1];
      next[0] = () -> {
        if (sent[0] >= total) {
          return;
        }
        int i = sent[0]++;
        long t0 = System.nanoTime();
        n.reqResp.request(peer, payload).onComplete(ar -> {
          if (ar.failed()) {
            done.tryFail(ar.cause());
            return;
          }
          latencies[i] = System.nanoTime() - t0;
          if (++finished[0] == total) {
            done.tryComplete(latencies);
          } else {
            next[0].run();
          }
        });
      };
      for (int k = 0; k < inFlight; k++) {
        next[0].run();
      }
      return done.future();
    });
  }

  // ---- gossipsub ----

  /**
   * 20 nodes, degree 3, 1 KiB messages, offered open-loop: 200 messages at 50/s (the figures
   * of earlier runs), then the search for the maximum sustained rate.
   */
  private static JsonObject gossipsub(Vertx vertx, int count, int messages, int size, int rate, int degree)
      throws Exception {
    try (GossipBench b = GossipBench.start(vertx, count, degree)) {
      JsonObject fixed = b.run(rate, messages, size, 30);
      JsonObject max = b.maxRate(size, 200, 3);
      return fixed.put("ratePerSec", rate).mergeIn(max);
    }
  }

  // ---- connections ----

  /**
   * {@code count} connections over {@code transport}, one after the other, after 20 of warm-up:
   * each dialed, authenticated and multiplexed (TCP: Noise and Yamux; QUIC: its handshake), then
   * Identify's answer awaited, then closed. The rate counts the closes too; the latencies of
   * each, from the dial to the connection and to Identify's answer, do not.
   */
  private static JsonObject connections(Vertx vertx, int count, String transport) {
    Vertx other = newVertx();
    try {
      BenchNode server = BenchNode.deploy(other, transport);
      BenchNode client = BenchNode.deploy(vertx, transport);
      PeerId peer = server.swarm.localPeer();
      for (int i = 0; i < 20; i++) { // warm-up
        connectOnce(client, server.addr, peer);
      }
      long[] connected = new long[count];
      long[] identified = new long[count];
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        long[] times = connectOnce(client, server.addr, peer);
        connected[i] = times[0];
        identified[i] = times[1];
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      return new JsonObject().put("transport", transport).put("count", count)
          .put("connectionsPerSec", Math.round(count / seconds))
          .put("connectedP50Ms", ms(percentile(connected, 0.50))).put("connectedP99Ms", ms(percentile(connected, 0.99)))
          .put("p50Ms", ms(percentile(identified, 0.50))).put("p99Ms", ms(percentile(identified, 0.99)));
    } finally {
      BenchNode.await(other.close());
    }
  }

  /**
   * Dial (transport, security, multiplexer), and Identify's answer; then close. Returns the
   * nanoseconds from the dial to the connection and to Identify's answer.
   */
  private static long[] connectOnce(BenchNode client, Multiaddr addr, PeerId peer) {
    long[] times = new long[2];
    client.onLoop(n -> {
      Promise<Void> identified = Promise.promise();
      n.swarm.on(PeerIdentified.class, e -> {
        if (e.peer().equals(peer)) {
          identified.tryComplete();
        }
      });
      long t0 = System.nanoTime();
      return n.swarm.dial(addr).compose(c -> {
        times[0] = System.nanoTime() - t0;
        return identified.future().map(v -> {
          times[1] = System.nanoTime() - t0;
          return c;
        });
      });
    }).close();
    // wait until the client saw the connection go, so the next dial makes a new one
    client.onLoop(n -> n.swarm.isConnected(peer) ? closed(n, peer) : Future.succeededFuture());
    return times;
  }

  private static Future<Void> closed(BenchNode n, PeerId peer) {
    Promise<Void> p = Promise.promise();
    n.swarm.on(SwarmEvent.ConnectionClosed.class, e -> {
      if (e.peer().equals(peer) && !n.swarm.isConnected(peer)) {
        p.tryComplete();
      }
    });
    return n.swarm.isConnected(peer) ? p.future() : Future.succeededFuture();
  }

  // ---- footprint ----

  /** A server node's heap, after GC, with no connection and with {@code count} idle ones from another JVM. */
  private static JsonObject footprint(Vertx vertx, int count) throws Exception {
    BenchNode server = BenchNode.deploy(vertx, null, null);
    long before = heapAfterGc();
    String java = ProcessHandle.current().info().command().orElse("java");
    Process clients = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Bench.class.getName(), "--footprint-clients",
        server.addr.toString(), Integer.toString(count)).redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("connected")) {
        // client logs
      }
      int open = server.<Integer>onLoop(n -> Future.succeededFuture(n.swarm.connections().size()));
      long after = heapAfterGc();
      return new JsonObject().put("connections", open)
          .put("heapPerConnectionKiB", round((after - before) / 1024.0 / Math.max(1, open)))
          .put("heapWith100KiB", Math.round(after / 1024.0))
          .put("heapIdleKiB", Math.round(before / 1024.0));
    } finally {
      clients.destroy();
      clients.waitFor(10, TimeUnit.SECONDS);
      BenchNode.await(vertx.undeploy(server.deploymentID()));
    }
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** The other JVM of the footprint workload: {@code count} identities, one connection each. */
  private static void footprintClients(String addr, int count) throws Exception {
    Vertx vertx = Vertx.vertx();
    Multiaddr target = Multiaddr.parse(addr);
    for (int i = 0; i < count; i++) {
      BenchNode client = BenchNode.deploy(vertx, null, null);
      // connected once identify answered: the connection is then as it stays while idle
      Connection c = client.onLoop(n -> {
        Promise<Void> identified = Promise.promise();
        n.swarm.on(PeerIdentified.class, e -> identified.tryComplete());
        return n.swarm.dial(target).compose(conn -> identified.future().map(v -> conn));
      });
      if (!c.isOpen()) {
        throw new IllegalStateException("connection closed");
      }
    }
    System.out.println("connected");
    System.out.flush();
    // stay until the parent ends us (it reads stdin never; destroy() stops us)
    new CompletableFuture<Void>().get();
  }

  // ---- js ----

  private static JsonObject runJs(List<String> only, long bytes, List<String> transports, int quicRuns) {
    Path dir = Path.of("interop/js/bench");
    if (!Files.isDirectory(dir)) {
      return new JsonObject().put("error", "interop/js/bench not found (run from the project root)");
    }
    JsonArray workloads = new JsonArray();
    only.stream().filter(w -> !w.equals("ceilings") && !w.equals("scale")).forEach(workloads::add);
    JsonObject params = new JsonObject().put("only", workloads)
        .put("throughput", new JsonObject().put("bytes", bytes))
        .put(key("throughput", QuicTransport.NAME), new JsonObject().put("bytes", bytes).put("runs", quicRuns)
            .put("warmupBytes", QUIC_WARM_UP))
        .put("transports", new JsonArray(transports.stream().map(t -> t.equals(QuicTransport.NAME) ? "quic" : t).toList()));
    try {
      Process node = new ProcessBuilder("node", "--import", "../polyfill.mjs", "js-bench.mjs", params.encode())
          .directory(dir.toFile()).redirectError(Path.of("target/js-bench.log").toFile()).start();
      String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!node.waitFor(600, TimeUnit.SECONDS)) {
        node.destroyForcibly();
        return new JsonObject().put("error", "js bench timed out");
      }
      String[] lines = out.split("\n");
      return new JsonObject(lines[lines.length - 1]);
    } catch (Exception e) {
      return new JsonObject().put("error", "js bench failed: " + e.getMessage() + " (see target/js-bench.log)");
    }
  }

  // ---- report ----

  private static String table(JsonObject all) {
    JsonObject j = all.getJsonObject("java");
    JsonObject s = all.getJsonObject("js");
    StringBuilder t = new StringBuilder();
    t.append("| workload | Java ⇄ Java | js ⇄ js | Java / js |\n|---|---:|---:|---:|\n");
    JsonObject c = j.getJsonObject("ceilings", new JsonObject());
    row(t, "ceiling: loopback TCP, plain JDK NIO (MB/s)", c.getValue("nioMBps"), null);
    row(t, "ceiling: loopback TCP, Vert.x NetSocket (MB/s)", c.getValue("netSocketMBps"), null);
    row(t, "ceiling: ChaCha20-Poly1305 (" + c.getString("chachaProvider", "?") + "), one core (MB/s)",
        c.getValue("chachaMBps"), null);
    for (String dir : List.of("upload", "download")) {
      Object jv = path(j, "throughput", dir + "MBps");
      row(t, "throughput " + dir + ", 1 stream, Noise+Yamux, median of 3 (MB/s)", jv, path(s, "throughput", dir + "MBps"));
      if (jv instanceof Number n && c.getValue("nioMBps") instanceof Number nio) {
        row(t, "  … as share of the NIO ceiling", round3(n.doubleValue() / nio.doubleValue()), null);
      }
      if (jv instanceof Number n && c.getValue("chachaMBps") instanceof Number ch) {
        row(t, "  … as share of the ChaCha20-Poly1305 rate", round3(n.doubleValue() / ch.doubleValue()), null);
      }
    }
    Object quicRuns = path(j, "throughputQuic", "runs") != null ? path(j, "throughputQuic", "runs") : path(s, "throughputQuic", "runs");
    String runs = Integer.valueOf(1).equals(quicRuns) ? "1 run" : "median of " + quicRuns;
    for (String dir : List.of("upload", "download")) {
      quicRows(t, j, s, "throughput", dir + "MBps", "throughput " + dir + ", 1 stream, QUIC, " + runs + " (MB/s)");
    }
    for (String w : List.of("throughput", "throughputQuic")) {
      JsonObject r = j.getJsonObject(w);
      if (r != null && r.getJsonArray("stalled") != null && (w.endsWith("Quic") || !r.getJsonArray("stalled").isEmpty())) {
        row(t, "  … " + (w.endsWith("Quic") ? "QUIC" : "TCP") + " exchanges that stalled (nothing moved for " + STALL_SECONDS
            + " s; up to " + STALL_RETRIES + " tried again on a new connection)", r.getJsonArray("stalled").size() + " of "
            + r.getInteger("exchanges"), null);
      }
    }
    row(t, "req/resp 100 B, 64 in flight (req/s)", path(j, "reqresp", "requestsPerSec"), path(s, "reqresp", "requestsPerSec"));
    row(t, "  p50 (ms)", path(j, "reqresp", "p50Ms"), path(s, "reqresp", "p50Ms"));
    row(t, "  p99 (ms)", path(j, "reqresp", "p99Ms"), path(s, "reqresp", "p99Ms"));
    row(t, "req/resp sequential p50 (ms)", path(j, "reqresp", "seqP50Ms"), path(s, "reqresp", "seqP50Ms"));
    row(t, "req/resp sequential p99 (ms)", path(j, "reqresp", "seqP99Ms"), path(s, "reqresp", "seqP99Ms"));
    row(t, "gossipsub 20 nodes, 50 msg/s open loop, last delivery p50 (ms)", path(j, "gossipsub", "p50Ms"), path(s, "gossipsub", "p50Ms"));
    row(t, "gossipsub p99 (ms)", path(j, "gossipsub", "p99Ms"), path(s, "gossipsub", "p99Ms"));
    row(t, "gossipsub delivery ratio", path(j, "gossipsub", "deliveryRatio"), path(s, "gossipsub", "deliveryRatio"));
    row(t, "gossipsub maximum sustained rate, open loop (msg/s)", path(j, "gossipsub", "maxRatePerSec"),
        path(s, "gossipsub", "maxRatePerSec"));
    row(t, "connection set-up (dial+Noise+Yamux+Identify /s)", path(j, "connections", "connectionsPerSec"),
        path(s, "connections", "connectionsPerSec"));
    latencyRows(t, j, s, "connections");
    quicRows(t, j, s, "connections", "connectionsPerSec", "connection set-up over QUIC (dial+QUIC/TLS 1.3+Identify /s)");
    latencyRows(t, j, s, key("connections", QuicTransport.NAME));
    row(t, "heap per idle connection (KiB)", path(j, "footprint", "heapPerConnectionKiB"),
        path(s, "footprint", "heapPerConnectionKiB"));
    row(t, "heap of a node with 100 connections (KiB)", path(j, "footprint", "heapWith100KiB"),
        path(s, "footprint", "heapWith100KiB"));
    for (String w : List.of("throughput", "throughputQuic", "reqresp", "gossipsub", "connections", "connectionsQuic",
        "footprint")) {
      for (JsonObject side : List.of(j, s)) {
        Object e = path(side, w, "error");
        if (e != null) {
          t.append("\n").append(side == j ? "Java " : "js ").append(w).append(" error: ").append(e);
        }
      }
    }
    JsonObject m = all.getJsonObject("machine");
    t.append("\n\n").append(m.getInteger("cores")).append(" cores, ").append(m.getString("jvm")).append(", ")
        .append(s.getString("impl", "js: not run")).append(" on node ").append(s.getString("node", "?"))
        .append("; ").append(all.getLong("seconds")).append(" s in all");
    return t.toString();
  }

  /**
   * A QUIC row of {@code workload}'s {@code field}, when either side measured QUIC, and under it
   * QUIC / TCP of the same run, each side against its own TCP row.
   */
  private static void quicRows(StringBuilder t, JsonObject j, JsonObject s, String workload, String field, String name) {
    String quic = key(workload, QuicTransport.NAME);
    if (!j.containsKey(quic) && !s.containsKey(quic)) {
      return;
    }
    row(t, name, path(j, quic, field), path(s, quic, field));
    row(t, "  … QUIC / TCP, same run", ratio(path(j, quic, field), path(j, workload, field)),
        ratio(path(s, quic, field), path(s, workload, field)), "");
  }

  /** A connection workload's per-connection times: dial → connection, dial → Identify's answer. */
  private static void latencyRows(StringBuilder t, JsonObject j, JsonObject s, String workload) {
    if (!j.containsKey(workload) && !s.containsKey(workload)) {
      return;
    }
    row(t, "  dial → authenticated connection p50 (ms)", path(j, workload, "connectedP50Ms"), path(s, workload, "connectedP50Ms"));
    row(t, "  dial → authenticated connection p99 (ms)", path(j, workload, "connectedP99Ms"), path(s, workload, "connectedP99Ms"));
    row(t, "  dial → Identify answered p50 (ms)", path(j, workload, "p50Ms"), path(s, workload, "p50Ms"));
    row(t, "  dial → Identify answered p99 (ms)", path(j, workload, "p99Ms"), path(s, workload, "p99Ms"));
  }

  private static Object ratio(Object a, Object b) {
    return a instanceof Number x && b instanceof Number y && y.doubleValue() != 0
        ? round3(x.doubleValue() / y.doubleValue()) : null;
  }

  private static Object path(JsonObject o, String a, String b) {
    JsonObject inner = o == null ? null : o.getJsonObject(a);
    return inner == null ? null : inner.getValue(b);
  }

  private static void row(StringBuilder t, String name, Object java, Object js) {
    row(t, name, java, js, java instanceof Number a && js instanceof Number b && b.doubleValue() != 0
        ? String.format(Locale.ROOT, "%.2f", a.doubleValue() / b.doubleValue()) : "");
  }

  private static void row(StringBuilder t, String name, Object java, Object js, String ratio) {
    t.append("| ").append(name).append(" | ").append(java == null ? "—" : java).append(" | ")
        .append(js == null ? (name.startsWith("ceiling") || name.startsWith("  …") ? "" : "—") : js)
        .append(" | ").append(ratio).append(" |\n");
  }

  static long percentile(long[] values, double p) {
    if (values.length == 0) {
      return 0;
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
  }

  static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }

  static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
