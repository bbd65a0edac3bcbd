package io.tinyp2p.protocol.gossipsub;

/**
 * Why the router dropped a received message: each reason is one {@code dropped.*} counter of
 * {@link GossipRouter#counters()} ({@link #counterName()}), counted by {@link GossipMetrics}.
 * The cheap checks come first ({@link #TOO_LARGE} to {@link #DUPLICATE}), then the validation
 * queue's shedding ({@code THROTTLED_*}, {@link #GRAYLISTED}), then the signature check
 * (StrictSign, gossipsub-v1.1.md "Message Signing"; the reasons of
 * {@link MessageSigning.Result}).
 */
public enum DropReason {
  /** The encoded message is larger than {@link GossipConfig#maxMessageSize()}. */
  TOO_LARGE,
  MISSING_TOPIC,
  /** We have not joined the message's topic. */
  NOT_SUBSCRIBED,
  /** Its id is in the seen cache (never verified twice), or already queued from the same peer. */
  DUPLICATE,
  /** The sender's validation queue is full ({@link GossipConfig#validationQueuePerPeer()}). */
  THROTTLED_PEER,
  /**
   * The topic's validation queue is full, and the sender holds as much of it as anybody
   * (else the biggest holder's newest message is dropped instead, counted here too).
   */
  THROTTLED_TOPIC,
  /** Likewise for the validation queue's bytes ({@link GossipConfig#validationQueueBytes()}). */
  THROTTLED_MEMORY,
  /**
   * Queued, but its sender sent another RPC once below the graylist threshold: what it
   * still had queued is dropped unverified.
   */
  GRAYLISTED,
  /** Validly signed with our own key, but we did not publish it (in this life). */
  SELF_ORIGIN,
  MISSING_FROM,
  MISSING_SEQNO,
  MISSING_SIGNATURE,
  BAD_SEQNO,
  BAD_FROM,
  BAD_KEY,
  UNSUPPORTED_KEY,
  KEY_MISMATCH,
  NO_PUBLIC_KEY,
  INVALID_SIGNATURE;

  static DropReason of(MessageSigning.Result result) {
    return valueOf(result.name());
  }

  /** The counter name, e.g. {@code dropped.invalidSignature}. */
  public String counterName() {
    StringBuilder sb = new StringBuilder("dropped.");
    boolean upper = false;
    for (char c : name().toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        sb.append(upper ? c : Character.toLowerCase(c));
        upper = false;
      }
    }
    return sb.toString();
  }
}
