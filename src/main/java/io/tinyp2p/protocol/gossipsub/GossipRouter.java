package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
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
 * <p>Each public method queues what it has to say per peer and ends by sending at most one
 * RPC per peer (more only when a batch of messages exceeds {@link GossipConfig#maxRpcSize()},
 * or IWANTs must be split so that their answers fit it): subscription changes, messages and
 * control messages for a peer travel together.
 *
 * <p>Received messages are not verified inside {@link #handleRpc}: after the cheap checks
 * (size, topic, seen cache) they wait in a bounded {@link ValidationQueue}, and the caller
 * verifies them in slices with {@link #validateQueued}, round-robin across peers, so a flood
 * of signed messages costs bounded work per call and sheds the excess (counted). Deliveries to
 * the application happen after the sends, at the end of {@link #validateQueued}, so
 * {@link Output#deliver} may call back into the router (publish, unsubscribe...).
 * {@link Output#send} must not.
 *
 * <p>Implemented: mesh construction and maintenance with D/D_lo/D_hi and the outbound quota
 * D_out, fanout with TTL, flood publishing, gossip (IHAVE/IWANT) with the adaptive gossip
 * factor, PRUNE backoff (honoured, announced, enforced on GRAFT), the spam limits of v1.1
 * "Spam Protection Measures" (GRAFTs for topics we are not in are ignored, bounded IHAVE and
 * IWANT handling, IWANT retransmission limit), StrictSign validation and a seen cache.
 * Not implemented: peer scoring and everything that depends on it (opportunistic grafting,
 * graylisting, gossip promises), peer exchange (PX records in PRUNEs are ignored and we send
 * none), explicit peering, floodsub peers, IDONTWANT (parsed, ignored; advertise
 * {@code /meshsub/1.1.0} and {@code /meshsub/1.0.0} only).
 *
 * <p>Single-threaded: call it from one thread (the node's event loop).
 */
public final class GossipRouter {
  public static final String PROTOCOL_V11 = "/meshsub/1.1.0";
  public static final String PROTOCOL_V10 = "/meshsub/1.0.0";
  /** The longest PRUNE backoff we honour; longer ones are cut to it. */
  static final long MAX_BACKOFF_SECONDS = 24 * 3600;
  /**
   * IWANT RPCs sent to one peer per heartbeat: js-libp2p answers no more than 10 per heartbeat
   * (its GossipsubMaxIWantMessages), and each asks for at most
   * {@link GossipConfig#iwantIdsPerRpc()} ids.
   */
  static final int MAX_IWANT_RPCS = 10;

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

  /** Why a received message was dropped. */
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

  private static final class PeerState {
    final boolean outbound;
    // score inputs (a v1.1 score's basics, decayed every heartbeat)
    double firstDeliveries;
    double invalidMessages;
    long meshSince = -1;
    String ip;
    final Set<String> topics = new LinkedHashSet<>();
    /** IHAVE-carrying RPCs heeded this heartbeat. */
    int ihaves;
    /** Message ids asked of this peer with IWANT this heartbeat. */
    int asked;
    /** IWANT RPCs sent to this peer this heartbeat. */
    int iwantRpcs;

    PeerState(boolean outbound) {
      this.outbound = outbound;
    }
  }

  /** What is queued for one peer until the end of the current call. */
  private static final class Pending {
    final List<RpcProto.RPC.SubOpts> subscriptions = new ArrayList<>();
    final List<RpcProto.Message> messages = new ArrayList<>();
    final Set<ByteString> messageIds = new LinkedHashSet<>();
    final RpcProto.ControlMessage.Builder control = RpcProto.ControlMessage.newBuilder();
    /** IWANTs, one per RPC: the first travels with the rest, each other one alone. */
    final List<RpcProto.ControlIWant> iwants = new ArrayList<>();
  }

  private record Delivery(String topic, PeerId from, ByteString id, ByteString data, long seqno) {}

  private final KeyPair identity;
  private final PeerId self;
  private final GossipConfig config;
  private final Output output;
  private final LongSupplier clock;
  private final Random random;

  private final Map<PeerId, PeerState> peers = new LinkedHashMap<>();
  /** Topic → peers that announced it. */
  private final Map<String, Set<PeerId>> topicPeers = new LinkedHashMap<>();
  private final Set<String> subscriptions = new LinkedHashSet<>();
  /** Joined topic → mesh peers. A key exists exactly for each joined topic. */
  private final Map<String, Set<PeerId>> mesh = new LinkedHashMap<>();
  /** Topic we publish to without joining → fanout peers (non-flood publishing only). */
  private final Map<String, Set<PeerId>> fanout = new LinkedHashMap<>();
  private final Map<String, Long> lastPublished = new HashMap<>();
  /** Topic → peer → end of the backoff (millis). */
  private final Map<String, Map<PeerId, Long>> backoff = new HashMap<>();
  private final MessageCache mcache;
  private final SeenCache seen;
  private final ValidationQueue validation;
  private Map<PeerId, Pending> outbox = new LinkedHashMap<>();
  private long nextSeqno;

  private long received;
  /** Peers per (non-loopback) IP address, for the colocation factor: O(1) per score. */
  private final Map<String, Integer> peersPerIp = new HashMap<>();
  private long graylisted;
  private long prunedForScore;
  private long delivered;
  private long forwarded;
  private long published;
  private long publishedCopies;
  private long graftsReceived;
  private long graftsRefused;
  private long graftsIgnored;
  private long prunesReceived;
  private long ihavesReceived;
  private long ihavesIgnored;
  private long iwantsSent;
  private long iwantsReceived;
  private long iwantServed;
  private long rpcsFromUnknownPeers;
  private long validationQueued;
  private long validated;
  private final EnumMap<DropReason, Long> dropped = new EnumMap<>(DropReason.class);

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
    this.random = random;
    this.mcache = new MessageCache(config.mcacheLen(), config.mcacheGossip());
    this.seen = new SeenCache(config.seenTtl().toMillis(), config.seenMaxSize(), clock);
    this.validation = new ValidationQueue(config.validationQueuePerPeer(), config.validationQueuePerTopic(),
        config.validationQueueBytes(), why -> drop(throttled(why)));
    // go-, js- and rust-libp2p seed the counter with the wall clock in nanoseconds, so seqnos
    // keep growing across restarts: kubo drops a peer's messages whose seqno is not above the
    // largest it saw from that peer.
    this.nextSeqno = Math.max(0, clock.getAsLong()) * 1_000_000L + 1;
    for (DropReason r : DropReason.values()) {
      dropped.put(r, 0L);
    }
  }

  public PeerId self() {
    return self;
  }

  public GossipConfig config() {
    return config;
  }

  // ---------------------------------------------------------------- peers

  /**
   * A peer with which we speak gossipsub (call it once the first gossipsub stream with it,
   * either direction, is open). {@code outbound}: we dialed the connection; it counts for
   * the D_out quota. Sends the peer our subscriptions. A second call is ignored.
   */
  public void addPeer(PeerId peer, boolean outbound) {
    if (peer.equals(self) || peers.containsKey(peer)) {
      return;
    }
    peers.put(peer, new PeerState(outbound));
    if (!subscriptions.isEmpty()) {
      Pending p = pending(peer);
      for (String topic : subscriptions) {
        p.subscriptions.add(subOpts(topic, true));
      }
    }
    flush();
  }

  /** The peer is gone (its connection or gossipsub streams closed): it leaves every mesh. */
  public void removePeer(PeerId peer) {
    PeerState ps = peers.remove(peer);
    if (ps == null) {
      return;
    }
    forgetIp(ps);
    for (String topic : ps.topics) {
      leaveTopicPeers(topic, peer);
    }
    for (Set<PeerId> m : mesh.values()) {
      m.remove(peer);
    }
    for (Set<PeerId> f : fanout.values()) {
      f.remove(peer);
    }
    outbox.remove(peer);
    validation.removePeer(peer); // its unverified messages go with it
  }

  public boolean hasPeer(PeerId peer) {
    return peers.containsKey(peer);
  }

  // ---------------------------------------------------------------- application calls

  /** JOIN(topic): announces it to every peer and grafts up to D peers (fanout ones first). */
  public void subscribe(String topic) {
    if (!subscriptions.add(topic)) {
      return;
    }
    for (PeerId p : peers.keySet()) {
      pending(p).subscriptions.add(subOpts(topic, true));
    }
    Set<PeerId> m = new LinkedHashSet<>();
    Set<PeerId> f = fanout.remove(topic);
    lastPublished.remove(topic);
    if (f != null) {
      for (PeerId p : f) {
        if (!inBackoff(topic, p)) {
          m.add(p);
        }
      }
    }
    if (m.size() < config.d()) {
      List<PeerId> candidates = new ArrayList<>();
      for (PeerId p : topicPeers.getOrDefault(topic, Set.of())) {
        if (!m.contains(p) && !inBackoff(topic, p)) {
          candidates.add(p);
        }
      }
      m.addAll(pick(candidates, config.d() - m.size()));
    }
    mesh.put(topic, m);
    for (PeerId p : m) {
      graft(p, topic);
    }
    flush();
  }

  /** LEAVE(topic): announces it to every peer and prunes the mesh. */
  public void unsubscribe(String topic) {
    if (!subscriptions.remove(topic)) {
      return;
    }
    for (PeerId p : peers.keySet()) {
      pending(p).subscriptions.add(subOpts(topic, false));
    }
    Set<PeerId> m = mesh.remove(topic);
    long backoffMillis = config.unsubscribeBackoff().toMillis();
    for (PeerId p : m) {
      addBackoff(topic, p, backoffMillis);
      prune(p, topic, backoffMillis);
    }
    flush();
  }

  /**
   * Publishes a message we author: signs it, remembers it (seen cache, message cache) and
   * sends it — with flood publishing to every peer of the topic, else to the mesh (joined
   * topic) or the fanout (created with D peers when empty).
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
      Set<PeerId> f = fanout.get(topic);
      if (f == null || f.isEmpty()) {
        f = new LinkedHashSet<>(pick(new ArrayList<>(topicPeers.getOrDefault(topic, Set.of())), config.d()));
        if (!f.isEmpty()) {
          fanout.put(topic, f);
        }
      }
      if (!f.isEmpty()) {
        lastPublished.put(topic, clock.getAsLong());
      }
      to.addAll(f);
    }
    for (PeerId p : to) {
      enqueueMessage(p, id, m);
    }
    published++;
    publishedCopies += to.size();
    flush();
    return new PublishResult(id.toByteArray(), to.size());
  }

  // ---------------------------------------------------------------- received RPCs

  /**
   * An RPC received from {@code from}: subscriptions first, then messages, then control
   * (the order go-libp2p uses). RPCs from peers not added are ignored. Messages that pass the
   * cheap checks wait for {@link #validateQueued}; control messages are answered now.
   */
  public void handleRpc(PeerId from, RpcProto.RPC rpc) {
    PeerState ps = peers.get(from);
    if (ps == null) {
      rpcsFromUnknownPeers++;
      return;
    }
    if (score(from) < GRAYLIST_THRESHOLD) {
      graylisted++; // v1.1: below the graylist threshold everything the peer sends is ignored
      // and what it sent before, still unverified, is not worth a check either
      for (int n = validation.removePeer(from); n > 0; n--) {
        drop(DropReason.GRAYLISTED);
      }
      return;
    }
    for (RpcProto.RPC.SubOpts s : rpc.getSubscriptionsList()) {
      handleSubscription(from, ps, s);
    }
    for (RpcProto.Message m : rpc.getPublishList()) {
      receiveMessage(from, m);
    }
    if (rpc.hasControl()) {
      RpcProto.ControlMessage c = rpc.getControl();
      if (c.getIhaveCount() > 0) {
        handleIHave(from, ps, c.getIhaveList());
      }
      for (RpcProto.ControlIWant iwant : c.getIwantList()) {
        handleIWant(from, iwant);
      }
      for (RpcProto.ControlGraft graft : c.getGraftList()) {
        handleGraft(from, ps, graft);
      }
      for (RpcProto.ControlPrune prune : c.getPruneList()) {
        handlePrune(from, prune);
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
      delivered++;
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
      topicPeers.computeIfAbsent(topic, t -> new LinkedHashSet<>()).add(from);
    } else if (ps.topics.remove(topic)) {
      leaveTopicPeers(topic, from);
      Set<PeerId> m = mesh.get(topic);
      if (m != null) {
        m.remove(from);
      }
      Set<PeerId> f = fanout.get(topic);
      if (f != null) {
        f.remove(from);
      }
    }
  }

  /** The cheap checks, then into the validation queue (or dropped, counted). */
  private void receiveMessage(PeerId source, RpcProto.Message m) {
    received++;
    int size = m.getSerializedSize();
    if (size > config.maxMessageSize()) {
      drop(DropReason.TOO_LARGE);
      return;
    }
    if (!m.hasTopic()) {
      drop(DropReason.MISSING_TOPIC);
      return;
    }
    String topic = m.getTopic();
    if (!subscriptions.contains(topic)) {
      drop(DropReason.NOT_SUBSCRIBED);
      return;
    }
    // Only validated messages enter the seen cache, so a forgery cannot shadow the real
    // message with the same id; checking it first spares verifying every duplicate.
    ByteString id = messageId(m);
    if (seen.contains(id)) {
      drop(DropReason.DUPLICATE);
      return;
    }
    ValidationQueue.Admission admission = validation.offer(source, m, id, topic, size);
    if (admission == ValidationQueue.Admission.QUEUED) {
      validationQueued++;
    } else {
      drop(throttled(admission));
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
      drop(DropReason.DUPLICATE);
      return;
    }
    if (!subscriptions.contains(topic)) {
      drop(DropReason.NOT_SUBSCRIBED);
      return;
    }
    validated++;
    MessageSigning.Result result = MessageSigning.validate(m);
    if (result != MessageSigning.Result.VALID) {
      drop(DropReason.of(result));
      PeerState src = peers.get(source);
      if (src != null) {
        src.invalidMessages++; // P4: the peer that sent it pays, whoever signed it
      }
      return;
    }
    PeerId origin = PeerId.fromBytes(m.getFrom().toByteArray());
    if (origin.equals(self)) {
      drop(DropReason.SELF_ORIGIN);
      return;
    }
    seen.add(id);
    mcache.put(id, m);
    PeerState src = peers.get(source);
    if (src != null) {
      src.firstDeliveries = Math.min(src.firstDeliveries + 1, FIRST_DELIVERY_CAP); // P2
    }
    deliveries.add(new Delivery(topic, origin, id, m.getData(), MessageSigning.seqno(m)));
    for (PeerId p : mesh.get(topic)) {
      if (!p.equals(source) && !p.equals(origin)) {
        if (enqueueMessage(p, id, m)) {
          forwarded++;
        }
      }
    }
  }

  private void handleIHave(PeerId from, PeerState ps, List<RpcProto.ControlIHave> ihaves) {
    ihavesReceived += ihaves.size();
    if (++ps.ihaves > config.maxIHaveMessages() || ps.asked >= config.maxIHaveLength()
        || ps.iwantRpcs >= MAX_IWANT_RPCS) {
      ihavesIgnored += ihaves.size();
      return;
    }
    Set<ByteString> wanted = new LinkedHashSet<>();
    for (RpcProto.ControlIHave ihave : ihaves) {
      if (!mesh.containsKey(ihave.getTopicID())) {
        continue; // gossip for topics we are not in
      }
      for (ByteString id : ihave.getMessageIDsList()) {
        if (!seen.contains(id)) {
          wanted.add(id);
        }
      }
    }
    if (wanted.isEmpty()) {
      return;
    }
    List<ByteString> ask = new ArrayList<>(wanted);
    // The answer to one IWANT RPC may come as one RPC: ask few enough ids that it fits our limit.
    int perRpc = config.iwantIdsPerRpc();
    int budget = (int) Math.min(config.maxIHaveLength() - ps.asked, (long) (MAX_IWANT_RPCS - ps.iwantRpcs) * perRpc);
    if (ask.size() > budget) {
      Collections.shuffle(ask, random);
      ask = ask.subList(0, budget);
    }
    ps.asked += ask.size();
    iwantsSent += ask.size();
    Pending p = pending(from);
    for (int i = 0; i < ask.size(); i += perRpc) {
      p.iwants.add(RpcProto.ControlIWant.newBuilder()
          .addAllMessageIDs(ask.subList(i, Math.min(ask.size(), i + perRpc))).build());
      ps.iwantRpcs++;
    }
  }

  private void handleIWant(PeerId from, RpcProto.ControlIWant iwant) {
    iwantsReceived++;
    for (ByteString id : iwant.getMessageIDsList()) {
      RpcProto.Message m = mcache.getForPeer(id, from, config.gossipRetransmission());
      if (m != null && enqueueMessage(from, id, m)) {
        iwantServed++;
      }
    }
  }

  private void handleGraft(PeerId from, PeerState ps, RpcProto.ControlGraft graft) {
    graftsReceived++;
    String topic = graft.getTopicID();
    Set<PeerId> m = mesh.get(topic);
    if (m == null) {
      // v1.1 "Spam Protection Measures": GRAFTs for topics we are not in are ignored.
      graftsIgnored++;
      return;
    }
    if (m.contains(from)) {
      return;
    }
    long pruneBackoff = config.pruneBackoff().toMillis();
    Long until = backoffUntil(topic, from);
    if (until != null && until > clock.getAsLong()) {
      // Grafting during the backoff: refuse and extend it (v1.1 "PRUNE Backoff").
      graftsRefused++;
      addBackoff(topic, from, pruneBackoff);
      prune(from, topic, pruneBackoff);
      return;
    }
    if (m.size() >= config.dHi() && !ps.outbound) {
      // Oversubscribed: only outbound peers are still accepted (v1.1 "Outbound Mesh Quotas").
      graftsRefused++;
      addBackoff(topic, from, pruneBackoff);
      prune(from, topic, pruneBackoff);
      return;
    }
    m.add(from);
  }

  private void handlePrune(PeerId from, RpcProto.ControlPrune prune) {
    prunesReceived++;
    String topic = prune.getTopicID();
    Set<PeerId> m = mesh.get(topic);
    if (m == null) {
      return;
    }
    m.remove(from);
    long seconds = prune.hasBackoff()
        ? Math.min(prune.getBackoff() < 0 ? MAX_BACKOFF_SECONDS : prune.getBackoff(), MAX_BACKOFF_SECONDS)
        : config.pruneBackoff().toSeconds();
    addBackoff(topic, from, seconds * 1000);
    // Peer exchange records are ignored: without scores we have no reason to trust them.
  }

  // ---------------------------------------------------------------- heartbeat

  /**
   * The periodic maintenance of gossipsub-v1.0.md "Heartbeat" with the v1.1 changes: mesh
   * repair (graft below D_lo, prune above D_hi, keep D_out outbound peers), fanout expiry
   * and top-up, gossip emission, message cache shift, seen cache and backoff expiry.
   */
  public void heartbeat() {
    long now = clock.getAsLong();
    for (PeerState ps : peers.values()) {
      ps.ihaves = 0;
      ps.asked = 0;
      ps.iwantRpcs = 0;
      ps.firstDeliveries *= SCORE_DECAY;
      ps.invalidMessages *= SCORE_DECAY;
      if (ps.invalidMessages < 0.01) {
        ps.invalidMessages = 0;
      }
    }
    Set<PeerId> meshed = new java.util.HashSet<>();
    mesh.values().forEach(meshed::addAll);
    for (Map.Entry<PeerId, PeerState> e : peers.entrySet()) {
      PeerState ps = e.getValue();
      if (!meshed.contains(e.getKey())) {
        ps.meshSince = -1;
      } else if (ps.meshSince < 0) {
        ps.meshSince = now;
      }
    }
    pruneNegativeScores();
    expireBackoffs(now);
    maintainMeshes();
    maintainFanout(now);
    emitGossip();
    mcache.shift();
    seen.expire();
    flush();
  }

  // ---------------------------------------------------------------- peer scoring

  /** Below zero a peer loses its mesh slots and gets no gossip from us. */
  static final double GOSSIP_THRESHOLD = 0;
  /** Below this, everything the peer sends is ignored (v1.1's graylist). */
  static final double GRAYLIST_THRESHOLD = -80;
  static final double FIRST_DELIVERY_CAP = 100;
  static final double SCORE_DECAY = 0.99;
  static final double INVALID_WEIGHT = -10;
  static final double COLOCATION_WEIGHT = -5;
  static final int COLOCATION_THRESHOLD = 3;

  /**
   * The basics of the v1.1 peer score: time in mesh (P1, up to +10), first deliveries (P2,
   * +0.1 each, capped), invalid messages (P4, squared, weight -10) and IP colocation (P6:
   * peers beyond 3 on one IP, squared, weight -5; loopback is exempt so a local test network
   * is not punished). Inputs decay by 1 % every heartbeat.
   */
  public double score(PeerId peer) {
    PeerState ps = peers.get(peer);
    if (ps == null) {
      return 0;
    }
    double score = 0.1 * ps.firstDeliveries;
    if (ps.meshSince >= 0) {
      score += Math.min(10, (clock.getAsLong() - ps.meshSince) / 1000.0 / 60.0 * 10);
    }
    score += INVALID_WEIGHT * ps.invalidMessages * ps.invalidMessages;
    if (ps.ip != null) {
      int same = peersPerIp.getOrDefault(ps.ip, 0);
      if (same > COLOCATION_THRESHOLD) {
        double surplus = same - COLOCATION_THRESHOLD;
        score += COLOCATION_WEIGHT * surplus * surplus;
      }
    }
    return score;
  }

  /** Tells the router a peer's IP address, for the colocation factor. */
  public void peerAddress(PeerId peer, String ip) {
    PeerState ps = peers.get(peer);
    if (ps == null || ip == null || ip.equals(ps.ip)) {
      return;
    }
    forgetIp(ps);
    if (!io.tinyp2p.multiaddr.AddressClass.isLoopback(ip)) { // loopback is exempt: never counted
      ps.ip = ip;
      peersPerIp.merge(ip, 1, Integer::sum);
    }
  }

  private void forgetIp(PeerState ps) {
    if (ps.ip != null) {
      peersPerIp.computeIfPresent(ps.ip, (k, n) -> n > 1 ? n - 1 : null);
      ps.ip = null;
    }
  }

  /** Mesh peers whose score fell below zero are pruned (with backoff). */
  private void pruneNegativeScores() {
    long backoff = config.pruneBackoff().toMillis();
    for (Map.Entry<String, Set<PeerId>> e : mesh.entrySet()) {
      for (Iterator<PeerId> it = e.getValue().iterator(); it.hasNext(); ) {
        PeerId p = it.next();
        if (score(p) < GOSSIP_THRESHOLD) {
          it.remove();
          addBackoff(e.getKey(), p, backoff);
          prune(p, e.getKey(), backoff);
          prunedForScore++;
        }
      }
    }
  }

  private void maintainMeshes() {
    for (Map.Entry<String, Set<PeerId>> e : mesh.entrySet()) {
      String topic = e.getKey();
      Set<PeerId> m = e.getValue();
      m.removeIf(p -> !peers.containsKey(p));
      if (m.size() < config.dLo()) {
        List<PeerId> candidates = graftCandidates(topic, m, false);
        for (PeerId p : pick(candidates, config.d() - m.size())) {
          m.add(p);
          graft(p, topic);
        }
      } else if (m.size() > config.dHi()) {
        List<PeerId> shuffled = pick(new ArrayList<>(m), m.size());
        List<PeerId> keep = new ArrayList<>(shuffled.subList(0, config.d()));
        List<PeerId> drop = new ArrayList<>(shuffled.subList(config.d(), shuffled.size()));
        int outbound = countOutbound(keep);
        // Keep D_out outbound peers if we have them: swap outbound peers of the pruned
        // set for inbound survivors.
        for (int i = 0; i < drop.size() && outbound < config.dOut(); i++) {
          PeerId candidate = drop.get(i);
          if (!isOutbound(candidate)) {
            continue;
          }
          for (int j = keep.size() - 1; j >= 0; j--) {
            if (!isOutbound(keep.get(j))) {
              drop.set(i, keep.get(j));
              keep.set(j, candidate);
              outbound++;
              break;
            }
          }
        }
        long pruneBackoff = config.pruneBackoff().toMillis();
        for (PeerId p : drop) {
          m.remove(p);
          addBackoff(topic, p, pruneBackoff);
          prune(p, topic, pruneBackoff);
        }
      }
      if (m.size() >= config.dLo()) {
        int outbound = countOutbound(m);
        if (outbound < config.dOut()) {
          for (PeerId p : pick(graftCandidates(topic, m, true), config.dOut() - outbound)) {
            m.add(p);
            graft(p, topic);
          }
        }
      }
    }
  }

  private List<PeerId> graftCandidates(String topic, Set<PeerId> current, boolean outboundOnly) {
    List<PeerId> out = new ArrayList<>();
    for (PeerId p : topicPeers.getOrDefault(topic, Set.of())) {
      if (!current.contains(p) && !inBackoff(topic, p) && (!outboundOnly || isOutbound(p))
          && score(p) >= GOSSIP_THRESHOLD) {
        out.add(p);
      }
    }
    return out;
  }

  private void maintainFanout(long now) {
    long ttl = config.fanoutTtl().toMillis();
    for (Iterator<Map.Entry<String, Set<PeerId>>> it = fanout.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Set<PeerId>> e = it.next();
      String topic = e.getKey();
      Long last = lastPublished.get(topic);
      if (last == null || now - last >= ttl) {
        it.remove();
        lastPublished.remove(topic);
        continue;
      }
      Set<PeerId> f = e.getValue();
      Set<PeerId> members = topicPeers.getOrDefault(topic, Set.of());
      f.removeIf(p -> !members.contains(p));
      if (f.size() < config.d()) {
        List<PeerId> candidates = new ArrayList<>();
        for (PeerId p : members) {
          if (!f.contains(p)) {
            candidates.add(p);
          }
        }
        f.addAll(pick(candidates, config.d() - f.size()));
      }
    }
  }

  private void emitGossip() {
    Set<String> topics = new LinkedHashSet<>(mesh.keySet());
    topics.addAll(fanout.keySet());
    for (String topic : topics) {
      List<ByteString> ids = mcache.gossipIds(topic);
      if (ids.isEmpty()) {
        continue;
      }
      Set<PeerId> exclude = new LinkedHashSet<>(mesh.getOrDefault(topic, Set.of()));
      exclude.addAll(fanout.getOrDefault(topic, Set.of()));
      List<PeerId> candidates = new ArrayList<>();
      for (PeerId p : topicPeers.getOrDefault(topic, Set.of())) {
        if (!exclude.contains(p) && score(p) >= GOSSIP_THRESHOLD) {
          candidates.add(p);
        }
      }
      int n = Math.max(config.dLazy(), (int) (config.gossipFactor() * candidates.size()));
      List<PeerId> targets = pick(candidates, n);
      if (targets.isEmpty()) {
        continue;
      }
      if (ids.size() > config.maxIHaveLength()) {
        ids = pick(ids, config.maxIHaveLength());
      }
      RpcProto.ControlIHave ihave = RpcProto.ControlIHave.newBuilder()
          .setTopicID(topic).addAllMessageIDs(ids).build();
      for (PeerId p : targets) {
        pending(p).control.addIhave(ihave);
      }
    }
  }

  // ---------------------------------------------------------------- backoff

  private Long backoffUntil(String topic, PeerId peer) {
    Map<PeerId, Long> b = backoff.get(topic);
    return b == null ? null : b.get(peer);
  }

  /**
   * Whether we must not graft the peer: a backoff entry exists. Entries outlive their end by
   * two heartbeats (see {@link #expireBackoffs}): the slack the v1.1 spec asks for, so our
   * GRAFT does not reach the peer just before its own backoff ends.
   */
  private boolean inBackoff(String topic, PeerId peer) {
    return backoffUntil(topic, peer) != null;
  }

  private void addBackoff(String topic, PeerId peer, long millis) {
    long until = clock.getAsLong() + millis;
    backoff.computeIfAbsent(topic, t -> new HashMap<>()).merge(peer, until, Math::max);
  }

  private void expireBackoffs(long now) {
    long slack = 2 * config.heartbeatInterval().toMillis();
    for (Iterator<Map<PeerId, Long>> it = backoff.values().iterator(); it.hasNext(); ) {
      Map<PeerId, Long> b = it.next();
      b.values().removeIf(until -> until + slack <= now);
      if (b.isEmpty()) {
        it.remove();
      }
    }
  }

  // ---------------------------------------------------------------- output

  private Pending pending(PeerId peer) {
    return outbox.computeIfAbsent(peer, p -> new Pending());
  }

  private void graft(PeerId peer, String topic) {
    pending(peer).control.addGraft(RpcProto.ControlGraft.newBuilder().setTopicID(topic));
  }

  private void prune(PeerId peer, String topic, long backoffMillis) {
    pending(peer).control.addPrune(RpcProto.ControlPrune.newBuilder()
        .setTopicID(topic)
        .setBackoff(backoffMillis / 1000));
  }

  /** Queues a message for a peer; false if it is already queued for it. */
  private boolean enqueueMessage(PeerId peer, ByteString id, RpcProto.Message m) {
    Pending p = pending(peer);
    if (!p.messageIds.add(id)) {
      return false;
    }
    p.messages.add(m);
    return true;
  }

  /** Sends what is queued: one RPC per peer, split only if it would exceed maxRpcSize. */
  private void flush() {
    if (outbox.isEmpty()) {
      return;
    }
    Map<PeerId, Pending> batch = outbox;
    outbox = new LinkedHashMap<>();
    for (Map.Entry<PeerId, Pending> e : batch.entrySet()) {
      PeerId peer = e.getKey();
      if (!peers.containsKey(peer)) {
        continue;
      }
      Pending p = e.getValue();
      RpcProto.RPC.Builder rpc = RpcProto.RPC.newBuilder().addAllSubscriptions(p.subscriptions);
      if (!p.iwants.isEmpty()) {
        p.control.addIwant(p.iwants.get(0));
      }
      RpcProto.ControlMessage control = p.control.build();
      if (!control.equals(RpcProto.ControlMessage.getDefaultInstance())) {
        rpc.setControl(control);
      }
      int size = rpc.build().getSerializedSize();
      boolean empty = size == 0;
      for (RpcProto.Message m : p.messages) {
        int ms = CodedOutputStream.computeMessageSize(2, m);
        if (!empty && size + ms > config.maxRpcSize()) {
          output.send(peer, rpc.build());
          rpc = RpcProto.RPC.newBuilder();
          size = 0;
        }
        rpc.addPublish(m);
        size += ms;
        empty = false;
      }
      if (!empty) {
        output.send(peer, rpc.build());
      }
      for (int i = 1; i < p.iwants.size(); i++) {
        output.send(peer, RpcProto.RPC.newBuilder()
            .setControl(RpcProto.ControlMessage.newBuilder().addIwant(p.iwants.get(i))).build());
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The message id under the configured function. */
  public ByteString messageId(RpcProto.Message m) {
    return switch (config.messageIdFn()) {
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

  private static RpcProto.RPC.SubOpts subOpts(String topic, boolean subscribe) {
    return RpcProto.RPC.SubOpts.newBuilder().setSubscribe(subscribe).setTopicid(topic).build();
  }

  private void leaveTopicPeers(String topic, PeerId peer) {
    Set<PeerId> s = topicPeers.get(topic);
    if (s != null) {
      s.remove(peer);
      if (s.isEmpty()) {
        topicPeers.remove(topic);
      }
    }
  }

  private boolean isOutbound(PeerId p) {
    PeerState ps = peers.get(p);
    return ps != null && ps.outbound;
  }

  private int countOutbound(Collection<PeerId> ps) {
    int n = 0;
    for (PeerId p : ps) {
      if (isOutbound(p)) {
        n++;
      }
    }
    return n;
  }

  /** Up to n elements chosen at random (a shuffled copy's prefix). */
  private <T> List<T> pick(List<T> from, int n) {
    if (n <= 0 || from.isEmpty()) {
      return List.of();
    }
    List<T> copy = new ArrayList<>(from);
    Collections.shuffle(copy, random);
    return n >= copy.size() ? copy : new ArrayList<>(copy.subList(0, n));
  }

  private void drop(DropReason reason) {
    dropped.merge(reason, 1L, Long::sum);
  }

  // ---------------------------------------------------------------- views

  /** Topics we joined, in joining order. */
  public Set<String> topics() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(subscriptions));
  }

  /** Mesh size per joined topic. */
  public Map<String, Integer> meshSizes() {
    Map<String, Integer> out = new LinkedHashMap<>();
    mesh.forEach((t, m) -> out.put(t, m.size()));
    return out;
  }

  /** Number of peers that announced each topic (every topic we heard of). */
  public Map<String, Integer> topicPeerCounts() {
    Map<String, Integer> out = new LinkedHashMap<>();
    topicPeers.forEach((t, s) -> out.put(t, s.size()));
    return out;
  }

  public Set<PeerId> meshPeers(String topic) {
    return Set.copyOf(mesh.getOrDefault(topic, Set.of()));
  }

  public Set<PeerId> fanoutPeers(String topic) {
    return Set.copyOf(fanout.getOrDefault(topic, Set.of()));
  }

  public Set<PeerId> topicPeers(String topic) {
    return Set.copyOf(topicPeers.getOrDefault(topic, Set.of()));
  }

  public Set<PeerId> peers() {
    return Set.copyOf(peers.keySet());
  }

  /** Whether a backoff keeps us from grafting the peer on the topic. */
  public boolean isBackingOff(String topic, PeerId peer) {
    return inBackoff(topic, peer);
  }

  public long dropped(DropReason reason) {
    return dropped.get(reason);
  }

  /**
   * Counters for /status: {@code received} messages, {@code delivered} to the application,
   * {@code forwarded} copies, {@code published} messages and the copies sent
   * ({@code publishedCopies}), control message counts, the validation queue
   * ({@code validationQueued}: admitted in total, {@code validated}: signature checks done,
   * {@code validationQueue} and {@code validationQueueBytes}: waiting now), and one
   * {@code dropped.*} counter per {@link DropReason} ({@code dropped.duplicate}: never
   * verified; {@code dropped.throttled*}: shed by the queue).
   */
  public Map<String, Long> counters() {
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("received", received);
    out.put("graylisted", graylisted);
    out.put("prunedForScore", prunedForScore);
    out.put("delivered", delivered);
    out.put("forwarded", forwarded);
    out.put("published", published);
    out.put("publishedCopies", publishedCopies);
    out.put("graftsReceived", graftsReceived);
    out.put("graftsRefused", graftsRefused);
    out.put("graftsIgnored", graftsIgnored);
    out.put("prunesReceived", prunesReceived);
    out.put("ihavesReceived", ihavesReceived);
    out.put("ihavesIgnored", ihavesIgnored);
    out.put("iwantIdsSent", iwantsSent);
    out.put("iwantsReceived", iwantsReceived);
    out.put("iwantServed", iwantServed);
    out.put("rpcsFromUnknownPeers", rpcsFromUnknownPeers);
    out.put("validationQueued", validationQueued);
    out.put("validated", validated);
    out.put("validationQueue", (long) validation.size());
    out.put("validationQueueBytes", validation.bytes());
    long total = 0;
    for (Map.Entry<DropReason, Long> e : dropped.entrySet()) {
      out.put(e.getKey().counterName(), e.getValue());
      total += e.getValue();
    }
    out.put("dropped", total);
    return out;
  }
}
