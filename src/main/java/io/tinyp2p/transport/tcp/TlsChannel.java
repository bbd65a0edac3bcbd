package io.tinyp2p.transport.tcp;

import io.tinyp2p.tls.TlsSession;
import io.tinyp2p.transport.TransportException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.security.cert.CertificateException;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * A TCP connection's {@code /tls/1.0.0} session: drives the {@link TlsSession}'s engine over the
 * socket bytes (the handshake's records go straight to the socket), then decrypts records into
 * plaintext and seals the connection's plaintext into records. Delegated tasks (certificate
 * checks, signatures) run inline: they are short and CPU-bound.
 *
 * <p>Input is kept in one buffer that holds at most what the socket handed over and the engine
 * has not consumed yet; a record is decrypted whole, then {@code stop} may end the run.
 */
final class TlsChannel implements SecureChannel {
  private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);

  private final SSLEngine engine;
  private final Consumer<Buffer> write;
  private final Runnable handshakeDone;
  private final Consumer<Buffer> plaintext;
  private final Consumer<String> failed;
  private ByteBuffer netIn; // write mode between calls: position = bytes kept
  private ByteBuffer appIn;
  private ByteBuffer netOut;
  private boolean handshaken;
  private boolean dead;

  /**
   * @param write takes the handshake's (and post-handshake) records for the socket, in order
   * @param handshakeDone runs once the handshake completed (the peer is in {@link TlsSession#remotePeer()})
   * @param plaintext takes decrypted application data
   * @param failed takes why the session failed; nothing more comes from it
   */
  TlsChannel(TlsSession session, Consumer<Buffer> write, Runnable handshakeDone, Consumer<Buffer> plaintext,
      Consumer<String> failed) {
    this.engine = session.engine();
    this.write = write;
    this.handshakeDone = handshakeDone;
    this.plaintext = plaintext;
    this.failed = failed;
    int packet = engine.getSession().getPacketBufferSize();
    this.netIn = ByteBuffer.allocate(packet);
    this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
    this.netOut = ByteBuffer.allocate(packet);
  }

  /**
   * Starts the handshake (a client sends its ClientHello now, a server waits for it) and takes
   * the bytes that came with the negotiation of {@code /tls/1.0.0}, if any.
   */
  void start(Buffer received, BooleanSupplier stop) {
    try {
      engine.beginHandshake();
    } catch (SSLException e) {
      fail(e);
      return;
    }
    onData(received == null ? Buffer.buffer(0) : received, stop);
  }

  @Override
  public void onData(Buffer data, BooleanSupplier stop) {
    if (dead) {
      return;
    }
    append(data);
    netIn.flip();
    try {
      run(stop);
    } catch (SSLException e) {
      fail(e);
    } catch (RuntimeException e) { // the engine's own failures are not all SSLExceptions
      fail(new SSLException(e.toString(), e));
    } finally {
      netIn.compact();
    }
  }

  private void run(BooleanSupplier stop) throws SSLException {
    while (!dead) {
      HandshakeStatus status = engine.getHandshakeStatus();
      if (status == HandshakeStatus.NEED_TASK) {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
          task.run();
        }
        continue;
      }
      if (status == HandshakeStatus.NEED_WRAP) {
        wrapHandshake();
        continue;
      }
      if (!netIn.hasRemaining()) {
        return;
      }
      SSLEngineResult r = engine.unwrap(netIn, appIn);
      switch (r.getStatus()) {
        case BUFFER_UNDERFLOW -> {
          return; // a partial record: wait for the rest
        }
        case BUFFER_OVERFLOW -> {
          appIn = ByteBuffer.allocate(Math.max(appIn.capacity() * 2, engine.getSession().getApplicationBufferSize()));
          continue;
        }
        case CLOSED -> {
          dead = true;
          failed.accept("tls: the peer closed the TLS session");
          return;
        }
        case OK -> { }
      }
      if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
        finished();
      }
      if (appIn.position() > 0) {
        appIn.flip();
        byte[] plain = new byte[appIn.remaining()];
        appIn.get(plain);
        appIn.clear();
        plaintext.accept(Buffer.buffer(plain));
      }
      if (stop.getAsBoolean() || r.bytesConsumed() == 0 && r.bytesProduced() == 0
          && engine.getHandshakeStatus() == status) {
        return;
      }
    }
  }

  private void wrapHandshake() throws SSLException {
    netOut.clear();
    SSLEngineResult r = engine.wrap(NOTHING, netOut);
    if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
      netOut = ByteBuffer.allocate(netOut.capacity() * 2);
      return;
    }
    writeOut();
    if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
      finished();
    }
    if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
      dead = true;
      failed.accept("tls: the TLS session closed during the handshake");
    }
  }

  private void writeOut() {
    if (netOut.position() > 0) {
      write.accept(Buffer.buffer(Arrays.copyOf(netOut.array(), netOut.position())));
    }
  }

  private void finished() {
    if (!handshaken) {
      handshaken = true;
      handshakeDone.run();
    }
  }

  private void fail(SSLException e) {
    if (dead) {
      return;
    }
    dead = true;
    try { // the alert the engine has for the peer, if any
      netOut.clear();
      engine.closeOutbound();
      engine.wrap(NOTHING, netOut);
      writeOut();
    } catch (SSLException | RuntimeException ignored) {
      // nothing to tell the peer
    }
    String reason = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CertificateException) {
        reason = t.getMessage(); // the first: ours, which says what its cause means
        break;
      }
    }
    failed.accept("tls: " + reason);
  }

  @Override
  public void append(Buffer data) {
    int n = data.length();
    if (n == 0) {
      return;
    }
    if (netIn.remaining() < n) {
      ByteBuffer bigger = ByteBuffer.allocate(netIn.position() + n);
      netIn.flip();
      bigger.put(netIn);
      netIn = bigger;
    }
    ByteBuffer bytes = ((BufferInternal) data).getByteBuf().nioBuffer();
    netIn.put(bytes);
  }

  @Override
  public int buffered() {
    return netIn.position();
  }

  /** Seals plaintext into TLS records. */
  @Override
  public byte[] seal(List<Buffer> pieces, int total) throws TransportException {
    try {
      return wrap(pieces, total);
    } catch (SSLException | RuntimeException e) {
      throw new TransportException("tls encryption failed: " + e.getMessage());
    }
  }

  private byte[] wrap(List<Buffer> pieces, int total) throws SSLException {
    ByteBuffer[] sources = new ByteBuffer[pieces.size()];
    for (int i = 0; i < sources.length; i++) {
      sources[i] = ((BufferInternal) pieces.get(i)).getByteBuf().nioBuffer();
    }
    int packet = engine.getSession().getPacketBufferSize();
    ByteBuffer out = ByteBuffer.allocate(total + (total / 16384 + 1) * 64 + packet);
    long left = total;
    while (left > 0) {
      if (out.remaining() < packet) {
        ByteBuffer bigger = ByteBuffer.allocate(out.capacity() * 2);
        out.flip();
        bigger.put(out);
        out = bigger;
      }
      SSLEngineResult r = engine.wrap(sources, out);
      if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
        throw new SSLException("TLS session is closed");
      }
      left -= r.bytesConsumed();
      if (r.bytesConsumed() == 0 && r.bytesProduced() == 0 && r.getStatus() == SSLEngineResult.Status.OK) {
        throw new SSLException("TLS engine made no progress sealing " + left + " bytes");
      }
    }
    return Arrays.copyOf(out.array(), out.position());
  }
}
