package io.tinyp2p;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The -conf option is checked before anything starts: every mistake names the path and what is wrong. */
class MainTest {
  @TempDir
  Path dir;

  private static void assertMessage(String message, String... parts) {
    assertTrue(message != null, "no error");
    for (String p : parts) {
      assertTrue(message.contains(p), "'" + message + "' should say " + p);
    }
  }

  @Test
  void aMissingFileADirectoryAndBadJsonAreErrorsNamingThePath() throws Exception {
    Path missing = dir.resolve("conf.json");
    assertMessage(Main.checkConf(new String[] {"-conf", missing.toString()}), missing.toString(), "not found");
    assertMessage(Main.checkConf(new String[] {"-conf", dir.toString()}), dir.toString(), "is a directory");
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"addr\": \n");
    assertMessage(Main.checkConf(new String[] {"--conf=" + broken}), broken.toString(), "not valid JSON", "line: 2");
    assertMessage(Main.checkConf(new String[] {"-conf", "{\"addr\": "}), "-conf JSON", "not valid JSON");
  }

  @Test
  void aValueTheNodeRefusesIsAnErrorToo() throws Exception {
    Path conf = dir.resolve("conf.json");
    Files.writeString(conf, "{\"discoveryInterval\": \"30\"}");
    assertMessage(Main.checkConf(new String[] {"-conf", conf.toString()}), conf.toString(), "discoveryInterval",
        "got the string \"30\"");
  }

  @Test
  void aGoodConfigOrNoneIsFine() throws Exception {
    Path conf = dir.resolve("conf.json");
    Files.writeString(conf, "{\"addr\": \"/ip4/127.0.0.1/tcp/0\", \"http\": \"off\"}");
    assertNull(Main.checkConf(new String[] {"-conf", conf.toString()}));
    assertNull(Main.checkConf(new String[] {"-conf", "{\"http\": \"off\"}"}));
    assertNull(Main.checkConf(new String[] {}));
    assertNull(Main.checkConf(new String[] {"-cluster"}));
  }
}
