package io.tinyp2p;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.node.ConfigException;
import io.tinyp2p.node.NodeConfig;
import io.tinyp2p.node.NodeMetrics;
import io.tinyp2p.node.P2pVerticle;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;

/**
 * Entry point of the fat jar: {@code keygen} and {@code peer-id SECRET} are answered here;
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
    String confError = checkConf(args);
    if (confError != null) {
      System.err.println(confError);
      System.exit(2);
    }
    String[] launcherArgs = args;
    if (args.length == 0 || args[0].startsWith("-")) {
      launcherArgs = new String[args.length + 1];
      launcherArgs[0] = P2pVerticle.class.getName();
      System.arraycopy(args, 0, launcherArgs, 1, args.length);
    }
    int code = new VertxApplication(launcherArgs, new VertxApplicationHooks() {
      @Override
      public void beforeStartingVertx(HookContext context) {
        if (NodeMetrics.vertxBackendAvailable()) {
          io.tinyp2p.metrics.VertxPrometheus.enable(context.vertxOptions()); // GET /metrics shows Vert.x's too
        }
      }
    }).launch();
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * The {@code -conf} option checked before anything starts (Vert.x's launcher would warn
   * and start a node on defaults: a random identity on the default ports): a file that is
   * missing, a directory or not JSON, or JSON the node refuses, is an error naming the path.
   * Returns the message, or null when the config is fine (or not given).
   */
  /** Jackson's message, with the line and column but without its source note. */
  private static String jsonError(io.vertx.core.json.DecodeException e) {
    String m = String.valueOf(e.getMessage()).replaceFirst("^Failed to decode:\\s*", "");
    return m.replaceAll("\\s*at \\[Source: [^;]*; ", " (at ").replaceAll("]\\s*$", ")");
  }

  static String checkConf(String[] args) {
    String value = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("-conf") || a.equals("--conf")) && i + 1 < args.length) {
        value = args[i + 1];
      } else if (a.startsWith("-conf=") || a.startsWith("--conf=")) {
        value = a.substring(a.indexOf('=') + 1);
      }
    }
    if (value == null) {
      return null;
    }
    String where;
    JsonObject json;
    if (value.trim().startsWith("{")) {
      where = "the -conf JSON";
      try {
        json = new JsonObject(value);
      } catch (io.vertx.core.json.DecodeException e) {
        return where + " is not valid JSON: " + jsonError(e);
      }
    } else {
      java.nio.file.Path path = java.nio.file.Path.of(value).toAbsolutePath();
      where = "config file " + path;
      if (!java.nio.file.Files.exists(path)) {
        return where + " not found";
      }
      if (java.nio.file.Files.isDirectory(path)) {
        return where + " is a directory, not a JSON file";
      }
      try {
        json = new JsonObject(java.nio.file.Files.readString(path));
      } catch (java.io.IOException e) {
        return where + " cannot be read: " + e;
      } catch (io.vertx.core.json.DecodeException e) {
        return where + " is not valid JSON: " + jsonError(e);
      }
    }
    boolean nodeIsMain = args.length == 0 || args[0].startsWith("-") || args[0].equals(P2pVerticle.class.getName());
    if (nodeIsMain) {
      try {
        NodeConfig.from(json);
      } catch (ConfigException e) {
        return where + ": " + e.getMessage();
      }
    }
    return null;
  }

}
