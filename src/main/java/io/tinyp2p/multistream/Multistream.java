package io.tinyp2p.multistream;

import io.tinyp2p.util.Varint;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * multistream-select 1.0 as a sans-IO state machine: feed it the bytes the peer sent with
 * {@link #onData}, it writes its own messages through the {@code out} callback and reports
 * the outcome once through {@link Listener}. Bytes that arrive after the negotiation (in the
 * same packet as the last protocol message) are handed back with the result, so the
 * negotiated protocol sees them first.
 *
 * <p>A message is uvarint(length) ‖ UTF-8 text ‖ '\n', the length counting the newline. The
 * dialer sends the header and its first proposal at once (no round trip wasted); the listener
 * answers the header, then echoes a supported protocol or answers "na".
 */
public final class Multistream {
  public static final String PROTOCOL_ID = "/multistream/1.0.0";
  public static final String NA = "na";
  public static final String LS = "ls";
  /** Longest message accepted (the spec bounds protocol ids to 1024 bytes). */
  public static final int MAX_MESSAGE_LENGTH = 1024;
  /** Proposals a listener entertains before giving up on a dialer. */
  public static final int MAX_PROPOSALS = 16;

  /** How a negotiation ends: exactly one of the two calls, exactly once. */
  public interface Listener {
    void negotiated(String protocol, Buffer remaining);

    void failed(MultistreamException error);
  }

  private enum Role { DIALER, LISTENER }

  private final Role role;
  private final Consumer<Buffer> out;
  private final Listener listener;
  private final List<String> proposals; // dialer: protocols still to try, in order
  private final Predicate<String> supported; // listener
  private Buffer pending = Buffer.buffer(0);
  private boolean headerSeen;
  private boolean done;
  private int proposalsSeen;

  private Multistream(Role role, List<String> proposals, Predicate<String> supported,
      Consumer<Buffer> out, Listener listener) {
    this.role = role;
    this.proposals = proposals;
    this.supported = supported;
    this.out = out;
    this.listener = listener;
  }

  /**
   * Starts negotiating as the dialer: proposes {@code protocols} in order until the listener
   * accepts one. Writes the header and the first proposal immediately.
   */
  public static Multistream dialer(List<String> protocols, Consumer<Buffer> out, Listener listener) {
    if (protocols.isEmpty()) {
      throw new IllegalArgumentException("no protocol to propose");
    }
    Multistream ms = new Multistream(Role.DIALER, new ArrayList<>(protocols), null, out, listener);
    Buffer first = Buffer.buffer(64);
    appendMessage(first, PROTOCOL_ID);
    appendMessage(first, protocols.get(0));
    out.accept(first);
    return ms;
  }

  /** Starts negotiating as the listener; writes the header immediately. */
  public static Multistream listener(Predicate<String> supported, Consumer<Buffer> out,
      Listener listener) {
    Multistream ms = new Multistream(Role.LISTENER, null, supported, out, listener);
    out.accept(message(PROTOCOL_ID));
    return ms;
  }

  public static Multistream listener(Set<String> supported, Consumer<Buffer> out, Listener listener) {
    return listener(supported::contains, out, listener);
  }

  public boolean isDone() {
    return done;
  }

  /** Feeds bytes from the peer. After the outcome is reported, further calls are ignored. */
  public void onData(Buffer data) {
    if (done) {
      return;
    }
    pending = pending.length() == 0 ? data : pending.appendBuffer(data);
    int offset = 0;
    try {
      while (!done) {
        long length = Varint.decode(pending, offset);
        if (length == Varint.NEED_MORE) {
          break;
        }
        if (length < 1 || length > MAX_MESSAGE_LENGTH) {
          throw new MultistreamException("multistream message length " + length
              + " outside 1.." + MAX_MESSAGE_LENGTH);
        }
        int start = offset + Varint.encodedLength(length);
        int end = start + (int) length;
        if (end > pending.length()) {
          break;
        }
        if (pending.getByte(end - 1) != '\n') {
          throw new MultistreamException("multistream message does not end in a newline");
        }
        String text = pending.getString(start, end - 1, StandardCharsets.UTF_8.name());
        offset = end;
        onMessage(text, offset);
      }
    } catch (Varint.VarintException e) {
      fail("malformed multistream length: " + e.getMessage());
      return;
    } catch (MultistreamException e) {
      fail(e.getMessage());
      return;
    }
    if (!done) {
      pending = offset == 0 ? pending : pending.getBuffer(offset, pending.length());
      if (pending.length() > MAX_MESSAGE_LENGTH + Varint.MAX_BYTES) {
        fail("multistream message exceeds " + MAX_MESSAGE_LENGTH + " bytes");
      }
    }
  }

  private void onMessage(String text, int offset) throws MultistreamException {
    if (!headerSeen) {
      if (!PROTOCOL_ID.equals(text)) {
        throw new MultistreamException("expected multistream header " + PROTOCOL_ID
            + ", got '" + printable(text) + "'");
      }
      headerSeen = true;
      return;
    }
    if (role == Role.DIALER) {
      String proposed = proposals.get(0);
      if (proposed.equals(text)) {
        succeed(proposed, offset);
      } else if (NA.equals(text)) {
        proposals.remove(0);
        if (proposals.isEmpty()) {
          throw new MultistreamException("peer does not support " + proposed);
        }
        out.accept(message(proposals.get(0)));
      } else {
        throw new MultistreamException("unexpected answer '" + printable(text)
            + "' to proposal " + proposed);
      }
    } else {
      if (++proposalsSeen > MAX_PROPOSALS) {
        throw new MultistreamException("dialer proposed more than " + MAX_PROPOSALS + " protocols");
      }
      if (!text.equals(LS) && !text.equals(NA) && supported.test(text)) {
        out.accept(message(text));
        succeed(text, offset);
      } else {
        out.accept(message(NA));
      }
    }
  }

  private void succeed(String protocol, int offset) {
    done = true;
    Buffer rest = offset < pending.length() ? pending.getBuffer(offset, pending.length()) : null;
    pending = null;
    listener.negotiated(protocol, rest);
  }

  private void fail(String message) {
    done = true;
    pending = null;
    listener.failed(new MultistreamException(message));
  }

  /** Encodes one message: uvarint(length) ‖ text ‖ '\n'. */
  public static Buffer message(String text) {
    return appendMessage(Buffer.buffer(text.length() + 3), text);
  }

  private static Buffer appendMessage(Buffer buffer, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Varint.append(buffer, bytes.length + 1L);
    return buffer.appendBytes(bytes).appendByte((byte) '\n');
  }

  private static String printable(String text) {
    String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
    return shown.replaceAll("\\p{Cntrl}", "?");
  }
}
