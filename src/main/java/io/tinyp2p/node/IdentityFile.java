package io.tinyp2p.node;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The node's key kept in a file ({@code identityFile}), so that it keeps its PeerId across
 * restarts. The content is the libp2p encoding of the private key that go-libp2p, kubo and
 * rust-libp2p store too ({@link KeyPair#marshalPrivate}). A missing file is created with a new
 * Ed25519 key, readable by its owner only (0600) and written atomically; an existing one must
 * hold a valid Ed25519 key and be its owner's only, else the node refuses to start. Blocking:
 * call it off the event loop.
 */
public final class IdentityFile {
  static final String KEY = "identityFile";
  /** More than any key file we read needs (the older 96-byte Ed25519 form is 100 bytes). */
  static final int MAX_BYTES = 4096;

  /** The key, and whether it was created just now. */
  public record Loaded(KeyPair key, boolean created) {}

  private IdentityFile() {}

  /**
   * Reads the key in {@code path}, or creates the file with a new key when there is none.
   *
   * @throws StateFileException naming the path and the problem
   */
  public static Loaded loadOrCreate(Path path) {
    try {
      return new Loaded(read(path), false);
    } catch (NoSuchFileException e) {
      KeyPair key = KeyPair.generate();
      try {
        AtomicFiles.write(path, key.marshalPrivate());
      } catch (IOException io) {
        throw new StateFileException(KEY, path, "cannot create the key file: " + io, io);
      }
      return new Loaded(key, true);
    } catch (IOException e) {
      throw new StateFileException(KEY, path, "cannot be read: " + e, e);
    }
  }

  /** Reads an existing key file; {@link NoSuchFileException} when there is none. */
  static KeyPair read(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      throw new StateFileException(KEY, path, "is a directory, not a key file");
    }
    long size = Files.size(path);
    if (AtomicFiles.openToOthers(path)) {
      throw new StateFileException(KEY, path, "its permissions " + AtomicFiles.permissions(path)
          + " let other users read or change the node's private key; allow its owner only (chmod 600 "
          + path.toAbsolutePath() + ")");
    }
    if (size > MAX_BYTES) {
      throw new StateFileException(KEY, path, "is not a libp2p private key: " + size + " bytes, at most "
          + MAX_BYTES + " expected");
    }
    try {
      return KeyPair.unmarshalPrivate(Files.readAllBytes(path));
    } catch (IllegalArgumentException e) {
      throw new StateFileException(KEY, path, "is not a valid key file (" + e.getMessage()
          + "); it must hold a libp2p PrivateKey protobuf with an Ed25519 key", e);
    }
  }
}
