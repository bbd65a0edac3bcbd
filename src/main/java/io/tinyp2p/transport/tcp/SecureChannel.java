package io.tinyp2p.transport.tcp;

import io.tinyp2p.transport.TransportException;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The security protocol of a TCP connection once multistream-select chose it ({@link
 * NoiseChannel} or {@link TlsChannel}): it runs the handshake on the socket bytes, then
 * decrypts what comes in and seals what goes out. Input it cannot use yet it keeps, and takes up
 * again on the next call, so the connection's input budget can stop it between two frames or
 * records.
 */
interface SecureChannel {
  /**
   * Takes bytes (possibly none, to go on with what is kept) and hands on what they hold; after
   * each frame or record {@code stop} may end the run. Every call makes progress.
   */
  void onData(Buffer data, BooleanSupplier stop);

  /** Keeps bytes for a later {@link #onData} without looking at them. */
  void append(Buffer data);

  /** Bytes kept. */
  int buffered();

  /**
   * Seals {@code total} bytes of plaintext, in {@code pieces}, for the socket.
   *
   * @throws TransportException when it cannot (the connection must close)
   */
  byte[] seal(List<Buffer> pieces, int total) throws TransportException;
}
