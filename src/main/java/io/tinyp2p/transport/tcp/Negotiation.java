package io.tinyp2p.transport.tcp;

import io.tinyp2p.multistream.Multistream;
import io.tinyp2p.multistream.MultistreamException;
import io.tinyp2p.transport.TransportException;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** The multistream-select negotiations of a TCP connection's upgrade: its security protocol, then its muxer. */
final class Negotiation {
  private Negotiation() {}

  /**
   * A dialer proposes {@code protocols} in order, a listener accepts any of them; {@code next}
   * gets the outcome and the bytes that came after it, {@code failed} a reason naming them.
   */
  static Multistream start(boolean dialer, List<String> protocols, BiConsumer<String, Buffer> next,
      Consumer<Buffer> out, Consumer<TransportException> failed) {
    Multistream.Listener listener = new Multistream.Listener() {
      @Override
      public void negotiated(String p, Buffer remaining) {
        next.accept(p, remaining);
      }

      @Override
      public void failed(MultistreamException error) {
        failed.accept(new TransportException("negotiating " + String.join(" or ", protocols) + ": " + error.getMessage()));
      }
    };
    return dialer ? Multistream.dialer(protocols, out, listener) : Multistream.listener(Set.copyOf(protocols), out, listener);
  }
}
