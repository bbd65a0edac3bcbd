package io.tinyp2p.protocol.kad;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.pb.CryptoProto;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;

/**
 * Which records the DHT accepts, by the namespace of their key ({@code /<namespace>/...}):
 * {@code /pk/<multihash>} holds a public key in libp2p's protobuf encoding whose PeerId is that
 * multihash (the identity multihash of the encoded key when it is at most 42 bytes, else its
 * sha2-256; the key's type is not interpreted, so RSA keys validate like any other). Keys in
 * the configured allowed namespaces take any value; every other key is refused.
 */
public final class RecordValidator {
  static final String PK = "pk";

  private final Set<String> allowed;

  public RecordValidator(Set<String> allowedNamespaces) {
    this.allowed = Set.copyOf(allowedNamespaces);
  }

  /** The namespace of a key: what lies between its first two slashes, or null when it has none. */
  public static String namespace(byte[] key) {
    if (key.length < 3 || key[0] != '/') {
      return null;
    }
    for (int i = 1; i < key.length; i++) {
      if (key[i] == '/') {
        return i == 1 ? null : new String(key, 1, i - 1, StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** Null when the record is acceptable, else why not. */
  public String check(byte[] key, byte[] value) {
    String ns = namespace(key);
    if (ns == null) {
      return "the key has no /<namespace>/ prefix";
    }
    if (PK.equals(ns)) {
      return checkPublicKey(key, value);
    }
    if (!allowed.contains(ns)) {
      return "the key namespace /" + ns + "/ is not accepted";
    }
    return null;
  }

  private static String checkPublicKey(byte[] key, byte[] value) {
    byte[] multihash = Arrays.copyOfRange(key, 4, key.length);
    try {
      CryptoProto.PublicKey.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      return "a /pk/ value must be a libp2p PublicKey protobuf";
    }
    return Arrays.equals(PeerId.fromMarshalledKey(value).toBytes(), multihash) ? null
        : "the public key does not hash to the PeerId in the /pk/ key";
  }
}
