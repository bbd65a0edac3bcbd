package io.tinyp2p.stream;

/**
 * What the streams of one protocol carried on a node: how many were opened in each direction
 * and the bytes they delivered to their protocol and took from it (after multistream-select,
 * before Yamux and Noise framing). The swarm keeps one per registered protocol (and one for
 * all others) once metrics ask for them; a stream counts into it from its negotiation on.
 * Plain fields on the node's event loop, like the streams.
 */
public final class Traffic {
  private long inbound;
  private long outbound;
  private long received;
  private long sent;

  /** A stream of this protocol was negotiated. */
  public void opened(boolean outboundStream) {
    if (outboundStream) {
      outbound++;
    } else {
      inbound++;
    }
  }

  /** The stream handed {@code bytes} from the peer to its protocol. */
  public void received(int bytes) {
    received += bytes;
  }

  /** The protocol wrote {@code bytes} to the stream. */
  public void sent(int bytes) {
    sent += bytes;
  }

  /** The counts so far. */
  public Totals totals() {
    return new Totals(inbound, outbound, received, sent);
  }

  /** Streams opened in each direction, bytes received and sent. */
  public record Totals(long inboundStreams, long outboundStreams, long bytesReceived, long bytesSent) {}
}
