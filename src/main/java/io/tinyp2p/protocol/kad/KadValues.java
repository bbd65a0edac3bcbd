package io.tinyp2p.protocol.kad;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.kad.pb.KadProto;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kademlia records, both sides: inbound PUT_VALUE (validated, stored, echoed) and GET_VALUE
 * (the record we hold); outbound {@link Kademlia#putValue} and {@link Kademlia#getValue}. The
 * records we put ourselves are put again every {@link StoreConfig#recordRepublish()}, so they
 * outlive the record TTL of the peers that hold them. On the node's event loop.
 */
final class KadValues {
  private static final Logger LOG = LoggerFactory.getLogger(KadValues.class);

  private final Kademlia kad;
  private final RecordStore store;
  private final Map<ByteBuffer, byte[]> ours = new LinkedHashMap<>();

  KadValues(Kademlia kad, RecordStore store) {
    this.kad = kad;
    this.store = store;
  }

  RecordStore store() {
    return store;
  }

  /** Puts again what we put (a timer of {@link Kademlia} calls it). */
  void republish() {
    for (Map.Entry<ByteBuffer, byte[]> e : List.copyOf(ours.entrySet())) {
      byte[] key = e.getKey().array();
      put(key, e.getValue()).onFailure(err -> LOG.debug("republishing record {}: {}", show(key), err.getMessage()));
    }
  }

  /** Shows a key for messages: as text when it is printable ASCII, else its namespace (if any) and hex. */
  static String show(byte[] key) {
    boolean printable = key.length > 0;
    for (byte b : key) {
      printable &= b >= 0x20 && b < 0x7f;
    }
    if (printable) {
      return new String(key, java.nio.charset.StandardCharsets.US_ASCII);
    }
    String ns = RecordValidator.namespace(key);
    return ns == null ? HexFormat.of().formatHex(key) : "/" + ns + "/" + HexFormat.of().formatHex(key, ns.length() + 2, key.length);
  }

  // ---- client side ----

  Future<Integer> put(byte[] key, byte[] value) {
    String invalid = store.check(key, value);
    if (invalid != null) {
      return Future.failedFuture(new DhtException(value.length > kad.config().store().maxValueSize()
          ? DhtException.Reason.TOO_LARGE : DhtException.Reason.INVALID, "invalid record " + show(key) + ": " + invalid));
    }
    String refused = store.put(key, value);
    if (refused != null) {
      return Future.failedFuture(new DhtException(DhtException.Reason.STORE_FULL,
          "record " + show(key) + " not stored: " + refused));
    }
    ours.put(ByteBuffer.wrap(key.clone()), value.clone());
    if (ours.size() > kad.config().store().maxRecords()) {
      ours.remove(ours.keySet().iterator().next());
    }
    KadProto.Message request = KadRpc.putValue(key, value);
    return kad.lookup(key).compose(peers -> {
      List<Future<Boolean>> sent = new ArrayList<>();
      for (PeerId peer : peers) {
        sent.add(kad.ask(peer, request).map(reply -> reply.message().hasRecord()
            && Arrays.equals(reply.message().getRecord().getValue().toByteArray(), value)).otherwise(false));
      }
      return Future.join(sent).transform(ar -> {
        int stored = (int) sent.stream().filter(f -> Boolean.TRUE.equals(f.result())).count();
        if (stored > 0) {
          return Future.succeededFuture(stored);
        }
        return Future.failedFuture(new DhtException(DhtException.Reason.NO_PEERS, peers.isEmpty()
            ? "no peer to store record " + show(key) + " on (it is stored locally only)"
            : "none of the " + peers.size() + " closest peers stored record " + show(key) + " (it is stored locally only)"));
      });
    });
  }

  Future<byte[]> get(byte[] key) {
    RecordStore.Stored local = store.get(key);
    int quorum = kad.config().store().getQuorum();
    List<byte[]> found = new ArrayList<>();
    if (local != null) {
      found.add(local.value());
      if (quorum <= 1) {
        return Future.succeededFuture(local.value().clone());
      }
    }
    KadProto.Message request = KadRpc.getValue(key);
    return kad.walk(key, peer -> kad.ask(peer, request).map(reply -> {
      KadProto.Message answer = reply.message();
      if (answer.hasRecord()) {
        byte[] value = answer.getRecord().getValue().toByteArray();
        String invalid = Arrays.equals(answer.getRecord().getKey().toByteArray(), key)
            ? store.check(key, value) : "the record is for another key";
        if (invalid == null) {
          found.add(value);
        } else {
          kad.swarm().peerLog().info(LOG, peer, "kad GET_VALUE answer from {} ignored: {}", peer, invalid);
        }
      }
      return kad.closerPeers(reply);
    }), () -> found.size() >= quorum).compose(peers -> found.isEmpty()
        ? Future.failedFuture(new DhtException(DhtException.Reason.NOT_FOUND, "no record for key " + show(key)))
        : Future.succeededFuture(found.get(0)));
  }

  // ---- server side ----

  /** An inbound PUT_VALUE: the echo when the record was valid and stored, else null (it is logged). */
  KadProto.Message onPut(PeerId from, KadProto.Message request) {
    String refused;
    if (!request.hasRecord()) {
      refused = "no record";
    } else if (!request.getRecord().getKey().equals(request.getKey())) {
      refused = "the record's key is not the message's";
    } else {
      refused = store.put(request.getKey().toByteArray(), request.getRecord().getValue().toByteArray());
    }
    if (refused != null) {
      kad.swarm().peerLog().info(LOG, from, "kad PUT_VALUE from {} refused: {}", from, refused);
      return null;
    }
    return request;
  }

  /** Adds the record we hold for a GET_VALUE's key to the answer, with when we received it. */
  void answerGet(KadProto.Message request, KadProto.Message.Builder reply) {
    RecordStore.Stored stored = store.get(request.getKey().toByteArray());
    if (stored != null) {
      reply.setRecord(KadProto.Record.newBuilder().setKey(ByteString.copyFrom(stored.key()))
          .setValue(ByteString.copyFrom(stored.value())).setTimeReceived(stored.timeReceived()));
    }
  }
}
