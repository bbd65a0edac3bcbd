package io.tinyp2p.yamux;

import io.vertx.core.buffer.Buffer;

/**
 * The Yamux frame header (hashicorp/yamux spec.md): version (0), type, flags, stream id and
 * length, 12 bytes big-endian. For data frames the length is the payload size; for window
 * updates the window increment; for pings an opaque value; for go-away the error code.
 */
public final class Frame {
  public static final int HEADER_LENGTH = 12;
  public static final int VERSION = 0;

  public static final int TYPE_DATA = 0;
  public static final int TYPE_WINDOW_UPDATE = 1;
  public static final int TYPE_PING = 2;
  public static final int TYPE_GO_AWAY = 3;

  public static final int FLAG_SYN = 1;
  public static final int FLAG_ACK = 2;
  public static final int FLAG_FIN = 4;
  public static final int FLAG_RST = 8;

  public static final int GO_AWAY_NORMAL = 0;
  public static final int GO_AWAY_PROTOCOL_ERROR = 1;
  public static final int GO_AWAY_INTERNAL_ERROR = 2;

  private Frame() {}

  /** Appends a header to {@code buf}. {@code length} is an unsigned 32-bit value. */
  public static Buffer appendHeader(Buffer buf, int type, int flags, int streamId, long length) {
    return buf.appendByte((byte) VERSION)
        .appendByte((byte) type)
        .appendUnsignedShort(flags)
        .appendUnsignedInt(streamId & 0xFFFFFFFFL)
        .appendUnsignedInt(length);
  }

  public static Buffer header(int type, int flags, int streamId, long length) {
    return appendHeader(Buffer.buffer(HEADER_LENGTH), type, flags, streamId, length);
  }

  public static String typeName(int type) {
    return switch (type) {
      case TYPE_DATA -> "DATA";
      case TYPE_WINDOW_UPDATE -> "WINDOW_UPDATE";
      case TYPE_PING -> "PING";
      case TYPE_GO_AWAY -> "GO_AWAY";
      default -> "type " + type;
    };
  }
}
