package io.tinyp2p.transport.tcp;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.noise.CipherState;
import io.tinyp2p.noise.NoiseException;
import io.tinyp2p.noise.NoiseHandshake;
import io.tinyp2p.transport.TransportException;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A TCP connection's {@code /noise} session: the Noise XX handshake in 2-byte framed messages,
 * then the transport messages ({@link NoiseFrames}).
 */
final class NoiseChannel implements SecureChannel {
  private final FrameDecoder frames = new FrameDecoder(this::onFrame);
  private final Consumer<Buffer> write;
  private final Consumer<PeerId> secured;
  private final Consumer<Buffer> plaintext;
  private final Consumer<String> failed;
  private NoiseHandshake handshake;
  private CipherState sendCipher;
  private CipherState receiveCipher;
  private boolean dead;

  /**
   * @param expectedPeer checked when the peer's identity arrives (for a dialer: message 2, before
   *     we reveal our identity in message 3), or null
   * @param write takes handshake messages for the socket
   * @param secured takes the peer once the handshake completed
   * @param plaintext takes decrypted transport messages
   * @param failed takes why the session failed; nothing more comes from it
   */
  NoiseChannel(KeyPair identity, boolean initiator, PeerId expectedPeer, Consumer<Buffer> write,
      Consumer<PeerId> secured, Consumer<Buffer> plaintext, Consumer<String> failed) {
    this.handshake = initiator ? NoiseHandshake.initiator(identity) : NoiseHandshake.responder(identity);
    if (expectedPeer != null) {
      handshake.expectRemotePeer(expectedPeer);
    }
    this.write = write;
    this.secured = secured;
    this.plaintext = plaintext;
    this.failed = failed;
  }

  /** Starts the handshake (an initiator sends message 1) and takes the bytes that came with the negotiation. */
  void start(Buffer received, BooleanSupplier stop) {
    if (handshake.isInitiator()) {
      writeHandshakeMessage();
    }
    if (received != null && !dead) {
      frames.onData(received, stop);
    }
  }

  private void writeHandshakeMessage() {
    try {
      byte[] message = handshake.writeMessage();
      write.accept(Buffer.buffer(2 + message.length).appendUnsignedShort(message.length).appendBytes(message));
    } catch (NoiseException e) {
      fail("noise handshake: " + e.getMessage());
    }
  }

  private void onFrame(Buffer frame) {
    if (dead) {
      return;
    }
    if (handshake != null) {
      onHandshakeFrame(frame);
      return;
    }
    Buffer plain;
    try {
      plain = NoiseFrames.open(frame, receiveCipher);
    } catch (NoiseException e) {
      fail("noise decryption failed: " + e.getMessage());
      return;
    } catch (IllegalArgumentException e) {
      fail("noise frame too short: " + frame.length() + " bytes");
      return;
    }
    plaintext.accept(plain);
  }

  private void onHandshakeFrame(Buffer frame) {
    try {
      handshake.readMessage(frame.getBytes());
      if (!handshake.isComplete()) {
        writeHandshakeMessage(); // responder: message 2; initiator: message 3
      }
      if (dead || !handshake.isComplete()) {
        return;
      }
    } catch (NoiseException e) {
      fail("noise handshake: " + e.getMessage());
      return;
    }
    sendCipher = handshake.sendCipher();
    receiveCipher = handshake.receiveCipher();
    PeerId peer = handshake.remotePeerId();
    handshake = null;
    secured.accept(peer);
  }

  private void fail(String reason) {
    if (!dead) {
      dead = true;
      failed.accept(reason);
    }
  }

  @Override
  public void onData(Buffer data, BooleanSupplier stop) {
    frames.onData(data, stop);
  }

  @Override
  public void append(Buffer data) {
    frames.append(data);
  }

  @Override
  public int buffered() {
    return frames.buffered();
  }

  @Override
  public byte[] seal(List<Buffer> pieces, int total) throws TransportException {
    try {
      return NoiseFrames.seal(pieces, total, sendCipher);
    } catch (NoiseException e) {
      throw new TransportException("noise encryption failed: " + e.getMessage());
    }
  }
}
