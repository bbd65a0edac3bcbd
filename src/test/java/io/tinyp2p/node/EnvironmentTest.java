package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentTest {
  @Test
  void variablesNameEveryKey() {
    assertEquals("TINYP2P_ADDR", Environment.variable("", "addr"));
    assertEquals("TINYP2P_BOOT_NODE", Environment.variable("", "bootNode"));
    assertEquals("TINYP2P_HTTP_AUTH_TOKEN_FILE", Environment.variable("http", "authTokenFile"));
    assertEquals("TINYP2P_REQ_RESP_MAX_REQUEST_SIZE", Environment.variable("reqResp", "maxRequestSize"));
    assertEquals("TINYP2P_LIMITS_MAX_PENDING_HANDSHAKES_PER_IP", Environment.variable("limits", "maxPendingHandshakesPerIp"));
    assertEquals("TINYP2P_GOSSIPSUB_D_LO", Environment.variable("gossipsub", "D_lo"));
    NodeConfig.sections().forEach((section, keys) -> keys.forEach(key -> {
      String name = Environment.variable(section, key);
      JsonObject applied = Environment.apply(new JsonObject(), Map.of(name, "1"));
      Object value = section.isEmpty() ? applied.getValue(key) : applied.getJsonObject(section).getValue(key);
      assertTrue(value != null, name + " sets nothing");
    }));
  }

  @Test
  void valuesAreJsonOrStringsAndListsTakeCommas() {
    JsonObject conf = new JsonObject().put("addr", "/ip4/127.0.0.1/tcp/9000")
        .put("limits", new JsonObject().put("maxConnections", 100).put("exemptLoopback", true));
    JsonObject out = Environment.apply(conf, Map.of(
        "TINYP2P_ADDR", "/ip4/0.0.0.0/tcp/4001",
        "TINYP2P_LIMITS_MAX_CONNECTIONS", "10",
        "TINYP2P_HTTP_ENABLED", "false",
        "TINYP2P_PUBSUB_TOPICS", "block, tx",
        "TINYP2P_BOOT_NODE", "[\"/ip4/127.0.0.1/tcp/1/p2p/x\"]",
        "TINYP2P_GOSSIPSUB_D", "8",
        "TINYP2P_SECRET", "5YA95JZbR8TmwAWxG95QXQRLJ2sQvL8UKrx8gb4UMhhH",
        "TINYP2P_LOG_LEVEL", "DEBUG",
        "HOME", "/root"));
    assertEquals(new JsonArray().add("/ip4/0.0.0.0/tcp/4001"), out.getJsonArray("addr"), "addr is a list (TCP and QUIC)");
    assertEquals(10, out.getJsonObject("limits").getInteger("maxConnections"));
    assertEquals(true, out.getJsonObject("limits").getBoolean("exemptLoopback"), "the file's other keys stay");
    assertEquals(false, out.getJsonObject("http").getBoolean("enabled"));
    assertEquals(new JsonArray().add("block").add("tx"), out.getJsonArray("pubsubTopics"));
    assertEquals(new JsonArray().add("/ip4/127.0.0.1/tcp/1/p2p/x"), out.getJsonArray("bootNode"));
    assertEquals(8, out.getJsonObject("gossipsub").getInteger("D"));
    assertEquals("5YA95JZbR8TmwAWxG95QXQRLJ2sQvL8UKrx8gb4UMhhH", out.getString("secret"));
    assertEquals(100, conf.getJsonObject("limits").getInteger("maxConnections"), "the input is not changed");
    assertEquals(3, NodeConfig.from(new JsonObject().put("http", "off"))
        .pubsubTopics().size() + NodeConfig.from(Environment.apply(new JsonObject().put("http", "off"),
            Map.of("TINYP2P_PUBSUB_TOPICS", "a,b,c"))).pubsubTopics().size());
  }

  @Test
  void aVariableThatNamesNoSettingIsAnError() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> Environment.apply(new JsonObject(), Map.of("TINYP2P_LIMITS_MAX_CONECTIONS", "5")));
    assertTrue(e.getMessage().contains("TINYP2P_LIMITS_MAX_CONECTIONS"), e.getMessage());
    assertTrue(e.getMessage().contains("TINYP2P_LIMITS_MAX_CONNECTIONS"), e.getMessage());
  }
}
