package io.tinyp2p.multistream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class MultistreamTest {

  /** Records the outcome of one negotiation. */
  static final class Outcome implements Multistream.Listener {
    String protocol;
    Buffer remaining;
    MultistreamException error;
    int calls;

    @Override
    public void negotiated(String protocol, Buffer remaining) {
      this.protocol = protocol;
      this.remaining = remaining;
      calls++;
    }

    @Override
    public void failed(MultistreamException error) {
      this.error = error;
      calls++;
    }
  }

  /** Wires a dialer and a listener back to back, delivering bytes one task at a time. */
  static final class Pipe {
    final List<Buffer> toListener = new ArrayList<>();
    final List<Buffer> toDialer = new ArrayList<>();
  }

  @Test
  void encodesMessagesAsTheSpecSays() {
    Buffer m = Multistream.message("/multistream/1.0.0");
    assertEquals(0x13, m.getByte(0)); // 18 characters + '\n'
    assertEquals("/multistream/1.0.0\n", m.getString(1, m.length()));
  }

  @Test
  void dialerAndListenerAgreeOnTheFirstSupportedProtocol() {
    Pipe pipe = new Pipe();
    Outcome d = new Outcome();
    Outcome l = new Outcome();
    Multistream dialer = Multistream.dialer(List.of("/a/1", "/b/1"), pipe.toListener::add, d);
    Multistream listener = Multistream.listener(Set.of("/b/1"), pipe.toDialer::add, l);
    for (int round = 0; round < 5; round++) {
      List<Buffer> a = new ArrayList<>(pipe.toListener);
      pipe.toListener.clear();
      a.forEach(listener::onData);
      List<Buffer> b = new ArrayList<>(pipe.toDialer);
      pipe.toDialer.clear();
      b.forEach(dialer::onData);
    }
    assertEquals("/b/1", d.protocol);
    assertEquals("/b/1", l.protocol);
    assertEquals(1, d.calls);
    assertEquals(1, l.calls);
  }

  @Test
  void bytesAfterTheLastMessageGoToTheProtocol() {
    Outcome l = new Outcome();
    Multistream listener = Multistream.listener(Set.of("/echo"), b -> { }, l);
    Buffer in = Multistream.message(Multistream.PROTOCOL_ID)
        .appendBuffer(Multistream.message("/echo"))
        .appendString("hello");
    // one byte at a time: every split point is exercised
    for (int i = 0; i < in.length(); i++) {
      listener.onData(in.getBuffer(i, i + 1));
      if (listener.isDone()) {
        assertEquals("/echo", l.protocol);
        assertNull(l.remaining);
        assertEquals(in.length() - 5, i + 1);
        return;
      }
    }
    throw new AssertionError("never negotiated");
  }

  @Test
  void earlyDataInTheSamePacketIsHandedBack() {
    Outcome l = new Outcome();
    Multistream listener = Multistream.listener(Set.of("/echo"), b -> { }, l);
    listener.onData(Multistream.message(Multistream.PROTOCOL_ID)
        .appendBuffer(Multistream.message("/echo"))
        .appendString("hello"));
    assertEquals("/echo", l.protocol);
    assertEquals("hello", l.remaining.toString());
  }

  @Test
  void listenerAnswersNaToUnknownProtocols() {
    List<Buffer> out = new ArrayList<>();
    Outcome l = new Outcome();
    Multistream listener = Multistream.listener(Set.of("/x"), out::add, l);
    listener.onData(Multistream.message(Multistream.PROTOCOL_ID).appendBuffer(Multistream.message("/y")));
    assertEquals(Multistream.message("na"), out.get(out.size() - 1));
    assertFalse(listener.isDone());
  }

  @Test
  void dialerFailsWhenEveryProposalIsRefused() {
    Outcome d = new Outcome();
    Multistream dialer = Multistream.dialer(List.of("/x"), b -> { }, d);
    dialer.onData(Multistream.message(Multistream.PROTOCOL_ID).appendBuffer(Multistream.message("na")));
    assertNotNull(d.error);
    assertTrue(d.error.getMessage().contains("/x"));
  }

  @Test
  void wrongHeaderFails() {
    Outcome l = new Outcome();
    Multistream.listener(Set.of("/x"), b -> { }, l).onData(Multistream.message("/multistream/2.0.0"));
    assertNotNull(l.error);
  }

  @Test
  void overlongMessageFailsBeforeBuffering() {
    Outcome l = new Outcome();
    Buffer huge = Buffer.buffer().appendByte((byte) 0xff).appendByte((byte) 0xff).appendByte((byte) 0x03);
    Multistream.listener(Set.of("/x"), b -> { }, l).onData(huge);
    assertNotNull(l.error);
    assertTrue(l.error.getMessage().contains("length"));
  }

  @Test
  void missingNewlineFails() {
    Outcome l = new Outcome();
    Multistream.listener(Set.of("/x"), b -> { }, l).onData(Buffer.buffer().appendByte((byte) 3).appendString("abc"));
    assertNotNull(l.error);
  }

  @Property(tries = 500)
  void garbageNeverThrowsAndEndsAtMostOnce(@ForAll @Size(max = 300) byte[] garbage) {
    Outcome l = new Outcome();
    Multistream listener = Multistream.listener(Set.of("/x"), b -> { }, l);
    listener.onData(Buffer.buffer(garbage));
    listener.onData(Buffer.buffer(garbage));
    assertTrue(l.calls <= 1);
    Outcome d = new Outcome();
    Multistream dialer = Multistream.dialer(List.of("/x"), b -> { }, d);
    dialer.onData(Buffer.buffer(garbage));
    assertTrue(d.calls <= 1);
  }
}
