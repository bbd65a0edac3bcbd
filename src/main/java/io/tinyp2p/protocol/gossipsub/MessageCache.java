package io.tinyp2p.protocol.gossipsub;

import com.google.protobuf.ByteString;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The message cache of gossipsub-v1.0.md "Message Cache": recent messages in history windows,
 * one per heartbeat. {@link #put} adds to the current window, {@link #gossipIds} lists the ids
 * of the newest {@code gossipWindows} windows for a topic, {@link #shift} opens a new window
 * and forgets the one that falls off the end ({@code historyWindows} are kept).
 * Single-threaded.
 */
public final class MessageCache {
  private record Entry(RpcProto.Message message, String topic, Map<PeerId, Integer> served) {}

  private record Stamp(ByteString id, String topic) {}

  private final int historyWindows;
  private final int gossipWindows;
  private final Map<ByteString, Entry> messages = new HashMap<>();
  /** Newest window first. */
  private final ArrayDeque<List<Stamp>> windows = new ArrayDeque<>();

  public MessageCache(int historyWindows, int gossipWindows) {
    if (gossipWindows < 1 || historyWindows < gossipWindows) {
      throw new IllegalArgumentException("need 1 <= gossip windows <= history windows");
    }
    this.historyWindows = historyWindows;
    this.gossipWindows = gossipWindows;
    windows.addFirst(new ArrayList<>());
  }

  /** Adds a message to the current window; false if the id is already cached. */
  public boolean put(ByteString id, RpcProto.Message message) {
    if (messages.containsKey(id)) {
      return false;
    }
    messages.put(id, new Entry(message, message.getTopic(), new HashMap<>()));
    windows.getFirst().add(new Stamp(id, message.getTopic()));
    return true;
  }

  /** The cached message, or null. */
  public RpcProto.Message get(ByteString id) {
    Entry e = messages.get(id);
    return e == null ? null : e.message();
  }

  public boolean contains(ByteString id) {
    return messages.containsKey(id);
  }

  /**
   * The cached message for an IWANT from {@code peer}, or null if it is not cached or was
   * already sent to that peer {@code maxTransmissions} times this way.
   */
  public RpcProto.Message getForPeer(ByteString id, PeerId peer, int maxTransmissions) {
    Entry e = messages.get(id);
    if (e == null) {
      return null;
    }
    int count = e.served().merge(peer, 1, Integer::sum);
    return count > maxTransmissions ? null : e.message();
  }

  /** Ids of the topic's messages in the newest gossip windows, newest first. */
  public List<ByteString> gossipIds(String topic) {
    List<ByteString> out = new ArrayList<>();
    int w = 0;
    for (Iterator<List<Stamp>> it = windows.iterator(); it.hasNext() && w < gossipWindows; w++) {
      for (Stamp s : it.next()) {
        if (s.topic().equals(topic)) {
          out.add(s.id());
        }
      }
    }
    return out;
  }

  /** Opens a new window; the oldest beyond the history length is forgotten. */
  public void shift() {
    windows.addFirst(new ArrayList<>());
    while (windows.size() > historyWindows) {
      for (Stamp s : windows.removeLast()) {
        messages.remove(s.id());
      }
    }
  }

  public int size() {
    return messages.size();
  }
}
