package io.tinyp2p.daemon;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.daemon.pb.DaemonProto.Request;
import io.tinyp2p.daemon.pb.DaemonProto.Response;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.util.Varint;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking daemon client for tests: one control connection per request, as the protocol
 * has it; reads varint-length-prefixed replies. Call it from the test thread, never from an
 * event loop.
 */
final class ControlClient {
  private final Multiaddr control;

  ControlClient(Multiaddr control) {
    this.control = control;
  }

  /** An open control connection (the caller closes it). */
  Conn open() throws IOException {
    Socket socket = new Socket(control.host(), control.tcpPort());
    socket.setSoTimeout(30_000);
    return new Conn(socket);
  }

  /** Sends a request and reads its one response. */
  Response call(Request request) throws IOException {
    try (Conn c = open()) {
      c.send(request.toByteArray());
      return Response.parseFrom(c.read());
    }
  }

  Response identify() throws IOException {
    return call(Request.newBuilder().setType(Request.Type.IDENTIFY).build());
  }

  PeerId peerId() throws IOException {
    return PeerId.fromBytes(identify().getIdentify().getId().toByteArray());
  }

  List<Multiaddr> addrs() throws IOException {
    List<Multiaddr> list = new ArrayList<>();
    for (ByteString a : identify().getIdentify().getAddrsList()) {
      list.add(Multiaddr.fromBytes(a.toByteArray()));
    }
    return list;
  }

  static ByteString bytes(PeerId peer) {
    return ByteString.copyFrom(peer.toBytes());
  }

  static ByteString bytes(Multiaddr addr) {
    return ByteString.copyFrom(addr.toBytes());
  }

  /** One control connection. */
  static final class Conn implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    Conn(Socket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    /** Writes raw bytes. */
    void raw(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    /** Writes one varint-length-prefixed message. */
    void send(byte[] payload) throws IOException {
      out.write(Varint.encode(payload.length));
      out.write(payload);
      out.flush();
    }

    /** Reads one varint-length-prefixed message. */
    byte[] read() throws IOException {
      long length = 0;
      for (int shift = 0; ; shift += 7) {
        int b = in.read();
        if (b < 0) {
          throw new EOFException("the daemon closed the connection");
        }
        length |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      return in.readNBytes((int) length);
    }

    Response response() throws IOException {
      return Response.parseFrom(read());
    }

    /** Reads until the daemon closes; returns what came. */
    byte[] readToEnd() throws IOException {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toByteArray();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
