package io.tinyp2p.swarm;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multistream.Multistream;
import io.tinyp2p.multistream.MultistreamException;
import io.tinyp2p.noise.CipherState;
import io.tinyp2p.noise.NoiseHandshake;
import io.tinyp2p.util.Varint;
import io.vertx.core.buffer.Buffer;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately simple, blocking libp2p dialer for tests that need to misbehave at a chosen
 * layer: it speaks just enough multistream-select, Noise and Yamux to get there, then sends
 * whatever the test wants. (io.tinyp2p.attack.HostilePeer speaks Yamux on top of it.)
 */
public final class RawPeer implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private CipherState send;
  private CipherState receive;
  private Buffer leftover;

  public RawPeer(String host, int port) throws IOException {
    socket = new Socket(host, port);
    socket.setSoTimeout(20_000); // a safety net; every read here expects an answer or EOF
    in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    out = socket.getOutputStream();
  }

  public int localPort() {
    return socket.getLocalPort();
  }

  /** Read timeout in ms, 0 for none (a reader that waits for the node as long as it takes). */
  public void readTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Proposes one protocol over the raw socket and checks it is accepted. */
  public void negotiate(String protocol) throws IOException {
    sendRaw(Multistream.message(Multistream.PROTOCOL_ID).appendBuffer(Multistream.message(protocol)).getBytes());
    expectLine(in, Multistream.PROTOCOL_ID);
    expectLine(in, protocol);
  }

  public void noiseHandshake(KeyPair identity) throws Exception {
    NoiseHandshake hs = NoiseHandshake.initiator(identity);
    writeFrame(hs.writeMessage());
    hs.readMessage(readFrame());
    writeFrame(hs.writeMessage());
    send = hs.sendCipher();
    receive = hs.receiveCipher();
  }

  /**
   * Negotiates a protocol (yamux) inside the encrypted channel. Bytes the node sent right
   * after its answer (its first Yamux frames may share the Noise message) are kept for
   * {@link #takeLeftover}.
   */
  public void negotiateSecure(String protocol) throws Exception {
    Buffer[] rest = {null};
    String[] error = {null};
    boolean[] done = {false};
    List<Buffer> written = new ArrayList<>();
    Multistream dialer = Multistream.dialer(List.of(protocol), written::add, new Multistream.Listener() {
      @Override
      public void negotiated(String p, Buffer remaining) {
        done[0] = true;
        rest[0] = remaining;
      }

      @Override
      public void failed(MultistreamException e) {
        done[0] = true;
        error[0] = e.getMessage();
      }
    });
    for (Buffer b : written) {
      sendEncrypted(b.getBytes());
    }
    while (!done[0]) {
      dialer.onData(Buffer.buffer(readDecrypted()));
    }
    if (error[0] != null) {
      throw new IOException("not accepted: " + error[0]);
    }
    leftover = rest[0];
  }

  /** Full upgrade as a dialer: /noise, the XX handshake as {@code identity}, /yamux/1.0.0. */
  public void upgrade(KeyPair identity) throws Exception {
    negotiate("/noise");
    noiseHandshake(identity);
    negotiateSecure("/yamux/1.0.0");
  }

  /** Plaintext that arrived after the last negotiation, or null; handed out once. */
  public Buffer takeLeftover() {
    Buffer b = leftover;
    leftover = null;
    return b;
  }

  /** Reads one Noise transport message and decrypts it. */
  public byte[] readDecrypted() throws Exception {
    return receive.decrypt(readFrame());
  }

  public void sendEncrypted(byte[] plaintext) throws Exception {
    writeFrame(send.encrypt(plaintext));
  }

  public void writeFrame(byte[] frame) throws IOException {
    byte[] b = new byte[2 + frame.length];
    b[0] = (byte) (frame.length >>> 8);
    b[1] = (byte) frame.length;
    System.arraycopy(frame, 0, b, 2, frame.length);
    sendRaw(b);
  }

  public byte[] readFrame() throws IOException {
    int len = in.readUnsignedShort();
    byte[] b = new byte[len];
    in.readFully(b);
    return b;
  }

  public void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /**
   * Whether the node keeps the connection open for {@code millis} (nothing arrives and no EOF);
   * restores the usual read timeout afterwards.
   */
  boolean staysOpenFor(int millis) throws IOException {
    socket.setSoTimeout(millis);
    try {
      return socket.getInputStream().read() >= 0; // a byte: open; EOF: closed
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    } finally {
      socket.setSoTimeout(20_000);
    }
  }

  /** Reads and discards until the node closes the connection; false if it stays open. */
  public boolean awaitClosedByPeer() throws IOException {
    InputStream raw = socket.getInputStream();
    byte[] sink = new byte[4096];
    try {
      while (raw.read(sink) >= 0) {
        // discard
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by peer counts as closed
    }
  }

  private static void expectLine(DataInputStream in, String expected) throws IOException {
    int len = (int) readVarint(in);
    byte[] b = new byte[len];
    in.readFully(b);
    String got = new String(b, 0, len - 1, StandardCharsets.UTF_8);
    if (!got.equals(expected)) {
      throw new IOException("expected " + expected + ", got " + got);
    }
  }

  private static long readVarint(DataInputStream in) throws IOException {
    byte[] buf = new byte[Varint.MAX_BYTES];
    for (int i = 0; i < buf.length; i++) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException();
      }
      buf[i] = (byte) b;
      if ((b & 0x80) == 0) {
        return Varint.decode(buf, 0, i + 1);
      }
    }
    throw new IOException("varint too long");
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
