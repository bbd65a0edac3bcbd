package io.tinyp2p.protocol.autonat;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The reachability that AutoNAT answers add up to, with hysteresis: of the last
 * {@code 2 * needed} answers that say something (OK or E_DIAL_ERROR; refusals and errors say
 * nothing about us), at least {@code needed} successes with the latest a success make us
 * {@link Reachability#PUBLIC}, at least {@code needed} failures with the latest a failure
 * {@link Reachability#PRIVATE}. Until one of these holds the status stays as it was
 * ({@link Reachability#UNKNOWN} at first), so one odd answer does not flip it. Sans-IO.
 */
public final class Confidence {
  private final int needed;
  private final Deque<Boolean> recent = new ArrayDeque<>();
  private Reachability status = Reachability.UNKNOWN;

  /** @param needed answers of one kind that settle the status (at least 1) */
  public Confidence(int needed) {
    if (needed < 1) {
      throw new IllegalArgumentException("needed must be at least 1, got " + needed);
    }
    this.needed = needed;
  }

  /** Takes one answer (true: a server dialed us back); returns the status after it. */
  public Reachability record(boolean dialedBack) {
    recent.addLast(dialedBack);
    while (recent.size() > 2 * needed) {
      recent.removeFirst();
    }
    long successes = recent.stream().filter(b -> b).count();
    long failures = recent.size() - successes;
    if (dialedBack && successes >= needed) {
      status = Reachability.PUBLIC;
    } else if (!dialedBack && failures >= needed) {
      status = Reachability.PRIVATE;
    }
    return status;
  }

  /** Forgets every answer: back to {@link Reachability#UNKNOWN} (our addresses changed). */
  public void reset() {
    recent.clear();
    status = Reachability.UNKNOWN;
  }

  public Reachability status() {
    return status;
  }

  /** How many answers are held now (at most {@code 2 * needed}). */
  public int answers() {
    return recent.size();
  }
}
