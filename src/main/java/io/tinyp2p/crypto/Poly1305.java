package io.tinyp2p.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Poly1305 (RFC 8439 section 2.5) with the accumulator in two 64-bit words and a small third
 * one, multiplied with {@link Math#unsignedMultiplyHigh}: about as fast as scalar code gets on
 * a 64-bit JVM. The JDK's own Poly1305 works in 26-bit limbs unless the CPU has the vector
 * instructions its intrinsic needs (AVX-512 IFMA), and without them it is what limits
 * ChaCha20-Poly1305 to a third of what the JDK's ChaCha20 alone does.
 *
 * <p>Here only what the AEAD construction needs: whole 16-byte blocks, the last one zero-padded
 * (RFC 8439 section 2.8 pads every part of the MAC input to 16 bytes). Not thread-safe; one
 * instance per cipher, re-keyed for each message with {@link #init}.
 *
 * <p>How the arithmetic stays in 64 bits: h = h0 + h1·2^64 + h2·2^128 with h2 a few bits; r =
 * r0 + r1·2^64 is clamped, so r0 and r1 are below 2^60 and r1 is a multiple of 4. Modulo p =
 * 2^130 - 5, 2^130 ≡ 5, so r1·2^128 = (r1/4)·2^130 ≡ 5·r1/4 = r1 + r1/4 =: s1, which folds the
 * product's two high columns back into the low two. Every partial product is below 2^125, a sum
 * of three of them below 2^127: none overflows 128 bits.
 */
public final class Poly1305 {
  public static final int KEY_LENGTH = 32;
  public static final int TAG_LENGTH = 16;

  private static final VarHandle LE_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private long r0;
  private long r1;
  private long s1;
  private long pad0;
  private long pad1;
  private long h0;
  private long h1;
  private long h2;

  /** Starts a new MAC under the one-time key {@code key[off, off+32)}: r then s. */
  public void init(byte[] key, int off) {
    r0 = (long) LE_LONG.get(key, off) & 0x0FFFFFFC0FFFFFFFL;
    r1 = (long) LE_LONG.get(key, off + 8) & 0x0FFFFFFC0FFFFFFCL;
    s1 = r1 + (r1 >>> 2);
    pad0 = (long) LE_LONG.get(key, off + 16);
    pad1 = (long) LE_LONG.get(key, off + 24);
    h0 = 0;
    h1 = 0;
    h2 = 0;
  }

  /** Adds {@code data[off, off+len)}, its last partial block padded with zeros to 16 bytes. */
  public void updatePadded(byte[] data, int off, int len) {
    int end = off + (len & ~15);
    for (int at = off; at < end; at += 16) {
      block((long) LE_LONG.get(data, at), (long) LE_LONG.get(data, at + 8), 1);
    }
    int rest = len & 15;
    if (rest != 0) {
      tail(data, end, rest, false);
    }
  }

  /**
   * Plain Poly1305 of one whole message (RFC 8439 section 2.5: a last partial block gets a 1
   * byte after it instead of the 2^128 bit): the tag under {@code key[0, 32)}.
   */
  public static byte[] mac(byte[] key, byte[] message) {
    Poly1305 p = new Poly1305();
    p.init(key, 0);
    int end = message.length & ~15;
    for (int at = 0; at < end; at += 16) {
      p.block((long) LE_LONG.get(message, at), (long) LE_LONG.get(message, at + 8), 1);
    }
    if (end < message.length) {
      p.tail(message, end, message.length - end, true);
    }
    byte[] tag = new byte[TAG_LENGTH];
    p.finish(tag, 0);
    return tag;
  }

  /** The last {@code rest} (1..15) bytes: zero-padded, or (plain Poly1305) followed by a 1. */
  private void tail(byte[] data, int at, int rest, boolean oneAfter) {
    long m0 = 0;
    long m1 = 0;
    for (int i = 0; i <= rest; i++) {
      long b = i < rest ? data[at + i] & 0xFFL : oneAfter ? 1 : 0;
      if (i < 8) {
        m0 |= b << (8 * i);
      } else {
        m1 |= b << (8 * (i - 8));
      }
    }
    block(m0, m1, oneAfter ? 0 : 1);
  }

  /** Adds the one block of two little-endian 64-bit words that ends the AEAD's MAC input. */
  public void updateLengths(long adLength, long textLength) {
    block(adLength, textLength, 1);
  }

  /** Writes the 16-byte tag to {@code out[off, off+16)}; {@link #init} must come before reuse. */
  public void finish(byte[] out, int off) {
    long a0 = h0;
    long a1 = h1;
    long a2 = h2;
    // h is below 2p here; h - p, taken when h + 5 reaches 2^130, is the full reduction
    long g0 = a0 + 5;
    long c = carry(a0, 5, g0);
    long g1 = a1 + c;
    c = carry(a1, c, g1);
    long g2 = a2 + c;
    long mask = -(g2 >>> 2); // all ones when h >= p
    a0 = (a0 & ~mask) | (g0 & mask);
    a1 = (a1 & ~mask) | (g1 & mask);
    // tag = (h + s) mod 2^128
    long t0 = a0 + pad0;
    long t1 = a1 + pad1 + carry(a0, pad0, t0);
    LE_LONG.set(out, off, t0);
    LE_LONG.set(out, off + 8, t1);
  }

  /** h = (h + m + hibit·2^128) · r, partly reduced modulo 2^130 - 5. */
  private void block(long m0, long m1, long hibit) {
    long a0 = h0 + m0;
    long c = carry(h0, m0, a0);
    long t = h1 + m1;
    long c1 = carry(h1, m1, t);
    long a1 = t + c;
    c1 += carry(t, c, a1);
    long a2 = h2 + c1 + hibit;

    // d0 = a0·r0 + a1·s1
    long lo = a0 * r0;
    long hi = Math.unsignedMultiplyHigh(a0, r0);
    long plo = a1 * s1;
    long d0lo = lo + plo;
    long d0hi = hi + Math.unsignedMultiplyHigh(a1, s1) + carry(lo, plo, d0lo);
    // d1 = a0·r1 + a1·r0 + a2·s1 (a2 is a few bits, so a2·s1 fits 64)
    lo = a0 * r1;
    hi = Math.unsignedMultiplyHigh(a0, r1);
    plo = a1 * r0;
    long sum = lo + plo;
    hi += Math.unsignedMultiplyHigh(a1, r0) + carry(lo, plo, sum);
    plo = a2 * s1;
    long d1lo = sum + plo;
    long d1hi = hi + carry(sum, plo, d1lo);
    // d2 = a2·r0 sits at 2^128
    long d2 = a2 * r0;

    // h = d0 + d1·2^64 + d2·2^128
    long n0 = d0lo;
    long n1 = d1lo + d0hi;
    long n2 = d2 + d1hi + carry(d1lo, d0hi, n1);
    // fold what is at 2^130 and above back in: x·2^130 ≡ 5x = 4x + x
    long fold = (n2 & ~3L) + (n2 >>> 2);
    n2 &= 3;
    long m = n0 + fold;
    c = carry(n0, fold, m);
    n0 = m;
    m = n1 + c;
    c = carry(n1, c, m);
    h0 = n0;
    h1 = m;
    h2 = n2 + c;
  }

  /** The carry out of the unsigned 64-bit sum {@code sum = a + b}, without a branch. */
  private static long carry(long a, long b, long sum) {
    return ((a & b) | ((a | b) & ~sum)) >>> 63;
  }
}
