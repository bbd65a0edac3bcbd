package io.tinyp2p.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NoiseCipherStateTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** Two CipherStates with one key: the two ends of one direction. */
  private static CipherState[] pair() {
    byte[] key = randomBytes(32);
    return new CipherState[] {new CipherState(key), new CipherState(key)};
  }

  @Test
  void roundTripsWithOffsets() throws Exception {
    CipherState[] p = pair();
    byte[] plaintext = randomBytes(1000);
    byte[] wire = new byte[7 + 1000 + 16 + 3];
    assertEquals(1016, p[0].encrypt(plaintext, 0, 1000, wire, 7));
    byte[] out = new byte[5 + 1000];
    assertEquals(1000, p[1].decrypt(wire, 7, 1016, out, 5));
    assertArrayEquals(plaintext, Arrays.copyOfRange(out, 5, 1005));
  }

  @Test
  void worksInPlace() throws Exception {
    CipherState[] p = pair();
    byte[] plaintext = randomBytes(300);
    byte[] buffer = new byte[4 + 300 + 16];
    System.arraycopy(plaintext, 0, buffer, 4, 300);
    p[0].encrypt(buffer, 4, 300, buffer, 4);
    assertEquals(300, p[1].decrypt(buffer, 4, 316, buffer, 4));
    assertArrayEquals(plaintext, Arrays.copyOfRange(buffer, 4, 304));
  }

  @Test
  void emptyPlaintextIsJustATag() throws Exception {
    CipherState[] p = pair();
    byte[] sealed = p[0].encrypt(new byte[0]);
    assertEquals(16, sealed.length);
    assertEquals(0, p[1].decrypt(sealed).length);
  }

  @Test
  void nonceIncrementsAndOrderMatters() throws Exception {
    CipherState[] p = pair();
    byte[] first = p[0].encrypt(new byte[] {1});
    byte[] second = p[0].encrypt(new byte[] {1});
    assertEquals(2, p[0].nonce());
    assertEquals(false, Arrays.equals(first, second)); // same plaintext, new nonce
    // out of order: second decrypted with nonce 0 fails, and n does not advance
    assertThrows(NoiseException.class, () -> p[1].decrypt(second));
    assertEquals(0, p[1].nonce());
    assertArrayEquals(new byte[] {1}, p[1].decrypt(first));
    assertArrayEquals(new byte[] {1}, p[1].decrypt(second));
    assertThrows(NoiseException.class, () -> p[1].decrypt(second)); // replay
  }

  @Test
  void badTagOrShortMessageFails() throws Exception {
    CipherState[] p = pair();
    byte[] sealed = p[0].encrypt(randomBytes(50));
    for (int i : new int[] {0, 25, 49, 50, 65}) {
      byte[] tampered = sealed.clone();
      tampered[i] ^= 0x20;
      NoiseException e = assertThrows(NoiseException.class, () -> p[1].decrypt(tampered));
      assertEquals(true, e.getMessage().contains("authentication"), e.getMessage());
    }
    assertThrows(NoiseException.class, () -> p[1].decrypt(new byte[15]));
    assertThrows(NoiseException.class, () -> p[1].decrypt(new byte[15], 0, 15, new byte[0], 0));
    assertThrows(NoiseException.class, () -> p[1].decrypt(new byte[65536]));
    assertArrayEquals(Arrays.copyOf(p[1].decrypt(sealed), 0), new byte[0]);
  }

  @Test
  void limitsAndBuffers() throws Exception {
    CipherState[] p = pair();
    byte[] max = randomBytes(CipherState.MAX_PLAINTEXT_LENGTH);
    byte[] sealed = p[0].encrypt(max);
    assertEquals(65535, sealed.length);
    assertArrayEquals(max, p[1].decrypt(sealed));
    assertThrows(IllegalArgumentException.class, () -> p[0].encrypt(new byte[65520]));
    assertThrows(IllegalArgumentException.class,
        () -> p[0].encrypt(new byte[10], 0, 10, new byte[25], 0));
    assertThrows(IllegalArgumentException.class,
        () -> p[1].decrypt(new byte[26], 0, 26, new byte[9], 0));
    assertThrows(IndexOutOfBoundsException.class,
        () -> p[0].encrypt(new byte[10], 5, 10, new byte[26], 0));
  }

  @Test
  void nonceNeverWraps() throws Exception {
    CipherState[] p = pair();
    p[0].setNonce(-2L); // 2^64 - 2: the last usable nonce
    p[1].setNonce(-2L);
    byte[] last = p[0].encrypt(new byte[] {42});
    assertArrayEquals(new byte[] {42}, p[1].decrypt(last));
    assertEquals(-1L, p[0].nonce());
    NoiseException e = assertThrows(NoiseException.class, () -> p[0].encrypt(new byte[] {1}));
    assertEquals(true, e.getMessage().contains("exhausted"), e.getMessage());
    assertThrows(NoiseException.class, () -> p[1].decrypt(last));
    assertEquals(-1L, p[0].nonce());
  }
}
