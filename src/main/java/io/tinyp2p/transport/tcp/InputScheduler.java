package io.tinyp2p.transport.tcp;

import io.tinyp2p.util.AfterIo;
import io.vertx.core.Context;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * Shares one event loop's input time among its connections, so that a hundred busy peers
 * cannot keep a quiet one waiting for their work.
 *
 * <p>Netty reads every ready socket in one I/O phase, handing each its data in turn, then
 * runs queued tasks. A per-connection budget alone bounds what one peer costs, not what a
 * hundred cost together: with each of them entitled to a turn, the last socket of the phase
 * waits for all of them. So the input of one I/O phase, summed over connections, has a share
 * ({@link #ROUND_TURNS} turns); once it is used up, a connection that brings more than a small
 * input ({@link #SMALL_INPUT} bytes, a ping or a stream opening) waits without being looked
 * at. Quiet peers' small inputs are still handled at once, in the phase they arrive.
 *
 * <p>Connections that wait are served after the phase, first come first served, each for at
 * most one turn, in rounds of the same share; what a round does not reach waits for the
 * round after the next I/O poll ({@link AfterIo}). Every turn makes progress (at least one
 * frame), so no connection starves; a connection that used its turn goes to the back.
 *
 * <p>Single-threaded: the transport's event loop only (one scheduler per {@link TcpTransport}).
 */
public final class InputScheduler {
  /** A phase's (and a serving round's) share of input time, in turns. */
  static final int ROUND_TURNS = 4;
  /** Input up to this size is handled even when the phase's share is used up. */
  static final int SMALL_INPUT = 4096;

  private final Context context;
  private final long turnNanos;
  private final long roundNanos;
  private final ArrayDeque<TcpConnection> waiting = new ArrayDeque<>();
  private long phase;
  private boolean phaseOpen;
  private boolean serving;
  private boolean serveScheduled;
  private long roundDeadline;
  private long served;

  InputScheduler(Context context, Duration turn) {
    this.context = context;
    this.turnNanos = Math.max(1, turn.toNanos());
    this.roundNanos = turnNanos > Long.MAX_VALUE / ROUND_TURNS ? Long.MAX_VALUE / 2 : turnNanos * ROUND_TURNS;
  }

  long turnNanos() {
    return turnNanos;
  }

  /**
   * The current I/O phase (a number that changes once the phase is over); the first call of a
   * phase starts its clock. Inside a serving round it is that round's.
   */
  long phase() {
    if (!phaseOpen && !serving) {
      phaseOpen = true;
      roundDeadline = System.nanoTime() + roundNanos;
      AfterIo.run(context, v -> { // the first task after this phase's I/O
        phaseOpen = false;
        phase++;
      });
    }
    return phase;
  }

  /** Whether the current phase's (or serving round's) share of input time is used up. */
  boolean spent(long now) {
    return now - roundDeadline > 0;
  }

  /** {@code c} used up its turn, or waits for its first: it is served in a coming round. */
  void await(TcpConnection c) {
    waiting.add(c);
    if (!serveScheduled) {
      serveScheduled = true;
      AfterIo.run(context, v -> serve());
    }
  }

  /** Connections waiting for a turn. */
  public int waiting() {
    return waiting.size();
  }

  /** Turns given to waiting connections so far. */
  public long served() {
    return served;
  }

  private void serve() {
    serveScheduled = false;
    serving = true;
    roundDeadline = System.nanoTime() + roundNanos;
    try {
      // each connection at most once a round (one that waits again is now behind the others),
      // and at least one connection every round
      for (int n = waiting.size(), i = 0; i < n && (i == 0 || !spent(System.nanoTime())); i++) {
        TcpConnection c = waiting.poll();
        served++;
        c.continueInput(System.nanoTime() + turnNanos);
      }
    } finally {
      serving = false;
      // even if a turn threw: the others still wait for theirs
      if (!waiting.isEmpty() && !serveScheduled) {
        serveScheduled = true;
        AfterIo.run(context, v -> serve());
      }
    }
  }
}
