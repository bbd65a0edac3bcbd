package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.peerstore.PeerStoreFile;
import io.tinyp2p.protocol.kad.Kademlia;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** State across restarts: the same PeerId from identityFile, and a rejoin from peerStoreFile without a boot node. */
class PersistenceTest {
  @TempDir
  Path dir;
  Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() {
    TestNode.await(vertx.close());
  }

  private static void assertSays(RuntimeException e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should say " + p);
    }
  }

  @Test
  void aRestartWithTheSameIdentityFileHasTheSamePeerId() throws Exception {
    Path key = dir.resolve("state/identity.key");
    JsonObject config = new JsonObject().put("identityFile", key.toString());
    PeerId first;
    try (TestNode node = TestNode.start(vertx, config)) {
      first = node.peerId();
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    assertEquals(first, KeyPair.unmarshalPrivate(Files.readAllBytes(key)).peerId());
    byte[] bytes = Files.readAllBytes(key);
    try (TestNode node = TestNode.start(vertx, config)) {
      assertEquals(first, node.peerId());
    }
    assertArrayEquals(bytes, Files.readAllBytes(key));
  }

  @Test
  void secretAndIdentityFileTogetherAreRefused() {
    JsonObject both = new JsonObject().put("secret", KeyPair.generate().secret())
        .put("identityFile", dir.resolve("k").toString());
    assertSays(assertThrows(ConfigException.class, () -> NodeConfig.from(both)), "secret", "identityFile");
    assertSays(assertThrows(ConfigException.class, () -> TestNode.start(vertx, both)), "secret", "identityFile");
    assertFalse(Files.exists(dir.resolve("k")), "nothing was created");
  }

  @Test
  void badStateKeysNameTheKey() {
    assertSays(assertThrows(ConfigException.class, () -> NodeConfig.from(new JsonObject().put("identityFile", 5))),
        "identityFile must be a file path");
    assertSays(assertThrows(ConfigException.class, () -> NodeConfig.from(new JsonObject().put("peerStoreFile", ""))),
        "peerStoreFile must be a file path");
    assertSays(assertThrows(ConfigException.class, () -> NodeConfig.from(new JsonObject()
        .put("peerStoreFile", "p.json").put("peerStoreInterval", 0))), "peerStoreInterval must be a number of seconds from 1");
    assertSays(assertThrows(ConfigException.class, () -> NodeConfig.from(new JsonObject().put("peerStoreInterval", 5))),
        "peerStoreInterval is set but peerStoreFile is not");
    assertSays(assertThrows(ConfigException.class, () -> NodeConfig.from(new JsonObject()
        .put("identityFile", "same").put("peerStoreFile", "./same"))), "two different files");
    NodeConfig.State state = NodeConfig.from(new JsonObject().put("identityFile", "a/k")
        .put("peerStoreFile", "a/p.json")).state();
    assertEquals(Path.of("a/k"), state.identityFile());
    assertEquals(30, state.peerStoreInterval().toSeconds());
    assertNull(NodeConfig.from(new JsonObject()).state().identityFile());
    // the same keys from code and from the environment
    JsonObject fromOptions = new io.tinyp2p.client.P2pOptions().setIdentityFile("a/k").setPeerStoreFile("a/p.json")
        .setPeerStoreInterval(5).toJson();
    JsonObject fromEnv = Environment.apply(new JsonObject(), java.util.Map.of("TINYP2P_IDENTITY_FILE", "a/k",
        "TINYP2P_PEER_STORE_FILE", "a/p.json", "TINYP2P_PEER_STORE_INTERVAL", "5"));
    for (JsonObject json : List.of(fromOptions, fromEnv)) {
      assertEquals(new NodeConfig.State(Path.of("a/k"), Path.of("a/p.json"), java.time.Duration.ofSeconds(5)),
          NodeConfig.from(json).state(), json.encode());
    }
  }

  @Test
  void aCorruptIdentityFileStopsTheStartNamingThePath() throws Exception {
    Path key = dir.resolve("identity.key");
    Files.writeString(key, "not a key");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    StateFileException e = assertThrows(StateFileException.class,
        () -> TestNode.start(vertx, new JsonObject().put("identityFile", key.toString())));
    assertSays(e, "identityFile", key.toString(), "not a valid key file");
    assertEquals("not a key", Files.readString(key), "never replaced");
    assertTrue(vertx.deploymentIDs().isEmpty());
  }

  @Test
  void aCorruptPeerStoreFileStopsTheStartNamingThePath() throws Exception {
    Path peers = dir.resolve("peers.json");
    for (String content : List.of("{\"version\": 1, \"peers\": [", "{\"version\": 99, \"peers\": []}",
        "{\"version\": 1, \"peers\": [{\"peerId\": \"QmNope\", \"lastSeen\": 1}]}")) {
      Files.writeString(peers, content);
      StateFileException e = assertThrows(StateFileException.class,
          () -> TestNode.start(vertx, new JsonObject().put("peerStoreFile", peers.toString())));
      assertSays(e, "peerStoreFile", peers.toString(), "is not a peer store this node can read");
      assertEquals(content, Files.readString(peers), "never replaced");
    }
    assertTrue(vertx.deploymentIDs().isEmpty());
  }

  /**
   * B bootstraps from A with a peer store file; stopped and started again with the same files
   * and no boot node, it finds A from the file: A is in its routing table again.
   */
  @Test
  void aRestartedNodeRejoinsFromItsStoredPeersWithoutItsBootNode() throws Exception {
    Path key = dir.resolve("b/identity.key");
    Path peers = dir.resolve("b/peers.json");
    JsonObject state = new JsonObject().put("identityFile", key.toString()).put("peerStoreFile", peers.toString())
        .put("peerStoreInterval", 1);
    try (TestNode a = TestNode.start(vertx, new JsonObject().put("busPrefix", "a"))) {
      PeerId b1;
      try (TestNode b = TestNode.start(vertx, state.copy().put("busPrefix", "b").put("bootNode", a.addr().toString()))) {
        b1 = b.peerId();
        TestNode.join(b.whenTable(t -> t.contains(a.peerId())));
        // saved while it runs (every second here), not only at stop
        PeerStoreFile.Entry saved = awaitStored(peers, e -> e.peerId().equals(a.peerId()));
        assertTrue(saved.supports(Kademlia.PROTOCOL_ID), saved.toString());
        assertTrue(saved.agentVersion() != null && saved.agentVersion().startsWith("tinyp2p"), saved.toString());
        assertEquals(a.addr().withoutPeerId(), saved.addrs().get(0));
      }
      long stoppedAt = System.currentTimeMillis();
      List<PeerStoreFile.Entry> stored = PeerStoreFile.read(peers);
      assertEquals(List.of(a.peerId()), stored.stream().map(PeerStoreFile.Entry::peerId).toList());
      assertTrue(stored.get(0).lastSeen() <= stoppedAt && stored.get(0).lastSeen() > stoppedAt - 30_000);

      var aSeesB = a.expect(SwarmEvent.ConnectionOpened.class, e -> e.peer().equals(b1));
      try (TestNode b = TestNode.start(vertx, state.copy().put("busPrefix", "b"))) {
        assertEquals(b1, b.peerId());
        assertFalse(state.containsKey("bootNode"), "the restarted node has no boot node");
        TestNode.join(b.whenTable(t -> t.contains(a.peerId())));
        TestNode.join(aSeesB);
        boolean connected = b.onLoop(s -> Future.succeededFuture(s.isConnected(a.peerId())));
        assertTrue(connected);
      }
    }
  }

  /** A file of more peers than the bound, none of them reachable: the node starts, keeps the bound, stops. */
  @Test
  void theStoredPeersStayBounded() throws Exception {
    Path peers = dir.resolve("peers.json");
    List<PeerStoreFile.Entry> many = IntStream.range(0, PeerStoreFile.MAX_PEERS + 200)
        .mapToObj(i -> new PeerStoreFile.Entry(KeyPair.generate().peerId(),
            List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/1")), List.of(Kademlia.PROTOCOL_ID), null, 1_000 + i))
        .toList();
    // written as another program might have: every entry, beyond the bound
    io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
    many.forEach(e -> list.add(new JsonObject().put("peerId", e.peerId().toBase58())
        .put("addrs", new io.vertx.core.json.JsonArray().add("/ip4/127.0.0.1/tcp/1"))
        .put("protocols", new io.vertx.core.json.JsonArray().add(Kademlia.PROTOCOL_ID)).put("lastSeen", e.lastSeen())));
    Files.writeString(peers, new JsonObject().put("version", 1).put("peers", list).encode());
    try (TestNode node = TestNode.start(vertx, new JsonObject().put("peerStoreFile", peers.toString()))) {
      int known = node.onLoop(s -> Future.succeededFuture(s.peerStore().size()));
      assertEquals(PeerStoreFile.MAX_PEERS, known);
    }
    List<PeerStoreFile.Entry> after = PeerStoreFile.read(peers);
    assertEquals(PeerStoreFile.MAX_PEERS, after.size());
    assertEquals(many.get(many.size() - 1).peerId(), after.get(0).peerId(), "the most recently seen first");
    assertFalse(after.stream().anyMatch(e -> e.lastSeen() < 1_200), "the 200 least recently seen are gone");
  }

  /**
   * Waits until the peer store file holds an entry that matches. Nothing announces a save, so
   * the file is read every 100 ms (bounded by {@link TestNode#TIMEOUT}).
   */
  private PeerStoreFile.Entry awaitStored(Path file, Predicate<PeerStoreFile.Entry> match) {
    CompletableFuture<PeerStoreFile.Entry> found = new CompletableFuture<>();
    long timer = vertx.setPeriodic(100, t -> vertx.executeBlocking(() -> {
      if (Files.exists(file)) {
        PeerStoreFile.read(file).stream().filter(match).findFirst().ifPresent(found::complete);
      }
      return null;
    }));
    try {
      return TestNode.join(found);
    } finally {
      vertx.cancelTimer(timer);
    }
  }
}
