package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.util.AfterIo;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.Direction;
import io.tinyp2p.swarm.PeerStore;
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
 * Gossipsub on the wire: {@code /meshsub/1.1.0} and {@code /meshsub/1.0.0} streams around the
 * sans-IO {@link GossipRouter}. Per peer we keep one long-lived outbound stream that carries
 * our length-prefixed RPCs, and read the peer's RPCs from its own outbound stream (our
 * inbound one). The router's heartbeat runs on a timer of the node's event loop.
 *
 * <p>Memory stays bounded: RPCs are checked against the size limit
 * ({@link GossipConfig#maxRpcSize()}, the message limit plus room for control messages) at
 * their length prefix, before they are buffered; RPCs for a peer whose stream is not open yet
 * wait in a small queue, and a peer that does not read (its stream's write queue full) loses
 * RPCs rather than growing ours.
 *
 * <p>Work stays bounded too: received messages wait in the router's validation queue and are
 * verified in slices of at most {@link #SLICE_NANOS} on the event loop. A slice runs right after
 * the RPCs that queued work; while work remains the next one runs after the event loop's next
 * socket poll ({@link AfterIo}), never chained with {@code runOnContext}: Netty runs queued
 * tasks for up to a second before it polls the sockets again, so the loop reads (ping, kad,
 * identify, new handshakes) between two slices.
 */
public final class Gossipsub {
  private static final Logger LOG = LoggerFactory.getLogger(Gossipsub.class);

  public static final String MESHSUB_1_1 = "/meshsub/1.1.0";
  public static final String MESHSUB_1_0 = "/meshsub/1.0.0";
  public static final List<String> PROTOCOLS = List.of(MESHSUB_1_1, MESHSUB_1_0);
  /** RPCs held for a peer while its stream opens. */
  static final int MAX_PENDING_RPCS = 64;
  /** How long one RPC may take to arrive from its first byte. */
  static final java.time.Duration READ_DEADLINE = java.time.Duration.ofSeconds(30);
  /** The event-loop time one validation slice may take (it ends after the message at hand). */
  static final long SLICE_NANOS = 4_000_000;
  /** Messages and bytes verified between two looks at the clock. */
  private static final int SLICE_STEP_MESSAGES = 8;
  private static final long SLICE_STEP_BYTES = 256 * 1024;

  /** A message for the application. */
  public interface Delivery {
    void deliver(String topic, PeerId from, byte[] id, byte[] data);
  }

  private final Swarm swarm;
  private final GossipRouter router;
  private final Map<PeerId, PeerStreams> peers = new HashMap<>();
  private final long heartbeatTimer;
  private long droppedSlowPeer;
  private long rpcsRefused;
  private long rpcsMalformed;
  private long validationSlices;
  /** A validation slice is scheduled (or running). */
  private boolean validating;
  private boolean stopped;

  /** The streams we have with one peer. */
  private static final class PeerStreams {
    P2pStream outbound;
    boolean opening;
    final ArrayDeque<Buffer> pending = new ArrayDeque<>();
  }

  public Gossipsub(Swarm swarm, GossipConfig config, Delivery delivery) {
    this.swarm = swarm;
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
    for (String protocol : PROTOCOLS) {
      swarm.handle(protocol, this::onInbound);
    }
    swarm.on(SwarmEvent.PeerIdentified.class, e -> {
      if (supportsGossip(e.info())) {
        ensureOutbound(e.peer());
      }
    });
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> {
      PeerId peer = e.peer();
      if (peer != null && !swarm.isConnected(peer) && peers.remove(peer) != null) {
        router.removePeer(peer);
      }
    });
    heartbeatTimer = swarm.vertx().setPeriodic(config.heartbeatInterval().toMillis(), t -> router.heartbeat());
  }

  public GossipRouter router() {
    return router;
  }

  public void stop() {
    stopped = true;
    swarm.vertx().cancelTimer(heartbeatTimer);
  }

  /** RPCs dropped because a peer did not read them. */
  public long droppedSlowPeer() {
    return droppedSlowPeer;
  }

  /**
   * The router's counters and this glue's: {@code dropped.slowPeer}, {@code rpcsRefused}
   * (streams reset at a length prefix over {@link GossipConfig#maxRpcSize()} or a malformed
   * one, before the RPC was buffered), {@code rpcsMalformed} (not a protobuf RPC) and
   * {@code validationSlices}.
   */
  public Map<String, Long> counters() {
    Map<String, Long> out = new java.util.LinkedHashMap<>(router.counters());
    out.put("dropped.slowPeer", droppedSlowPeer);
    out.put("rpcsRefused", rpcsRefused);
    out.put("rpcsMalformed", rpcsMalformed);
    out.put("validationSlices", validationSlices);
    return out;
  }

  private static boolean supportsGossip(PeerStore.PeerInfo info) {
    return info.supports(MESHSUB_1_1) || info.supports(MESHSUB_1_0);
  }

  // ---- outbound ----

  private void ensureOutbound(PeerId peer) {
    PeerStreams ps = peers.computeIfAbsent(peer, p -> new PeerStreams());
    if (ps.outbound != null || ps.opening) {
      return;
    }
    Connection connection = swarm.connection(peer);
    if (connection == null) {
      return;
    }
    ps.opening = true;
    connection.openStream(PROTOCOLS).onComplete(ar -> {
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
        }
      });
      router.addPeer(peer, connection.direction() == Direction.OUTBOUND);
      router.peerAddress(peer, connection.remoteAddress().host());
      while (!ps.pending.isEmpty()) {
        stream.write(ps.pending.poll());
      }
    });
  }

  private void sendRpc(PeerId peer, RpcProto.RPC rpc) {
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
    LengthPrefixed.read(stream, swarm.vertx(), router.config().maxRpcSize(), READ_DEADLINE, bytes -> {
      RpcProto.RPC rpc;
      try {
        rpc = RpcProto.RPC.parseFrom(bytes.getBytes());
      } catch (InvalidProtocolBufferException e) {
        rpcsMalformed++;
        swarm.peerLog().info(LOG, peer, "gossipsub from {}: malformed RPC: {}", peer, e.getMessage());
        stream.reset();
        return;
      }
      if (!router.hasPeer(peer)) {
        Connection c = swarm.connection(peer);
        router.addPeer(peer, c != null && c.direction() == Direction.OUTBOUND);
        if (c != null) {
          router.peerAddress(peer, c.remoteAddress().host());
        }
      }
      router.handleRpc(peer, rpc);
      scheduleValidation();
    }, e -> {
      rpcsRefused++;
      swarm.streamReadFailed(stream, "gossipsub", e);
    });
    stream.endHandler(v -> stream.end());
  }

  // ---- validation slices ----

  /** Runs a slice soon if messages wait and none is scheduled. */
  private void scheduleValidation() {
    if (validating || stopped || router.queuedForValidation() == 0) {
      return;
    }
    validating = true;
    swarm.context().runOnContext(v -> validateSlice());
  }

  private void validateSlice() {
    if (stopped) {
      validating = false;
      return;
    }
    validationSlices++;
    long deadline = System.nanoTime() + SLICE_NANOS;
    int left;
    try {
      do {
        left = router.validateQueued(SLICE_STEP_MESSAGES, SLICE_STEP_BYTES);
      } while (left > 0 && System.nanoTime() - deadline < 0);
    } catch (RuntimeException e) {
      // a bug, not input: never let it escape to the event loop or stop the validation
      LOG.warn("gossipsub validation failed", e);
      left = router.queuedForValidation();
    }
    if (left > 0) {
      AfterIo.run(swarm.context(), v -> validateSlice()); // after the sockets were read
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
