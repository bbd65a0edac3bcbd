package io.tinyp2p.protocol.kad;

import io.tinyp2p.crypto.PeerId;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A point in the Kademlia keyspace: SHA-256 of a key's bytes (for a peer, of its PeerId
 * multihash), as the libp2p kad-dht spec defines it. Distance is XOR, compared as a 256-bit
 * unsigned number.
 */
public final class Key {
  public static final int BITS = 256;

  private final byte[] hash;

  private Key(byte[] hash) {
    this.hash = hash;
  }

  public static Key of(PeerId peer) {
    return ofBytes(peer.toBytes());
  }

  public static Key ofBytes(byte[] raw) {
    try {
      return new Key(MessageDigest.getInstance("SHA-256").digest(raw));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** For tests: a key with this exact hash. */
  static Key ofHash(byte[] hash) {
    if (hash.length != 32) {
      throw new IllegalArgumentException("a key hash is 32 bytes");
    }
    return new Key(hash.clone());
  }

  /** Leading bits this key shares with {@code other}: 256 for the same key. */
  public int commonPrefixLength(Key other) {
    for (int i = 0; i < hash.length; i++) {
      int x = (hash[i] ^ other.hash[i]) & 0xFF;
      if (x != 0) {
        return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
      }
    }
    return BITS;
  }

  /**
   * Compares the distances of {@code a} and {@code b} to this key: negative when {@code a} is
   * closer.
   */
  public int compareDistance(Key a, Key b) {
    for (int i = 0; i < hash.length; i++) {
      int da = (hash[i] ^ a.hash[i]) & 0xFF;
      int db = (hash[i] ^ b.hash[i]) & 0xFF;
      if (da != db) {
        return Integer.compare(da, db);
      }
    }
    return 0;
  }

  /** The XOR distance as 32 big-endian bytes. */
  public byte[] distance(Key other) {
    byte[] d = new byte[hash.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = (byte) (hash[i] ^ other.hash[i]);
    }
    return d;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Key k && Arrays.equals(hash, k.hash);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hash);
  }

  @Override
  public String toString() {
    return java.util.HexFormat.of().formatHex(hash, 0, 8) + "…";
  }
}
