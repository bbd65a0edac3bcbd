package io.tinyp2p.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.yamux.Frame;
import io.tinyp2p.yamux.YamuxConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Garbage on a fresh TCP connection, at every layer of the upgrade, closes that connection
 * with one log line; an honest peer connected at the same time keeps being served.
 */
class HostileInputTest {
  static Vertx vertx;
  static TestNode node;
  static TestNode honest;
  static Capture logs;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    node = TestNode.start(vertx);
    honest = TestNode.start(vertx);
    honest.onLoop(s -> s.dial(node.addr()));
    logs = new Capture();
    logs.start();
    ((Logger) LoggerFactory.getLogger("io.tinyp2p")).addAppender(logs);
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger("io.tinyp2p")).detachAppender(logs);
    honest.close();
    node.close();
    TestNode.await(vertx.close());
  }

  interface Attack {
    void run(RawPeer peer) throws Exception;
  }

  /** Runs an attack on a fresh connection and checks the three promises. */
  private void assertClosedAndHonestServed(Attack attack) throws Exception {
    int port = node.addr().tcpPort();
    int clientPort;
    try (RawPeer peer = new RawPeer("127.0.0.1", port)) {
      clientPort = peer.localPort();
      attack.run(peer);
      assertTrue(peer.awaitClosedByPeer(), "the node kept the connection open");
    }
    java.util.regex.Pattern marker = java.util.regex.Pattern.compile(".*/tcp/" + clientPort + "(\\D.*)?");
    // the node's close handler may still be running: wait for its line, then count
    synchronized (logs) {
      long deadline = System.nanoTime() + TestNode.TIMEOUT.toNanos();
      while (lines(marker).isEmpty() && System.nanoTime() < deadline) {
        logs.wait(1000);
      }
    }
    assertEquals(1, lines(marker).size(), "log lines for the connection: " + lines(marker));
    Duration rtt = honest.onLoop(s -> honest.verticle().node().ping().ping(node.peerId()));
    assertTrue(rtt.toNanos() > 0);
  }

  private static List<String> lines(java.util.regex.Pattern marker) {
    synchronized (logs) {
      return logs.list.stream().map(ILoggingEvent::getFormattedMessage)
          .filter(m -> marker.matcher(m).matches() && !m.startsWith("connected to ")).toList();
    }
  }

  /** Collects log events and wakes the test thread waiting on it. */
  static final class Capture extends ListAppender<ILoggingEvent> {
    @Override
    protected void append(ILoggingEvent e) {
      super.append(e); // doAppend holds this appender's lock
      notifyAll();
    }
  }

  @Test
  void randomBytes() throws Exception {
    byte[] garbage = new byte[4096];
    new Random(3).nextBytes(garbage);
    assertClosedAndHonestServed(p -> p.sendRaw(garbage));
  }

  @Test
  void wrongMultistreamHeader() throws Exception {
    assertClosedAndHonestServed(p -> p.sendRaw(
        io.tinyp2p.multistream.Multistream.message("/multistream/9.9.9").getBytes()));
  }

  @Test
  void multistreamMessageOverTheLimit() throws Exception {
    byte[] huge = new byte[5000];
    huge[0] = (byte) 0x80 | (4000 & 0x7F);
    huge[1] = (byte) (4000 >>> 7);
    assertClosedAndHonestServed(p -> p.sendRaw(huge));
  }

  @Test
  void truncatedNoiseFrame() throws Exception {
    assertClosedAndHonestServed(p -> {
      p.negotiate("/noise");
      p.sendRaw(new byte[] {0x04, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}); // says 1024, sends 10
      p.shutdownOutput();
    });
  }

  @Test
  void garbageNoiseHandshake() throws Exception {
    byte[] frame = new byte[65535];
    new Random(5).nextBytes(frame);
    assertClosedAndHonestServed(p -> {
      p.negotiate("/noise");
      p.writeFrame(new byte[32]); // an all-zero ephemeral key
      p.writeFrame(frame);
    });
  }

  @Test
  void yamuxFrameForAnUnknownStream() throws Exception {
    assertClosedAndHonestServed(p -> {
      upgrade(p);
      p.sendEncrypted(Frame.header(Frame.TYPE_DATA, 0, 99, 4).appendString("oops").getBytes());
    });
  }

  @Test
  void yamuxWindowOverflow() throws Exception {
    assertClosedAndHonestServed(p -> {
      upgrade(p);
      p.sendEncrypted(Frame.header(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, 1, 0).getBytes());
      byte[] chunk = new byte[60_000];
      // the initial window is 256 KiB: send one frame that claims more
      p.sendEncrypted(Frame.header(Frame.TYPE_DATA, 0, 1, YamuxConfig.INITIAL_WINDOW + 1).getBytes());
      p.sendEncrypted(chunk);
    });
  }

  @Test
  void undecryptableTransportFrame() throws Exception {
    assertClosedAndHonestServed(p -> {
      p.negotiate("/noise");
      p.noiseHandshake(KeyPair.generate());
      p.writeFrame(Buffer.buffer(new byte[100]).getBytes());
    });
  }

  private static void upgrade(RawPeer p) throws Exception {
    p.negotiate("/noise");
    p.noiseHandshake(KeyPair.generate());
    p.negotiateSecure("/yamux/1.0.0");
  }
}
