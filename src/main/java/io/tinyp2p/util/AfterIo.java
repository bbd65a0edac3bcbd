package io.tinyp2p.util;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.internal.ContextInternal;
import java.util.concurrent.TimeUnit;

/**
 * Runs a continuation of long work on its event loop once pending I/O has had its turn.
 *
 * <p>Netty's event loop runs queued tasks for up to a second (at least 100 ms,
 * {@code io.netty.eventLoop.maxTaskProcessingQuantumMs}) before it polls the sockets again,
 * and a task that queues its own continuation with {@code runOnContext} stays in that batch:
 * one connection encrypting output chunk after chunk, or a queue of signatures verified slice
 * after slice, would keep every other peer's input unread for that long. A task scheduled
 * with no delay is taken up only at the start of the next batch, after the sockets were
 * polled, so the continuation waits for the I/O that is ready, and no longer.
 */
public final class AfterIo {
  private AfterIo() {}

  /** Runs {@code work} on {@code context} after the event loop's next I/O poll. */
  public static void run(Context context, Handler<Void> work) {
    ContextInternal ctx = (ContextInternal) context;
    ctx.nettyEventLoop().schedule(() -> ctx.emit(work), 0, TimeUnit.NANOSECONDS);
  }
}
