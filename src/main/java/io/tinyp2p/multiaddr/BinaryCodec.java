package io.tinyp2p.multiaddr;

import io.tinyp2p.util.Varint;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The binary form of a multiaddr: for each component, the varint protocol code, then the value
 * (preceded by its varint length if the protocol's values vary in size).
 */
final class BinaryCodec {
  private BinaryCodec() {}

  /** The binary form of {@code parts} (its length is not checked here). */
  static byte[] encode(Part[] parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Part p : parts) {
      out.writeBytes(p.proto().codeBytes);
      if (p.proto().size < 0) {
        out.writeBytes(Varint.encode(p.raw().length));
      }
      out.writeBytes(p.raw());
    }
    return out.toByteArray();
  }

  /**
   * The components of {@code data}, never none.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  static Part[] decode(byte[] data) {
    if (data.length == 0) {
      throw new IllegalArgumentException("multiaddr is empty");
    }
    if (data.length > Multiaddr.MAX_LENGTH) {
      throw new IllegalArgumentException(
          "multiaddr longer than " + Multiaddr.MAX_LENGTH + " bytes (" + data.length + ")");
    }
    List<Part> parts = new ArrayList<>();
    int offset = 0;
    while (offset < data.length) {
      long code = readVarint(data, offset, "protocol code");
      offset += Varint.encodedLength(code);
      Protocol proto = Protocol.byCode(code);
      if (proto == null) {
        throw new IllegalArgumentException(Protocol.unsupportedCode(code));
      }
      int length;
      if (proto.size >= 0) {
        length = proto.size;
      } else {
        long declared = readVarint(data, offset, "length of /" + proto.name);
        offset += Varint.encodedLength(declared);
        if (declared > data.length - offset) {
          throw new IllegalArgumentException(
              "truncated multiaddr: /" + proto.name + " declares " + declared + " bytes, "
                  + (data.length - offset) + " left");
        }
        length = (int) declared;
      }
      if (length > data.length - offset) {
        throw new IllegalArgumentException(
            "truncated multiaddr: /" + proto.name + " needs " + length + " bytes, "
                + (data.length - offset) + " left");
      }
      byte[] raw = Arrays.copyOfRange(data, offset, offset + length);
      offset += length;
      parts.add(Part.fromBinary(proto, raw));
    }
    return parts.toArray(new Part[0]);
  }

  private static long readVarint(byte[] data, int offset, String what) {
    long v;
    try {
      v = Varint.decode(data, offset, data.length);
    } catch (Varint.VarintException e) {
      throw new IllegalArgumentException(
          "malformed multiaddr: " + what + " at byte " + offset + ": " + e.getMessage(), e);
    }
    if (v == Varint.NEED_MORE) {
      throw new IllegalArgumentException(
          "truncated multiaddr: " + what + " at byte " + offset + " is cut off");
    }
    return v;
  }
}
