package io.tinyp2p.swarm;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.helpers.MessageFormatter;

/**
 * Log lines about what a remote peer did (a malformed message, a request that never
 * completed), at most one per peer and kind of line in
 * {@link #WINDOW_MS}: a peer that opens a thousand bad streams at once gets one line, not a
 * thousand (which on a console appender is tens of milliseconds of the event loop, and a log
 * that an attacker could fill). What was left out is counted and said in one line when the
 * window ends ({@link #flush}, from the swarm's housekeeping tick).
 *
 * <p>The kind of a line is its format string, the peer whatever names it best (its PeerId, or
 * an address). At most {@link #MAX_TRACKED} (peer, kind) pairs are tracked;
 * past that, lines are left out and counted together. Confined to the swarm's event loop.
 */
public final class PeerLog {
  static final long WINDOW_MS = 10_000;
  static final int MAX_TRACKED = 4096;

  private record Key(Object peer, String format) {}

  private static final class Window {
    final Logger log;
    final long opened;
    final String first;
    long suppressed;

    Window(Logger log, long opened, String first) {
      this.log = log;
      this.opened = opened;
      this.first = first;
    }
  }

  private final LongSupplier clock;
  private final Logger overflowLog;
  private final Map<Key, Window> windows = new LinkedHashMap<>();
  private long overflow;

  PeerLog(LongSupplier clock, Logger overflowLog) {
    this.clock = clock;
    this.overflowLog = overflowLog;
  }

  /**
   * Logs {@code format} at INFO unless a line of that kind about {@code peer} was logged in the
   * last {@link #WINDOW_MS}; true when it was logged.
   */
  public boolean info(Logger log, Object peer, String format, Object... args) {
    if (!log.isInfoEnabled()) {
      return false;
    }
    long now = clock.getAsLong();
    Key key = new Key(peer, format);
    Window w = windows.get(key);
    if (w != null && now - w.opened < WINDOW_MS) {
      w.suppressed++;
      return false;
    }
    if (w != null) {
      report(key, windows.remove(key));
    } else if (windows.size() >= MAX_TRACKED) {
      flush();
      if (windows.size() >= MAX_TRACKED) {
        overflow++;
        return false;
      }
    }
    String line = MessageFormatter.arrayFormat(format, args).getMessage();
    windows.put(key, new Window(log, now, line));
    log.info(line);
    return true;
  }

  /** Says what was left out in the windows that have ended, and forgets them. */
  public void flush() {
    long now = clock.getAsLong();
    // insertion order is the order the windows opened: stop at the first still open
    for (Iterator<Map.Entry<Key, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, Window> e = it.next();
      if (now - e.getValue().opened < WINDOW_MS) {
        break;
      }
      it.remove();
      report(e.getKey(), e.getValue());
    }
    if (overflow > 0 && windows.size() < MAX_TRACKED) {
      overflowLog.info("{} more lines about peers not logged (more than {} peers and kinds of line in {} s)",
          overflow, MAX_TRACKED, WINDOW_MS / 1000);
      overflow = 0;
    }
  }

  private static void report(Key key, Window w) {
    if (w.suppressed > 0) {
      w.log.info("{} more {} like this about {} in {} s not logged: {}", w.suppressed,
          w.suppressed == 1 ? "line" : "lines", key.peer(), WINDOW_MS / 1000, w.first);
    }
  }

  /** (peer, kind) pairs tracked now. */
  int tracked() {
    return windows.size();
  }
}
