package io.tinyp2p.attack;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The node under attack: the fat jar in its own JVM with a bounded heap, started from a
 * plain config (its own P2P and HTTP ports on 127.0.0.1, plus what a test adds), its output
 * copied to {@code target/attack-<name>.log}. Stopped with SIGTERM, killed if that fails.
 *
 * <p>The JVM also gets {@code -XX:+ExitOnOutOfMemoryError}: a node that runs out of memory
 * ends at once with exit code 3 instead of limping on, so the test's verdict is immediate.
 */
public final class NodeProcess implements AutoCloseable {
  static final Path JAR = Path.of("target/tinyp2p-0.1.0-SNAPSHOT-fat.jar");
  static final String HEAP = "-Xmx256m";
  private static final Path NICE = Path.of("/usr/bin/nice");
  /**
   * The node's niceness: above the test JVM's, which runs the attackers. On a real network
   * hostile peers are other machines and take no CPU from the node; here they share its two
   * cores, and at equal priority the scheduler handed the attack generators (and the JIT
   * compiling them) the core the node's event loop needed, for 30-50 ms at a time. Without
   * the right to raise it (not root), nice says so and the node runs at the usual priority.
   */
  static final String PRIORITY = "-5";
  private static final Path JAVA_HOME = Path.of(System.getProperty("java.home"));

  private final KeyPair key = KeyPair.generate();
  private final int p2pPort;
  private final int httpPort;
  private final Path conf;
  private final Path log;
  private final Path workDir;
  private final Process process;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private NodeProcess(String name, JsonObject extra) throws IOException {
    p2pPort = freePort();
    httpPort = freePort();
    conf = Files.createTempFile("tinyp2p-attack-" + name, ".json");
    Files.writeString(conf, new JsonObject()
        .put("addr", "/ip4/127.0.0.1/tcp/" + p2pPort)
        .put("secret", key.secret())
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", httpPort))
        .mergeIn(extra, true)
        .encode());
    log = Path.of("target/attack-" + name + ".log");
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(NICE)) {
      // the node before the test's own load generators on the same two cores (see PRIORITY)
      command.addAll(List.of(NICE.toString(), "-n", PRIORITY));
    }
    command.addAll(List.of(JAVA_HOME.resolve("bin/java").toString(), HEAP, "-XX:+ExitOnOutOfMemoryError"));
    // for a closer look at one row, e.g. -Dattack.jvmArgs="-XX:StartFlightRecording=filename=/tmp/attack-NAME.jfr,settings=profile"
    // (the node runs in its own directory, target/attack-work/NAME)
    for (String arg : System.getProperty("attack.jvmArgs", "").trim().split("\\s+")) {
      if (!arg.isEmpty()) {
        command.add(arg.replace("NAME", name));
      }
    }
    command.addAll(List.of("-jar", JAR.toAbsolutePath().toString(), "-conf", conf.toString()));
    workDir = Files.createDirectories(Path.of("target/attack-work", name)).toAbsolutePath();
    process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
    Thread copier = new Thread(this::copyLog, "node-log-" + name);
    copier.setDaemon(true);
    copier.start();
  }

  /** Starts a node and waits until {@code /healthz} answers. */
  public static NodeProcess start(String name, JsonObject extraConfig) throws Exception {
    if (!Files.exists(JAR)) {
      throw new IllegalStateException(JAR + " is missing: run `./mvnw -DskipTests package` first");
    }
    NodeProcess node = new NodeProcess(name, extraConfig);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        if (!node.process.isAlive()) {
          throw new IllegalStateException("the node exited at start: " + node.exitReason());
        }
        try {
          if (node.get("/healthz", Duration.ofSeconds(2)).statusCode() == 200) {
            return node;
          }
        } catch (IOException e) {
          // not listening yet
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no /healthz within 60 s; see " + node.log);
        }
        Thread.sleep(100);
      }
    } catch (Exception | Error e) {
      node.close();
      throw e;
    }
  }

  public PeerId peerId() {
    return key.peerId();
  }

  /** The node's P2P address with its /p2p/ id. */
  public Multiaddr addr() {
    return Multiaddr.tcp("127.0.0.1", p2pPort).withPeerId(peerId());
  }

  /** The node's working directory (its own, under target/attack-work). */
  public Path workDir() {
    return workDir;
  }

  public int httpPort() {
    return httpPort;
  }

  public int port() {
    return p2pPort;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** Why the process ended: exit code, and the OutOfMemoryError line if its log has one. */
  public String exitReason() {
    if (process.isAlive()) {
      return "running";
    }
    String oom = "";
    try {
      oom = Files.readAllLines(log).stream().filter(l -> l.contains("OutOfMemoryError")).findFirst()
          .map(l -> ", " + l.strip()).orElse("");
    } catch (IOException e) {
      // no log
    }
    return "exit code " + process.exitValue() + oom;
  }

  /** {@code GET /status}; fails if the node does not answer within {@code timeout}. */
  public JsonObject status(Duration timeout) throws IOException, InterruptedException {
    HttpResponse<String> r = get("/status", timeout);
    if (r.statusCode() != 200) {
      throw new IOException("/status answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  /**
   * Forces a full collection in the node ({@code jcmd <pid> GC.run}, the jcmd of this JDK),
   * then reads {@code jvm.heapAfterGc} from /status: the bytes the node really holds. -1 when
   * the node is dead or does not answer within 10 s.
   */
  public long heapAfterGc() {
    try {
      if (!process.isAlive()) {
        return -1;
      }
      Process jcmd = new ProcessBuilder(JAVA_HOME.resolve("bin/jcmd").toString(), Long.toString(process.pid()), "GC.run")
          .redirectErrorStream(true).start();
      String out = new String(jcmd.getInputStream().readAllBytes());
      if (!jcmd.waitFor(30, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
        System.err.println("jcmd GC.run failed: " + out);
        return -1;
      }
      return status(Duration.ofSeconds(10)).getJsonObject("jvm").getLong("heapAfterGc");
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Resident set size of the node process in bytes (Linux /proc), -1 if unknown. */
  public long rss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  private HttpResponse<String> get(String path, Duration timeout) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).timeout(timeout).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private void copyLog() {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream()));
         var out = Files.newBufferedWriter(log)) {
      String line;
      while ((line = lines.readLine()) != null) {
        out.write(line);
        out.newLine();
        out.flush();
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** SIGTERM, up to 20 s to stop, then SIGKILL; the config file is removed. */
  @Override
  public void close() {
    try {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        System.err.println("the node did not stop on SIGTERM within 20 s: killing it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      process.destroyForcibly();
      try {
        Files.deleteIfExists(conf);
      } catch (IOException e) {
        // a temp file
      }
    }
  }
}
