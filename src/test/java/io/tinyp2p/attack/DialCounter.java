package io.tinyp2p.attack;

import io.tinyp2p.multiaddr.Multiaddr;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The address a hostile peer names for its fake peers: a loopback port where the test
 * listens, so that every dial the node makes there is counted (a closed port would refuse
 * them unseen). Each accepted connection is closed at once, so to the node the dial fails
 * as it would against a peer that is not there.
 */
final class DialCounter implements AutoCloseable {
  private final ServerSocket server;
  private final AtomicInteger dials = new AtomicInteger();

  DialCounter() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("dial-counter").start(() -> {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          dials.incrementAndGet();
        } catch (IOException e) {
          // closed
        }
      }
    });
  }

  Multiaddr addr() {
    return Multiaddr.tcp("127.0.0.1", server.getLocalPort());
  }

  int dials() {
    return dials.get();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
