package io.tinyp2p.daemon;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code daemon}: a node driven over the libp2p daemon control protocol, as go-libp2p-daemon's
 * {@code p2pd} is, so the libp2p project's interop suite (and any daemon client) can drive it.
 * When its control socket listens it prints {@code Control socket: <multiaddr>}, then
 * {@code Peer ID:} and {@code Peer Addrs:}; SIGTERM or SIGINT stops it.
 */
public final class Daemon {
  /** How long starting or stopping may take. */
  static final long START_STOP_SECONDS = 30;

  private Daemon() {}

  /** Runs the daemon until the JVM is told to stop; returns a non-zero exit code when it cannot start. */
  public static int run(List<String> args, PrintStream out, PrintStream err) {
    DaemonOptions options;
    try {
      options = DaemonOptions.parse(args);
    } catch (DaemonOptions.UsageException e) {
      boolean help = args.contains("-help") || args.contains("-h") || args.contains("--help");
      (help ? out : err).println(e.getMessage());
      return help ? 0 : 2;
    }
    KeyPair identity;
    try {
      identity = options.idFile() == null ? KeyPair.generate()
          : KeyPair.unmarshalPrivate(Files.readAllBytes(options.idFile()));
    } catch (IOException e) {
      err.println("-id: cannot read " + options.idFile() + ": " + e);
      return 2;
    } catch (IllegalArgumentException e) {
      err.println("-id: " + options.idFile() + ": " + e.getMessage());
      return 2;
    }
    // Linux's epoll where it loads: TCP listeners and dials then share the port (hole punching)
    Vertx vertx = Vertx.builder().with(new io.vertx.core.VertxOptions().setPreferNativeTransport(true)).build();
    DaemonVerticle verticle = new DaemonVerticle(options, identity);
    try {
      vertx.deployVerticle(verticle).toCompletionStage().toCompletableFuture()
          .get(START_STOP_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException | InterruptedException e) {
      err.println("daemon: cannot start: " + (e instanceof ExecutionException ? e.getCause().getMessage() : e));
      vertx.close();
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(START_STOP_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException | InterruptedException e) {
        // the JVM ends anyway
      }
    }, "daemon-stop"));
    out.println("Control socket: " + verticle.controlAddress());
    out.println("Peer ID: " + identity.peerId().toBase58());
    out.println("Peer Addrs:");
    for (Multiaddr a : verticle.node().swarm().listenAddresses()) {
      out.println(a);
    }
    out.flush();
    return 0;
  }
}
