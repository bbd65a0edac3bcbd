package io.tinyp2p.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
  private final List<String> got = new ArrayList<>();
  private final FrameDecoder decoder = new FrameDecoder(f -> got.add(f.toString()));

  private static Buffer frames(String... bodies) {
    Buffer b = Buffer.buffer();
    for (String body : bodies) {
      b.appendUnsignedShort(body.length()).appendString(body);
    }
    return b;
  }

  @Test
  void aStopKeepsTheRestForTheNextCall() {
    decoder.onData(frames("one", "two", "three"), () -> true);
    assertEquals(List.of("one"), got, "at least one frame per call, then the stop");
    assertEquals(frames("two", "three").length(), decoder.buffered());
    decoder.append(frames("four")); // arrived while stopped: kept, not looked at
    assertEquals(List.of("one"), got);
    decoder.onData(Buffer.buffer(), () -> false);
    assertEquals(List.of("one", "two", "three", "four"), got);
    assertEquals(0, decoder.buffered());
  }

  @Test
  void aPartialFrameWaitsForItsRest() {
    Buffer all = frames("hello", "world");
    decoder.onData(all.slice(0, 9), () -> false);
    assertEquals(List.of("hello"), got);
    decoder.onData(all.slice(9, all.length()), () -> false);
    assertEquals(List.of("hello", "world"), got);
  }

  /** However the input is cut and wherever the consumer stops, every frame comes out once, in order. */
  @Property(tries = 200)
  void cutsAndStopsNeverLoseOrReorder(@ForAll @IntRange(min = 1, max = 40) int cut,
      @ForAll @IntRange(min = 1, max = 5) int stopEvery) {
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      bodies.add("frame-" + i + "-" + "x".repeat(i));
    }
    Buffer all = frames(bodies.toArray(String[]::new));
    List<String> out = new ArrayList<>();
    int[] seen = {0};
    FrameDecoder d = new FrameDecoder(f -> out.add(f.toString()));
    for (int pos = 0; pos < all.length(); pos += cut) {
      d.onData(all.slice(pos, Math.min(all.length(), pos + cut)), () -> ++seen[0] % stopEvery == 0);
    }
    while (d.buffered() > 0) {
      d.onData(Buffer.buffer(), () -> ++seen[0] % stopEvery == 0);
    }
    assertEquals(bodies, out);
  }
}
