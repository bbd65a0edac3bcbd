package io.tinyp2p.protocol.gossipsub;

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
    int validationQueuePerPeer, int validationQueuePerTopic, int validationQueueBytes) {

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
    CONTENT_HASH
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
  }

  /** The spec's defaults, with D_lo 5 (go- and js-libp2p's value; v1.0.md suggests 4). */
  public static GossipConfig defaults() {
    return new GossipConfig(6, 5, 12, 6, 2, 0.25,
        Duration.ofSeconds(1), Duration.ofSeconds(60),
        5, 3,
        Duration.ofSeconds(120), 100_000,
        Duration.ofSeconds(60), Duration.ofSeconds(10),
        MIB, MIB + RPC_OVERHEAD,
        true, MessageIdFn.DEFAULT,
        5000, 10, 3,
        1000,
        256, 4096, 64 * MIB);
  }

  /** The same parameters with other mesh degrees. */
  public GossipConfig withDegrees(int d, int dLo, int dHi, int dLazy, int dOut) {
    return new GossipConfig(d, dLo, dHi, dLazy, dOut, gossipFactor, heartbeatInterval, fanoutTtl,
        mcacheLen, mcacheGossip, seenTtl, seenMaxSize, pruneBackoff, unsubscribeBackoff,
        maxMessageSize, maxRpcSize, floodPublish, messageIdFn, maxIHaveLength, maxIHaveMessages,
        gossipRetransmission, maxTopicsPerPeer,
        validationQueuePerPeer, validationQueuePerTopic, validationQueueBytes);
  }

  /** The same parameters with another message size limit (the RPC limit follows it). */
  public GossipConfig withMaxMessageSize(int max) {
    return new GossipConfig(d, dLo, dHi, dLazy, dOut, gossipFactor, heartbeatInterval, fanoutTtl,
        mcacheLen, mcacheGossip, seenTtl, seenMaxSize, pruneBackoff, unsubscribeBackoff,
        max, max + RPC_OVERHEAD, floodPublish, messageIdFn, maxIHaveLength, maxIHaveMessages,
        gossipRetransmission, maxTopicsPerPeer,
        validationQueuePerPeer, validationQueuePerTopic, validationQueueBytes);
  }

  public GossipConfig withHeartbeat(Duration interval) {
    return new GossipConfig(d, dLo, dHi, dLazy, dOut, gossipFactor, interval, fanoutTtl,
        mcacheLen, mcacheGossip, seenTtl, seenMaxSize, pruneBackoff, unsubscribeBackoff,
        maxMessageSize, maxRpcSize, floodPublish, messageIdFn, maxIHaveLength, maxIHaveMessages,
        gossipRetransmission, maxTopicsPerPeer,
        validationQueuePerPeer, validationQueuePerTopic, validationQueueBytes);
  }

  public GossipConfig withFloodPublish(boolean flood) {
    return new GossipConfig(d, dLo, dHi, dLazy, dOut, gossipFactor, heartbeatInterval, fanoutTtl,
        mcacheLen, mcacheGossip, seenTtl, seenMaxSize, pruneBackoff, unsubscribeBackoff,
        maxMessageSize, maxRpcSize, flood, messageIdFn, maxIHaveLength, maxIHaveMessages,
        gossipRetransmission, maxTopicsPerPeer,
        validationQueuePerPeer, validationQueuePerTopic, validationQueueBytes);
  }

  public GossipConfig withMessageIdFn(MessageIdFn fn) {
    return new GossipConfig(d, dLo, dHi, dLazy, dOut, gossipFactor, heartbeatInterval, fanoutTtl,
        mcacheLen, mcacheGossip, seenTtl, seenMaxSize, pruneBackoff, unsubscribeBackoff,
        maxMessageSize, maxRpcSize, floodPublish, fn, maxIHaveLength, maxIHaveMessages,
        gossipRetransmission, maxTopicsPerPeer,
        validationQueuePerPeer, validationQueuePerTopic, validationQueueBytes);
  }

  public GossipConfig withGossipFactor(double factor) {
    return new GossipConfig(d, dLo, dHi, dLazy, dOut, factor, heartbeatInterval, fanoutTtl,
        mcacheLen, mcacheGossip, seenTtl, seenMaxSize, pruneBackoff, unsubscribeBackoff,
        maxMessageSize, maxRpcSize, floodPublish, messageIdFn, maxIHaveLength, maxIHaveMessages,
        gossipRetransmission, maxTopicsPerPeer,
        validationQueuePerPeer, validationQueuePerTopic, validationQueueBytes);
  }

  /** The same parameters with other validation queue limits. */
  public GossipConfig withValidationQueue(int perPeer, int perTopic, int bytes) {
    return new GossipConfig(d, dLo, dHi, dLazy, dOut, gossipFactor, heartbeatInterval, fanoutTtl,
        mcacheLen, mcacheGossip, seenTtl, seenMaxSize, pruneBackoff, unsubscribeBackoff,
        maxMessageSize, maxRpcSize, floodPublish, messageIdFn, maxIHaveLength, maxIHaveMessages,
        gossipRetransmission, maxTopicsPerPeer, perPeer, perTopic, bytes);
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
