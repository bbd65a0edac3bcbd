package io.tinyp2p.node;

import java.nio.file.Path;

/**
 * A file the node keeps across restarts ({@code identityFile}, {@code peerStoreFile}) cannot be
 * read or written; the message names the key, the path and what is wrong. Thrown at start, the
 * node does not start: a key or a peer store it cannot read is never silently replaced.
 */
public class StateFileException extends RuntimeException {
  public StateFileException(String key, Path path, String problem, Throwable cause) {
    super(key + " " + path.toAbsolutePath() + ": " + problem, cause);
  }

  public StateFileException(String key, Path path, String problem) {
    this(key, path, problem, null);
  }
}
