package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The original's demo: two nodes as separate processes, their logs show the conversation. */
class DemoIT {
  static final List<String> EXPECTED = List.of(
      ">>>> Outbound request: \"Hello, request!\"",
      "<<<< Inbound response: \"Hello, request!\"",
      "<<<< Inbound broadcast: \"block\" \"Hello, a new block!\"");

  @Test
  void bothNodesTalk() throws Exception {
    int bootPort = LauncherIT.freePort();
    talk("/ip4/127.0.0.1/tcp/" + bootPort, "/ip4/127.0.0.1/tcp/" + LauncherIT.freePort());
  }

  /** The same demo with QUIC addresses only: the nodes have no TCP transport at all. */
  @Test
  void bothNodesTalkOverQuicOnly() throws Exception {
    talk("/ip4/127.0.0.1/udp/" + freeUdpPort() + "/quic-v1", "/ip4/127.0.0.1/udp/" + freeUdpPort() + "/quic-v1");
  }

  static int freeUdpPort() throws IOException {
    try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void talk(String bootAddr, String nodeAddr) throws Exception {
    KeyPair bootKey = KeyPair.generate();
    Path bootConf = conf(bootKey, bootAddr, null);
    Path nodeConf = conf(KeyPair.generate(), nodeAddr, bootAddr + "/p2p/" + bootKey.peerId());
    // every expected line, seen by either node
    Set<String> seen = ConcurrentHashMap.newKeySet();
    CountDownLatch all = new CountDownLatch(1);
    Process boot = start(bootConf, "demo-boot", seen, all);
    Process node = start(nodeConf, "demo-node1", seen, all);
    try {
      assertTrue(all.await(30, TimeUnit.SECONDS), "within 30 s the logs showed only " + seen);
    } finally {
      node.destroy();
      boot.destroy();
      node.waitFor(20, TimeUnit.SECONDS);
      boot.waitFor(20, TimeUnit.SECONDS);
      Files.deleteIfExists(bootConf);
      Files.deleteIfExists(nodeConf);
    }
  }

  private static Path conf(KeyPair key, String addr, String bootNode) throws IOException {
    JsonObject c = new JsonObject().put("addr", addr).put("secret", key.secret())
        .put("pubsubTopics", new JsonArray().add("block").add("tx")).put("http", "off").put("demo", true);
    if (bootNode != null) {
      c.put("bootNode", bootNode);
    }
    Path file = Files.createTempFile("tinyp2p-demo", ".json");
    Files.writeString(file, c.encode());
    return file;
  }

  private static Process start(Path conf, String name, Set<String> seen, CountDownLatch all) throws IOException {
    Process p = new ProcessBuilder(LauncherIT.JAVA, "-jar", LauncherIT.JAR.toString(), "-conf", conf.toString())
        .redirectErrorStream(true).start();
    Path log = Path.of("target/" + name + ".log");
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream()));
           var out = Files.newBufferedWriter(log)) {
        String line;
        while ((line = lines.readLine()) != null) {
          out.write(line);
          out.newLine();
          out.flush();
          for (String e : EXPECTED) {
            if (line.contains(e)) {
              seen.add(e);
            }
          }
          if (seen.size() == EXPECTED.size()) {
            all.countDown();
          }
        }
      } catch (IOException e) {
        // the process ended
      }
    }, name + "-log");
    reader.setDaemon(true);
    reader.start();
    return p;
  }
}
