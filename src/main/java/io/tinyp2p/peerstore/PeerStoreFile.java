package io.tinyp2p.peerstore;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.util.AtomicFiles;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The peer store on disk: the peers a node knew when it last saved, so that a restarted node
 * rejoins the network without its boot nodes. A JSON document:
 *
 * <pre>{@code
 * {
 *   "version" : 1,
 *   "savedAt" : 1767225600000,
 *   "peers" : [ {
 *     "peerId" : "12D3KooW...",
 *     "addrs" : [ "/ip4/192.0.2.7/tcp/4001" ],
 *     "protocols" : [ "/ipfs/id/1.0.0", "/ipfs/kad/1.0.0" ],
 *     "agentVersion" : "tinyp2p/0.1.0",
 *     "lastSeen" : 1767225590000
 *   } ]
 * }
 * }</pre>
 *
 * <p>{@code agentVersion} is left out when not known (or empty); times are milliseconds since the epoch.
 * Unknown fields are ignored, an unknown {@code version} is refused. Bounded, so that a hostile
 * network cannot grow it without limit: at most {@link #MAX_PEERS} peers (the most recently
 * seen), {@link #MAX_ADDRS} addresses, {@link #MAX_PROTOCOLS} protocol ids of at most
 * {@link #MAX_PROTOCOL_LENGTH} characters and an agent of at most {@link #MAX_AGENT_LENGTH}
 * characters each; a file over {@link #MAX_FILE_BYTES} is not ours. Reads and writes block:
 * call them off the event loop.
 */
public final class PeerStoreFile {
  public static final int VERSION = 1;
  public static final int MAX_PEERS = 1000;
  public static final int MAX_ADDRS = PeerStore.MAX_ADDRS;
  public static final int MAX_PROTOCOLS = 64;
  public static final int MAX_PROTOCOL_LENGTH = 128;
  public static final int MAX_AGENT_LENGTH = 256;
  /** Larger than the bounds above let a file grow (about 13 MB; 1000 typical peers take 360 KB). */
  public static final long MAX_FILE_BYTES = 16L << 20;

  /** One stored peer; the constructor applies the per-peer bounds. */
  public record Entry(PeerId peerId, List<Multiaddr> addrs, List<String> protocols, String agentVersion,
      long lastSeen) {
    public Entry {
      LinkedHashSet<Multiaddr> a = new LinkedHashSet<>();
      for (Multiaddr m : addrs) {
        if (a.size() < MAX_ADDRS) {
          a.add(m.withoutPeerId());
        }
      }
      addrs = List.copyOf(a);
      LinkedHashSet<String> p = new LinkedHashSet<>();
      for (String s : protocols) {
        if (p.size() < MAX_PROTOCOLS && !s.isEmpty() && s.length() <= MAX_PROTOCOL_LENGTH) {
          p.add(s);
        }
      }
      protocols = List.copyOf(p);
      if (agentVersion != null && agentVersion.isEmpty()) {
        agentVersion = null; // what Identify gives for a peer that sent none
      } else if (agentVersion != null && agentVersion.length() > MAX_AGENT_LENGTH) {
        agentVersion = agentVersion.substring(0, MAX_AGENT_LENGTH);
      }
    }

    public boolean supports(String protocol) {
      return protocols.contains(protocol);
    }
  }

  private PeerStoreFile() {}

  /** One entry a peer, its most recent; most recently seen first; at most {@link #MAX_PEERS}. */
  public static List<Entry> bound(Collection<Entry> entries) {
    Map<PeerId, Entry> latest = new HashMap<>();
    for (Entry e : entries) {
      latest.merge(e.peerId(), e, (a, b) -> b.lastSeen() > a.lastSeen() ? b : a);
    }
    List<Entry> out = new ArrayList<>(latest.values());
    out.sort(Comparator.comparingLong(Entry::lastSeen).reversed().thenComparing(Entry::peerId));
    return List.copyOf(out.subList(0, Math.min(out.size(), MAX_PEERS)));
  }

  /** The document for {@code entries} (bounded first). */
  public static String encode(Collection<Entry> entries, long savedAt) {
    JsonArray peers = new JsonArray();
    for (Entry e : bound(entries)) {
      JsonObject peer = new JsonObject().put("peerId", e.peerId().toBase58());
      peer.put("addrs", new JsonArray(e.addrs().stream().map(Multiaddr::toString).toList()));
      peer.put("protocols", new JsonArray(e.protocols()));
      if (e.agentVersion() != null) {
        peer.put("agentVersion", e.agentVersion());
      }
      peers.add(peer.put("lastSeen", e.lastSeen()));
    }
    return new JsonObject().put("version", VERSION).put("savedAt", savedAt).put("peers", peers).encodePrettily();
  }

  /**
   * Parses a document, bounded as {@link #bound} does.
   *
   * @throws IllegalArgumentException saying what is wrong and where ({@code peers[3].addrs[0]: ...})
   */
  public static List<Entry> decode(byte[] bytes) {
    JsonObject doc;
    try {
      doc = new JsonObject(Buffer.buffer(bytes));
    } catch (DecodeException e) {
      throw new IllegalArgumentException("not a JSON object: " + firstLine(e.getMessage()));
    }
    Object version = doc.getValue("version");
    if (!(version instanceof Number n) || n.doubleValue() != VERSION) {
      throw new IllegalArgumentException("version " + (version == null ? "is missing" : "is " + version)
          + "; this node reads version " + VERSION);
    }
    if (!(doc.getValue("peers") instanceof JsonArray peers)) {
      throw new IllegalArgumentException("peers must be a list");
    }
    List<Entry> out = new ArrayList<>(peers.size());
    for (int i = 0; i < peers.size(); i++) {
      out.add(entry(peers.getValue(i), "peers[" + i + "]"));
    }
    return bound(out);
  }

  private static Entry entry(Object value, String where) {
    if (!(value instanceof JsonObject p)) {
      throw new IllegalArgumentException(where + " must be an object");
    }
    PeerId peer;
    try {
      peer = PeerId.parse(text(p, "peerId", where, false));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ".peerId: " + e.getMessage());
    }
    List<Multiaddr> addrs = new ArrayList<>();
    List<String> addrTexts = strings(p, "addrs", where);
    for (int i = 0; i < addrTexts.size(); i++) {
      Multiaddr m;
      try {
        m = Multiaddr.parse(addrTexts.get(i));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ".addrs[" + i + "]: not a multiaddr: " + e.getMessage());
      }
      if (m.peerId() != null && !m.peerId().equals(peer)) {
        throw new IllegalArgumentException(where + ".addrs[" + i + "]: names another peer (" + m.peerId() + ")");
      }
      addrs.add(m);
    }
    Object lastSeen = p.getValue("lastSeen");
    if (!(lastSeen instanceof Number n) || n.longValue() < 0 || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new IllegalArgumentException(where + ".lastSeen must be a time in milliseconds, got " + lastSeen);
    }
    return new Entry(peer, addrs, strings(p, "protocols", where), text(p, "agentVersion", where, true), n.longValue());
  }

  private static String text(JsonObject p, String key, String where, boolean optional) {
    Object v = p.getValue(key);
    if (v == null && optional) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(where + "." + key + " must be a string");
    }
    return s;
  }

  private static List<String> strings(JsonObject p, String key, String where) {
    Object v = p.getValue(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray a)) {
      throw new IllegalArgumentException(where + "." + key + " must be a list of strings");
    }
    List<String> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      if (!(a.getValue(i) instanceof String s)) {
        throw new IllegalArgumentException(where + "." + key + "[" + i + "] must be a string");
      }
      out.add(s);
    }
    return out;
  }

  private static String firstLine(String message) {
    String m = String.valueOf(message);
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /**
   * Reads the file at {@code path}.
   *
   * @throws NoSuchFileException when there is none (no peers saved yet)
   * @throws IllegalArgumentException when it is not a peer store this node reads (what and where)
   */
  public static List<Entry> read(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      throw new IllegalArgumentException("is a directory, not a peer store file");
    }
    long size = Files.size(path);
    if (size > MAX_FILE_BYTES) {
      throw new IllegalArgumentException(size + " bytes, more than a peer store of " + MAX_PEERS
          + " peers takes (" + MAX_FILE_BYTES + ")");
    }
    return decode(Files.readAllBytes(path));
  }

  /** Replaces the file with {@code entries} (bounded), atomically: see {@link AtomicFiles}. */
  public static void write(Path path, Collection<Entry> entries, long savedAt) throws IOException {
    AtomicFiles.write(path, encode(entries, savedAt).getBytes(StandardCharsets.UTF_8));
  }
}
