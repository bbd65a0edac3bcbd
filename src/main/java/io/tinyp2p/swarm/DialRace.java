package io.tinyp2p.swarm;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * A peer's QUIC address is dialed first, its other addresses when QUIC has not connected within
 * a head start ({@link #HEAD_START_MS}, as go-libp2p ranks its dials) or failed before: UDP has
 * no refusal, so a peer whose UDP is blocked would otherwise cost a whole handshake timeout
 * before its TCP address is tried. The first connection wins; one that opens after it is closed.
 */
final class DialRace {
  /** How long QUIC has to connect before the other addresses are dialed too. */
  static final long HEAD_START_MS = 250;

  private final Promise<Connection> won = Promise.promise();
  private final Supplier<Future<Connection>> others;
  private Future<Connection> first;
  private Future<Connection> rest; // null until the others started
  private final long timer;
  private final Vertx vertx;

  private DialRace(Vertx vertx, Future<Connection> first, Supplier<Future<Connection>> others) {
    this.vertx = vertx;
    this.others = others;
    this.timer = vertx.setTimer(HEAD_START_MS, t -> startOthers());
    this.first = first;
    first.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        take(ar.result());
      } else if (rest == null) {
        startOthers();
      } else if (rest.failed()) {
        won.tryFail(rest.cause());
      }
    });
  }

  /**
   * The outcome of {@code first} (the QUIC dial, already started) raced against {@code others}
   * (the rest of the peer's addresses, dialed when needed).
   */
  static Future<Connection> run(Vertx vertx, Future<Connection> first, Supplier<Future<Connection>> others) {
    return new DialRace(vertx, first, others).won.future();
  }

  private void startOthers() {
    if (rest != null || won.future().isComplete()) {
      return;
    }
    rest = others.get();
    rest.onComplete(ar -> {
      if (ar.succeeded()) {
        take(ar.result());
      } else if (first.failed()) {
        won.tryFail(ar.cause());
      }
    });
  }

  private void take(Connection connection) {
    Future<Connection> decided = won.future();
    if (!won.tryComplete(connection) && decided.result() != connection) {
      connection.close(); // the other dial won: this one is a second connection nobody asked for
    }
  }
}
