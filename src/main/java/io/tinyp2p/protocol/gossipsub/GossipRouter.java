package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The gossipsub v1.1 router of one node as a sans-IO state machine: no streams, no timers, no
 * threads. The caller feeds it peers ({@link #addPeer}, {@link #removePeer}), received RPCs
 * ({@link #handleRpc}), the application's calls ({@link #subscribe}, {@link #unsubscribe},
 * {@link #publish}) and a {@link #heartbeat()} every {@link GossipConfig#heartbeatInterval()};
 * the router answers through {@link Output}. Time comes from the injected clock and every
 * random choice from the injected {@link Random}, so a run is reproducible.
 *
 * <p>Each public method queues what it has to say per peer in the {@link Outbox} and ends by
 * sending at most one RPC per peer (more only when a batch of messages exceeds
 * {@link GossipConfig#maxRpcSize()}, or IWANTs must be split so that their answers fit it).
 *
 * <p>Received messages are not verified inside {@link #handleRpc}: after the cheap checks
 * (size, topic, seen cache) they wait in a bounded {@link ValidationQueue}, and the caller
 * verifies them in slices with {@link #validateQueued}, round-robin across peers, so a flood
 * of signed messages costs bounded work per call and sheds the excess (counted). Deliveries to
 * the application happen after the sends, at the end of {@link #validateQueued}, so
 * {@link Output#deliver} may call back into the router (publish, unsubscribe...).
 * {@link Output#send} must not.
 *
 * <p>The router keeps the peers, the topics they announced and ours, handles subscriptions
 * and messages (validation, forwarding, delivery) and dispatches the rest to the parts split
 * out of it, as rust-libp2p's gossipsub has peer_score.rs, backoff.rs and metrics.rs:
 * {@link PeerScore} (peer scoring), {@link Backoff} (PRUNE backoff), {@link GossipMetrics}
 * (the counters of {@link #counters()}), {@link Mesh} (JOIN/LEAVE, GRAFT/PRUNE, mesh
 * maintenance), {@link Gossip} (IHAVE/IWANT), {@link Fanout} and {@link Outbox} (RPC
 * assembly).
 *
 * <p>Implemented: mesh construction and maintenance with D/D_lo/D_hi and the outbound quota
 * D_out, fanout with TTL, flood publishing, gossip (IHAVE/IWANT) with the adaptive gossip
 * factor, PRUNE backoff (honoured, announced, enforced on GRAFT), the spam limits of v1.1
 * "Spam Protection Measures" (GRAFTs for topics we are not in are ignored, bounded IHAVE and
 * IWANT handling, IWANT retransmission limit), StrictSign validation, a seen cache, and the
 * basics of peer scoring (P1, P2, P4, P6; see {@link PeerScore}) with the gossip threshold
 * (mesh pruning, no grafting and no gossip below it) and the graylist. Not implemented: the
 * other score parameters, opportunistic grafting, gossip promises, peer exchange (PX records
 * in PRUNEs are ignored and we send none), explicit peering, IDONTWANT (parsed, ignored; we
 * advertise {@code /meshsub/1.1.0} and {@code /meshsub/1.0.0}, and {@code /floodsub/1.0.0}).
 *
 * <p>Floodsub peers ({@link #addPeer(PeerId, boolean, boolean)}) are kept apart in
 * {@link FloodsubPeers}: they share our topics, seen cache and checks, get every message of
 * their topics and nothing of the mesh. With {@link GossipConfig.Router#FLOODSUB} every peer is
 * a floodsub peer, so the router floods and nothing else.
 *
 * <p>Single-threaded: call it from one thread (the node's event loop).
 */
public final class GossipRouter {
  /** What the router asks of its caller. */
  public interface Output {
    /** Sends an RPC to a peer on our outbound gossipsub stream to it. */
    void send(PeerId peer, RpcProto.RPC rpc);

    /** Hands a valid, first-seen message of a topic we joined to the application. */
    void deliver(String topic, PeerId from, byte[] id, byte[] data, long seqno);
  }

  /**
   * What {@link #publish} did.
   *
   * @param id the message id
   * @param peers how many peers the message was sent to; 0 means nobody
   */
  public record PublishResult(byte[] id, int peers) {}

  /** A peer we speak gossipsub or floodsub with. */
  private static final class PeerState {
    final boolean outbound;
    /** It speaks floodsub: no mesh, no control, every message of its topics. */
    final boolean floodsub;
    /** The topics it announced (at most {@link GossipConfig#maxTopicsPerPeer()}). */
    final Set<String> topics = new LinkedHashSet<>();

    PeerState(boolean outbound, boolean floodsub) {
      this.outbound = outbound;
      this.floodsub = floodsub;
    }
  }

  private record Delivery(String topic, PeerId from, ByteString id, ByteString data, long seqno) {}

  private final KeyPair identity;
  private final PeerId self;
  private final GossipConfig config;
  private final Output output;
  private final LongSupplier clock;

  private final Map<PeerId, PeerState> peers = new LinkedHashMap<>();
  /** Topic → gossipsub peers that announced it (the floodsub ones are in {@link #floodsub}). */
  private final Map<String, Set<PeerId>> topicPeers = new LinkedHashMap<>();
  private final Set<String> subscriptions = new LinkedHashSet<>();
  private final Fanout fanout;
  private final Mesh mesh;
  private final Backoff backoff;
  private final MessageCache mcache;
  private final SeenCache seen;
  private final GossipMetrics metrics = new GossipMetrics();
  private final ValidationQueue validation;
  private final Outbox outbox;
  private final PeerScore scores;
  private final Gossip gossip;
  private final FloodsubPeers floodsub;
  private long nextSeqno;

  /**
   * @param identity our key: we sign every message with it
   * @param clock milliseconds; give it the wall clock ({@code System::currentTimeMillis}):
   *     besides timing backoffs, TTLs and the fanout, it seeds our seqno counter (clock × 10⁶),
   *     which must keep increasing across restarts
   * @param random every random choice (mesh and gossip peers); seed it in tests
   */
  public GossipRouter(KeyPair identity, GossipConfig config, Output output, LongSupplier clock, Random random) {
    this.identity = identity;
    this.self = identity.peerId();
    this.config = config;
    this.output = output;
    this.clock = clock;
    this.fanout = new Fanout(config, random);
    this.backoff = new Backoff(clock, 2 * config.heartbeatInterval().toMillis());
    this.mcache = new MessageCache(config.mcacheLen(), config.mcacheGossip());
    this.seen = new SeenCache(config.seenTtl().toMillis(), config.seenMaxSize(), clock);
    this.validation = new ValidationQueue(config.validationQueuePerPeer(), config.validationQueuePerTopic(),
        config.validationQueueBytes(), (why, topic) -> metrics.drop(throttled(why), topic));
    this.outbox = new Outbox(config.maxRpcSize(), output);
    this.scores = new PeerScore(clock);
    this.floodsub = new FloodsubPeers(outbox, scores);
    Map<String, Set<PeerId>> topicPeersView = Collections.unmodifiableMap(topicPeers);
    this.mesh = new Mesh(config, random, backoff, scores, outbox, metrics, fanout, topicPeersView,
        peers::containsKey, this::isOutbound);
    this.gossip = new Gossip(config, random, mcache, seen, outbox, scores, metrics, mesh.view(), fanout,
        topicPeersView);
    // go-, js- and rust-libp2p seed the counter with the wall clock in nanoseconds, so seqnos
    // keep growing across restarts: kubo drops a peer's messages whose seqno is not above the
    // largest it saw from that peer.
    this.nextSeqno = Math.max(0, clock.getAsLong()) * 1_000_000L + 1;
  }

  public GossipConfig config() {
    return config;
  }

  // ---------------------------------------------------------------- peers

  /**
   * A peer with which we speak gossipsub, or floodsub with {@link GossipConfig.Router#FLOODSUB}
   * (see {@link #addPeer(PeerId, boolean, boolean)}).
   */
  public void addPeer(PeerId peer, boolean outbound) {
    addPeer(peer, outbound, false);
  }

  /**
   * A peer with which we speak gossipsub, or floodsub if {@code floodsub} or the router is
   * {@link GossipConfig.Router#FLOODSUB} (call it once the first pubsub stream with it, either
   * direction, is open; the protocol negotiated on it tells which). {@code outbound}: we dialed
   * the connection; it counts for the D_out quota. Sends the peer our subscriptions. A second
   * call is ignored.
   */
  public void addPeer(PeerId peer, boolean outbound, boolean floodsub) {
    if (peer.equals(self) || peers.containsKey(peer)) {
      return;
    }
    boolean flood = floodsub || config.router() == GossipConfig.Router.FLOODSUB;
    peers.put(peer, new PeerState(outbound, flood));
    if (flood) {
      this.floodsub.add(peer);
    }
    scores.add(peer);
    for (String topic : subscriptions) {
      outbox.subscription(peer, topic, true);
    }
    flush();
  }

  /** The peer is gone (its connection or gossipsub streams closed): it leaves every mesh. */
  public void removePeer(PeerId peer) {
    PeerState ps = peers.remove(peer);
    if (ps == null) {
      return;
    }
    scores.remove(peer);
    gossip.remove(peer);
    for (String topic : ps.topics) {
      leaveTopicPeers(topic, peer);
    }
    floodsub.remove(peer);
    mesh.remove(peer);
    fanout.remove(peer);
    outbox.forget(peer);
    validation.removePeer(peer); // its unverified messages go with it
  }

  public boolean hasPeer(PeerId peer) {
    return peers.containsKey(peer);
  }

  /** Whether we speak floodsub with the peer (false for a peer not added). */
  public boolean isFloodsubPeer(PeerId peer) {
    return floodsub.contains(peer);
  }

  /** Tells the router a peer's IP address, for the colocation factor of {@link PeerScore}. */
  public void peerAddress(PeerId peer, String ip) {
    scores.ip(peer, ip);
  }

  // ---------------------------------------------------------------- application calls

  /** JOIN(topic): announces it to every peer and grafts up to D peers (fanout ones first). */
  public void subscribe(String topic) {
    if (subscriptions.add(topic)) {
      metrics.joined(topic);
      membershipChanged(topic, true);
    }
  }

  /** LEAVE(topic): announces it to every peer and prunes the mesh. */
  public void unsubscribe(String topic) {
    if (subscriptions.remove(topic)) {
      metrics.left(topic);
      membershipChanged(topic, false);
    }
  }

  /** Tells every peer that we joined or left the topic, then grafts or prunes the mesh. */
  private void membershipChanged(String topic, boolean joined) {
    announce(topic, joined);
    if (joined) {
      mesh.join(topic);
    } else {
      mesh.leave(topic);
    }
    flush();
  }

  private void announce(String topic, boolean subscribed) {
    for (PeerId p : peers.keySet()) {
      outbox.subscription(p, topic, subscribed);
    }
  }

  /**
   * Publishes a message we author: signs it, remembers it (seen cache, message cache) and
   * sends it to every floodsub peer of the topic and — with flood publishing to every gossipsub
   * peer of the topic, else to the mesh (joined topic) or the fanout (created with D peers when
   * empty).
   *
   * @throws IllegalArgumentException if the message exceeds the size limit
   * @throws IllegalStateException if its id was already seen (content-hash ids: the same
   *     data again within the seen TTL)
   */
  public PublishResult publish(String topic, byte[] data) {
    long seqno = nextSeqno++;
    RpcProto.Message m = MessageSigning.sign(identity, topic, data, seqno);
    if (m.getSerializedSize() > config.maxMessageSize()) {
      throw new IllegalArgumentException("message of " + m.getSerializedSize()
          + " bytes exceeds the limit of " + config.maxMessageSize());
    }
    ByteString id = messageId(m);
    if (!seen.add(id)) {
      throw new IllegalStateException("duplicate message id: the same message was published recently");
    }
    mcache.put(id, m);
    Set<PeerId> to = new LinkedHashSet<>();
    Set<PeerId> m0 = mesh.get(topic);
    if (config.floodPublish()) {
      to.addAll(topicPeers.getOrDefault(topic, Set.of()));
      if (m0 != null) {
        to.addAll(m0);
      }
    } else if (m0 != null) {
      to.addAll(m0);
    } else {
      to.addAll(fanout.forPublish(topic, topicPeers.getOrDefault(topic, Set.of()), clock.getAsLong()));
    }
    for (PeerId p : to) {
      outbox.message(p, id, m);
    }
    int copies = to.size() + floodsub.flood(topic, id, m, null, null);
    metrics.published++;
    metrics.publishedCopies += copies;
    flush();
    return new PublishResult(id.toByteArray(), copies);
  }

  // ---------------------------------------------------------------- received RPCs

  /**
   * An RPC received from {@code from}: subscriptions first, then messages, then control
   * (the order go-libp2p uses). RPCs from peers not added are ignored. Messages that pass the
   * cheap checks wait for {@link #validateQueued}; control messages are answered now, except a
   * floodsub peer's (floodsub has none: ignored).
   */
  public void handleRpc(PeerId from, RpcProto.RPC rpc) {
    PeerState ps = peers.get(from);
    if (ps == null) {
      metrics.rpcsFromUnknownPeers++;
      return;
    }
    if (scores.graylisted(from)) {
      metrics.graylisted++; // v1.1: below the graylist threshold everything the peer sends is ignored
      // and what it sent before, still unverified, is not worth a check either
      for (ValidationQueue.Entry e : validation.removePeer(from)) {
        metrics.drop(DropReason.GRAYLISTED, e.topic());
      }
      return;
    }
    for (RpcProto.RPC.SubOpts s : rpc.getSubscriptionsList()) {
      handleSubscription(from, ps, s);
    }
    for (RpcProto.Message m : rpc.getPublishList()) {
      receiveMessage(from, m);
    }
    if (rpc.hasControl() && !ps.floodsub) {
      RpcProto.ControlMessage c = rpc.getControl();
      if (c.getIhaveCount() > 0) {
        gossip.handleIHave(from, c.getIhaveList());
      }
      for (RpcProto.ControlIWant iwant : c.getIwantList()) {
        gossip.handleIWant(from, iwant);
      }
      for (RpcProto.ControlGraft graft : c.getGraftList()) {
        mesh.handleGraft(from, ps.outbound, graft);
      }
      for (RpcProto.ControlPrune prune : c.getPruneList()) {
        mesh.handlePrune(from, prune);
      }
    }
    flush();
  }

  /** Messages received and waiting for {@link #validateQueued}. */
  public int queuedForValidation() {
    return validation.size();
  }

  /**
   * Verifies queued messages, round-robin across their senders, until {@code maxMessages}
   * messages or {@code maxBytes} encoded bytes were taken (at least one message): each valid,
   * first-seen message is remembered, forwarded to the mesh and handed to the application.
   * Call it again while {@link #queuedForValidation()} is not zero, yielding to other work in
   * between.
   *
   * @return the messages still queued
   */
  public int validateQueued(int maxMessages, long maxBytes) {
    List<Delivery> deliveries = new ArrayList<>();
    int taken = 0;
    long bytes = 0;
    while (taken < maxMessages && bytes < maxBytes) {
      ValidationQueue.Entry e = validation.poll();
      if (e == null) {
        break;
      }
      taken++;
      bytes += e.size();
      validateMessage(e, deliveries);
    }
    flush();
    for (Delivery d : deliveries) {
      metrics.delivered(d.topic());
      output.deliver(d.topic(), d.from(), d.id().toByteArray(), d.data().toByteArray(), d.seqno());
    }
    return validation.size();
  }

  private void handleSubscription(PeerId from, PeerState ps, RpcProto.RPC.SubOpts s) {
    if (!s.hasTopicid()) {
      return;
    }
    String topic = s.getTopicid();
    if (s.getSubscribe()) {
      if (ps.topics.contains(topic) || ps.topics.size() >= config.maxTopicsPerPeer()) {
        return;
      }
      ps.topics.add(topic);
      if (ps.floodsub) {
        floodsub.joined(topic, from);
      } else {
        PeerSets.join(topicPeers, topic, from);
      }
    } else if (ps.topics.remove(topic)) {
      if (ps.floodsub) {
        floodsub.left(topic, from);
      } else {
        leaveTopicPeers(topic, from);
        mesh.remove(topic, from);
        fanout.remove(topic, from);
      }
    }
  }

  /** The cheap checks, then into the validation queue (or dropped, counted). */
  private void receiveMessage(PeerId source, RpcProto.Message m) {
    String topic = m.hasTopic() ? m.getTopic() : null;
    metrics.received(topic);
    int size = m.getSerializedSize();
    if (size > config.maxMessageSize()) {
      metrics.drop(DropReason.TOO_LARGE, topic);
      return;
    }
    if (topic == null) {
      metrics.drop(DropReason.MISSING_TOPIC, null);
      return;
    }
    if (!subscriptions.contains(topic)) {
      metrics.drop(DropReason.NOT_SUBSCRIBED, topic);
      return;
    }
    // Only validated messages enter the seen cache, so a forgery cannot shadow the real
    // message with the same id; checking it first spares verifying every duplicate.
    ByteString id = messageId(m);
    if (seen.contains(id)) {
      metrics.drop(DropReason.DUPLICATE, topic);
      return;
    }
    ValidationQueue.Admission admission = validation.offer(source, m, id, topic, size);
    if (admission == ValidationQueue.Admission.QUEUED) {
      metrics.validationQueued++;
    } else {
      metrics.drop(throttled(admission), topic);
    }
  }

  private static DropReason throttled(ValidationQueue.Admission why) {
    return switch (why) {
      case DUPLICATE -> DropReason.DUPLICATE;
      case PEER_FULL -> DropReason.THROTTLED_PEER;
      case TOPIC_FULL -> DropReason.THROTTLED_TOPIC;
      case MEMORY_FULL, QUEUED -> DropReason.THROTTLED_MEMORY;
    };
  }

  /** The signature check of a queued message, and what follows for a valid one. */
  private void validateMessage(ValidationQueue.Entry e, List<Delivery> deliveries) {
    PeerId source = e.source();
    RpcProto.Message m = e.message();
    ByteString id = e.id();
    String topic = e.topic();
    // Another copy may have been accepted while this one waited; or we left the topic.
    if (seen.contains(id)) {
      metrics.drop(DropReason.DUPLICATE, topic);
      return;
    }
    if (!subscriptions.contains(topic)) {
      metrics.drop(DropReason.NOT_SUBSCRIBED, topic);
      return;
    }
    metrics.validated++;
    MessageSigning.Result result = MessageSigning.validate(m);
    if (result != MessageSigning.Result.VALID) {
      metrics.drop(DropReason.of(result), topic);
      scores.invalidMessage(source); // P4: the peer that sent it pays, whoever signed it
      return;
    }
    PeerId origin = PeerId.fromBytes(m.getFrom().toByteArray());
    if (origin.equals(self)) {
      metrics.drop(DropReason.SELF_ORIGIN, topic);
      return;
    }
    seen.add(id);
    mcache.put(id, m);
    scores.firstDelivery(source); // P2
    deliveries.add(new Delivery(topic, origin, id, m.getData(), MessageSigning.seqno(m)));
    metrics.forwarded += floodsub.flood(topic, id, m, source, origin);
    for (PeerId p : mesh.get(topic)) {
      if (!p.equals(source) && !p.equals(origin)) {
        if (outbox.message(p, id, m)) {
          metrics.forwarded++;
        }
      }
    }
  }

  // ---------------------------------------------------------------- heartbeat

  /**
   * The periodic maintenance of gossipsub-v1.0.md "Heartbeat" with the v1.1 changes: score
   * decay, pruning of negative-score mesh peers, mesh repair (graft below D_lo, prune above
   * D_hi, keep D_out outbound peers), fanout expiry and top-up, gossip emission, message cache
   * shift, seen cache and backoff expiry.
   */
  public void heartbeat() {
    long now = clock.getAsLong();
    gossip.heartbeat();
    scores.heartbeat(mesh.view().values(), now);
    mesh.pruneNegativeScores();
    backoff.expire(now);
    mesh.maintain();
    fanout.maintain(now, topicPeers);
    gossip.emit();
    mcache.shift();
    seen.expire();
    flush();
  }

  // ---------------------------------------------------------------- helpers

  /** Sends what the call queued; peers removed meanwhile get nothing. */
  private void flush() {
    outbox.flush(peers::containsKey);
  }

  /** The message id under the configured function. */
  public ByteString messageId(RpcProto.Message m) {
    return config.messageIdFn().id(m);
  }

  private void leaveTopicPeers(String topic, PeerId peer) {
    PeerSets.leave(topicPeers, topic, peer);
  }

  private boolean isOutbound(PeerId p) {
    PeerState ps = peers.get(p);
    return ps != null && ps.outbound;
  }

  /** Up to n elements chosen at random (a shuffled copy's prefix). */
  static <T> List<T> pick(List<T> from, int n, Random random) {
    if (n <= 0 || from.isEmpty()) {
      return List.of();
    }
    List<T> copy = new ArrayList<>(from);
    Collections.shuffle(copy, random);
    return n >= copy.size() ? copy : new ArrayList<>(copy.subList(0, n));
  }

  // ---------------------------------------------------------------- views

  /** Topics we joined, in joining order. */
  public Set<String> topics() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(subscriptions));
  }

  /** Mesh size per joined topic. */
  public Map<String, Integer> meshSizes() {
    Map<String, Integer> out = new LinkedHashMap<>();
    mesh.view().forEach((t, m) -> out.put(t, m.size()));
    return out;
  }

  /** Number of peers, gossipsub and floodsub, that announced each topic (every topic we heard of). */
  public Map<String, Integer> topicPeerCounts() {
    Map<String, Integer> out = new LinkedHashMap<>();
    topicPeers.forEach((t, s) -> out.put(t, s.size()));
    floodsub.view().forEach((t, s) -> out.merge(t, s.size(), Integer::sum));
    return out;
  }

  public Set<PeerId> meshPeers(String topic) {
    return Set.copyOf(mesh.view().getOrDefault(topic, Set.of()));
  }

  public Set<PeerId> fanoutPeers(String topic) {
    return Set.copyOf(fanout.peers(topic));
  }

  /** Every peer known to subscribe to the topic, gossipsub and floodsub peers alike. */
  public Set<PeerId> topicPeers(String topic) {
    Set<PeerId> out = new LinkedHashSet<>(topicPeers.getOrDefault(topic, Set.of()));
    out.addAll(floodsub.view().getOrDefault(topic, Set.of()));
    return Collections.unmodifiableSet(out);
  }

  /** Whether a backoff keeps us from grafting the peer on the topic. */
  public boolean isBackingOff(String topic, PeerId peer) {
    return backoff.contains(topic, peer);
  }

  /** The peer's score (see {@link PeerScore}); 0 for a peer not added. */
  public double score(PeerId peer) {
    return scores.score(peer);
  }

  public long dropped(DropReason reason) {
    return metrics.dropped(reason);
  }

  /**
   * Message counters per topic we joined (a topic we left keeps its own), by name; messages
   * of the topics we are not in, or without a topic, count in {@link #otherTopicCounters()}.
   */
  public Map<String, TopicCounters> topicCounters() {
    return metrics.byTopic();
  }

  /** The message counters of all the topics we are not in, together. */
  public TopicCounters otherTopicCounters() {
    return metrics.otherTopics;
  }

  /**
   * How many of our gossipsub peers score in each band, by name: {@code graylisted} (below
   * the graylist threshold: everything they send is ignored), {@code negative} (below the
   * gossip threshold, 0: no mesh slot, no gossip), {@code zero} and {@code positive}.
   */
  public Map<String, Integer> scoreBands() {
    Map<String, Integer> bands = new LinkedHashMap<>();
    for (String band : List.of("graylisted", "negative", "zero", "positive")) {
      bands.put(band, 0);
    }
    for (PeerId p : peers.keySet()) {
      double s = scores.score(p);
      String band = s < PeerScore.GRAYLIST_THRESHOLD ? "graylisted" : s < PeerScore.GOSSIP_THRESHOLD ? "negative"
          : s == 0 ? "zero" : "positive";
      bands.merge(band, 1, Integer::sum);
    }
    return bands;
  }

  /**
   * Counters for /status: {@code received} messages, {@code delivered} to the application,
   * {@code forwarded} copies, {@code published} messages and the copies sent
   * ({@code publishedCopies}), control message counts, the validation queue
   * ({@code validationQueued}: admitted in total, {@code validated}: signature checks done,
   * {@code validationQueue} and {@code validationQueueBytes}: waiting now), and one
   * {@code dropped.*} counter per {@link DropReason} ({@code dropped.duplicate}: never
   * verified; {@code dropped.throttled*}: shed by the queue). See {@link GossipMetrics}.
   */
  public Map<String, Long> counters() {
    return metrics.toMap(validation.size(), validation.bytes());
  }
}
