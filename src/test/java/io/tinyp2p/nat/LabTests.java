package io.tinyp2p.nat;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the lab's tests share: as a JUnit extension ({@code @ExtendWith(LabTests.class)}), skipping
 * the tests, the reason printed, where a lab cannot be built here (see {@link NetLab#skipReason()});
 * starting things in parallel; timings.
 */
final class LabTests implements ExecutionCondition {

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    String reason = NetLab.skipReason();
    if (reason == null) {
      return ConditionEvaluationResult.enabled("a network lab can be built here");
    }
    System.out.println(context.getDisplayName() + " skipped: " + reason);
    return ConditionEvaluationResult.disabled(reason);
  }

  /**
   * Runs {@code start} (a node, a js peer) in a thread of its own: not the common pool, which has a
   * single worker on two CPUs.
   */
  static <T> CompletableFuture<T> async(Callable<T> start) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return start.call();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, r -> {
      Thread t = new Thread(r, "lab-start");
      t.setDaemon(true);
      t.start();
    });
  }

  static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
