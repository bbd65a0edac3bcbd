package io.tinyp2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import io.vertx.core.json.JsonObject;
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

  @Test
  void theEnvironmentAppliesOnTopOfTheFile() throws Exception {
    Path conf = dir.resolve("conf.json");
    Files.writeString(conf, "{\"addr\": \"/ip4/127.0.0.1/tcp/9000\", \"http\": {\"port\": 8000}, \"busPrefix\": \"file\"}");
    Main.Prepared p = Main.prepare(new String[] {"-conf", conf.toString(), "-cluster"},
        Map.of("TINYP2P_HTTP_PORT", "8123", "TINYP2P_PUBSUB_TOPICS", "a,b", "PATH", "/bin"));
    assertNull(p.error());
    assertEquals("-conf", p.args()[0]);
    JsonObject merged = new JsonObject(p.args()[1]);
    assertEquals(8123, merged.getJsonObject("http").getInteger("port"));
    assertEquals("file", merged.getString("busPrefix"));
    assertEquals("/ip4/127.0.0.1/tcp/9000", merged.getString("addr"));
    assertEquals("-cluster", p.args()[2]);
    // no -conf: the environment alone
    Main.Prepared alone = Main.prepare(new String[] {}, Map.of("TINYP2P_ADDR", "/ip4/127.0.0.1/tcp/0"));
    assertEquals(new io.vertx.core.json.JsonArray().add("/ip4/127.0.0.1/tcp/0"), new JsonObject(alone.args()[1]).getJsonArray("addr"));
    // nothing from the environment: the arguments as given
    String[] given = {"-conf", conf.toString()};
    assertArrayEquals(given, Main.prepare(given, Map.of("TINYP2P_LOG_LEVEL", "DEBUG")).args());
  }

  @Test
  void aBadVariableIsNamed() throws Exception {
    assertMessage(Main.prepare(new String[] {}, Map.of("TINYP2P_DISCOVERY_INTERVAL", "0")).error(),
        "TINYP2P_DISCOVERY_INTERVAL", "discoveryInterval");
    assertMessage(Main.prepare(new String[] {}, Map.of("TINYP2P_HTTP_PROT", "80")).error(),
        "TINYP2P_HTTP_PROT", "names no setting", "TINYP2P_HTTP_PORT");
  }
}
