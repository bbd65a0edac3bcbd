package io.tinyp2p.transport.tcp;

import io.tinyp2p.noise.CipherState;
import io.tinyp2p.noise.NoiseException;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * The libp2p Noise transport messages of a TCP connection once its handshake is done: each a
 * 2-byte big-endian length, then the ciphertext and its 16-byte tag. Sealing copies the
 * plaintext once and encrypts it in place; opening decrypts in place.
 */
final class NoiseFrames {
  /** Largest plaintext in one Noise transport message (65535 minus the 16-byte tag). */
  static final int MAX_PLAINTEXT = 65535 - 16;

  private NoiseFrames() {}

  /**
   * Encrypts {@code pieces} ({@code total} bytes of plaintext) into one array of Noise frames:
   * the plaintext is copied once, straight to its place between each frame's length and tag,
   * and sealed there in place.
   */
  static byte[] seal(List<Buffer> pieces, int total, CipherState cipher) throws NoiseException {
    int frameCount = (total + MAX_PLAINTEXT - 1) / MAX_PLAINTEXT;
    int size = total + frameCount * (2 + 16);
    // A fresh array: one from Netty's pool saved its zeroing but measured no faster, and the
    // pool then held 25-35 MB of heap after a transfer, for good
    byte[] out = new byte[size];
    // lay the plaintext out frame by frame
    int frameStart = 0;
    int room = 0;
    int pos = 0;
    int remaining = total;
    for (Buffer piece : pieces) {
      int offset = 0;
      while (offset < piece.length()) {
        if (room == 0) {
          int n = Math.min(MAX_PLAINTEXT, remaining);
          frameStart = pos == 0 ? 0 : pos + 16;
          out[frameStart] = (byte) ((n + 16) >>> 8);
          out[frameStart + 1] = (byte) (n + 16);
          pos = frameStart + 2;
          room = n;
          remaining -= n;
        }
        int take = Math.min(room, piece.length() - offset);
        piece.getBytes(offset, offset + take, out, pos);
        offset += take;
        pos += take;
        room -= take;
      }
    }
    // seal each frame in place
    int at = 0;
    while (at < size) {
      int sealed = ((out[at] & 0xFF) << 8) | (out[at + 1] & 0xFF);
      cipher.encrypt(out, at + 2, sealed - 16, out, at + 2);
      at += 2 + sealed;
    }
    return out;
  }

  /**
   * Decrypts one frame's body (its length already taken off) and returns the plaintext.
   * Decrypted in place, in the socket's input buffer when it has an array (Vert.x hands us its
   * own heap copy of what the socket read), else in a copy of the frame.
   *
   * @throws NoiseException when it does not authenticate
   * @throws IllegalArgumentException when it is shorter than a tag
   */
  static Buffer open(Buffer frame, CipherState cipher) throws NoiseException {
    io.netty.buffer.ByteBuf bytes = ((io.vertx.core.internal.buffer.BufferInternal) frame).getByteBuf();
    Buffer plain = frame;
    byte[] array;
    int offset;
    if (bytes.hasArray()) {
      array = bytes.array();
      offset = bytes.arrayOffset() + bytes.readerIndex();
    } else {
      array = frame.getBytes();
      offset = 0;
      plain = Buffer.buffer(array);
    }
    int n = cipher.decrypt(array, offset, frame.length(), array, offset);
    return plain.slice(0, n);
  }
}
