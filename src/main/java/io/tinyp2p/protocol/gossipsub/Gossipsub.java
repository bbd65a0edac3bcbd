package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.util.AfterIo;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import io.tinyp2p.stream.ConnectionInfo;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.buffer.Buffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gossipsub on the wire: {@code /meshsub/1.1.0}, {@code /meshsub/1.0.0} and
 * {@code /floodsub/1.0.0} streams around the sans-IO {@link GossipRouter} (with
 * {@link GossipConfig.Router#FLOODSUB}: {@code /floodsub/1.0.0} only, see {@link #protocols}).
 * Per peer we keep one long-lived outbound stream that carries our length-prefixed RPCs, and
 * read the peer's RPCs from its own outbound stream (our inbound one). The protocol negotiated
 * on the first of them tells the router whether the peer is a floodsub peer. The router's
 * heartbeat runs on a timer of the node's event loop.
 *
 * <p>Memory stays bounded: RPCs are checked against the size limit
 * ({@link GossipConfig#maxRpcSize()}, the message limit plus room for control messages) at
 * their length prefix, before they are buffered; RPCs for a peer whose stream is not open yet
 * wait in a small queue, and a peer that does not read (its stream's write queue full) loses
 * RPCs rather than growing ours.
 *
 * <p>Work stays bounded too. A received RPC is only queued where it arrives (on its peer's
 * queue of at most {@link #RECEIVED_PER_PEER} RPCs and {@link GossipConfig#maxRpcSize()} bytes,
 * all peers' together at most {@link #RECEIVED_BYTES}; past a bound the stream is paused, so
 * Yamux's window holds the sender back). Handling RPCs (parsing, the router's checks) and
 * verifying the messages they brought both happen in slices of at most {@link #SLICE_NANOS}
 * on the event loop: RPCs one at a time round-robin across peers, messages from the router's
 * validation queue. Parsing in the socket's read would make the read as long as the RPCs it
 * completes: a hundred sybils whose 10 KB RPCs of 50 messages each complete in one I/O phase
 * made that phase 50-100 ms long, with an honest ping waiting behind it. A slice runs right
 * after the I/O that queued work; while work remains the next one runs after the event loop's
 * next socket poll ({@link AfterIo}), never chained with {@code runOnContext}: Netty runs
 * queued tasks for up to a second before it polls the sockets again, so the loop reads (ping,
 * kad, identify, new handshakes) between two slices.
 */
public final class Gossipsub {
  private static final Logger LOG = LoggerFactory.getLogger(Gossipsub.class);

  public static final String MESHSUB_1_1 = "/meshsub/1.1.0";
  public static final String MESHSUB_1_0 = "/meshsub/1.0.0";
  public static final String FLOODSUB = "/floodsub/1.0.0";
  /** What the gossipsub router speaks, most preferred first. */
  public static final List<String> PROTOCOLS = List.of(MESHSUB_1_1, MESHSUB_1_0, FLOODSUB);
  /** RPCs held for a peer while its stream opens. */
  static final int MAX_PENDING_RPCS = 64;
  /** How long one RPC may take to arrive from its first byte. */
  static final java.time.Duration READ_DEADLINE = java.time.Duration.ofSeconds(30);
  /** The event-loop time one validation slice may take (it ends after the message at hand). */
  static final long SLICE_NANOS = 4_000_000;
  /** Received RPCs one peer may have waiting before its streams are paused. */
  static final int RECEIVED_PER_PEER = 4;
  /** Received RPCs' bytes all peers together may have waiting before streams are paused. */
  static final long RECEIVED_BYTES = 16L << 20;
  /** The event-loop time one slice of the heartbeat's RPCs may take to encode and write. */
  static final long SEND_SLICE_NANOS = 1_000_000;
  /** Messages and bytes verified between two looks at the clock. */
  private static final int SLICE_STEP_MESSAGES = 8;
  private static final long SLICE_STEP_BYTES = 256 * 1024;

  /** A message for the application. */
  public interface Delivery {
    void deliver(String topic, PeerId from, byte[] id, byte[] data);
  }

  private final Swarm swarm;
  private final GossipRouter router;
  private final List<String> protocols;
  private final Map<PeerId, PeerStreams> peers = new HashMap<>();
  private final long heartbeatTimer;
  private long droppedSlowPeer;
  private long rpcsRefused;
  private long rpcsMalformed;
  private long validationSlices;
  /** Peers with received RPCs waiting, round-robin: the head's next RPC is handled next. */
  private final java.util.LinkedHashMap<PeerId, PeerStreams> receiving = new java.util.LinkedHashMap<>();
  /** Peers with a stream paused because a bound on received RPCs was reached. */
  private final java.util.Set<PeerStreams> pausedPeers = new java.util.LinkedHashSet<>();
  private long receivedBytes;
  /** The heartbeat is running: what it sends waits in {@link #heartbeatOut}. */
  private boolean heartbeating;
  private boolean sendingHeartbeat;
  private final ArrayDeque<Map.Entry<PeerId, RpcProto.RPC>> heartbeatOut = new ArrayDeque<>();
  /** A slice is scheduled (or running). */
  private boolean validating;
  private boolean stopped;

  /** An RPC as it arrived, and the stream it came on. */
  private record Received(P2pStream stream, byte[] bytes) {}

  /** The streams we have with one peer. */
  private static final class PeerStreams {
    final PeerId peer;
    P2pStream outbound;
    boolean opening;
    final ArrayDeque<Buffer> pending = new ArrayDeque<>();
    /** Its RPCs not handled yet, oldest first, and their bytes. */
    final ArrayDeque<Received> received = new ArrayDeque<>();
    long receivedBytes;
    /** Its inbound streams paused while its (or everyone's) received RPCs are over a bound. */
    final java.util.Set<P2pStream> paused = new java.util.LinkedHashSet<>();

    PeerStreams(PeerId peer) {
      this.peer = peer;
    }
  }

  public Gossipsub(Swarm swarm, GossipConfig config, Delivery delivery) {
    this.swarm = swarm;
    this.protocols = protocols(config.router());
    this.router = new GossipRouter(swarm.identity(), config, new GossipRouter.Output() {
      @Override
      public void send(PeerId peer, RpcProto.RPC rpc) {
        sendRpc(peer, rpc);
      }

      @Override
      public void deliver(String topic, PeerId from, byte[] id, byte[] data, long seqno) {
        delivery.deliver(topic, from, id, data);
      }
    }, System::currentTimeMillis, new SecureRandom());
    // a pubsub stream keeps its connection alive
    swarm.handle(new ProtocolSpec(protocols, Integer.MAX_VALUE, true), this::onInbound);
    swarm.on(PeerIdentified.class, e -> {
      if (protocols.stream().anyMatch(e.info()::supports)) {
        ensureOutbound(e.peer());
      }
    });
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> {
      PeerId peer = e.peer();
      PeerStreams gone = peer == null || swarm.isConnected(peer) ? null : peers.remove(peer);
      if (gone != null) {
        forgetReceived(gone);
        router.removePeer(peer);
      }
    });
    heartbeatTimer = swarm.vertx().setPeriodic(config.heartbeatInterval().toMillis(), t -> heartbeat());
  }

  public GossipRouter router() {
    return router;
  }

  /**
   * The protocol ids a router advertises and proposes, most preferred first: both meshsub
   * versions and floodsub for {@link GossipConfig.Router#GOSSIPSUB}, floodsub alone for
   * {@link GossipConfig.Router#FLOODSUB}.
   */
  public static List<String> protocols(GossipConfig.Router router) {
    return router == GossipConfig.Router.FLOODSUB ? List.of(FLOODSUB) : PROTOCOLS;
  }

  public void stop() {
    stopped = true;
    swarm.vertx().cancelTimer(heartbeatTimer);
  }

  /**
   * The router's counters and this glue's: {@code dropped.slowPeer}, {@code rpcsRefused}
   * (streams reset at a length prefix over {@link GossipConfig#maxRpcSize()} or a malformed
   * one, before the RPC was buffered), {@code rpcsMalformed} (not a protobuf RPC),
   * {@code validationSlices} (slices of RPC handling and validation run) and
   * {@code receivedQueued} (RPCs received and not handled yet).
   */
  public Map<String, Long> counters() {
    Map<String, Long> out = new java.util.LinkedHashMap<>(router.counters());
    out.put("dropped.slowPeer", droppedSlowPeer);
    out.put("rpcsRefused", rpcsRefused);
    out.put("rpcsMalformed", rpcsMalformed);
    out.put("validationSlices", validationSlices);
    out.put("receivedQueued", (long) receivedCount());
    return out;
  }

  // ---- outbound ----

  private void ensureOutbound(PeerId peer) {
    PeerStreams ps = peers.computeIfAbsent(peer, PeerStreams::new);
    if (ps.outbound != null || ps.opening) {
      return;
    }
    Connection connection = swarm.connection(peer);
    if (connection == null) {
      return;
    }
    ps.opening = true;
    connection.openStream(protocols).onComplete(ar -> {
      ps.opening = false;
      if (ar.failed()) {
        LOG.debug("gossipsub stream to {} failed: {}", peer, ar.cause().getMessage());
        return;
      }
      P2pStream stream = ar.result();
      if (peers.get(peer) != ps) { // the peer left meanwhile
        stream.reset();
        return;
      }
      ps.outbound = stream;
      stream.handler(data -> { }); // the peer sends on its own stream; drain anything here
      stream.closeHandler(v -> {
        if (ps.outbound == stream) {
          ps.outbound = null;
          Connection now = swarm.connection(peer);
          if (peers.get(peer) == ps && now != null && now.info().id() != stream.connection().id()) {
            ensureOutbound(peer); // its connection closed and another remains (a direct one after a relayed one)
          }
        }
      });
      register(peer, stream);
      while (!ps.pending.isEmpty()) {
        stream.write(ps.pending.poll());
      }
    });
  }

  /**
   * The heartbeat: what it sends (gossip to a quarter of the topic's other peers, each an IHAVE
   * of up to 5 000 ids: after a flood, 25 peers × 160 KB to encode and encrypt, 30-60 ms of the
   * event loop in one task) goes out in slices of {@link #SEND_SLICE_NANOS}, one after each
   * socket poll.
   */
  private void heartbeat() {
    heartbeating = true;
    try {
      router.heartbeat();
    } finally {
      heartbeating = false;
    }
    if (!heartbeatOut.isEmpty() && !sendingHeartbeat) {
      sendingHeartbeat = true;
      sendHeartbeatSlice();
    }
  }

  private void sendHeartbeatSlice() {
    long deadline = System.nanoTime() + SEND_SLICE_NANOS;
    do {
      Map.Entry<PeerId, RpcProto.RPC> next = heartbeatOut.poll();
      sendNow(next.getKey(), next.getValue());
    } while (!heartbeatOut.isEmpty() && System.nanoTime() - deadline < 0);
    if (heartbeatOut.isEmpty() || stopped) {
      heartbeatOut.clear();
      sendingHeartbeat = false;
    } else {
      AfterIo.run(swarm.context(), v -> sendHeartbeatSlice());
    }
  }

  private void sendRpc(PeerId peer, RpcProto.RPC rpc) {
    if (heartbeating) {
      heartbeatOut.add(Map.entry(peer, rpc));
    } else {
      sendNow(peer, rpc);
    }
  }

  private void sendNow(PeerId peer, RpcProto.RPC rpc) {
    PeerStreams ps = peers.get(peer);
    if (ps == null) {
      return;
    }
    Buffer frame = LengthPrefixed.frame(rpc.toByteArray());
    if (ps.outbound != null) {
      if (ps.outbound.writeQueueFull()) {
        droppedSlowPeer++;
        return;
      }
      ps.outbound.write(frame);
    } else if (ps.pending.size() < MAX_PENDING_RPCS) {
      ps.pending.add(frame);
      ensureOutbound(peer);
    } else {
      droppedSlowPeer++;
    }
  }

  // ---- inbound ----

  private void onInbound(P2pStream stream) {
    PeerId peer = stream.remotePeer();
    ensureOutbound(peer);
    // the message limit plus room for control: a longer RPC is refused at its length prefix
    // (our IWANTs ask for few enough ids that answers fit, see GossipConfig.iwantIdsPerRpc)
    LengthPrefixed.read(stream, swarm.vertx(), router.config().maxRpcSize(), READ_DEADLINE,
        bytes -> received(peer, stream, bytes), e -> {
          rpcsRefused++;
          swarm.streamReadFailed(stream, label(stream), e);
        });
    stream.endHandler(v -> stream.end());
  }

  /** Queues an RPC as it arrived; past a bound its stream waits until the queue drains. */
  private void received(PeerId peer, P2pStream stream, Buffer bytes) {
    PeerStreams ps = peers.get(peer);
    if (ps == null || stopped) {
      return; // the peer left meanwhile
    }
    // a copy, as parsing took one before: a slice would hold the socket's whole read buffer
    ps.received.add(new Received(stream, bytes.getBytes()));
    ps.receivedBytes += bytes.length();
    receivedBytes += bytes.length();
    receiving.putIfAbsent(peer, ps);
    if (overBound(ps) && ps.paused.add(stream)) {
      stream.pause();
      pausedPeers.add(ps);
    }
    scheduleSlice();
  }

  private int receivedCount() {
    int n = 0;
    for (PeerStreams ps : receiving.values()) {
      n += ps.received.size();
    }
    return n;
  }

  private boolean overBound(PeerStreams ps) {
    return ps.received.size() >= RECEIVED_PER_PEER || ps.receivedBytes >= router.config().maxRpcSize()
        || receivedBytes >= RECEIVED_BYTES;
  }

  /** Handles the next received RPC, round-robin across peers. */
  private void handleNextReceived() {
    java.util.Iterator<Map.Entry<PeerId, PeerStreams>> it = receiving.entrySet().iterator();
    Map.Entry<PeerId, PeerStreams> head = it.next();
    it.remove();
    PeerStreams ps = head.getValue();
    Received r = ps.received.poll();
    ps.receivedBytes -= r.bytes().length;
    receivedBytes -= r.bytes().length;
    if (!ps.received.isEmpty()) {
      receiving.put(head.getKey(), ps); // to the back
    }
    resumeWhereRoom();
    handle(ps.peer, r.stream(), r.bytes());
  }

  /** Resumes the paused streams of peers back under every bound. */
  private void resumeWhereRoom() {
    if (pausedPeers.isEmpty() || receivedBytes >= RECEIVED_BYTES) {
      return;
    }
    List<P2pStream> resumed = new java.util.ArrayList<>();
    for (java.util.Iterator<PeerStreams> it = pausedPeers.iterator(); it.hasNext(); ) {
      PeerStreams ps = it.next();
      if (!overBound(ps)) {
        it.remove();
        resumed.addAll(ps.paused);
        ps.paused.clear();
      }
    }
    // after the loop: a resumed stream may hand over RPCs it held, and pause again, at once
    resumed.forEach(P2pStream::resume);
  }

  private void forgetReceived(PeerStreams ps) {
    receiving.remove(ps.peer);
    pausedPeers.remove(ps);
    receivedBytes -= ps.receivedBytes;
    ps.receivedBytes = 0;
    ps.received.clear();
    ps.paused.clear();
  }

  private void handle(PeerId peer, P2pStream stream, byte[] bytes) {
    RpcProto.RPC rpc;
    try {
      rpc = RpcProto.RPC.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      rpcsMalformed++;
      swarm.peerLog().info(LOG, peer, "{} from {}: malformed RPC: {}", label(stream), peer, e.getMessage());
      stream.reset();
      return;
    }
    register(peer, stream);
    router.handleRpc(peer, rpc);
  }

  /**
   * Adds the peer to the router, once: as a floodsub peer if the stream's protocol is floodsub,
   * with the direction and remote IP (for the colocation score) of the connection of the first
   * pubsub stream that needs it. Either side may speak first: our outbound stream opening (the
   * router then sends it our subscriptions) or an RPC arriving on the peer's stream before ours
   * is open (the router ignores RPCs of peers it does not know). A peer that offers meshsub
   * negotiates it both ways, so both streams tell the same.
   */
  private void register(PeerId peer, P2pStream stream) {
    if (router.hasPeer(peer)) {
      return;
    }
    ConnectionInfo connection = stream.connection();
    router.addPeer(peer, connection.isOutbound(), FLOODSUB.equals(stream.protocol()));
    router.peerAddress(peer, connection.remoteHost());
  }

  /** The protocol's name for log lines: "floodsub" or "gossipsub". */
  private static String label(P2pStream stream) {
    return FLOODSUB.equals(stream.protocol()) ? "floodsub" : "gossipsub";
  }

  // ---- slices: received RPCs and validation ----

  private boolean workWaits() {
    return !receiving.isEmpty() || router.queuedForValidation() > 0;
  }

  /** Runs a slice soon if work waits and none is scheduled. */
  private void scheduleSlice() {
    if (validating || stopped || !workWaits()) {
      return;
    }
    validating = true;
    swarm.context().runOnContext(v -> slice());
  }

  /** One RPC, then a step of validation, in turn, until the slice's time is up or all is done. */
  private void slice() {
    if (stopped) {
      validating = false;
      return;
    }
    validationSlices++;
    long deadline = System.nanoTime() + SLICE_NANOS;
    try {
      do {
        if (!receiving.isEmpty()) {
          handleNextReceived();
        }
        if (router.queuedForValidation() > 0) {
          router.validateQueued(SLICE_STEP_MESSAGES, SLICE_STEP_BYTES);
        }
      } while (workWaits() && System.nanoTime() - deadline < 0);
    } catch (RuntimeException e) {
      // a bug, not input: never let it escape to the event loop or stop the slices
      LOG.warn("gossipsub RPC handling or validation failed", e);
    }
    if (workWaits() && !stopped) {
      AfterIo.run(swarm.context(), v -> slice()); // after the sockets were read
    } else {
      validating = false;
    }
  }

  // ---- application ----

  public void subscribe(String topic) {
    router.subscribe(topic);
  }

  public void unsubscribe(String topic) {
    router.unsubscribe(topic);
  }

  public GossipRouter.PublishResult publish(String topic, byte[] data) {
    return router.publish(topic, data);
  }
}
