package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What the router has to say to each peer during one of its calls, sent at the end of the
 * call ({@link #flush}) as one RPC per peer: subscription changes, messages and control
 * messages for a peer travel together (gossipsub-v1.0.md "Protobuf": one RPC may carry all
 * three). An RPC is split only where it would exceed {@link GossipConfig#maxRpcSize()}: the
 * messages that do not fit go in further RPCs, and every IWANT after the first goes alone, so
 * that the answers to each fit our own limit ({@link GossipConfig#iwantIdsPerRpc()}). Peers
 * get their RPCs in the order they were first given something in the call. Single-threaded.
 */
final class Outbox {
  /** What is queued for one peer until the end of the current call. */
  private static final class Pending {
    final List<RpcProto.RPC.SubOpts> subscriptions = new ArrayList<>();
    final List<RpcProto.Message> messages = new ArrayList<>();
    final Set<ByteString> messageIds = new LinkedHashSet<>();
    final RpcProto.ControlMessage.Builder control = RpcProto.ControlMessage.newBuilder();
    /** IWANTs, one per RPC: the first travels with the rest, each other one alone. */
    final List<RpcProto.ControlIWant> iwants = new ArrayList<>();
  }

  private final int maxRpcSize;
  private final GossipRouter.Output output;
  private Map<PeerId, Pending> pending = new LinkedHashMap<>();

  Outbox(int maxRpcSize, GossipRouter.Output output) {
    this.maxRpcSize = maxRpcSize;
    this.output = output;
  }

  private Pending pending(PeerId peer) {
    return pending.computeIfAbsent(peer, p -> new Pending());
  }

  /** Announces that we joined ({@code subscribe}) or left a topic. */
  void subscription(PeerId peer, String topic, boolean subscribe) {
    pending(peer).subscriptions.add(
        RpcProto.RPC.SubOpts.newBuilder().setSubscribe(subscribe).setTopicid(topic).build());
  }

  void graft(PeerId peer, String topic) {
    pending(peer).control.addGraft(RpcProto.ControlGraft.newBuilder().setTopicID(topic));
  }

  /** A PRUNE announcing a backoff of {@code backoffMillis} (in whole seconds on the wire). */
  void prune(PeerId peer, String topic, long backoffMillis) {
    pending(peer).control.addPrune(RpcProto.ControlPrune.newBuilder()
        .setTopicID(topic)
        .setBackoff(backoffMillis / 1000));
  }

  void ihave(PeerId peer, RpcProto.ControlIHave ihave) {
    pending(peer).control.addIhave(ihave);
  }

  /** An IWANT that gets an RPC of its own unless it is the peer's first of the call. */
  void iwant(PeerId peer, RpcProto.ControlIWant iwant) {
    pending(peer).iwants.add(iwant);
  }

  /** Queues a message for a peer; false if it is already queued for it. */
  boolean message(PeerId peer, ByteString id, RpcProto.Message m) {
    Pending p = pending(peer);
    if (!p.messageIds.add(id)) {
      return false;
    }
    p.messages.add(m);
    return true;
  }

  /** Drops what is queued for a peer (it left). */
  void forget(PeerId peer) {
    pending.remove(peer);
  }

  /**
   * Sends what is queued, to the peers still {@code known}: one RPC per peer, split only if it
   * would exceed the RPC size limit.
   */
  void flush(Predicate<PeerId> known) {
    if (pending.isEmpty()) {
      return;
    }
    Map<PeerId, Pending> batch = pending;
    pending = new LinkedHashMap<>();
    for (Map.Entry<PeerId, Pending> e : batch.entrySet()) {
      PeerId peer = e.getKey();
      if (!known.test(peer)) {
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
        if (!empty && size + ms > maxRpcSize) {
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
}
