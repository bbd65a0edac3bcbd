package io.tinyp2p.crypto;

import java.lang.management.ManagementFactory;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The node's one seam to ChaCha20-Poly1305 (RFC 8439), the AEAD of every Noise message: one key,
 * a 12-byte nonce per call, array slices in and out, in place allowed. Two providers:
 *
 * <ul>
 *   <li>{@code jdk}: the JDK's {@code ChaCha20-Poly1305} cipher, fastest where the JVM has both
 *       of its intrinsics (ChaCha20 on AVX2 or AVX-512, Poly1305 only on AVX-512 IFMA);
 *   <li>{@code split}: the JDK's {@code ChaCha20} stream cipher (its intrinsic needs no more
 *       than AVX2) with this project's 64-bit {@link Poly1305}; on a CPU without IFMA about twice
 *       the JDK AEAD's rate, because there the JDK's Poly1305 is what bounds it.
 * </ul>
 *
 * <p>{@link #PROVIDER} is chosen once per JVM: the system property {@code tinyp2p.chachapoly}
 * ({@code jdk} or {@code split}) when set, else {@code jdk} if HotSpot reports its Poly1305
 * intrinsic on, else {@code split}. Both pass the RFC 8439 vectors. Not thread-safe.
 */
public abstract sealed class ChaChaPoly {
  public static final int KEY_LENGTH = 32;
  public static final int NONCE_LENGTH = 12;
  public static final int TAG_LENGTH = 16;

  /** The provider this JVM uses: {@code "jdk"} or {@code "split"}. */
  public static final String PROVIDER = chooseProvider();

  /** A cipher under {@code key} from the JVM's {@link #PROVIDER}. */
  public static ChaChaPoly create(byte[] key) {
    return create(PROVIDER, key);
  }

  /** A cipher under {@code key} from the named provider ({@code jdk} or {@code split}). */
  public static ChaChaPoly create(String provider, byte[] key) {
    if (key.length != KEY_LENGTH) {
      throw new IllegalArgumentException("ChaCha20-Poly1305 key must be 32 bytes, got " + key.length);
    }
    return switch (provider) {
      case "jdk" -> new Jdk(key);
      case "split" -> new Split(key);
      default -> throw new IllegalArgumentException(
          "unknown ChaCha20-Poly1305 provider \"" + provider + "\": allowed are jdk, split");
    };
  }

  /**
   * Encrypts {@code in[off, off+len)} to {@code out} at {@code outOff}, ciphertext then tag
   * ({@code len + 16} bytes); {@code out} may be {@code in} at the same offset.
   */
  public abstract int seal(byte[] nonce, byte[] ad, byte[] in, int off, int len, byte[] out, int outOff);

  /**
   * Checks and decrypts the ciphertext-and-tag {@code in[off, off+len)} (len ≥ 16) to {@code
   * out} at {@code outOff}; {@code out} may be {@code in} at the same offset.
   *
   * @return the plaintext length, or -1 when the tag is wrong ({@code out} then holds nothing
   *     that may be used)
   */
  public abstract int open(byte[] nonce, byte[] ad, byte[] in, int off, int len, byte[] out, int outOff);

  /** The provider's name. */
  public abstract String provider();

  private static String chooseProvider() {
    String asked = System.getProperty("tinyp2p.chachapoly");
    if (asked != null) {
      if (!asked.equals("jdk") && !asked.equals("split")) {
        throw new IllegalArgumentException(
            "system property tinyp2p.chachapoly is \"" + asked + "\": allowed are jdk, split");
      }
      return asked;
    }
    try {
      var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      return "true".equals(hotspot.getVMOption("UsePoly1305Intrinsics").getValue()) ? "jdk" : "split";
    } catch (RuntimeException | LinkageError e) {
      return "split"; // not HotSpot, or the flag is gone: the split one is never slow
    }
  }

  // ---- the JDK's AEAD ----

  private static final class Jdk extends ChaChaPoly {
    private final SecretKeySpec key;
    private final Cipher cipher;

    Jdk(byte[] key) {
      this.key = new SecretKeySpec(key, "ChaCha20");
      this.cipher = instance("ChaCha20-Poly1305");
    }

    @Override
    public int seal(byte[] nonce, byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) {
      try {
        return run(Cipher.ENCRYPT_MODE, nonce, ad, in, off, len, out, outOff);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
      }
    }

    @Override
    public int open(byte[] nonce, byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) {
      try {
        return run(Cipher.DECRYPT_MODE, nonce, ad, in, off, len, out, outOff);
      } catch (AEADBadTagException e) {
        return -1;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
      }
    }

    private int run(int mode, byte[] nonce, byte[] ad, byte[] in, int off, int len, byte[] out, int outOff)
        throws GeneralSecurityException {
      cipher.init(mode, key, new IvParameterSpec(nonce));
      if (ad.length > 0) {
        cipher.updateAAD(ad);
      }
      return cipher.doFinal(in, off, len, out, outOff);
    }

    @Override
    public String provider() {
      return "jdk";
    }
  }

  // ---- the JDK's ChaCha20 and our Poly1305 (RFC 8439 section 2.8) ----

  private static final class Split extends ChaChaPoly {
    private static final byte[] ZERO_BLOCK = new byte[64];

    private final SecretKeySpec key;
    private final Cipher chacha;
    private final Poly1305 mac = new Poly1305();
    private final byte[] block = new byte[64]; // keystream block 0: its first 32 bytes are the MAC key
    private final byte[] tag = new byte[TAG_LENGTH];

    Split(byte[] key) {
      this.key = new SecretKeySpec(key, "ChaCha20");
      this.chacha = instance("ChaCha20");
    }

    @Override
    public int seal(byte[] nonce, byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) {
      start(nonce, Cipher.ENCRYPT_MODE, ad);
      xor(in, off, len, out, outOff);
      mac.updatePadded(out, outOff, len);
      mac.updateLengths(ad.length, len);
      mac.finish(out, outOff + len);
      return len + TAG_LENGTH;
    }

    @Override
    public int open(byte[] nonce, byte[] ad, byte[] in, int off, int len, byte[] out, int outOff) {
      int textLength = len - TAG_LENGTH;
      start(nonce, Cipher.DECRYPT_MODE, ad);
      mac.updatePadded(in, off, textLength);
      mac.updateLengths(ad.length, textLength);
      mac.finish(tag, 0);
      int diff = 0; // in constant time, as MessageDigest.isEqual, without copying the tag out
      for (int i = 0; i < TAG_LENGTH; i++) {
        diff |= tag[i] ^ in[off + textLength + i];
      }
      if (diff != 0) {
        return -1;
      }
      xor(in, off, textLength, out, outOff);
      return textLength;
    }

    @Override
    public String provider() {
      return "split";
    }

    /** Keys ChaCha20 for one message, takes the MAC key from block 0, and MACs the AD. */
    private void start(byte[] nonce, int mode, byte[] ad) {
      try {
        // the JDK refuses a key and nonce it was initialised with last time in ENCRYPT_MODE;
        // a strictly increasing Noise nonce never repeats, and the AEAD relies on that anyway
        chacha.init(mode, key, new ChaCha20ParameterSpec(nonce, 0));
        chacha.update(ZERO_BLOCK, 0, 64, block, 0); // the data starts at block 1
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("ChaCha20 init failed", e);
      }
      mac.init(block, 0);
      if (ad.length > 0) {
        mac.updatePadded(ad, 0, ad.length);
      }
    }

    private void xor(byte[] in, int off, int len, byte[] out, int outOff) {
      try {
        chacha.doFinal(in, off, len, out, outOff);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("ChaCha20 failed", e);
      }
    }
  }

  private static Cipher instance(String name) {
    try {
      return Cipher.getInstance(name);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(name + " is not available in this JDK", e);
    }
  }
}
