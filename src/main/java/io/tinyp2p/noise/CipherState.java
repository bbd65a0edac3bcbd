package io.tinyp2p.noise;

import io.tinyp2p.crypto.ChaChaPoly;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A Noise CipherState for ChaChaPoly: a 32-byte key k and a 64-bit counter n. Each message
 * is ChaCha20-Poly1305 under the 12-byte nonce 0x00000000 || LE64(n), after which n is
 * incremented; n = 2^64-1 is never used, so after 2^64-1 messages every call fails.
 *
 * <p>Transport messages use empty associated data. One instance per direction; not
 * thread-safe. Any {@link NoiseException} is fatal for the session.
 */
public final class CipherState {
  public static final int KEY_LENGTH = 32;
  /** Poly1305 tag appended to every ciphertext. */
  public static final int TAG_LENGTH = 16;
  /** Largest Noise message, ciphertext included (the 2-byte length prefix can say no more). */
  public static final int MAX_MESSAGE_LENGTH = 65535;
  /** Largest plaintext that fits one transport message. */
  public static final int MAX_PLAINTEXT_LENGTH = MAX_MESSAGE_LENGTH - TAG_LENGTH;

  private static final VarHandle LE_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE_INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final byte[] NO_AD = new byte[0];

  private final ChaChaPoly cipher;
  /** Bytes 0..3: the constant (zero in Noise); bytes 4..11: n, little-endian. */
  private final byte[] nonce = new byte[12];
  /** n as an unsigned 64-bit value; -1L is 2^64-1, the forbidden one. */
  private long n;

  CipherState(byte[] key) {
    this(key, 0);
  }

  /**
   * With a non-zero 32-bit constant in front of the counter: RFC 8439's nonce layout, used
   * only to check the cipher against the RFC's vectors. Noise always uses 0.
   */
  CipherState(byte[] key, int nonceConstant) {
    this(ChaChaPoly.PROVIDER, key, nonceConstant);
  }

  /** With a given {@link ChaChaPoly} provider: for the tests, which check each one. */
  CipherState(String provider, byte[] key, int nonceConstant) {
    if (key.length != KEY_LENGTH) {
      throw new IllegalArgumentException("ChaChaPoly key must be 32 bytes, got " + key.length);
    }
    LE_INT.set(nonce, 0, nonceConstant);
    this.cipher = ChaChaPoly.create(provider, key);
  }

  /**
   * Encrypts {@code in[off, off+len)} into {@code out} at {@code outOff}: ciphertext then
   * tag, {@code len + 16} bytes. {@code out} may be {@code in} (in place, same offset).
   *
   * @return the bytes written, {@code len + 16}
   * @throws NoiseException when the nonce is exhausted (after 2^64-1 messages)
   * @throws IllegalArgumentException if {@code len > MAX_PLAINTEXT_LENGTH} or {@code out} is
   *     too small
   */
  public int encrypt(byte[] in, int off, int len, byte[] out, int outOff) throws NoiseException {
    if (len > MAX_PLAINTEXT_LENGTH) {
      throw new IllegalArgumentException(
          "plaintext of " + len + " bytes exceeds the Noise limit of " + MAX_PLAINTEXT_LENGTH);
    }
    return encryptWithAd(NO_AD, in, off, len, out, outOff);
  }

  /**
   * Decrypts the ciphertext-and-tag {@code in[off, off+len)} into {@code out} at {@code
   * outOff}, {@code len - 16} bytes. {@code out} may be {@code in} (in place, same offset).
   * On failure {@code out} may hold garbage and must be discarded.
   *
   * @return the plaintext length, {@code len - 16}
   * @throws NoiseException on a bad tag, a message shorter than the tag or longer than 65535
   *     bytes, or an exhausted nonce
   * @throws IllegalArgumentException if {@code out} is too small
   */
  public int decrypt(byte[] in, int off, int len, byte[] out, int outOff) throws NoiseException {
    if (len > MAX_MESSAGE_LENGTH) {
      throw new NoiseException(
          "Noise message of " + len + " bytes exceeds the limit of " + MAX_MESSAGE_LENGTH);
    }
    return decryptWithAd(NO_AD, in, off, len, out, outOff);
  }

  /** Encrypts a whole array into a new one, {@code plaintext.length + 16} bytes. */
  public byte[] encrypt(byte[] plaintext) throws NoiseException {
    byte[] out = new byte[plaintext.length + TAG_LENGTH];
    encrypt(plaintext, 0, plaintext.length, out, 0);
    return out;
  }

  /** Decrypts a whole ciphertext-and-tag into a new array. */
  public byte[] decrypt(byte[] ciphertext) throws NoiseException {
    if (ciphertext.length < TAG_LENGTH) {
      throw tooShort(ciphertext.length);
    }
    byte[] out = new byte[ciphertext.length - TAG_LENGTH];
    decrypt(ciphertext, 0, ciphertext.length, out, 0);
    return out;
  }

  /** The next nonce n (unsigned): the number of messages processed so far. */
  public long nonce() {
    return n;
  }

  /** Noise's SetNonce; here only for tests of nonce exhaustion. */
  void setNonce(long value) {
    n = value;
  }

  // Noise EncryptWithAd(ad, plaintext), on array slices.
  int encryptWithAd(byte[] ad, byte[] in, int off, int len, byte[] out, int outOff)
      throws NoiseException {
    Objects.checkFromIndexSize(off, len, in.length);
    checkOutput(out, outOff, len + TAG_LENGTH);
    nextNonce();
    int written = cipher.seal(nonce, ad, in, off, len, out, outOff);
    n++;
    return written;
  }

  // Noise DecryptWithAd(ad, ciphertext), on array slices; n only advances on success.
  int decryptWithAd(byte[] ad, byte[] in, int off, int len, byte[] out, int outOff)
      throws NoiseException {
    Objects.checkFromIndexSize(off, len, in.length);
    if (len < TAG_LENGTH) {
      throw tooShort(len);
    }
    checkOutput(out, outOff, len - TAG_LENGTH);
    nextNonce();
    int written = cipher.open(nonce, ad, in, off, len, out, outOff);
    if (written < 0) {
      throw new NoiseException("Noise message failed authentication (bad ChaChaPoly tag)");
    }
    n++;
    return written;
  }

  byte[] encryptWithAd(byte[] ad, byte[] plaintext) throws NoiseException {
    byte[] out = new byte[plaintext.length + TAG_LENGTH];
    encryptWithAd(ad, plaintext, 0, plaintext.length, out, 0);
    return out;
  }

  byte[] decryptWithAd(byte[] ad, byte[] ciphertext) throws NoiseException {
    if (ciphertext.length < TAG_LENGTH) {
      throw tooShort(ciphertext.length);
    }
    byte[] out = new byte[ciphertext.length - TAG_LENGTH];
    decryptWithAd(ad, ciphertext, 0, ciphertext.length, out, 0);
    return out;
  }

  /** Writes n into the nonce of the next message. */
  private void nextNonce() throws NoiseException {
    if (n == -1L) {
      throw new NoiseException("Noise nonce exhausted after 2^64-1 messages: close the session");
    }
    LE_LONG.set(nonce, 4, n);
  }

  private static void checkOutput(byte[] out, int outOff, int needed) {
    if (outOff < 0 || outOff > out.length || out.length - outOff < needed) {
      throw new IllegalArgumentException(
          "output buffer too small: need " + needed + " bytes at offset " + outOff
              + ", array holds " + out.length);
    }
  }

  private static NoiseException tooShort(int len) {
    return new NoiseException(
        "Noise ciphertext of " + len + " bytes is shorter than the 16-byte tag");
  }
}
