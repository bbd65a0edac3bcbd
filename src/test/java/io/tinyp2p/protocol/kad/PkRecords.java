package io.tinyp2p.protocol.kad;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/** {@code /pk/} records for tests: the libp2p interop suite's RSA one, and keys for any multihash. */
public final class PkRecords {
  private PkRecords() {}

  /** An RSA public key under /pk/ from the libp2p interop suite: its key in base36 (no multibase prefix). */
  public static final String RSA_PEER_BASE36 = "muft89xjpybos8eas1vaq2xrbsx2vkll7is4ocy7pia5fsjlt3c2";
  public static final byte[] RSA_VALUE = HexFormat.of().parseHex("080012a60230820122300d06092a864886f70d01010105000382010f00"
      + "3082010a0282010100c2588f998971dac9e3eef76a311bf9159505aff69ea3b664c55a36aa28ee08de1127228a4d431bb9c0840240c75f"
      + "6e98a0843a78d945491a3ea5e1f7cee2bc71383510db5290702383975b7bffae9fb40c84cc1220fb4a7db862fffb0de42f8fd8fb33a17de"
      + "b20f30e2d0f194791fe69355a392f77df35f101e08a2fc95b2c018768938814fcb52482f899f5e90a1905e8abbcdbb1647ad80a5b0417e1"
      + "ce8320d64197a6ba3848926375c63adebabdf6eb82109bcadfee13b62bf922bbb6f74c1a26c9bc6122d1436787e0e6de3c152b19597010"
      + "92abef84599f73eaedb2fcef9f87293e1bbe8e0fef3f1a7fd2e8b94c7e633f88473644a63cb948e4d25c54490203010001");

  /** The RSA record's key: "/pk/" and the base36-decoded multihash. */
  public static byte[] rsaKey() {
    return pkKey(base36(RSA_PEER_BASE36));
  }

  /** Multibase base36 (lowercase) without its prefix: a big number, leading '0's being zero bytes. */
  public static byte[] base36(String text) {
    byte[] n = new BigInteger(text, 36).toByteArray();
    if (n.length > 1 && n[0] == 0) {
      n = Arrays.copyOfRange(n, 1, n.length);
    }
    int zeros = 0;
    while (zeros < text.length() && text.charAt(zeros) == '0') {
      zeros++;
    }
    byte[] out = new byte[zeros + n.length];
    System.arraycopy(n, 0, out, zeros, n.length);
    return out;
  }

  public static byte[] pkKey(byte[] multihash) {
    byte[] key = new byte[4 + multihash.length];
    System.arraycopy("/pk/".getBytes(StandardCharsets.US_ASCII), 0, key, 0, 4);
    System.arraycopy(multihash, 0, key, 4, multihash.length);
    return key;
  }
}
