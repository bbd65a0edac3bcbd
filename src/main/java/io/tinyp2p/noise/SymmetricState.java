package io.tinyp2p.noise;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Noise's SymmetricState with SHA256 (spec section 5.2): the chaining key ck, the handshake
 * hash h, and the CipherState k, which has no key until the first MixKey.
 */
final class SymmetricState {
  static final int HASH_LENGTH = 32;

  private byte[] ck;
  private byte[] h;
  private CipherState k; // null: "k is empty", EncryptAndHash passes plaintext through

  /** InitializeSymmetric(protocol_name). */
  SymmetricState(String protocolName) {
    byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
    // h = name zero-padded to HASHLEN if it fits, else HASH(name)
    h = name.length <= HASH_LENGTH ? Arrays.copyOf(name, HASH_LENGTH) : sha256(name);
    ck = h.clone();
  }

  /** MixHash(data): h = HASH(h || data). */
  void mixHash(byte[] data) {
    MessageDigest sha = sha256();
    sha.update(h);
    sha.update(data);
    h = sha.digest();
  }

  /** MixKey(ikm): ck, temp_k = HKDF(ck, ikm, 2); k = temp_k with n = 0. */
  void mixKey(byte[] ikm) {
    byte[][] out = hkdf(ck, ikm, 2);
    ck = out[0];
    k = new CipherState(out[1]); // HASHLEN is 32, so temp_k needs no truncation
  }

  /** EncryptAndHash(plaintext): ciphertext = EncryptWithAd(h, plaintext); MixHash(ciphertext). */
  byte[] encryptAndHash(byte[] plaintext) throws NoiseException {
    byte[] ciphertext = k == null ? plaintext.clone() : k.encryptWithAd(h, plaintext);
    mixHash(ciphertext);
    return ciphertext;
  }

  /** DecryptAndHash(ciphertext): plaintext = DecryptWithAd(h, ciphertext); MixHash(ciphertext). */
  byte[] decryptAndHash(byte[] ciphertext) throws NoiseException {
    byte[] plaintext = k == null ? ciphertext.clone() : k.decryptWithAd(h, ciphertext);
    mixHash(ciphertext);
    return plaintext;
  }

  /** Split(): temp_k1, temp_k2 = HKDF(ck, zerolen, 2); two CipherStates. */
  CipherState[] split() {
    byte[][] out = hkdf(ck, new byte[0], 2);
    return new CipherState[] {new CipherState(out[0]), new CipherState(out[1])};
  }

  byte[] handshakeHash() {
    return h.clone();
  }

  /**
   * Noise HKDF(chaining_key, input_key_material, num_outputs) with HMAC-SHA256: RFC 5869
   * with salt = chaining_key and empty info; outputs are the 32-byte blocks T(1), T(2), T(3).
   */
  static byte[][] hkdf(byte[] chainingKey, byte[] ikm, int outputs) {
    if (outputs < 2 || outputs > 3) {
      throw new IllegalArgumentException("HKDF yields 2 or 3 outputs");
    }
    byte[] tempKey = hmac(chainingKey, ikm);
    byte[][] out = new byte[outputs][];
    byte[] previous = new byte[0];
    for (int i = 0; i < outputs; i++) {
      // output_i = HMAC(temp_key, output_{i-1} || byte(i+1))
      byte[] input = Arrays.copyOf(previous, previous.length + 1);
      input[previous.length] = (byte) (i + 1);
      out[i] = previous = hmac(tempKey, input);
    }
    return out;
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private static byte[] sha256(byte[] data) {
    return sha256().digest(data);
  }
}
