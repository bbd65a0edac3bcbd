package io.tinyp2p.yamux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Two sessions wired back to back, with frames delivered when the test says so. */
class YamuxSessionTest {

  static final class End implements YamuxSession.Listener {
    final ArrayDeque<Buffer> outbox = new ArrayDeque<>();
    final List<YamuxStream> accepted = new ArrayList<>();
    Throwable closedWith;
    boolean closed;
    YamuxSession session;

    @Override
    public void inboundStream(YamuxStream stream) {
      accepted.add(stream);
    }

    @Override
    public void closed(Throwable error) {
      closed = true;
      closedWith = error;
    }
  }

  final End client = new End();
  final End server = new End();

  YamuxSessionTest() {
    client.session = new YamuxSession(true, YamuxConfig.defaults(), client.outbox::add, client);
    server.session = new YamuxSession(false, YamuxConfig.defaults(), server.outbox::add, server);
  }

  /** Delivers queued frames both ways until nothing moves. */
  void pump() {
    while (!client.outbox.isEmpty() || !server.outbox.isEmpty()) {
      while (!client.outbox.isEmpty()) {
        server.session.onData(client.outbox.poll());
      }
      while (!server.outbox.isEmpty()) {
        client.session.onData(server.outbox.poll());
      }
    }
  }

  /** Delivers queued frames between two sessions of a test's own until nothing moves. */
  static void pump(End a, YamuxSession sa, End b, YamuxSession sb) {
    while (!a.outbox.isEmpty() || !b.outbox.isEmpty()) {
      while (!a.outbox.isEmpty()) {
        sb.onData(a.outbox.poll());
      }
      while (!b.outbox.isEmpty()) {
        sa.onData(b.outbox.poll());
      }
    }
  }

  @Test
  void headerLayoutMatchesTheSpec() {
    Buffer h = Frame.header(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN | Frame.FLAG_ACK, 7, 262144);
    assertArrayEquals(new byte[] {0, 1, 0, 3, 0, 0, 0, 7, 0, 4, 0, 0}, h.getBytes());
  }

  @Test
  void streamsCarryDataBothWaysAndCloseOnBothFins() {
    YamuxStream a = open();
    assertEquals(1, a.id());
    pump();
    YamuxStream b = server.accepted.get(0);
    assertEquals(1, b.id());
    Buffer atB = Buffer.buffer();
    Buffer atA = Buffer.buffer();
    boolean[] ends = new boolean[2];
    b.handler(atB::appendBuffer).endHandler(v -> ends[0] = true);
    a.handler(atA::appendBuffer).endHandler(v -> ends[1] = true);
    a.write(Buffer.buffer("ping"));
    b.write(Buffer.buffer("pong"));
    a.end();
    pump();
    assertEquals("ping", atB.toString());
    assertEquals("pong", atA.toString());
    assertTrue(ends[0]);
    assertFalse(a.isClosed());
    b.end();
    pump();
    assertTrue(ends[1]);
    assertTrue(a.isClosed());
    assertTrue(b.isClosed());
    assertEquals(0, client.session.streamCount());
    assertEquals(0, server.session.streamCount());
  }

  @Test
  void largeTransfersRespectTheWindowAndArriveIntact() {
    YamuxStream a = open();
    pump();
    YamuxStream b = server.accepted.get(0);
    byte[] data = new byte[3 * 1024 * 1024 + 17];
    new Random(1).nextBytes(data);
    Buffer got = Buffer.buffer();
    b.handler(got::appendBuffer);
    a.write(Buffer.buffer(data));
    // Before any window update the sender may only have sent the initial window.
    long sent = client.outbox.stream().mapToLong(f -> Math.max(0, f.length() - Frame.HEADER_LENGTH)).sum();
    assertTrue(sent <= YamuxConfig.INITIAL_WINDOW, "sent " + sent);
    pump();
    assertArrayEquals(data, got.getBytes());
    assertEquals(0, a.queuedBytes());
  }

  @Test
  void pausedReaderStopsTheSenderAndResumesIt() {
    YamuxStream a = open();
    pump();
    YamuxStream b = server.accepted.get(0);
    Buffer got = Buffer.buffer();
    b.handler(got::appendBuffer).pause();
    a.write(Buffer.buffer(new byte[1024 * 1024]));
    pump();
    assertEquals(0, got.length());
    assertEquals(1024 * 1024 - YamuxConfig.INITIAL_WINDOW, a.queuedBytes());
    b.resume();
    pump();
    assertEquals(1024 * 1024, got.length());
  }

  @Test
  void drainHandlerRunsWhenTheQueueEmpties() {
    YamuxStream a = open();
    a.setWriteQueueMaxSize(1024);
    pump();
    YamuxStream b = server.accepted.get(0);
    b.handler(x -> { }).pause();
    a.write(Buffer.buffer(new byte[YamuxConfig.INITIAL_WINDOW + 4096]));
    pump();
    assertTrue(a.writeQueueFull());
    boolean[] drained = {false};
    a.drainHandler(v -> drained[0] = true);
    b.resume();
    pump();
    assertTrue(drained[0]);
    assertFalse(a.writeQueueFull());
  }

  @Test
  void writesBeyondTheHardCapAreRefused() {
    YamuxStream a = open();
    pump();
    server.accepted.get(0).handler(x -> { }).pause(); // never reads
    Buffer chunk = Buffer.buffer(new byte[1 << 20]);
    int accepted = 0;
    while (a.write(chunk).succeeded()) {
      accepted++;
      pump();
      assertTrue(accepted < 200, "no cap");
    }
    assertTrue(a.queuedBytes() <= YamuxStream.MAX_QUEUED_BYTES);
  }

  @Test
  void theSessionCapsWhatAllItsStreamsQueue() throws Exception {
    End small = new End();
    End peer = new End();
    YamuxSession s = new YamuxSession(true, YamuxConfig.defaults().withMaxQueuedBytes(4 << 20), small.outbox::add, small);
    YamuxSession p = new YamuxSession(false, YamuxConfig.defaults(), peer.outbox::add, peer);
    YamuxStream one = s.openStream();
    YamuxStream two = s.openStream();
    pump(small, s, peer, p);
    peer.accepted.forEach(st -> st.handler(x -> { }).pause()); // the peer never reads
    assertTrue(one.write(Buffer.buffer(new byte[3 << 20])).succeeded());
    assertTrue(one.writeQueueFull(), "past a quarter of the session cap every stream is full");
    assertTrue(two.writeQueueFull());
    assertTrue(two.write(Buffer.buffer(new byte[3 << 20])).failed(), "over the session's cap");
    assertTrue(small.closed, "a peer that leaves the cap unread loses the session");
    assertInstanceOf(YamuxSession.SlowReaderException.class, small.closedWith);
  }

  @Test
  void aStreamFullOnItsOwnQueueDrainsOnceTheSessionDoes() throws Exception {
    End small = new End();
    End peer = new End();
    // soft limit: a quarter of 8 MiB
    YamuxSession s = new YamuxSession(true, YamuxConfig.defaults().withMaxQueuedBytes(8 << 20), small.outbox::add, small);
    YamuxSession p = new YamuxSession(false, YamuxConfig.defaults(), peer.outbox::add, peer);
    YamuxStream one = s.openStream();
    YamuxStream two = s.openStream();
    pump(small, s, peer, p);
    YamuxStream atOne = peer.accepted.get(0);
    YamuxStream atTwo = peer.accepted.get(1);
    atOne.handler(x -> { }).pause();
    atTwo.handler(x -> { }).pause();
    one.write(Buffer.buffer(new byte[(1 << 20) + YamuxConfig.INITIAL_WINDOW + 1000]));
    pump(small, s, peer, p);
    assertTrue(one.writeQueueFull(), "full on its own queue");
    boolean[] drained = {false};
    one.drainHandler(v -> drained[0] = true);
    two.write(Buffer.buffer(new byte[4 << 20])); // takes the session past its soft limit
    pump(small, s, peer, p);
    atOne.resume(); // one's own queue empties while the session is still over its soft limit
    pump(small, s, peer, p);
    assertEquals(0, one.queuedBytes());
    assertFalse(drained[0], "the session is still over its soft limit");
    atTwo.resume(); // now the session drains too
    pump(small, s, peer, p);
    assertEquals(0, s.queuedBytes());
    assertTrue(drained[0], "the writer of one is told it may go on");
  }

  @Test
  void inputStopsBetweenFramesWhenAskedAndGoesOnFromThere() {
    YamuxStream a = open();
    pump();
    YamuxStream b = server.accepted.get(0);
    Buffer got = Buffer.buffer();
    b.handler(got::appendBuffer);
    for (int i = 0; i < 5; i++) {
      a.write(Buffer.buffer("chunk" + i));
    }
    Buffer wire = Buffer.buffer();
    client.outbox.forEach(wire::appendBuffer);
    client.outbox.clear();
    int used = server.session.onData(wire, () -> true);
    assertEquals(Frame.HEADER_LENGTH + "chunk0".length(), used, "one whole frame, then the stop");
    assertEquals("chunk0", got.toString());
    Buffer rest = wire.slice(used, wire.length());
    assertEquals(rest.length(), server.session.onData(rest, () -> false));
    assertEquals("chunk0chunk1chunk2chunk3chunk4", got.toString());
  }

  @Test
  void aFullTransportHoldsDataInTheStreamsAndReleasesThemInTurn() {
    boolean[] writable = {true};
    client.session.transport(() -> writable[0]);
    YamuxStream a = open();
    YamuxStream b = open();
    pump();
    Buffer atA = Buffer.buffer();
    Buffer atB = Buffer.buffer();
    server.accepted.get(0).handler(atA::appendBuffer);
    server.accepted.get(1).handler(atB::appendBuffer);
    writable[0] = false;
    a.write(Buffer.buffer(new byte[100_000]));
    b.write(Buffer.buffer(new byte[100_000]));
    pump();
    assertEquals(0, atA.length() + atB.length(), "nothing passes a full transport");
    assertEquals(100_000, a.queuedBytes());
    a.setWriteQueueMaxSize(50_000);
    assertTrue(a.writeQueueFull(), "the writer sees the transport's backpressure");
    boolean[] drained = {false};
    a.drainHandler(v -> drained[0] = true);
    // the transport takes one data frame (header and body), then is full again: the streams
    // take turns, the one that sent goes to the back of the queue
    int mark = client.outbox.size();
    client.session.transport(() -> client.outbox.size() - mark < 2);
    client.session.outputReady();
    assertTrue(a.queuedBytes() < 100_000, "a went first");
    assertEquals(100_000, b.queuedBytes());
    int mark2 = client.outbox.size();
    client.session.transport(() -> client.outbox.size() - mark2 < 2);
    client.session.outputReady();
    assertTrue(b.queuedBytes() < 100_000, "then b");
    writable[0] = true;
    client.session.transport(() -> writable[0]);
    client.session.outputReady();
    client.session.outputReady();
    pump();
    assertEquals(100_000, atA.length());
    assertEquals(100_000, atB.length());
    assertTrue(drained[0]);
  }

  @Test
  void aStreamWhosePeerGrantsNoWindowIsResetAfterTheStall() {
    YamuxStream a = open();
    pump();
    server.accepted.get(0).handler(x -> { }).pause(); // never reads: no window comes back
    a.write(Buffer.buffer(new byte[YamuxConfig.INITIAL_WINDOW + 1000]));
    pump();
    assertEquals(1000, a.queuedBytes());
    assertEquals(0, client.session.tick(1_000, 5_000), "first sight starts the clock");
    assertEquals(0, client.session.tick(4_000, 5_000));
    assertEquals(1, client.session.tick(6_000, 5_000));
    assertTrue(a.isClosed());
    assertEquals(1, client.session.stalledStreamsReset());
    pump();
    assertTrue(server.accepted.get(0).isClosed(), "the peer heard the reset");
  }

  @Test
  void windowProgressRestartsTheStallClock() {
    YamuxStream a = open();
    pump();
    YamuxStream b = server.accepted.get(0);
    b.handler(x -> { }).pause();
    a.write(Buffer.buffer(new byte[2 * YamuxConfig.INITIAL_WINDOW]));
    pump();
    client.session.tick(1_000, 5_000);
    b.resume(); // reads: window comes back, the stream is not stalled
    pump();
    b.pause();
    a.write(Buffer.buffer(new byte[2 * YamuxConfig.INITIAL_WINDOW]));
    pump();
    assertEquals(0, client.session.tick(6_500, 5_000));
    assertFalse(a.isClosed());
  }

  @Test
  void resetReachesTheOtherSide() {
    YamuxStream a = open();
    pump();
    YamuxStream b = server.accepted.get(0);
    Throwable[] error = new Throwable[1];
    b.exceptionHandler(e -> error[0] = e);
    a.reset();
    pump();
    assertTrue(b.isClosed());
    assertInstanceOf(YamuxStream.StreamResetException.class, error[0]);
    assertTrue(b.write(Buffer.buffer("x")).failed());
  }

  @Test
  void pingIsAnswered() {
    server.session.onData(Frame.header(Frame.TYPE_PING, Frame.FLAG_SYN, 0, 0xCAFEL));
    Buffer reply = server.outbox.poll();
    assertNotNull(reply);
    assertArrayEquals(Frame.header(Frame.TYPE_PING, Frame.FLAG_ACK, 0, 0xCAFEL).getBytes(), reply.getBytes());
  }

  @Test
  void dataBeyondTheWindowIsAProtocolError() {
    open();
    pump();
    Buffer frame = Frame.header(Frame.TYPE_DATA, 0, 1, YamuxConfig.INITIAL_WINDOW + 1L);
    server.session.onData(frame);
    assertTrue(server.closed);
    assertInstanceOf(YamuxException.class, server.closedWith);
    assertTrue(server.closedWith.getMessage().contains("window"));
    // and the peer is told: GO_AWAY with protocol error
    Buffer last = server.outbox.peekLast();
    assertEquals(Frame.TYPE_GO_AWAY, last.getByte(1));
    assertEquals(Frame.GO_AWAY_PROTOCOL_ERROR, last.getInt(8));
  }

  @Test
  void frameForAStreamThatNeverExistedIsAProtocolError() {
    server.session.onData(Frame.header(Frame.TYPE_DATA, 0, 41, 0));
    assertTrue(server.closed);
    assertTrue(server.closedWith.getMessage().contains("unknown stream"));
  }

  @Test
  void frameForAClosedStreamIsIgnored() {
    YamuxStream a = open();
    pump();
    a.reset();
    pump();
    // The peer had data in flight for stream 1: it is dropped, the session lives on.
    client.session.onData(Frame.header(Frame.TYPE_DATA, 0, 1, 3).appendString("abc"));
    assertFalse(client.closed);
  }

  @Test
  void wrongParityAndReusedIdsAreProtocolErrors() {
    server.session.onData(Frame.header(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, 2, 0));
    assertTrue(server.closed);
    End other = new End();
    YamuxSession s = new YamuxSession(false, YamuxConfig.defaults(), other.outbox::add, other);
    s.onData(Frame.header(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, 3, 0));
    s.onData(Frame.header(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, 3, 0));
    assertTrue(other.closed);
  }

  @Test
  void streamLimitRefusesWithReset() {
    End small = new End();
    YamuxSession s = new YamuxSession(false, YamuxConfig.defaults().withMaxStreams(2), small.outbox::add, small);
    for (int id = 1; id <= 5; id += 2) {
      s.onData(Frame.header(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, id, 0));
    }
    assertEquals(2, small.accepted.size());
    Buffer last = small.outbox.peekLast();
    assertEquals(Frame.FLAG_RST, last.getUnsignedShort(2));
    assertEquals(5, last.getInt(4));
    assertFalse(small.closed);
  }

  @Test
  void moreThanTheAckBacklogWaitsForAcks() throws Exception {
    List<YamuxStream> streams = new ArrayList<>();
    for (int i = 0; i < YamuxSession.MAX_ACK_BACKLOG + 10; i++) {
      streams.add(client.session.openStream());
    }
    long syns = client.outbox.stream().filter(f -> (f.getUnsignedShort(2) & Frame.FLAG_SYN) != 0).count();
    assertEquals(YamuxSession.MAX_ACK_BACKLOG, syns);
    pump();
    assertEquals(YamuxSession.MAX_ACK_BACKLOG + 10, server.accepted.size());
  }

  @Test
  void goAwayEndsTheSessionWhenIdle() {
    client.session.close();
    pump();
    assertTrue(client.closed);
    assertTrue(server.closed);
    assertNull(server.closedWith);
    assertThrows(YamuxException.class, () -> client.session.openStream());
  }

  @Test
  void earlyBytesCanBePutBack() {
    YamuxStream a = open();
    pump();
    YamuxStream b = server.accepted.get(0);
    a.write(Buffer.buffer("world"));
    pump();
    b.unread(Buffer.buffer("hello "));
    Buffer got = Buffer.buffer();
    b.handler(got::appendBuffer);
    assertEquals("hello world", got.toString());
  }

  @Property(tries = 300)
  void garbageNeverEscapes(@ForAll @Size(max = 200) byte[] garbage) {
    End e = new End();
    YamuxSession s = new YamuxSession(false, YamuxConfig.defaults(), e.outbox::add, e);
    s.onData(Buffer.buffer(garbage));
    s.onData(Buffer.buffer(garbage));
    // closed or not, nothing was thrown, and a closed session stays closed
    if (e.closed) {
      assertTrue(s.isClosed());
    }
  }

  private YamuxStream open() {
    try {
      return client.session.openStream();
    } catch (YamuxException e) {
      throw new AssertionError(e);
    }
  }
}
