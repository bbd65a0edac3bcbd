package io.tinyp2p.daemon;

import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.swarm.SwarmConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon's command line, with the flags go-libp2p-daemon's {@code p2pd} gives them: Go's
 * flag syntax ({@code -name value}, {@code -name=value}, {@code --name}; a boolean flag alone
 * means true). {@code -security} (the security protocols to offer, in order) is ours.
 *
 * @param listen the control socket's address (TCP on an IP; p2pd's default is a unix socket)
 * @param hostAddrs the libp2p listen addresses
 * @param idFile the libp2p protobuf private key file of the identity, or null for a random one
 * @param dht whether Kademlia runs (server mode)
 * @param pubsub whether pubsub runs
 * @param pubsubRouter {@code gossipsub} or {@code floodsub}
 * @param noListen listen on no libp2p address (dial only, over TCP)
 * @param security the security protocols, in order of preference
 * @param bootstrapPeers Kademlia boot nodes (multiaddrs ending in /p2p/&lt;id&gt;)
 * @param relayService whether the node serves as a Circuit Relay v2 relay (the hop protocol)
 */
public record DaemonOptions(Multiaddr listen, List<Multiaddr> hostAddrs, Path idFile, boolean dht,
    boolean pubsub, String pubsubRouter, boolean noListen, List<String> security, List<Multiaddr> bootstrapPeers,
    boolean relayService) {

  /** A command line the daemon cannot run with; the message says which flag and what it takes. */
  public static final class UsageException extends Exception {
    public UsageException(String message) {
      super(message);
    }
  }

  /** The flags, what each takes and means. */
  static final Map<String, String> FLAGS = new LinkedHashMap<>();

  static {
    FLAGS.put("listen", "MULTIADDR  control socket address (default /ip4/127.0.0.1/tcp/0: a free port, printed)");
    FLAGS.put("hostAddrs", "MULTIADDRS comma-separated libp2p listen addresses (default /ip4/127.0.0.1/tcp/0)");
    FLAGS.put("id", "FILE  the identity: a libp2p protobuf Ed25519 private key file (default: a random identity)");
    FLAGS.put("dht", "  run the Kademlia DHT (server mode)");
    FLAGS.put("pubsub", "  run pubsub");
    FLAGS.put("pubsubRouter", "gossipsub|floodsub  the pubsub router (default gossipsub)");
    FLAGS.put("noListen", "  listen on no libp2p address");
    FLAGS.put("security", "LIST  comma-separated security protocols in order: noise, tls (default noise,tls)");
    FLAGS.put("relayService", "  serve as a Circuit Relay v2 relay (reservations and circuits, default limits)");
    FLAGS.put("bootstrapPeers", "MULTIADDRS  comma-separated Kademlia boot nodes, each ending in /p2p/<peer id>");
  }

  private static final List<String> BOOLEANS = List.of("dht", "pubsub", "noListen", "relayService");

  /** What {@code -help} prints. */
  public static String usage() {
    StringBuilder sb = new StringBuilder("usage: daemon [flags]   (flags as go-libp2p-daemon's p2pd names them)\n");
    FLAGS.forEach((name, text) -> sb.append("  -").append(name).append(' ').append(text).append('\n'));
    return sb.toString();
  }

  /** Parses a command line (the words after {@code daemon}). */
  public static DaemonOptions parse(List<String> args) throws UsageException {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String word = args.get(i);
      if (!word.startsWith("-") || word.equals("-") || word.equals("--")) {
        throw new UsageException("unexpected argument '" + word + "': flags start with -\n" + usage());
      }
      String name = word.substring(word.startsWith("--") ? 2 : 1);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (name.equals("help") || name.equals("h")) {
        throw new UsageException(usage());
      }
      if (!FLAGS.containsKey(name)) {
        throw new UsageException("unknown flag -" + name + "; the flags are -" + String.join(", -", FLAGS.keySet()));
      }
      if (values.containsKey(name)) {
        throw new UsageException("-" + name + " is given twice");
      }
      if (value == null) {
        if (BOOLEANS.contains(name)) {
          value = "true";
        } else if (i + 1 < args.size()) {
          value = args.get(++i);
        } else {
          throw new UsageException("-" + name + " needs a value: " + FLAGS.get(name).strip());
        }
      }
      values.put(name, value);
    }
    return from(values);
  }

  private static DaemonOptions from(Map<String, String> values) throws UsageException {
    String listenText = values.getOrDefault("listen", "/ip4/127.0.0.1/tcp/0");
    if (listenText.startsWith("/unix/")) {
      throw new UsageException("-listen: " + listenText + ": unix sockets are not supported; the control socket"
          + " listens on /ip4/<ip>/tcp/<port> or /ip6/<ip>/tcp/<port>");
    }
    Multiaddr listen = address("listen", listenText);
    if (!listen.isTcp() || listen.peerId() != null) {
      throw new UsageException("-listen: " + listen + " is not a TCP address; the control socket listens on"
          + " /ip4/<ip>/tcp/<port> or /ip6/<ip>/tcp/<port> (unix sockets are not supported)");
    }
    boolean noListen = bool(values, "noListen");
    List<Multiaddr> hostAddrs = noListen ? List.of()
        : addresses("hostAddrs", values.getOrDefault("hostAddrs", "/ip4/127.0.0.1/tcp/0"));
    if (!noListen && hostAddrs.isEmpty()) {
      throw new UsageException("-hostAddrs: give at least one address, or -noListen");
    }
    for (Multiaddr a : hostAddrs) {
      if (!a.isTcp() && !a.isQuic() || a.peerId() != null) {
        throw new UsageException("-hostAddrs: " + a + " is not a TCP or QUIC listen address"
            + " (/ip4/<ip>/tcp/<port> or /ip4/<ip>/udp/<port>/quic-v1, no /p2p)");
      }
    }
    String router = values.getOrDefault("pubsubRouter", "gossipsub");
    if (!router.equals("gossipsub") && !router.equals("floodsub")) {
      throw new UsageException("-pubsubRouter: '" + router + "' is not a router; use gossipsub or floodsub");
    }
    List<String> security = List.of(values.getOrDefault("security", String.join(",", SwarmConfig.DEFAULT_SECURITY))
        .split(",", -1));
    for (String s : security) {
      if (!SwarmConfig.DEFAULT_SECURITY.contains(s)) {
        throw new UsageException("-security: '" + s + "' is not offered; use noise, tls or both (comma-separated)");
      }
    }
    if (security.stream().distinct().count() != security.size()) {
      throw new UsageException("-security: " + security + " names a protocol twice");
    }
    List<Multiaddr> boot = addresses("bootstrapPeers", values.getOrDefault("bootstrapPeers", ""));
    for (Multiaddr b : boot) {
      if (b.peerId() == null) {
        throw new UsageException("-bootstrapPeers: " + b + " does not end in /p2p/<peer id>");
      }
    }
    String id = values.get("id");
    return new DaemonOptions(listen, hostAddrs, id == null ? null : Path.of(id), bool(values, "dht"),
        bool(values, "pubsub"), router, noListen, security, boot, bool(values, "relayService"));
  }

  private static boolean bool(Map<String, String> values, String name) throws UsageException {
    String v = values.getOrDefault(name, "false");
    return switch (v) {
      case "true", "1", "t", "T", "TRUE", "True" -> true;
      case "false", "0", "f", "F", "FALSE", "False" -> false;
      default -> throw new UsageException("-" + name + "=" + v + ": a boolean flag takes true or false");
    };
  }

  private static Multiaddr address(String flag, String text) throws UsageException {
    try {
      return Multiaddr.parse(text.strip());
    } catch (RuntimeException e) {
      throw new UsageException("-" + flag + ": '" + text + "' is not a multiaddr: " + e.getMessage());
    }
  }

  private static List<Multiaddr> addresses(String flag, String text) throws UsageException {
    List<Multiaddr> list = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        list.add(address(flag, part));
      }
    }
    return List.copyOf(list);
  }
}
