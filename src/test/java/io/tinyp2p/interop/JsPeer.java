package io.tinyp2p.interop;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A js-libp2p peer running in a child {@code node} process ({@code interop/js/peer.mjs}), driven over
 * JSON lines: commands go to its stdin, replies and events come back on its stdout, its stderr goes
 * to {@code target/js-peer-<n>.log}.
 *
 * <p>Typical use:
 *
 * <pre>{@code
 * try (JsPeer js = JsPeer.start(new JsonObject().put("port", 0))) {
 *   JsonObject reply = js.call(new JsonObject().put("cmd", "ping").put("peer", myPeerId), Duration.ofSeconds(10));
 *   JsonObject identify = js.awaitEvent(JsPeer.event("identify", myPeerId), Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>The child exits by itself when its stdin closes, so a JVM that dies without calling
 * {@link #close()} does not leave node processes behind. See {@code interop/js/peer.mjs} for the
 * command set. Depends only on the JDK and vertx-core's JSON types; not tied to any test framework.
 */
public final class JsPeer implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
  private static final long NPM_CI_TIMEOUT_MINUTES = 10;

  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final Object INSTALL_LOCK = new Object();
  private static volatile boolean installed;

  private final int number;
  private final Process process;
  private final Path logFile;
  private final Writer stdin;
  private final AtomicLong nextId = new AtomicLong(1);
  private final Map<Long, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

  // Events in arrival order; guarded by lock, eventsChanged is signalled on every new event and
  // when the process's stdout ends.
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition eventsChanged = lock.newCondition();
  private final List<JsonObject> events = new ArrayList<>();
  private volatile boolean stdoutClosed;

  private JsonObject ready;

  private JsPeer(int number, Process process, Path logFile) {
    this.number = number;
    this.process = process;
    this.logFile = logFile;
    this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    Thread reader = new Thread(this::readStdout, "js-peer-" + number + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  // ------------------------------------------------------------------ locating and installing

  /** The Maven project directory: the nearest directory at or above user.dir holding interop/js/peer.mjs. */
  public static Path projectDir() {
    Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("interop").resolve("js").resolve("peer.mjs"))) {
        return dir;
      }
    }
    throw new IllegalStateException("interop/js/peer.mjs not found in " + start + " or any parent directory");
  }

  /** The js harness directory, {@code <project>/interop/js}. */
  public static Path jsDir() {
    return projectDir().resolve("interop").resolve("js");
  }

  private static Path targetDir() {
    Path target = projectDir().resolve("target");
    try {
      Files.createDirectories(target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + target, e);
    }
    return target;
  }

  /** Runs {@code npm ci} in interop/js once per JVM if its node_modules is missing. */
  public static void ensureInstalled() {
    if (installed) {
      return;
    }
    synchronized (INSTALL_LOCK) {
      if (installed) {
        return;
      }
      Path js = jsDir();
      // libp2p's package.json is written late by npm, so this also catches an interrupted install
      Path modules = js.resolve("node_modules");
      if (!Files.isRegularFile(modules.resolve("libp2p").resolve("package.json"))
          || !Files.isRegularFile(modules.resolve("playwright-core").resolve("package.json"))) {
        Path log = targetDir().resolve("js-npm-ci.log");
        ProcessBuilder pb = new ProcessBuilder(npmCommand(), "ci", "--no-audit", "--no-fund")
            .directory(js.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        int exit;
        try {
          Process npm = pb.start();
          npm.getOutputStream().close();
          if (!npm.waitFor(NPM_CI_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            destroyTree(npm);
            throw new IllegalStateException(
                "npm ci in " + js + " did not finish within " + NPM_CI_TIMEOUT_MINUTES + " minutes; see " + log);
          }
          exit = npm.exitValue();
        } catch (IOException e) {
          throw new IllegalStateException("cannot run '" + npmCommand() + " ci' in " + js
              + " (is Node.js/npm installed and on the PATH?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while running npm ci in " + js, e);
        }
        if (exit != 0) {
          throw new IllegalStateException(
              "npm ci in " + js + " failed with exit code " + exit + "; see " + log + ":\n" + tail(log, 3000));
        }
      }
      installed = true;
    }
  }

  private static String nodeCommand() {
    return System.getProperty("tinyp2p.node", "node");
  }

  private static String npmCommand() {
    return System.getProperty("tinyp2p.npm", "npm");
  }

  // ------------------------------------------------------------------ starting

  /**
   * Starts a js peer with the given options (see peer.mjs: port, secret, kad, gossipsub, ...) and
   * waits up to 30 s for its "ready" line.
   */
  public static JsPeer start(JsonObject options) {
    return start(options, List.of(), null);
  }

  /**
   * Like {@link #start(JsonObject)}, with {@code commandPrefix} put before the {@code node} command
   * (e.g. {@code ip netns exec <namespace>}, which execs node in that network namespace, so the
   * process is node itself) and stderr to {@code target/<logName>.log} (null: {@code js-peer-<n>}).
   */
  public static JsPeer start(JsonObject options, List<String> commandPrefix, String logName) {
    ensureInstalled();
    int n = INSTANCES.incrementAndGet();
    Path log = targetDir().resolve((logName == null ? "js-peer-" + n : logName) + ".log");
    List<String> command = new ArrayList<>(commandPrefix);
    command.addAll(List.of(nodeCommand(), "--import", "./polyfill.mjs", "peer.mjs", options.encode()));
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(jsDir().toFile())
        .redirectError(log.toFile());
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start '" + nodeCommand() + "' (is Node.js on the PATH?): " + e.getMessage(), e);
    }
    JsPeer peer = new JsPeer(n, process, log);
    try {
      peer.ready = peer.awaitEvent(event("ready"), READY_TIMEOUT);
    } catch (RuntimeException e) {
      peer.kill();
      throw new IllegalStateException("js peer #" + n + " did not become ready: " + e.getMessage()
          + "\n--- " + log + " ---\n" + tail(log, 3000), e);
    }
    return peer;
  }

  /** The full "ready" line. */
  public JsonObject readyInfo() {
    return ready.copy();
  }

  public String peerId() {
    return ready.getString("peerId");
  }

  /** Listen addresses, each ending in /p2p/&lt;peerId&gt;. */
  public List<String> addrs() {
    JsonArray array = ready.getJsonArray("addrs");
    List<String> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      out.add(array.getString(i));
    }
    return List.copyOf(out);
  }

  /** The peer's public key in libp2p's protobuf encoding (the form carried by identify). */
  public byte[] publicKeyProtobuf() {
    return Base64.getDecoder().decode(ready.getString("publicKey"));
  }

  /** Where this peer's stderr goes. */
  public Path logFile() {
    return logFile;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  // ------------------------------------------------------------------ commands

  /** {@link #call(JsonObject, Duration)} with a 60 s timeout. */
  public JsonObject call(JsonObject command) {
    return call(command, DEFAULT_CALL_TIMEOUT);
  }

  /**
   * Sends a command (a fresh "id" is assigned; unless the command sets "timeoutMs", the js side is
   * told to give up slightly before {@code timeout}) and returns the ok:true reply.
   *
   * @throws JsPeerException if the peer replied ok:false (the message holds its error text), or on
   *     timeout, or if the process died
   */
  public JsonObject call(JsonObject command, Duration timeout) {
    long id = nextId.getAndIncrement();
    JsonObject message = command.copy().put("id", id);
    if (!message.containsKey("timeoutMs")) {
      // a little shorter than ours, so that the js side's error text (which says what got stuck)
      // arrives before we give up
      long margin = Math.min(1000, timeout.toMillis() / 10);
      message.put("timeoutMs", Math.max(1, timeout.toMillis() - margin));
    }
    CompletableFuture<JsonObject> reply = new CompletableFuture<>();
    pending.put(id, reply);
    String what = "'" + command.getString("cmd") + "' (id " + id + ") on js peer #" + number;
    try {
      if (stdoutClosed) {
        throw new JsPeerException("js peer #" + number + " has exited; cannot run " + what + "; see " + logFile, null);
      }
      send(message);
      JsonObject answer = reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (!answer.getBoolean("ok", false)) {
        throw new JsPeerException(what + " failed: " + answer.getString("error"), answer);
      }
      return answer;
    } catch (TimeoutException e) {
      throw new JsPeerException("no reply to " + what + " within " + timeout + "; see " + logFile, null);
    } catch (ExecutionException e) {
      throw new JsPeerException(what + ": " + e.getCause().getMessage() + "; see " + logFile, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JsPeerException("interrupted while waiting for " + what, null);
    } finally {
      pending.remove(id);
    }
  }

  private void send(JsonObject message) {
    synchronized (stdin) {
      try {
        stdin.write(message.encode());
        stdin.write('\n');
        stdin.flush();
      } catch (IOException e) {
        throw new JsPeerException("cannot write to js peer #" + number + " (exited: " + !process.isAlive()
            + "): " + e.getMessage() + "; see " + logFile, null);
      }
    }
  }

  // ------------------------------------------------------------------ events

  /** A snapshot of all events so far (including "ready"), in arrival order. */
  public List<JsonObject> events() {
    lock.lock();
    try {
      return events.stream().map(JsonObject::copy).toList();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns the first event, in arrival order, that matches {@code condition}: one already received
   * or, failing that, the next one to arrive within {@code timeout}.
   *
   * @throws JsPeerException on timeout or if the process's stdout ended first
   */
  public JsonObject awaitEvent(Predicate<JsonObject> condition, Duration timeout) {
    return awaitEvent(0, condition, timeout);
  }

  /**
   * Like {@link #awaitEvent(Predicate, Duration)} but only considers events at position
   * {@code fromIndex} or later; pass {@code events().size()} taken before an action to see only
   * what that action caused.
   */
  public JsonObject awaitEvent(int fromIndex, Predicate<JsonObject> condition, Duration timeout) {
    long remaining = timeout.toNanos();
    lock.lock();
    try {
      int next = fromIndex;
      while (true) {
        for (; next < events.size(); next++) {
          JsonObject event = events.get(next);
          if (condition.test(event)) {
            return event.copy();
          }
        }
        if (stdoutClosed) {
          throw new JsPeerException("js peer #" + number + " exited before the awaited event; see " + logFile, null);
        }
        if (remaining <= 0) {
          throw new JsPeerException("awaited event did not arrive from js peer #" + number + " within " + timeout
              + " (" + events.size() + " events so far); see " + logFile, null);
        }
        remaining = eventsChanged.awaitNanos(remaining);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JsPeerException("interrupted while awaiting an event from js peer #" + number, null);
    } finally {
      lock.unlock();
    }
  }

  /** Matches events named {@code name}, e.g. "identify", "connection:open". */
  public static Predicate<JsonObject> event(String name) {
    return e -> name.equals(e.getString("event"));
  }

  /** Matches events named {@code name} about the given remote peer. */
  public static Predicate<JsonObject> event(String name, String peerId) {
    return e -> name.equals(e.getString("event")) && peerId.equals(e.getString("peerId"));
  }

  // ------------------------------------------------------------------ stdout reader

  private void readStdout() {
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        dispatch(line);
      }
    } catch (IOException e) {
      // the process went away; handled below like end of stream
    } finally {
      lock.lock();
      try {
        stdoutClosed = true;
        eventsChanged.signalAll();
      } finally {
        lock.unlock();
      }
      JsPeerException gone = new JsPeerException("js peer #" + number + " exited", null);
      pending.values().forEach(f -> f.completeExceptionally(gone));
    }
  }

  private void dispatch(String line) {
    if (line.isBlank()) {
      return;
    }
    JsonObject message;
    try {
      message = new JsonObject(line);
    } catch (RuntimeException e) {
      System.err.println("[js-peer-" + number + "] ignoring non-JSON stdout line: " + line);
      return;
    }
    if (message.containsKey("event")) {
      lock.lock();
      try {
        events.add(message);
        eventsChanged.signalAll();
      } finally {
        lock.unlock();
      }
    } else if (message.getValue("id") instanceof Number id) {
      CompletableFuture<JsonObject> reply = pending.get(id.longValue());
      if (reply != null) {
        reply.complete(message);
      } else {
        System.err.println("[js-peer-" + number + "] reply to a command nobody waits for (timed out?): " + line);
      }
    } else {
      System.err.println("[js-peer-" + number + "] ignoring stdout line that is neither event nor reply: " + line);
    }
  }

  // ------------------------------------------------------------------ stopping

  /** Asks the peer to stop, waits up to 5 s for it to exit, then kills the process tree. */
  @Override
  public void close() {
    if (process.isAlive()) {
      long id = nextId.getAndIncrement();
      // registered so that the reply is consumed quietly; nobody waits for it
      pending.put(id, new CompletableFuture<>());
      try {
        send(new JsonObject().put("id", id).put("cmd", "stop"));
      } catch (JsPeerException ignored) {
        // already exiting
      }
      try {
        // closing stdin is a second "exit now" signal to peer.mjs
        synchronized (stdin) {
          stdin.close();
        }
      } catch (IOException ignored) {
        // already closed
      }
      try {
        process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    kill();
  }

  private void kill() {
    destroyTree(process);
  }

  private static void destroyTree(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String tail(Path file, int maxChars) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      return text.length() <= maxChars ? text : "..." + text.substring(text.length() - maxChars);
    } catch (IOException | RuntimeException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  @Override
  public String toString() {
    return "JsPeer#" + number + (ready != null ? "[" + peerId() + "]" : "");
  }

  /** A failed, timed-out or unanswerable command or event wait. */
  public static final class JsPeerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient JsonObject reply;

    JsPeerException(String message, JsonObject reply) {
      super(message);
      this.reply = reply;
    }

    /** The ok:false reply, or null when there was none (timeout, dead process). */
    public JsonObject reply() {
      return reply;
    }
  }
}
