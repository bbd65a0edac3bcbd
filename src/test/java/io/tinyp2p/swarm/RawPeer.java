package io.tinyp2p.swarm;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multistream.Multistream;
import io.tinyp2p.noise.CipherState;
import io.tinyp2p.noise.NoiseHandshake;
import io.tinyp2p.util.Varint;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A deliberately simple, blocking libp2p dialer for tests that need to misbehave at a chosen
 * layer: it speaks just enough multistream-select, Noise and Yamux to get there, then sends
 * whatever the test wants.
 */
final class RawPeer implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private CipherState send;
  private CipherState receive;

  RawPeer(String host, int port) throws IOException {
    socket = new Socket(host, port);
    socket.setSoTimeout(20_000); // a safety net; every read here expects an answer or EOF
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  int localPort() {
    return socket.getLocalPort();
  }

  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Proposes one protocol over the raw socket and checks it is accepted. */
  void negotiate(String protocol) throws IOException {
    sendRaw(Multistream.message(Multistream.PROTOCOL_ID).appendBuffer(Multistream.message(protocol)).getBytes());
    expectLine(in, Multistream.PROTOCOL_ID);
    expectLine(in, protocol);
  }

  void noiseHandshake(KeyPair identity) throws Exception {
    NoiseHandshake hs = NoiseHandshake.initiator(identity);
    writeFrame(hs.writeMessage());
    hs.readMessage(readFrame());
    writeFrame(hs.writeMessage());
    send = hs.sendCipher();
    receive = hs.receiveCipher();
  }

  /** Negotiates yamux inside the encrypted channel. */
  void negotiateSecure(String protocol) throws Exception {
    sendEncrypted(Multistream.message(Multistream.PROTOCOL_ID).appendBuffer(Multistream.message(protocol)).getBytes());
    java.io.ByteArrayOutputStream plain = new java.io.ByteArrayOutputStream();
    int lines = 0;
    while (lines < 2) {
      plain.write(receive.decrypt(readFrame()));
      lines = countLines(plain.toByteArray());
    }
    String text = plain.toString(StandardCharsets.UTF_8);
    if (!text.contains(protocol + "\n")) {
      throw new IOException("not accepted: " + text);
    }
  }

  void sendEncrypted(byte[] plaintext) throws Exception {
    writeFrame(send.encrypt(plaintext));
  }

  /** Reads one Noise transport message and decrypts it. */
  byte[] readDecrypted() throws Exception {
    return receive.decrypt(readFrame());
  }

  void writeFrame(byte[] frame) throws IOException {
    byte[] b = new byte[2 + frame.length];
    b[0] = (byte) (frame.length >>> 8);
    b[1] = (byte) frame.length;
    System.arraycopy(frame, 0, b, 2, frame.length);
    sendRaw(b);
  }

  byte[] readFrame() throws IOException {
    int len = in.readUnsignedShort();
    byte[] b = new byte[len];
    in.readFully(b);
    return b;
  }

  void shutdownOutput() throws IOException {
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
  boolean awaitClosedByPeer() throws IOException {
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

  private static int countLines(byte[] b) {
    int n = 0;
    for (byte x : b) {
      if (x == '\n') {
        n++;
      }
    }
    return n;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
