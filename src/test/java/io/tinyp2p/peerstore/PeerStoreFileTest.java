package io.tinyp2p.peerstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.util.AtomicFiles;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer store's file: its format, its bounds, what it refuses, and its atomic writes. */
class PeerStoreFileTest {
  @TempDir
  Path dir;

  private static PeerStoreFile.Entry entry(long lastSeen) {
    return new PeerStoreFile.Entry(KeyPair.generate().peerId(),
        List.of(Multiaddr.parse("/ip4/192.0.2.1/tcp/" + (1000 + lastSeen % 1000))),
        List.of("/ipfs/id/1.0.0", "/ipfs/kad/1.0.0"), "agent/" + lastSeen, lastSeen);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void roundTripKeepsEveryField() {
    PeerStoreFile.Entry a = entry(5);
    PeerStoreFile.Entry noAgent = new PeerStoreFile.Entry(KeyPair.generate().peerId(),
        List.of(Multiaddr.parse("/ip6/::1/tcp/4001"), Multiaddr.parse("/dns4/example.com/tcp/4001")), List.of(), null, 7);
    String text = PeerStoreFile.encode(List.of(a, noAgent), 1234);
    JsonObject doc = new JsonObject(text);
    assertEquals(PeerStoreFile.VERSION, doc.getInteger("version"));
    assertEquals(1234L, doc.getLong("savedAt"));
    assertFalse(doc.getJsonArray("peers").getJsonObject(0).containsKey("agentVersion"), "unknown agent left out");
    List<PeerStoreFile.Entry> back = PeerStoreFile.decode(utf8(text));
    assertEquals(List.of(noAgent, a), back, "most recently seen first");
    assertNull(back.get(0).agentVersion());
    assertNull(new PeerStoreFile.Entry(a.peerId(), a.addrs(), a.protocols(), "", 1).agentVersion(), "empty: not known");
    assertTrue(back.get(1).supports("/ipfs/kad/1.0.0"));
  }

  @Test
  void atMostMaxPeersTheMostRecentlySeen() {
    List<PeerStoreFile.Entry> many = new ArrayList<>();
    IntStream.range(0, PeerStoreFile.MAX_PEERS + 500).forEach(i -> many.add(entry(i)));
    java.util.Collections.shuffle(many, new java.util.Random(1));
    List<PeerStoreFile.Entry> back = PeerStoreFile.decode(utf8(PeerStoreFile.encode(many, 0)));
    assertEquals(PeerStoreFile.MAX_PEERS, back.size());
    assertEquals(PeerStoreFile.MAX_PEERS + 499, back.get(0).lastSeen());
    assertEquals(500, back.get(back.size() - 1).lastSeen(), "the 500 least recently seen are gone");
    // a file someone else made longer is cut the same way when read
    JsonArray peers = new JsonArray();
    many.forEach(e -> peers.add(new JsonObject().put("peerId", e.peerId().toBase58()).put("lastSeen", e.lastSeen())));
    String longer = new JsonObject().put("version", 1).put("peers", peers).encode();
    assertEquals(back.stream().map(PeerStoreFile.Entry::peerId).toList(),
        PeerStoreFile.decode(utf8(longer)).stream().map(PeerStoreFile.Entry::peerId).toList());
  }

  @Test
  void eachPeerIsBoundedAndListedOnce() {
    PeerId peer = KeyPair.generate().peerId();
    List<Multiaddr> addrs = IntStream.range(0, 100).mapToObj(i -> Multiaddr.parse("/ip4/192.0.2.1/tcp/" + (i + 1))).toList();
    List<String> protocols = new ArrayList<>(IntStream.range(0, 500).mapToObj(i -> "/p/" + i).toList());
    protocols.add(0, "/" + "x".repeat(PeerStoreFile.MAX_PROTOCOL_LENGTH)); // too long: left out
    PeerStoreFile.Entry big = new PeerStoreFile.Entry(peer, addrs, protocols, "a".repeat(10_000), 2);
    PeerStoreFile.Entry older = new PeerStoreFile.Entry(peer, addrs.subList(0, 1), List.of(), null, 1);
    List<PeerStoreFile.Entry> back = PeerStoreFile.decode(utf8(PeerStoreFile.encode(List.of(older, big), 0)));
    assertEquals(1, back.size(), "one entry a peer: its latest");
    PeerStoreFile.Entry e = back.get(0);
    assertEquals(PeerStoreFile.MAX_ADDRS, e.addrs().size());
    assertEquals(addrs.subList(0, PeerStoreFile.MAX_ADDRS), e.addrs());
    assertEquals(PeerStoreFile.MAX_PROTOCOLS, e.protocols().size());
    assertEquals("/p/0", e.protocols().get(0));
    assertEquals(PeerStoreFile.MAX_AGENT_LENGTH, e.agentVersion().length());
    // the worst case stays well inside the size a reader accepts
    List<PeerStoreFile.Entry> worst = IntStream.range(0, PeerStoreFile.MAX_PEERS)
        .mapToObj(i -> new PeerStoreFile.Entry(KeyPair.generate().peerId(),
            IntStream.range(0, 20).mapToObj(j -> Multiaddr.parse("/dns4/" + "h".repeat(250) + "/tcp/" + (j + 1))).toList(),
            IntStream.range(0, 100).mapToObj(j -> "/" + "p".repeat(PeerStoreFile.MAX_PROTOCOL_LENGTH - 5) + j).toList(),
            "a".repeat(1000), i)).toList();
    assertTrue(PeerStoreFile.encode(worst, 0).length() < PeerStoreFile.MAX_FILE_BYTES);
  }

  @Test
  void malformedDocumentsAreRefusedSayingWhere() {
    String good = KeyPair.generate().peerId().toBase58();
    assertRefused("not json", "not a JSON object");
    assertRefused("[1, 2]", "not a JSON object");
    assertRefused("{\"peers\": []}", "version is missing");
    assertRefused("{\"version\": 2, \"peers\": []}", "version is 2");
    assertRefused("{\"version\": 1}", "peers must be a list");
    assertRefused("{\"version\": 1, \"peers\": [5]}", "peers[0] must be an object");
    assertRefused("{\"version\": 1, \"peers\": [{\"peerId\": \"12D3KooWnope\", \"lastSeen\": 1}]}", "peers[0].peerId");
    assertRefused("{\"version\": 1, \"peers\": [{\"lastSeen\": 1}]}", "peers[0].peerId must be a string");
    assertRefused("{\"version\": 1, \"peers\": [{\"peerId\": \"" + good + "\", \"lastSeen\": 1,"
        + " \"addrs\": [\"/ip4/1.2.3.4/tcp/1\", \"/ip4/1.2.3.4/sctp/1\"]}]}", "peers[0].addrs[1]: not a multiaddr");
    assertRefused("{\"version\": 1, \"peers\": [{\"peerId\": \"" + good + "\", \"lastSeen\": 1,"
        + " \"addrs\": [\"/ip4/1.2.3.4/tcp/1/p2p/" + KeyPair.generate().peerId() + "\"]}]}", "names another peer");
    assertRefused("{\"version\": 1, \"peers\": [{\"peerId\": \"" + good + "\", \"lastSeen\": -1}]}", "lastSeen");
    assertRefused("{\"version\": 1, \"peers\": [{\"peerId\": \"" + good + "\"}]}", "lastSeen");
    assertRefused("{\"version\": 1, \"peers\": [{\"peerId\": \"" + good + "\", \"lastSeen\": 1, \"protocols\": [1]}]}",
        "peers[0].protocols[0] must be a string");
  }

  private static void assertRefused(String doc, String says) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeerStoreFile.decode(utf8(doc)));
    assertTrue(e.getMessage().contains(says), "'" + e.getMessage() + "' should say " + says);
  }

  @Test
  void readRefusesDirectoriesAndOversizedFilesAndReportsAMissingOne() throws IOException {
    assertThrows(NoSuchFileException.class, () -> PeerStoreFile.read(dir.resolve("none.json")));
    assertThrows(IllegalArgumentException.class, () -> PeerStoreFile.read(dir));
    Path huge = dir.resolve("huge.json");
    try (var out = Files.newOutputStream(huge)) {
      out.write(new byte[(int) PeerStoreFile.MAX_FILE_BYTES + 1]);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeerStoreFile.read(huge));
    assertTrue(e.getMessage().contains("bytes"), e.getMessage());
  }

  @Test
  void writesCreateTheDirectoryOwnerOnlyAndReplaceAtomically() throws IOException {
    Path file = dir.resolve("state/sub/peers.json");
    List<PeerStoreFile.Entry> first = List.of(entry(1));
    PeerStoreFile.write(file, first, 10);
    assertEquals(first, PeerStoreFile.read(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    List<PeerStoreFile.Entry> second = List.of(entry(2), entry(3));
    PeerStoreFile.write(file, second, 20);
    assertEquals(List.of(second.get(1), second.get(0)), PeerStoreFile.read(file));
    assertEquals(List.of(), AtomicFiles.leftovers(file), "no temporary file stays behind");
  }

  @Test
  void aFailedWriteLeavesTheOldContentAndNoTemporaryFile() throws IOException {
    Path file = dir.resolve("peers.json");
    List<PeerStoreFile.Entry> old = List.of(entry(1));
    PeerStoreFile.write(file, old, 10);
    byte[] before = Files.readAllBytes(file);
    IOException boom = assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
      out.write(utf8("{\"version\": 1, \"peers\": [ {\"peerId\": "));
      throw new IOException("disk full (simulated)");
    }));
    assertEquals("disk full (simulated)", boom.getMessage());
    assertArrayEquals(before, Files.readAllBytes(file));
    assertEquals(old, PeerStoreFile.read(file));
    assertEquals(List.of(), AtomicFiles.leftovers(file));
  }

  @Test
  void aTemporaryFileLeftByACrashIsIgnoredAndTidiedByTheNextWrite() throws IOException {
    Path file = dir.resolve("peers.json");
    List<PeerStoreFile.Entry> old = List.of(entry(1));
    PeerStoreFile.write(file, old, 10);
    // what a crash between creating and renaming the temporary file leaves: half a document
    Path leftover = dir.resolve(".peers.json.123456.tmp");
    Files.writeString(leftover, "{\"version\": 1, \"peers\": [ {\"peerId\": \"12D3");
    assertEquals(List.of(leftover), AtomicFiles.leftovers(file));
    assertEquals(old, PeerStoreFile.read(file), "the file is the last complete write");
    PeerStoreFile.write(file, List.of(entry(2)), 20);
    assertFalse(Files.exists(leftover));
    assertEquals(2, PeerStoreFile.read(file).get(0).lastSeen());
  }
}
