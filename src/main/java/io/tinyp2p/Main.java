package io.tinyp2p;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.node.P2pVerticle;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.VertxApplication;

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
    String[] launcherArgs = args;
    if (args.length == 0 || args[0].startsWith("-")) {
      launcherArgs = new String[args.length + 1];
      launcherArgs[0] = P2pVerticle.class.getName();
      System.arraycopy(args, 0, launcherArgs, 1, args.length);
    }
    int code = new VertxApplication(launcherArgs).launch();
    if (code != 0) {
      System.exit(code);
    }
  }

}
