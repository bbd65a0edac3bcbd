package io.tinyp2p.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Logs and events show payloads as bounded previews with their size, never whole. */
class PreviewTest {
  @Test
  void aLogLineShowsAtMost64BytesAndTheSize() {
    byte[] big = "Hello, a new block! ".repeat(45_000).getBytes(StandardCharsets.UTF_8);
    String line = Preview.forLog(big);
    assertTrue(line.startsWith("\"Hello, a new block! Hello"), line);
    assertTrue(line.endsWith("…\" (900000 bytes)"), line);
    assertTrue(line.length() < 64 + 30, line);
    assertEquals("\"hi\\nthere\" (8 bytes)", Preview.forLog("hi\nthere".getBytes(StandardCharsets.UTF_8)));
    String binary = Preview.forLog(new byte[] {(byte) 0xff, 0x00, 0x10});
    assertEquals("ff0010 (3 bytes, hex)", binary.replace("…", ""));
  }

  @Property(tries = 300)
  void anyPayloadGivesABoundedLogLine(@ForAll @Size(max = 5000) byte[] data) {
    String line = Preview.forLog(data);
    // 64 bytes of text, each escaped to at most 6 characters (\\u001f), quotes and the size
    assertTrue(line.length() <= 64 * 6 + 40, line);
    assertTrue(line.contains("(" + data.length + " byte"), line);
  }

  @Property(tries = 300)
  void anEventCarriesAPrefixOfAtMostTheLimit(@ForAll @Size(max = 3000) byte[] data, @ForAll @IntRange(min = 1, max = 1500) int max) {
    Preview.Cut cut = Preview.cut(data, max);
    byte[] shown = cut.encoding().equals("utf8") ? cut.data().getBytes(StandardCharsets.UTF_8) : Base64.getDecoder().decode(cut.data());
    assertTrue(shown.length <= max);
    assertTrue(Arrays.equals(shown, Arrays.copyOf(data, shown.length)), "not a prefix of the data");
    assertEquals(shown.length < data.length, cut.truncated());
  }

  @Test
  void aCharacterCutAtTheLimitIsLeftOut() {
    byte[] data = "aé".getBytes(StandardCharsets.UTF_8); // 'é' is two bytes
    Preview.Cut cut = Preview.cut(data, 2);
    assertEquals("utf8", cut.encoding());
    assertEquals("a", cut.data());
    assertTrue(cut.truncated());
    assertFalse(Preview.cut(data, 3).truncated());
  }
}
