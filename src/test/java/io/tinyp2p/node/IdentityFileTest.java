package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.util.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key file: libp2p's private key encoding, created owner-only, refused when it is not a key. */
class IdentityFileTest {
  /** The Ed25519 vectors of libp2p/specs peer-ids/peer-ids.md ("Test vectors"). */
  static final byte[] SPEC_PRIVATE = HexFormat.of().parseHex("080112407e0830617c4a7de83925dfb2694556b12936c477a0e1"
      + "feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e");
  static final byte[] SPEC_PUBLIC = HexFormat.of().parseHex(
      "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e");

  @TempDir
  Path dir;

  @Test
  void theSpecVectorReadsAndWritesBack() {
    KeyPair key = KeyPair.unmarshalPrivate(SPEC_PRIVATE);
    assertArrayEquals(SPEC_PUBLIC, key.publicKey().marshal());
    assertArrayEquals(SPEC_PRIVATE, key.marshalPrivate());
    // the older form repeats the public key: read when both copies agree
    byte[] data = Arrays.copyOfRange(SPEC_PRIVATE, 4, 68);
    byte[] legacy = new byte[4 + 96];
    legacy[0] = 0x08;
    legacy[1] = 0x01;
    legacy[2] = 0x12;
    legacy[3] = 96;
    System.arraycopy(data, 0, legacy, 4, 64);
    System.arraycopy(data, 32, legacy, 68, 32);
    assertEquals(key.peerId(), KeyPair.unmarshalPrivate(legacy).peerId());
    legacy[99] ^= 1;
    assertThrows(IllegalArgumentException.class, () -> KeyPair.unmarshalPrivate(legacy));
  }

  @Test
  void aMissingFileIsCreatedOwnerOnlyAndReadBack() throws Exception {
    Path file = dir.resolve("keys/node.key");
    IdentityFile.Loaded created = IdentityFile.loadOrCreate(file);
    assertTrue(created.created());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(68, bytes.length);
    assertArrayEquals(new byte[] {0x08, 0x01, 0x12, 0x40}, Arrays.copyOf(bytes, 4), "PrivateKey{Ed25519, 64 bytes}");
    assertEquals(java.util.List.of(), AtomicFiles.leftovers(file));
    IdentityFile.Loaded again = IdentityFile.loadOrCreate(file);
    assertFalse(again.created());
    assertEquals(created.key().peerId(), again.key().peerId());
    assertArrayEquals(bytes, Files.readAllBytes(file), "reading does not rewrite it");
  }

  @Test
  void aFileThatIsNotAnEd25519KeyIsRefusedNamingThePath() throws Exception {
    byte[] tooShort = Arrays.copyOf(SPEC_PRIVATE, 40);
    tooShort[3] = 36;
    byte[] rsa = SPEC_PRIVATE.clone();
    rsa[1] = 0x00;
    byte[] wrongPublic = SPEC_PRIVATE.clone();
    wrongPublic[67] ^= 1;
    byte[] extraField = Arrays.copyOf(SPEC_PRIVATE, SPEC_PRIVATE.length + 2);
    extraField[68] = 0x18; // field 3, varint
    extraField[69] = 0x01;
    assertRefused("garbage", "not a libp2p PrivateKey".getBytes(), "not a libp2p PrivateKey");
    assertRefused("empty", new byte[0], "not a libp2p PrivateKey");
    assertRefused("short", tooShort, "64 bytes");
    assertRefused("rsa", rsa, "RSA is not supported");
    assertRefused("mismatch", wrongPublic, "not the seed's");
    assertRefused("extra", extraField, "besides Type and Data");
    assertRefused("huge", new byte[IdentityFile.MAX_BYTES + 1], "bytes");
  }

  @Test
  void aKeyFileOthersCanReadIsRefused() throws Exception {
    Path file = dir.resolve("open.key");
    Files.write(file, SPEC_PRIVATE);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    StateFileException e = assertThrows(StateFileException.class, () -> IdentityFile.loadOrCreate(file));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("rw-r--r--")
        && e.getMessage().contains("chmod 600"), e.getMessage());
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    assertEquals(KeyPair.unmarshalPrivate(SPEC_PRIVATE).peerId(), IdentityFile.loadOrCreate(file).key().peerId());
  }

  @Test
  void aDirectoryIsRefused() {
    StateFileException e = assertThrows(StateFileException.class, () -> IdentityFile.loadOrCreate(dir));
    assertTrue(e.getMessage().contains("identityFile " + dir) && e.getMessage().contains("directory"), e.getMessage());
  }

  private void assertRefused(String name, byte[] content, String says) throws Exception {
    Path file = dir.resolve(name + ".key");
    Files.write(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    StateFileException e = assertThrows(StateFileException.class, () -> IdentityFile.loadOrCreate(file));
    assertTrue(e.getMessage().startsWith("identityFile " + file + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(says), "'" + e.getMessage() + "' should say " + says);
    assertArrayEquals(content, Files.readAllBytes(file), "a bad key file is never replaced");
  }
}
