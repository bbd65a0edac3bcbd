package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class PeerLogTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final Logger log = (Logger) LoggerFactory.getLogger("io.tinyp2p.test.PeerLogTest");
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final PeerLog peerLog = new PeerLog(now::get, log);

  @BeforeEach
  void capture() {
    log.setLevel(Level.INFO);
    lines.start();
    log.addAppender(lines);
  }

  @AfterEach
  void release() {
    log.detachAppender(lines);
  }

  private List<String> messages() {
    return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void aThousandLinesOfOneKindAboutOnePeerAreOneLineAndACount() {
    for (int i = 0; i < 1000; i++) {
      peerLog.info(log, "peerA", "request from {}: not complete within {} ms", "peerA", 4000);
    }
    assertEquals(List.of("request from peerA: not complete within 4000 ms"), messages());
    peerLog.flush(); // the window is still open: nothing more yet
    assertEquals(1, messages().size());
    now.addAndGet(PeerLog.WINDOW_MS);
    peerLog.flush();
    assertEquals("999 more lines like this about peerA in 10 s not logged: request from peerA: not complete within 4000 ms",
        messages().get(1));
    assertEquals(0, peerLog.tracked());
    peerLog.flush();
    assertEquals(2, messages().size(), "a count is said once");
  }

  @Test
  void otherPeersAndOtherKindsAreLoggedOnTheirOwn() {
    assertTrue(peerLog.info(log, "peerA", "kad from {}: {}", "peerA", "bad"));
    assertTrue(peerLog.info(log, "peerB", "kad from {}: {}", "peerB", "bad"));
    assertTrue(peerLog.info(log, "peerA", "identify from {}: {}", "peerA", "bad"));
    assertFalse(peerLog.info(log, "peerA", "kad from {}: {}", "peerA", "worse"));
    assertEquals(3, messages().size());
  }

  @Test
  void aLineAfterTheWindowIsLoggedAgainWithTheCountBeforeIt() {
    peerLog.info(log, "peerA", "kad from {}: {}", "peerA", "one");
    peerLog.info(log, "peerA", "kad from {}: {}", "peerA", "two");
    now.addAndGet(PeerLog.WINDOW_MS + 1);
    assertTrue(peerLog.info(log, "peerA", "kad from {}: {}", "peerA", "three"));
    assertEquals(List.of("kad from peerA: one", "1 more line like this about peerA in 10 s not logged: kad from peerA: one",
        "kad from peerA: three"), messages());
  }

  @Test
  void pastTheTrackedBoundLinesAreCountedTogether() {
    for (int i = 0; i < PeerLog.MAX_TRACKED + 50; i++) {
      peerLog.info(log, "peer" + i, "kad from {}: {}", "peer" + i, "bad");
    }
    assertEquals(PeerLog.MAX_TRACKED, messages().size());
    assertEquals(PeerLog.MAX_TRACKED, peerLog.tracked());
    now.addAndGet(PeerLog.WINDOW_MS);
    peerLog.flush();
    assertEquals("50 more lines about peers not logged (more than 4096 peers and kinds of line in 10 s)",
        messages().get(messages().size() - 1));
    assertEquals(0, peerLog.tracked());
  }

  @Test
  void nothingIsTrackedWhenInfoIsOff() {
    log.setLevel(Level.WARN);
    assertFalse(peerLog.info(log, "peerA", "kad from {}: {}", "peerA", "bad"));
    assertEquals(0, peerLog.tracked());
  }
}
