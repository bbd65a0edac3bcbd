package io.tinyp2p.nat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Probe} running on a lab host: {@code ip netns exec <ns> java -cp <test classes> Probe},
 * stderr to {@code target/natlab-<name>.log}; one command at a time. Stopped (stdin closed, killed
 * after 5 s) when the lab closes.
 */
public final class LabProbe implements AutoCloseable {
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  private final String name;
  private final Process process;
  private final OutputStream stdin;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();

  private LabProbe(Host host, String name) throws IOException {
    this.name = name;
    String classes = Path.of(Probe.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
    List<String> command = new ArrayList<>(host.execPrefix());
    command.addAll(List.of(JAVA.toString(), "-Xmx32m", "-XX:TieredStopAtLevel=1", "-cp", classes, Probe.class.getName()));
    process = new ProcessBuilder(command)
        .redirectError(Path.of("target/natlab-" + name + ".log").toFile()).start();
    stdin = process.getOutputStream();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          replies.add(line);
        }
      } catch (IOException e) {
        // ended
      }
      replies.add("exited");
    }, "probe-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  static LabProbe start(Host host, String name) throws IOException, InterruptedException {
    LabProbe probe = new LabProbe(host, name);
    String ready = probe.replies.poll(60, TimeUnit.SECONDS);
    if (!"ready".equals(ready)) {
      probe.close();
      throw new IllegalStateException("probe " + name + " did not start: " + ready + "; see target/natlab-" + name + ".log");
    }
    return probe;
  }

  /** Sends one command line and returns its reply line (see {@link Probe}). */
  public synchronized String call(String command, Duration timeout) throws IOException, InterruptedException {
    stdin.write((command + "\n").getBytes(StandardCharsets.UTF_8));
    stdin.flush();
    String reply = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (reply == null || reply.equals("exited") || reply.startsWith("error")) {
      throw new IllegalStateException("probe " + name + ": `" + command + "` answered " + reply);
    }
    return reply;
  }

  /** {@link #call} with a 10 s timeout. */
  public String call(String command) throws IOException, InterruptedException {
    return call(command, Duration.ofSeconds(10));
  }

  @Override
  public void close() {
    try {
      stdin.close();
    } catch (IOException e) {
      // gone
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  @Override
  public String toString() {
    return "probe " + name;
  }
}
