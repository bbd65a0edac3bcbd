package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;

/**
 * Gossipsub parameters (gossipsub-v1.0.md "Parameters", gossipsub-v1.1.md "Overview of New
 * Parameters"). Every node of a topic must use the same {@link #messageIdFn}.
 *
 * @param d desired mesh degree
 * @param dLo below it the heartbeat grafts up to {@code d}
 * @param dHi above it the heartbeat prunes down to {@code d}
 * @param dLazy minimum number of non-mesh peers that get gossip (IHAVE) per topic
 * @param dOut outbound connections kept in each mesh (v1.1 "Outbound Mesh Quotas"); below
 *     {@code dLo} and at most {@code d / 2}
 * @param gossipFactor share of the eligible non-mesh peers that get gossip, if more than
 *     {@code dLazy} (v1.1 "Adaptive Gossip Dissemination")
 * @param heartbeatInterval how often the caller is expected to call
 *     {@link GossipRouter#heartbeat()}; the router uses it only for the backoff slack
 * @param fanoutTtl fanout state of a topic we publish to without joining is dropped after this
 *     long without a publish
 * @param mcacheLen history windows (heartbeats) kept in the message cache
 * @param mcacheGossip history windows advertised in IHAVE
 * @param seenTtl how long a message id stays in the seen cache
 * @param seenMaxSize most ids the seen cache holds (the oldest go first)
 * @param pruneBackoff how long a pruned peer must not graft again
 * @param unsubscribeBackoff the backoff announced in the PRUNEs sent when leaving a topic
 * @param maxMessageSize largest encoded {@code Message} accepted or published
 * @param maxRpcSize largest encoded RPC we send (larger batches are split) and accept: a longer
 *     length prefix resets the stream before any of the RPC is buffered. We ask a peer for at
 *     most {@link #iwantIdsPerRpc()} message ids per IWANT RPC, so that its answer (js-libp2p
 *     sends all requested messages in one RPC) fits
 * @param validationQueuePerPeer received messages of one peer waiting for their signature
 *     check; more are dropped (see {@link ValidationQueue})
 * @param validationQueuePerTopic messages of one topic waiting for their check, from all
 *     peers; over it the newest message of whoever holds most of them is dropped
 * @param validationQueueBytes encoded bytes of all messages waiting for their check; over it
 *     the newest message of whoever holds most of them is dropped
 * @param floodPublish our own messages go to every peer of the topic (v1.1 "Flood
 *     Publishing"), not only to the mesh or fanout
 * @param messageIdFn how message ids are computed
 * @param maxIHaveLength most message ids asked for per peer and heartbeat, and advertised per
 *     IHAVE
 * @param maxIHaveMessages most IHAVE messages heeded per peer and heartbeat
 * @param gossipRetransmission how many times one peer is sent the same message in answer to
 *     IWANT
 * @param maxTopicsPerPeer subscriptions remembered per peer; more are ignored
 * @param router which router the node runs: {@link Router#GOSSIPSUB} (the default, which also
 *     speaks {@code /floodsub/1.0.0} with floodsub peers) or {@link Router#FLOODSUB} (floodsub
 *     only)
 */
public record GossipConfig(
    int d, int dLo, int dHi, int dLazy, int dOut, double gossipFactor,
    Duration heartbeatInterval, Duration fanoutTtl,
    int mcacheLen, int mcacheGossip,
    Duration seenTtl, int seenMaxSize,
    Duration pruneBackoff, Duration unsubscribeBackoff,
    int maxMessageSize, int maxRpcSize,
    boolean floodPublish, MessageIdFn messageIdFn,
    int maxIHaveLength, int maxIHaveMessages, int gossipRetransmission,
    int maxTopicsPerPeer,
    int validationQueuePerPeer, int validationQueuePerTopic, int validationQueueBytes,
    Router router) {

  /** The pubsub router a node runs. */
  public enum Router {
    /**
     * Gossipsub ({@code /meshsub/1.1.0}, {@code /meshsub/1.0.0}), also speaking
     * {@code /floodsub/1.0.0} with peers that offer only that (gossipsub-v1.0.md's backwards
     * compatibility): a floodsub peer gets no control messages, is never in a mesh and gets
     * every message of the topics it subscribed to.
     */
    GOSSIPSUB,
    /**
     * Floodsub only: the node advertises and speaks only {@code /floodsub/1.0.0} and floods
     * every message to every peer of its topic but the one it came from and its author.
     */
    FLOODSUB
  }

  /** How a message id is derived from a message. */
  public enum MessageIdFn {
    /**
     * The spec's default, origin-stamped: the bytes of {@code from} (the binary PeerId)
     * followed by the 8 bytes of {@code seqno}, as go-libp2p computes it. Other
     * implementations' defaults differ (see {@link #KEY_SEQNO}; rust-libp2p: base58 PeerId
     * then decimal seqno, as text): their IHAVEs then name ids we cannot match, which costs
     * a redundant IWANT and a duplicate, never a lost message.
     */
    DEFAULT,
    /**
     * js-libp2p gossipsub's default: the protobuf public key (the {@code from} multihash
     * without its 2-byte identity header, else the {@code key} field) followed by the 8
     * bytes of {@code seqno}.
     */
    KEY_SEQNO,
    /** Content-addressed: the raw 32-byte SHA-256 of {@code data}. */
    CONTENT_HASH;

    /** The id of a message under this function. */
    public ByteString id(RpcProto.Message m) {
      return switch (this) {
        case DEFAULT -> m.getFrom().concat(m.getSeqno());
        case KEY_SEQNO -> {
          ByteString from = m.getFrom();
          ByteString key = from.size() > 2 && from.byteAt(0) == 0 ? from.substring(2) : m.getKey();
          yield key.concat(m.getSeqno());
        }
        case CONTENT_HASH -> ByteString.copyFrom(sha256(m.getData()));
      };
    }

    private static byte[] sha256(ByteString data) {
      try {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(data.asReadOnlyByteBuffer());
        return md.digest();
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  public static final int MIB = 1024 * 1024;

  public GossipConfig {
    if (d < 0 || dLo < 0 || dHi < 0 || dLazy < 0 || dOut < 0) {
      throw new IllegalArgumentException("mesh degrees must not be negative");
    }
    if (!(dLo <= d && d <= dHi)) {
      throw new IllegalArgumentException("need D_lo <= D <= D_hi, got " + dLo + ", " + d + ", " + dHi);
    }
    if (dOut > 0 && (dOut >= dLo || dOut > d / 2)) {
      throw new IllegalArgumentException("D_out must be below D_lo and at most D/2, got " + dOut);
    }
    if (!(gossipFactor >= 0 && gossipFactor <= 1)) {
      throw new IllegalArgumentException("gossipFactor must be within [0, 1]");
    }
    if (mcacheGossip < 1 || mcacheLen < mcacheGossip) {
      throw new IllegalArgumentException("need 1 <= mcache_gossip <= mcache_len");
    }
    if (maxMessageSize < 64) {
      throw new IllegalArgumentException("maxMessageSize is too small: " + maxMessageSize);
    }
    if (maxRpcSize < maxMessageSize) {
      throw new IllegalArgumentException("maxRpcSize must be at least maxMessageSize");
    }
    if (seenMaxSize < 1 || maxIHaveLength < 1 || maxIHaveMessages < 1 || gossipRetransmission < 1
        || maxTopicsPerPeer < 1 || validationQueuePerPeer < 1 || validationQueuePerTopic < 1
        || validationQueueBytes < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
    for (Duration t : new Duration[] {heartbeatInterval, fanoutTtl, seenTtl, pruneBackoff, unsubscribeBackoff}) {
      if (t == null || t.isNegative()) {
        throw new IllegalArgumentException("durations must be given and not negative");
      }
    }
    if (messageIdFn == null) {
      throw new IllegalArgumentException("messageIdFn is required");
    }
    if (router == null) {
      throw new IllegalArgumentException("router is required");
    }
  }

  /** This configuration with another {@link #router()}. */
  public GossipConfig withRouter(Router router) {
    return new GossipConfig(d, dLo, dHi, dLazy, dOut, gossipFactor, heartbeatInterval, fanoutTtl,
        mcacheLen, mcacheGossip, seenTtl, seenMaxSize, pruneBackoff, unsubscribeBackoff,
        maxMessageSize, maxRpcSize, floodPublish, messageIdFn, maxIHaveLength, maxIHaveMessages,
        gossipRetransmission, maxTopicsPerPeer,
        validationQueuePerPeer, validationQueuePerTopic, validationQueueBytes, router);
  }

  /** The spec's defaults, with D_lo 5 (go- and js-libp2p's value; v1.0.md suggests 4). */
  public static GossipConfig defaults() {
    return builder().build();
  }

  /** A builder holding {@link #defaults()}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a {@link GossipConfig}: starts from the defaults, each setter replaces one
   * parameter (see the record's components), and {@link #build()} checks them all together.
   */
  public static final class Builder {
    private int d = 6;
    private int dLo = 5;
    private int dHi = 12;
    private int dLazy = 6;
    private int dOut = 2;
    private double gossipFactor = 0.25;
    private Duration heartbeatInterval = Duration.ofSeconds(1);
    private Duration fanoutTtl = Duration.ofSeconds(60);
    private int mcacheLen = 5;
    private int mcacheGossip = 3;
    private Duration seenTtl = Duration.ofSeconds(120);
    private int seenMaxSize = 100_000;
    private Duration pruneBackoff = Duration.ofSeconds(60);
    private Duration unsubscribeBackoff = Duration.ofSeconds(10);
    private int maxMessageSize = MIB;
    private int maxRpcSize = MIB + RPC_OVERHEAD;
    private boolean floodPublish = true;
    private MessageIdFn messageIdFn = MessageIdFn.DEFAULT;
    private int maxIHaveLength = 5000;
    private int maxIHaveMessages = 10;
    private int gossipRetransmission = 3;
    private int maxTopicsPerPeer = 1000;
    private int validationQueuePerPeer = 256;
    private int validationQueuePerTopic = 4096;
    private int validationQueueBytes = 64 * MIB;
    private Router router = Router.GOSSIPSUB;

    private Builder() {}

    public Builder d(int d) {
      this.d = d;
      return this;
    }

    public Builder dLo(int dLo) {
      this.dLo = dLo;
      return this;
    }

    public Builder dHi(int dHi) {
      this.dHi = dHi;
      return this;
    }

    public Builder dLazy(int dLazy) {
      this.dLazy = dLazy;
      return this;
    }

    public Builder dOut(int dOut) {
      this.dOut = dOut;
      return this;
    }

    public Builder gossipFactor(double gossipFactor) {
      this.gossipFactor = gossipFactor;
      return this;
    }

    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    public Builder fanoutTtl(Duration fanoutTtl) {
      this.fanoutTtl = fanoutTtl;
      return this;
    }

    public Builder mcacheLen(int mcacheLen) {
      this.mcacheLen = mcacheLen;
      return this;
    }

    public Builder mcacheGossip(int mcacheGossip) {
      this.mcacheGossip = mcacheGossip;
      return this;
    }

    public Builder seenTtl(Duration seenTtl) {
      this.seenTtl = seenTtl;
      return this;
    }

    public Builder seenMaxSize(int seenMaxSize) {
      this.seenMaxSize = seenMaxSize;
      return this;
    }

    public Builder pruneBackoff(Duration pruneBackoff) {
      this.pruneBackoff = pruneBackoff;
      return this;
    }

    public Builder unsubscribeBackoff(Duration unsubscribeBackoff) {
      this.unsubscribeBackoff = unsubscribeBackoff;
      return this;
    }

    /**
     * The message size limit; the RPC limit follows it ({@code max} plus room for the RPC's
     * other fields). Call {@link #maxRpcSize} afterwards to set that one otherwise.
     */
    public Builder maxMessageSize(int max) {
      this.maxMessageSize = max;
      this.maxRpcSize = max + RPC_OVERHEAD;
      return this;
    }

    public Builder maxRpcSize(int maxRpcSize) {
      this.maxRpcSize = maxRpcSize;
      return this;
    }

    public Builder floodPublish(boolean floodPublish) {
      this.floodPublish = floodPublish;
      return this;
    }

    public Builder messageIdFn(MessageIdFn messageIdFn) {
      this.messageIdFn = messageIdFn;
      return this;
    }

    public Builder maxIHaveLength(int maxIHaveLength) {
      this.maxIHaveLength = maxIHaveLength;
      return this;
    }

    public Builder maxIHaveMessages(int maxIHaveMessages) {
      this.maxIHaveMessages = maxIHaveMessages;
      return this;
    }

    public Builder gossipRetransmission(int gossipRetransmission) {
      this.gossipRetransmission = gossipRetransmission;
      return this;
    }

    public Builder maxTopicsPerPeer(int maxTopicsPerPeer) {
      this.maxTopicsPerPeer = maxTopicsPerPeer;
      return this;
    }

    public Builder validationQueuePerPeer(int perPeer) {
      this.validationQueuePerPeer = perPeer;
      return this;
    }

    public Builder validationQueuePerTopic(int perTopic) {
      this.validationQueuePerTopic = perTopic;
      return this;
    }

    public Builder validationQueueBytes(int bytes) {
      this.validationQueueBytes = bytes;
      return this;
    }

    public Builder router(Router router) {
      this.router = router;
      return this;
    }

    /** @throws IllegalArgumentException if the parameters are not consistent */
    public GossipConfig build() {
      return new GossipConfig(d, dLo, dHi, dLazy, dOut, gossipFactor, heartbeatInterval, fanoutTtl,
          mcacheLen, mcacheGossip, seenTtl, seenMaxSize, pruneBackoff, unsubscribeBackoff,
          maxMessageSize, maxRpcSize, floodPublish, messageIdFn, maxIHaveLength, maxIHaveMessages,
          gossipRetransmission, maxTopicsPerPeer,
          validationQueuePerPeer, validationQueuePerTopic, validationQueueBytes, router);
    }
  }

  /** Slack in {@link #maxRpcSize} over one message: the RPC's other fields. */
  static final int RPC_OVERHEAD = 64 * 1024;
  /**
   * What we leave, in a peer's answer to our IWANT, for the control messages and gossip it may
   * piggyback on it (js-libp2p does).
   */
  static final int IWANT_ANSWER_CONTROL = 32 * 1024;

  /**
   * The most message ids we ask for in one IWANT RPC: a peer may answer with all of them in one
   * RPC (js-libp2p does), each up to {@link #maxMessageSize} plus its field tag and length
   * (6 bytes), next to {@link #IWANT_ANSWER_CONTROL} of control; that answer must fit
   * {@link #maxRpcSize}. 1 with the default 1 MiB messages, 8 with 4 KiB ones.
   */
  public int iwantIdsPerRpc() {
    long perMessage = maxMessageSize + 6L;
    return (int) Math.max(1, (maxRpcSize - (long) IWANT_ANSWER_CONTROL) / perMessage);
  }
}
