package io.tinyp2p.node;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.peerstore.PeerStoreFile;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a node kept from its last run, read before it starts: its key ({@code identityFile}, or the
 * config's secret) and the peers it knew ({@code peerStoreFile}). A file that cannot be read or
 * parsed fails the start with a {@link StateFileException} naming it.
 *
 * @param createdIdentity the key file did not exist and was created with a new key
 * @param peers the stored peers, most recently seen first; empty when there is no file yet
 */
record StoredState(KeyPair identity, boolean createdIdentity, List<PeerStoreFile.Entry> peers) {

  /** Reads the node's files on a worker thread (the files are small, but a disk may be slow). */
  static Future<StoredState> load(Vertx vertx, NodeConfig config) {
    NodeConfig.State state = config.state();
    if (state.identityFile() == null && state.peerStoreFile() == null) {
      return Future.succeededFuture(new StoredState(config.identity(), false, List.of()));
    }
    return vertx.executeBlocking(() -> {
      IdentityFile.Loaded key = state.identityFile() == null
          ? new IdentityFile.Loaded(config.identity(), false)
          : IdentityFile.loadOrCreate(state.identityFile());
      List<PeerStoreFile.Entry> peers = state.peerStoreFile() == null ? List.of() : readPeers(state.peerStoreFile());
      return new StoredState(key.key(), key.created(), peers);
    });
  }

  private static List<PeerStoreFile.Entry> readPeers(Path path) {
    try {
      return PeerStoreFile.read(path);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new StateFileException(SavedPeers.KEY, path, "cannot be read: " + e, e);
    } catch (IllegalArgumentException e) {
      throw new StateFileException(SavedPeers.KEY, path, "is not a peer store this node can read: " + e.getMessage()
          + " (the node does not start over it: fix the file, or move it away to start with no stored peers)", e);
    }
  }
}
