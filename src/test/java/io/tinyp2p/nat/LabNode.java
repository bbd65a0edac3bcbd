package io.tinyp2p.nat;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.function.Predicate;

/**
 * The node's fat jar running on a lab {@link Host}: {@code ip netns exec <ns> java -jar ... -conf},
 * P2P on {@code /ip4/<host ip>/tcp/4001}, the HTTP API on the host's management address port 8000
 * (each namespace has its own ports, so these never clash), output to
 * {@code target/natlab-<name>.log}, working directory {@code target/natlab-work/<name>}. Stopped
 * with SIGTERM, killed after 5 s.
 */
public final class LabNode implements AutoCloseable {
  public static final int P2P_PORT = 4001;
  public static final int HTTP_PORT = 8000;
  static final Path JAR = Path.of("target/tinyp2p-0.1.0-SNAPSHOT-fat.jar");
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  private final String name;
  private final Host host;
  private final KeyPair key = KeyPair.generate();
  private final Path conf;
  private final Path log;
  private final Process process;
  private final URI base;
  private final String listenAddr;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<JsonObject> events = new ArrayList<>();

  private LabNode(Host host, String name, JsonObject extra) throws IOException {
    this.name = name;
    this.host = host;
    String mgmt = host.managementIp();
    base = URI.create("http://" + mgmt + ":" + HTTP_PORT);
    Path work = Files.createDirectories(Path.of("target/natlab-work", name)).toAbsolutePath();
    conf = work.resolve("conf.json");
    JsonObject config = new JsonObject()
        .put("addr", "/ip4/" + host.ip() + "/tcp/" + P2P_PORT)
        .put("secret", key.secret())
        .put("http", new JsonObject().put("host", mgmt).put("port", HTTP_PORT))
        .mergeIn(extra, true);
    Object a = config.getValue("addr");
    // the first listen address, when the test gave its own (a string or a list)
    listenAddr = a instanceof String s ? s
        : a instanceof io.vertx.core.json.JsonArray list && !list.isEmpty() ? list.getString(0)
        : "/ip4/" + host.ip() + "/tcp/" + P2P_PORT;
    Files.writeString(conf, config.encode());
    log = Path.of("target/natlab-" + name + ".log").toAbsolutePath();
    List<String> command = new ArrayList<>(host.execPrefix());
    command.addAll(List.of(JAVA.toString(), "-Xmx256m", "-XX:+ExitOnOutOfMemoryError",
        "-jar", JAR.toAbsolutePath().toString(), "-conf", conf.toString()));
    process = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true).start();
    Thread copier = new Thread(this::copyLog, "natlab-log-" + name);
    copier.setDaemon(true);
    copier.start();
  }

  /** Starts the node on the host and waits (up to 60 s) until its {@code /healthz} answers. */
  static LabNode start(Host host, String name, JsonObject extraConfig) throws Exception {
    if (!Files.exists(JAR)) {
      throw new IllegalStateException(JAR + " is missing: run `./mvnw -DskipTests package` first");
    }
    LabNode node = new LabNode(host, name, extraConfig);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        if (!node.process.isAlive()) {
          throw new IllegalStateException(name + " exited at start with " + node.process.exitValue() + "; see " + node.log);
        }
        try {
          if (node.get("/healthz", Duration.ofSeconds(2)).statusCode() == 200) {
            return node;
          }
        } catch (IOException e) {
          // not listening yet
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(name + ": no /healthz within 60 s; see " + node.log);
        }
        Thread.sleep(100);
      }
    } catch (Exception | Error e) {
      node.close();
      throw e;
    }
  }

  public String name() {
    return name;
  }

  public Host host() {
    return host;
  }

  public PeerId peerId() {
    return key.peerId();
  }

  /**
   * The node's P2P address with its /p2p/ id: {@code /ip4/<host ip>/tcp/4001/p2p/<id>}, or the first
   * {@code addr} of the config the test gave.
   */
  public Multiaddr addr() {
    return Multiaddr.parse(listenAddr).withPeerId(peerId());
  }

  /** {@code http://<management ip>:8000}. */
  public URI httpBase() {
    return base;
  }

  public Path log() {
    return log;
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** {@code GET /status}. */
  public JsonObject status() throws IOException, InterruptedException {
    HttpResponse<String> r = get("/status", Duration.ofSeconds(5));
    if (r.statusCode() != 200) {
      throw new IOException(name + ": /status answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  /**
   * Polls {@code /status} (every 100 ms) until {@code condition} holds and returns that status;
   * fails after {@code timeout} with the last status.
   */
  public JsonObject awaitStatus(String what, Predicate<JsonObject> condition, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonObject last = null;
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
      }
      last = status();
      if (condition.test(last)) {
        return last;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + ": not within " + timeout + ": " + what + "; last /status connections: "
            + last.getJsonArray("connections") + "; see " + log);
      }
      Thread.sleep(100);
    }
  }

  /** The connections in a status to this peer (the {@code /status} connection objects). */
  public static List<JsonObject> connectionsTo(JsonObject status, String peerId) {
    List<JsonObject> out = new ArrayList<>();
    for (Object o : status.getJsonArray("connections")) {
      JsonObject c = (JsonObject) o;
      if (peerId.equals(c.getString("peerId"))) {
        out.add(c);
      }
    }
    return out;
  }

  /** The answer of {@code POST /connect} or {@code POST /request/<peer>}: HTTP status, body and how long it took. */
  public record Dial(int status, String body, Duration took) {
    public boolean ok() {
      return status == 200;
    }
  }

  /** {@code POST /connect} with a multiaddr: the node dials it; waits up to {@code timeout} for the answer. */
  public Dial connect(String multiaddr, Duration timeout) throws IOException, InterruptedException {
    return post("/connect", multiaddr, timeout);
  }

  /**
   * {@code POST /request/<peer>}: the node sends {@code payload} to the peer over its request-response
   * protocol, on a connection it has (relayed or not) or dials; the body is the response as text.
   */
  public Dial request(String peerId, String payload, Duration timeout) throws IOException, InterruptedException {
    return post("/request/" + peerId, payload, timeout);
  }

  /** {@code POST path} with {@code body} (a request to a peer, a broadcast); waits up to {@code timeout}. */
  public Dial post(String path, String body, Duration timeout) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    return new Dial(r.statusCode(), r.body(), Duration.ofNanos(System.nanoTime() - t0));
  }

  /**
   * Starts collecting the node's {@code GET /events} (server-sent events: connections, inbound
   * broadcasts); {@link #awaitEvent} looks in what came since.
   */
  public void collectEvents() {
    http.sendAsync(HttpRequest.newBuilder(base.resolve("/events")).build(), HttpResponse.BodyHandlers.ofLines())
        .thenAccept(r -> r.body().forEach(line -> {
          if (line.startsWith("data:")) {
            synchronized (events) {
              events.add(new JsonObject(line.substring(5).strip()));
              events.notifyAll();
            }
          }
        }));
  }

  /** The first event collected that matches; fails after {@code timeout} with what came. */
  public JsonObject awaitEvent(String what, Predicate<JsonObject> condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (events) {
      while (true) {
        for (JsonObject e : events) {
          if (condition.test(e)) {
            return e;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(name + ": no event within " + timeout + ": " + what + "; events: " + events);
        }
        events.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  HttpResponse<String> get(String path, Duration timeout) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).build(),
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

  /** SIGTERM, up to 5 s to stop, then SIGKILL. */
  @Override
  public void close() {
    try {
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        System.err.println(name + " did not stop on SIGTERM within 5 s: killing it");
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  @Override
  public String toString() {
    return "node " + name + " on " + host;
  }
}
