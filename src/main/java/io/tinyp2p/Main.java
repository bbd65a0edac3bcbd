package io.tinyp2p;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.node.ConfigException;
import io.tinyp2p.node.Environment;
import io.tinyp2p.node.NodeConfig;
import io.tinyp2p.node.NodeMetrics;
import io.tinyp2p.node.P2pVerticle;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Entry point of the fat jar: {@code keygen} and {@code peer-id SECRET} are answered here,
 * {@code daemon ...} runs the control-protocol daemon ({@link io.tinyp2p.daemon.Daemon});
 * everything else goes to Vert.x's launcher, which deploys {@link P2pVerticle} (the jar's
 * Main-Verticle) with {@code -conf}, {@code -cluster} and the other launcher options.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("keygen")) {
      KeyPair key = KeyPair.generate();
      System.out.println(new JsonObject().put("secret", key.secret()).put("peerId", key.peerId().toBase58()).encode());
      return;
    }
    if (args.length > 0 && args[0].equals("peer-id")) {
      if (args.length != 2) {
        System.err.println("usage: peer-id SECRET");
        System.exit(2);
      }
      try {
        System.out.println(KeyPair.fromSecret(args[1]).peerId().toBase58());
      } catch (IllegalArgumentException e) {
        System.err.println("invalid secret: " + e.getMessage());
        System.exit(2);
      }
      return;
    }
    if (args.length > 0 && args[0].equals("daemon")) {
      int code = io.tinyp2p.daemon.Daemon.run(List.of(args).subList(1, args.length), System.out, System.err);
      if (code != 0) {
        System.exit(code);
      }
      return;
    }
    Prepared prepared = prepare(args, System.getenv());
    if (prepared.error() != null) {
      System.err.println(prepared.error());
      System.exit(2);
    }
    args = prepared.args();
    String[] launcherArgs = args;
    if (args.length == 0 || args[0].startsWith("-")) {
      launcherArgs = new String[args.length + 1];
      launcherArgs[0] = P2pVerticle.class.getName();
      System.arraycopy(args, 0, launcherArgs, 1, args.length);
    }
    int code = new VertxApplication(launcherArgs, new VertxApplicationHooks() {
      @Override
      public void beforeStartingVertx(HookContext context) {
        // Linux's epoll where it loads: TCP listeners and dials then share the port (hole punching)
        context.vertxOptions().setPreferNativeTransport(true);
        if (NodeMetrics.vertxBackendAvailable()) {
          io.tinyp2p.metrics.VertxPrometheus.enable(context.vertxOptions()); // GET /metrics shows Vert.x's too
        }
      }
    }).launch();
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Jackson's message, with the line and column but without its source note. */
  private static String jsonError(io.vertx.core.json.DecodeException e) {
    String m = String.valueOf(e.getMessage()).replaceFirst("^Failed to decode:\\s*", "");
    return m.replaceAll("\\s*at \\[Source: [^;]*; ", " (at ").replaceAll("]\\s*$", ")");
  }

  /** The launcher's arguments, or why the node cannot start. */
  record Prepared(String[] args, String error) {}

  /** {@link #prepare} without an environment: the message, or null when the config is fine. */
  static String checkConf(String[] args) {
    return prepare(args, Map.of()).error();
  }

  /**
   * The {@code -conf} option checked before anything starts (Vert.x's launcher would warn
   * and start a node on defaults: a random identity on the default ports): a file that is
   * missing, a directory or not JSON, or JSON the node refuses, is an error naming the path.
   * {@code TINYP2P_*} variables of {@code env} apply on top of it ({@link Environment}); when
   * there are any, the launcher gets the resulting JSON as its {@code -conf}.
   */
  static Prepared prepare(String[] args, Map<String, String> env) {
    int confAt = -1;
    String value = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("-conf") || a.equals("--conf")) && i + 1 < args.length) {
        confAt = i + 1;
        value = args[i + 1];
      } else if (a.startsWith("-conf=") || a.startsWith("--conf=")) {
        confAt = i;
        value = a.substring(a.indexOf('=') + 1);
      }
    }
    java.util.Set<String> fromEnv = Environment.variablesIn(env);
    boolean nodeIsMain = args.length == 0 || args[0].startsWith("-") || args[0].equals(P2pVerticle.class.getName());
    if (value == null && (fromEnv.isEmpty() || !nodeIsMain)) {
      return new Prepared(args, null);
    }
    String where = "the environment";
    JsonObject json = new JsonObject();
    if (value != null && value.trim().startsWith("{")) {
      where = "the -conf JSON";
      try {
        json = new JsonObject(value);
      } catch (io.vertx.core.json.DecodeException e) {
        return new Prepared(args, where + " is not valid JSON: " + jsonError(e));
      }
    } else if (value != null) {
      java.nio.file.Path path = java.nio.file.Path.of(value).toAbsolutePath();
      where = "config file " + path;
      if (!java.nio.file.Files.exists(path)) {
        return new Prepared(args, where + " not found");
      }
      if (java.nio.file.Files.isDirectory(path)) {
        return new Prepared(args, where + " is a directory, not a JSON file");
      }
      try {
        json = new JsonObject(java.nio.file.Files.readString(path));
      } catch (java.io.IOException e) {
        return new Prepared(args, where + " cannot be read: " + e);
      } catch (io.vertx.core.json.DecodeException e) {
        return new Prepared(args, where + " is not valid JSON: " + jsonError(e));
      }
    }
    if (!nodeIsMain) {
      return new Prepared(args, null);
    }
    try {
      json = Environment.apply(json, env);
    } catch (ConfigException e) {
      return new Prepared(args, e.getMessage());
    }
    try {
      NodeConfig.from(json);
    } catch (ConfigException e) {
      return new Prepared(args, where + (fromEnv.isEmpty() ? "" : " with " + String.join(", ", fromEnv))
          + ": " + e.getMessage());
    }
    if (fromEnv.isEmpty()) {
      return new Prepared(args, null);
    }
    List<String> out = new ArrayList<>(List.of(args));
    String merged = json.encode();
    if (confAt < 0) {
      out.add("-conf");
      out.add(merged);
    } else if (out.get(confAt).startsWith("-")) {
      out.set(confAt, out.get(confAt).substring(0, out.get(confAt).indexOf('=') + 1) + merged);
    } else {
      out.set(confAt, merged);
    }
    return new Prepared(out.toArray(String[]::new), null);
  }
}
