package io.tinyp2p.transport.quic;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.DatagramPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of a QUIC socket: it drops, counts and (once per socket) logs datagrams
 * that cannot be QUIC packets (RFC 9000 section 17) before the QUIC codec spends work on them,
 * then hands the rest to the codec.
 */
final class DatagramFilter extends ChannelInitializer<Channel> {
  private static final Logger LOG = LoggerFactory.getLogger(DatagramFilter.class);
  /** A short-header packet: a byte, a connection id, a packet number and a 16-byte tag at least. */
  static final int MIN_PACKET = 21;
  /** A datagram that carries a client's Initial packet is at least this long (RFC 9000 section 14.1). */
  static final int MIN_INITIAL_DATAGRAM = 1200;
  private static final int MAX_CID = 20;

  private final QuicTransport transport;
  private final ChannelHandler codec;

  DatagramFilter(QuicTransport transport, ChannelHandler codec) {
    this.transport = transport;
    this.codec = codec;
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.pipeline().addLast(new Check(), codec);
  }

  /** Why {@code packet} cannot be QUIC, or null when it may be. */
  static String garbage(ByteBuf packet) {
    int n = packet.readableBytes();
    int at = packet.readerIndex();
    if (n < MIN_PACKET) {
      return n + " bytes, shorter than any QUIC packet";
    }
    int first = packet.getUnsignedByte(at);
    if ((first & 0x40) == 0) {
      return "QUIC's fixed bit is not set";
    }
    if ((first & 0x80) == 0) {
      return null; // a short header: only the connection it names can tell
    }
    long version = packet.getUnsignedInt(at + 1);
    int dcid = packet.getUnsignedByte(at + 5);
    if (dcid > MAX_CID || 6 + dcid >= n) {
      return "a long header with a bad destination connection id length " + dcid;
    }
    int scid = packet.getUnsignedByte(at + 6 + dcid);
    if (scid > MAX_CID || 7 + dcid + scid > n) {
      return "a long header with a bad source connection id length " + scid;
    }
    if (version == 1 && (first & 0x30) == 0 && n < MIN_INITIAL_DATAGRAM) {
      return "an Initial packet in a datagram of " + n + " bytes, less than " + MIN_INITIAL_DATAGRAM;
    }
    return null;
  }

  private final class Check extends ChannelInboundHandlerAdapter {
    private boolean logged;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof DatagramPacket packet) {
        String why = garbage(packet.content());
        if (why != null) {
          transport.garbageDatagram();
          if (!logged) {
            logged = true;
            LOG.info("QUIC socket {}: dropping datagrams that are not QUIC (first from {}: {}); counted in /status",
                ctx.channel().localAddress(), packet.sender(), why);
          }
          packet.release();
          return;
        }
      }
      ctx.fireChannelRead(msg);
    }
  }
}
