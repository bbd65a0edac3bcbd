package io.tinyp2p.nat;

import io.tinyp2p.interop.JsPeer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small internet in Linux network namespaces, for NAT traversal tests: a public segment, NAT
 * routers with private segments behind them, and processes (the node's fat jar, js-libp2p peers)
 * running inside any host, reached from the test JVM over a management link that carries no
 * peer-to-peer traffic.
 *
 * <pre>
 *                      namespace "inet": bridge br0 = the internet, 11.0.113.0/24
 *        ┌──────────────┬──────────────┴──┬──────────────────────┐
 *   host "relay"    host "boot"      NAT "a" wan 11.0.113.11    NAT "b" wan 11.0.113.12
 *   11.0.113.100    11.0.113.101     (nftables masquerade,      (…)
 *                                     ip_forward, bridge "lan"
 *                                     192.168.1.1/24)
 *                                         │
 *                                    host "a1" 192.168.1.10, default via 192.168.1.1
 * </pre>
 *
 * <p>The public segment, {@value #PUBLIC_NET}.0/24, is a slice of a real, globally routed block
 * (11.0.0.0/8) on purpose: the documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24) are
 * private to js-libp2p ({@code @libp2p/utils}' isPrivate), whose DCUtR then refuses every lab
 * address as not public, while this node's {@link io.tinyp2p.multiaddr.AddressClass} and js-libp2p
 * both take 11.0.113.x for PUBLIC. No packet ever reaches the block's owner: the lab's namespaces
 * have no route to the real internet (public hosts have no default route at all, private hosts
 * route only to their NAT, NATs only to the public /24, and the management links to the root
 * namespace carry only 169.254.x and forward nothing).
 *
 * <p>Every host, NAT and the internet is its own namespace, named {@code tp2p-<pid>-<name>} (pid of
 * the test JVM). Public hosts have no default route: the public segment is one /24, and an address
 * outside it (a private one) fails at once with "network unreachable". Private hosts route everything
 * through their NAT; a NAT routes only between its LAN and the public /24, so two private segments
 * never reach each other except through the NATs' public addresses.
 *
 * <p>NAT behaviours ({@link NatType}); all masquerade on the wan side and drop (and count, see
 * {@link Nat#filtered()}) what they do not let in, to themselves or forwarded:
 * <ul>
 *   <li>{@link NatType#PORT_RESTRICTED}: Linux's masquerade as it is: the mapping keeps the private
 *       source port when it is free (endpoint-independent mapping in practice), and conntrack lets in
 *       only the replies of a mapping, i.e. packets from the exact remote ip:port it was made for
 *       (address- and port-dependent filtering). A packet from anyone else to a mapped public port is
 *       not translated, so it is addressed to the NAT itself, whose input chain drops it.
 *   <li>{@link NatType#FULL_CONE}: the same masquerade, plus an nftables dynamic map filled from the
 *       forward chain by every new outbound flow (protocol and public port to private ip:port, entries
 *       live 120 s after the last new flow); a packet from anyone to a mapped public port is
 *       DNAT-ed to the private endpoint (endpoint-independent filtering). It assumes masquerade kept
 *       the source port, which holds while no two hosts behind one NAT use the same port.
 *   <li>{@link NatType#SYMMETRIC}: {@code masquerade random}: every flow gets a random public port
 *       (endpoint-dependent mapping), filtered as the port-restricted one.
 * </ul>
 *
 * <p>Not modelled: hairpinning (a host dialing its own NAT's public address gets nothing back), NAT
 * mapping timeouts other than conntrack's defaults, packet loss and delay (this kernel has no netem).
 *
 * <p>Management: each host that runs processes gets a veth {@code mgmt} with a link-local /30
 * (169.254.B.x, the block B held by a lock file under /tmp for the lab's life, so concurrent labs on
 * one machine do not collide) whose other end, {@code tp2p<pid>m<k>}, stays in the root namespace
 * with forwarding off. The node's HTTP API listens on the host's management address; its P2P listener
 * on the lab address only; the host has no route over {@code mgmt} beyond the /30, so P2P traffic has
 * only the lab paths.
 *
 * <p>Cleanup: {@link #close()} stops every process it started (SIGTERM, SIGKILL after 5 s), kills
 * whatever else still runs in its namespaces, deletes the namespaces (which deletes their veths,
 * bridges and nftables rules) and the root ends of the management links; a JVM shutdown hook does
 * the same if the test never gets there; {@link #create()} first removes what earlier runs left
 * behind (namespaces and links of that scheme whose pid is no longer alive).
 *
 * <p>Needs root, {@code ip} and {@code nft}: {@link #skipReason()} says why a lab cannot be built.
 *
 * <pre>{@code
 * // first, in a before-each method: Assumptions.assumeTrue(NetLab.skipReason() == null, NetLab.skipReason());
 *
 * try (NetLab lab = NetLab.create()) {
 *   Host relayHost = lab.publicHost("relay");                        // 11.0.113.100
 *   Nat natA = lab.nat("nata", NetLab.NatType.PORT_RESTRICTED);      // wan 11.0.113.11, lan 192.168.1.0/24
 *   Host a = natA.host("a1");                                        // 192.168.1.10
 *   LabNode relay = lab.startNode(relayHost, "relay", new JsonObject());
 *   LabNode nodeA = lab.startNode(a, "a1", new JsonObject().put("bootNode", relay.addr().toString()));
 *   relay.awaitStatus("a1 connected", s -> !LabNode.connectionsTo(s, nodeA.peerId().toBase58()).isEmpty(),
 *       Duration.ofSeconds(30));
 *   JsPeer js = lab.startJs(natA.host("a2"), "js", new JsonObject());  // driven as any JsPeer
 *   long dropped = natA.filtered();
 * }  // processes stopped, namespaces gone
 * }</pre>
 */
public final class NetLab implements AutoCloseable {

  /** How a NAT maps and filters; see the class comment. */
  public enum NatType { PORT_RESTRICTED, FULL_CONE, SYMMETRIC }

  public static final String PUBLIC_NET = "11.0.113";
  /**
   * The lab's address ranges as multiaddr ranges, the public /24 and the private segments'
   * 192.168.0.0/16: what js peers in the lab put in their connection manager's allow list, so lab
   * peers are neither rate-limited nor pruned.
   */
  public static final List<String> LAB_RANGES = List.of("/ip4/" + PUBLIC_NET + ".0/ipcidr/24", "/ip4/192.168.0.0/ipcidr/16");
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);
  private static final Pattern NS_NAME = Pattern.compile("tp2p-(\\d+)-[a-z0-9-]+");
  private static final Pattern LINK_NAME = Pattern.compile("tp2p(\\d+)m\\d+");
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]{0,15}");
  private static final Path LOCK_DIR = Path.of(System.getProperty("java.io.tmpdir"), "tp2p-netlab");

  /**
   * Threads that read the output of the lab's commands and stop its processes: not the common
   * pool, where tests start nodes in parallel and (with one or two CPUs, one worker) would leave
   * none free for them.
   */
  private static final ExecutorService WORKERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "netlab-worker");
    t.setDaemon(true);
    return t;
  });

  private static volatile String skipReason;
  private static volatile boolean probed;

  private final long pid = ProcessHandle.current().pid();
  private final String nsPrefix = "tp2p-" + pid + "-";
  private final String linkPrefix = "tp2p" + pid + "m";
  private final String inet;
  private final List<String> namespaces = new ArrayList<>();
  private final List<String> rootLinks = new ArrayList<>();
  private final Deque<AutoCloseable> processes = new ArrayDeque<>();
  private final Map<String, Host> hosts = new LinkedHashMap<>();
  private final Map<String, Nat> nats = new LinkedHashMap<>();
  private final Thread hook = new Thread(this::closeQuietly, "netlab-cleanup");
  private int nextPublic = 100;
  private int nextNat = 1;
  private int nextMgmt;
  private int mgmtBlock = -1;
  private FileChannel mgmtLockFile;
  private FileLock mgmtLock;
  private boolean closed;

  private NetLab() {
    Runtime.getRuntime().addShutdownHook(hook);
    inet = nsPrefix + "inet";
    try {
      addNamespace(inet);
      ns(inet, "ip", "link", "add", "br0", "type", "bridge");
      ns(inet, "ip", "link", "set", "br0", "up");
    } catch (RuntimeException e) {
      closeQuietly();
      throw e;
    }
  }

  // ------------------------------------------------------------------ building

  /** Removes what crashed runs left behind, then builds an empty internet (namespace and bridge). */
  public static NetLab create() {
    String reason = skipReason();
    if (reason != null) {
      throw new IllegalStateException("cannot build a network lab: " + reason);
    }
    removeLeftovers();
    return new NetLab();
  }

  /** This run's namespace name prefix, {@code tp2p-<pid>-}. */
  public String namespacePrefix() {
    return nsPrefix;
  }

  /** This run's root-namespace link name prefix, {@code tp2p<pid>m}. */
  public String linkPrefix() {
    return linkPrefix;
  }

  /** A host on the public segment, 11.0.113.100 and up in order of creation. */
  public synchronized Host publicHost(String name) {
    checkOpen();
    checkName(name);
    String ns = nsPrefix + name;
    int index = nextPublic++;
    if (index > 250) {
      throw new IllegalStateException("at most 151 public hosts");
    }
    addNamespace(ns);
    String ip = PUBLIC_NET + "." + index;
    String port = "p" + index;
    run(ip(), "link", "add", "name", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", inet);
    ns(inet, "ip", "link", "set", port, "master", "br0", "up");
    ns(ns, "ip", "addr", "add", ip + "/24", "dev", "eth0");
    ns(ns, "ip", "link", "set", "eth0", "up");
    Host host = new Host(this, name, ns, ip, null);
    hosts.put(name, host);
    return host;
  }

  /**
   * A NAT router on the public segment (wan 11.0.113.10+n, n = 1, 2, … in order of creation) with
   * its own private segment 192.168.n.0/24 behind it (the NAT is 192.168.n.1); add hosts to it
   * with {@link Nat#host(String)}.
   */
  public synchronized Nat nat(String name, NatType type) {
    checkOpen();
    checkName(name);
    int n = nextNat++;
    if (n > 200) {
      throw new IllegalStateException("at most 200 NATs");
    }
    String ns = nsPrefix + name;
    addNamespace(ns);
    String publicIp = PUBLIC_NET + "." + (10 + n);
    String port = "n" + n;
    run(ip(), "link", "add", "name", "wan", "netns", ns, "type", "veth", "peer", "name", port, "netns", inet);
    ns(inet, "ip", "link", "set", port, "master", "br0", "up");
    ns(ns, "ip", "addr", "add", publicIp + "/24", "dev", "wan");
    ns(ns, "ip", "link", "set", "wan", "up");
    ns(ns, "ip", "link", "add", "lan", "type", "bridge");
    String lanNet = "192.168." + n;
    ns(ns, "ip", "addr", "add", lanNet + ".1/24", "dev", "lan");
    ns(ns, "ip", "link", "set", "lan", "up");
    ns(ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
    runIn(ns, ruleset(type, publicIp), nft(), "-f", "-");
    Nat nat = new Nat(this, name, ns, type, publicIp, lanNet);
    nats.put(name, nat);
    return nat;
  }

  /** The nftables ruleset of a NAT of this type whose wan address is {@code publicIp}. */
  static String ruleset(NatType type, String publicIp) {
    boolean cone = type == NatType.FULL_CONE;
    StringBuilder r = new StringBuilder();
    r.append("table ip tp2p {\n");
    r.append("  counter filtered { }\n");
    if (cone) {
      r.append("  map cone { type inet_proto . inet_service : ipv4_addr . inet_service; flags dynamic,timeout; timeout 120s; }\n");
      r.append("  chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n");
      r.append("    iifname \"wan\" ip daddr ").append(publicIp).append(" dnat ip to meta l4proto . th dport map @cone\n");
      r.append("  }\n");
    }
    r.append("  chain forward { type filter hook forward priority filter; policy accept;\n");
    r.append("    ct state established,related accept\n");
    if (cone) {
      r.append("    iifname \"lan\" oifname \"wan\" meta l4proto { tcp, udp } update @cone { meta l4proto . th sport : ip saddr . th sport }\n");
    }
    r.append("    iifname \"lan\" oifname \"wan\" accept\n");
    if (cone) {
      r.append("    iifname \"wan\" ct status dnat accept\n");
    }
    r.append("    iifname \"wan\" counter name filtered drop\n");
    r.append("  }\n");
    r.append("  chain input { type filter hook input priority filter; policy accept;\n");
    r.append("    iifname \"wan\" ct state established,related accept\n");
    r.append("    iifname \"wan\" counter name filtered drop\n");
    r.append("  }\n");
    r.append("  chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n");
    r.append("    oifname \"wan\" masquerade").append(type == NatType.SYMMETRIC ? " random" : "").append("\n");
    r.append("  }\n");
    r.append("}\n");
    return r.toString();
  }

  synchronized Host lanHost(Nat nat, String name, int index) {
    checkOpen();
    checkName(name);
    if (hosts.containsKey(name)) {
      throw new IllegalArgumentException("a host named " + name + " exists");
    }
    String ns = nsPrefix + name;
    addNamespace(ns);
    String ip = nat.lanNet() + "." + index;
    String port = "h" + index;
    run(ip(), "link", "add", "name", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", nat.namespace());
    ns(nat.namespace(), "ip", "link", "set", port, "master", "lan", "up");
    ns(ns, "ip", "addr", "add", ip + "/24", "dev", "eth0");
    ns(ns, "ip", "link", "set", "eth0", "up");
    ns(ns, "ip", "route", "add", "default", "via", nat.lanNet() + ".1");
    Host host = new Host(this, name, ns, ip, nat);
    hosts.put(name, host);
    return host;
  }

  /** Gives the host its management link (once) and returns its address there. */
  synchronized String management(Host host) {
    checkOpen();
    if (mgmtBlock < 0) {
      claimMgmtBlock();
    }
    int k = nextMgmt++;
    if (k > 62) {
      throw new IllegalStateException("at most 63 hosts with processes per lab");
    }
    String link = linkPrefix + k;
    String rootIp = "169.254." + mgmtBlock + "." + (4 * k + 1);
    String hostIp = "169.254." + mgmtBlock + "." + (4 * k + 2);
    run(ip(), "link", "add", "name", link, "type", "veth", "peer", "name", "mgmt", "netns", host.namespace());
    rootLinks.add(link);
    try {
      // never forward what arrives over a management link: it only carries the test's HTTP
      Files.writeString(Path.of("/proc/sys/net/ipv4/conf", link, "forwarding"), "0");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot turn forwarding off on " + link, e);
    }
    run(ip(), "addr", "add", rootIp + "/30", "dev", link);
    run(ip(), "link", "set", link, "up");
    ns(host.namespace(), "ip", "addr", "add", hostIp + "/30", "dev", "mgmt");
    ns(host.namespace(), "ip", "link", "set", "mgmt", "up");
    return hostIp;
  }

  /** A 169.254.B.0/24 block no other lab on this machine holds and the root namespace does not use. */
  private void claimMgmtBlock() {
    try {
      Files.createDirectories(LOCK_DIR);
      String used = run(ip(), "-4", "-o", "addr", "show");
      int start = (int) (pid % 200);
      for (int i = 0; i < 250; i++) {
        int b = 1 + (start + i) % 250;
        if (b == 169 || used.contains("169.254." + b + ".")) {
          continue;
        }
        FileChannel channel = FileChannel.open(LOCK_DIR.resolve("mgmt-" + b + ".lock"),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null; // another lab in this JVM
        }
        if (lock == null) {
          channel.close();
          continue;
        }
        mgmtLockFile = channel;
        mgmtLock = lock;
        mgmtBlock = b;
        return;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot claim a management address block under " + LOCK_DIR, e);
    }
    throw new IllegalStateException("no free 169.254.B.0/24 block for management links");
  }

  // ------------------------------------------------------------------ processes

  /** Starts the node's fat jar on a host (see {@link LabNode}); stopped when the lab closes. */
  public LabNode startNode(Host host, String name, JsonObject extraConfig) throws Exception {
    LabNode node = LabNode.start(host, name, extraConfig);
    register(node);
    return node;
  }

  /**
   * Starts a js-libp2p peer ({@code interop/js/peer.mjs}) on a host, listening on the host's lab
   * address, port 4001, with the lab's ranges ({@link #LAB_RANGES}) in its connection manager's
   * allow list, unless {@code options} says otherwise; on a public host its listen address is
   * announced ({@code appendAnnounce}: js-libp2p counts a public listen address as unverified until
   * AutoNAT confirms it, and leaves it out of identify and of its relay reservations); stderr to
   * {@code target/natlab-<name>.log}; stopped when the lab closes.
   */
  public JsPeer startJs(Host host, String name, JsonObject options) {
    return startJs(host, name, options, null);
  }

  /**
   * Like {@link #startJs(Host, String, JsonObject)}, with js-libp2p's debug log on for the
   * {@code DEBUG} namespaces given (e.g. {@code "libp2p:dcutr*,libp2p:circuit-relay*"}; null: off),
   * written to the same log.
   */
  public JsPeer startJs(Host host, String name, JsonObject options, String debug) {
    JsonObject o = options.copy();
    if (!o.containsKey("host")) {
      o.put("host", host.ip());
    }
    if (!o.containsKey("port")) {
      o.put("port", LabNode.P2P_PORT);
    }
    if (!o.containsKey("allow")) {
      o.put("allow", new JsonArray(new ArrayList<>(LAB_RANGES)));
    }
    int port = o.getInteger("port");
    if (host.nat() == null && port > 0 && !o.containsKey("appendAnnounce")) {
      o.put("appendAnnounce", new JsonArray().add("/ip4/" + o.getString("host") + "/tcp/" + port));
    }
    List<String> prefix = new ArrayList<>(host.execPrefix());
    if (debug != null) {
      prefix.addAll(List.of("env", "DEBUG=" + debug));
    }
    JsPeer peer = JsPeer.start(o, prefix, "natlab-" + name);
    register(peer);
    return peer;
  }

  /** Starts a {@link Probe} on a host (a small JVM for raw UDP and TCP checks); stopped when the lab closes. */
  public LabProbe startProbe(Host host, String name) throws IOException, InterruptedException {
    LabProbe probe = LabProbe.start(host, name);
    register(probe);
    return probe;
  }

  /** Something to close (before the namespaces go) when the lab closes. */
  public synchronized void register(AutoCloseable process) {
    processes.push(process);
  }

  // ------------------------------------------------------------------ cleanup

  /**
   * Stops the processes, deletes the namespaces and root links this lab made. Throws if any of
   * them is still there afterwards.
   */
  @Override
  public void close() {
    List<String> left = teardown();
    if (!left.isEmpty()) {
      throw new IllegalStateException("the lab could not remove " + left);
    }
  }

  private void closeQuietly() {
    List<String> left = teardown();
    if (!left.isEmpty()) {
      System.err.println("netlab: could not remove " + left);
    }
  }

  private synchronized List<String> teardown() {
    if (closed) {
      return List.of();
    }
    closed = true;
    // in parallel: each process may take up to 5 s to stop
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    while (!processes.isEmpty()) {
      AutoCloseable p = processes.pop();
      stops.add(CompletableFuture.runAsync(() -> {
        try {
          p.close();
        } catch (Exception e) {
          System.err.println("netlab: stopping " + p + ": " + e);
        }
      }, WORKERS));
    }
    try {
      CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("netlab: processes did not all stop within 30 s: " + e);
    }
    for (int i = namespaces.size() - 1; i >= 0; i--) {
      deleteNamespace(namespaces.get(i));
    }
    for (String link : rootLinks) {
      tryRun(ip(), "link", "del", link); // normally gone with its peer's namespace
    }
    if (mgmtLock != null) {
      try {
        mgmtLock.release();
        mgmtLockFile.close();
      } catch (IOException e) {
        // released when the JVM ends anyway
      }
    }
    if (Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down already
      }
    }
    return leftovers(nsPrefix, linkPrefix);
  }

  /** Namespaces and root links whose names start with these prefixes (what a closed lab must not leave). */
  public static List<String> leftovers(String namespacePrefix, String linkPrefix) {
    List<String> left = new ArrayList<>();
    for (String ns : namespaceNames()) {
      if (ns.startsWith(namespacePrefix)) {
        left.add("namespace " + ns);
      }
    }
    for (String link : rootLinkNames()) {
      if (link.startsWith(linkPrefix)) {
        left.add("link " + link);
      }
    }
    return left;
  }

  /** Deletes the namespaces and links of runs whose JVM is gone; returns what it removed. */
  public static List<String> removeLeftovers() {
    List<String> removed = new ArrayList<>();
    for (String ns : namespaceNames()) {
      Matcher m = NS_NAME.matcher(ns);
      if (m.matches() && !alive(m.group(1))) {
        deleteNamespace(ns);
        removed.add("namespace " + ns);
      }
    }
    for (String link : rootLinkNames()) {
      Matcher m = LINK_NAME.matcher(link);
      if (m.matches() && !alive(m.group(1))) {
        tryRun(ip(), "link", "del", link);
        removed.add("link " + link);
      }
    }
    if (!removed.isEmpty()) {
      System.out.println("netlab: removed leftovers of earlier runs: " + removed);
    }
    return removed;
  }

  private static boolean alive(String pid) {
    try {
      return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Kills whatever runs in the namespace, then deletes it (and with it its links, bridges and rules). */
  private static void deleteNamespace(String ns) {
    Result pids = tryRun(ip(), "netns", "pids", ns);
    if (pids.ok()) {
      for (String line : pids.out().split("\\s+")) {
        if (!line.isBlank()) {
          ProcessHandle.of(Long.parseLong(line.trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      for (String line : pids.out().split("\\s+")) {
        if (!line.isBlank()) {
          ProcessHandle.of(Long.parseLong(line.trim())).ifPresent(p -> p.onExit().orTimeout(5, TimeUnit.SECONDS)
              .exceptionally(e -> null).join());
        }
      }
    }
    tryRun(ip(), "netns", "del", ns);
  }

  static List<String> namespaceNames() {
    Result r = tryRun(ip(), "netns", "list");
    List<String> names = new ArrayList<>();
    for (String line : r.out().split("\n")) {
      String name = line.trim().split("\\s+")[0];
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }

  static List<String> rootLinkNames() {
    Result r = tryRun(ip(), "-o", "link", "show");
    List<String> names = new ArrayList<>();
    for (String line : r.out().split("\n")) {
      // "7: tp2p123m0@if2: <BROADCAST,...>"
      String[] parts = line.split(":\\s+", 3);
      if (parts.length >= 2) {
        names.add(parts[1].split("@")[0].trim());
      }
    }
    return names;
  }

  // ------------------------------------------------------------------ whether it can run here

  /**
   * Null when a lab can be built here; else why not (not Linux, not root, no {@code ip}, no
   * {@code nft}, network namespaces or nftables unsupported). Probed once per JVM by building and
   * deleting a namespace with an nftables table.
   */
  public static String skipReason() {
    if (!probed) {
      synchronized (NetLab.class) {
        if (!probed) {
          skipReason = probe();
          probed = true;
        }
      }
    }
    return skipReason;
  }

  private static String probe() {
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return "network namespaces need Linux, this is " + System.getProperty("os.name");
    }
    try {
      String uid = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
          .findFirst().orElse("Uid: ?").split("\\s+")[1];
      if (!uid.equals("0")) {
        return "needs root (network namespaces, veths, nftables), running as uid " + uid;
      }
    } catch (IOException e) {
      return "cannot read /proc/self/status: " + e.getMessage();
    }
    if (ip() == null) {
      return "no `ip` command (iproute2) in /usr/sbin, /sbin, /usr/bin or /bin";
    }
    if (nft() == null) {
      return "no `nft` command (Debian package nftables) in /usr/sbin, /sbin, /usr/bin or /bin";
    }
    String ns = "tp2p-" + ProcessHandle.current().pid() + "-probe";
    try {
      Result add = tryRun(ip(), "netns", "add", ns);
      if (!add.ok()) {
        return "network namespaces unsupported here: `ip netns add` said: " + add.err().strip();
      }
      Result table = runWithInput(List.of(ip(), "netns", "exec", ns, nft(), "-f", "-"),
          "table ip probe {\n  chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n    masquerade\n  }\n}\n");
      if (!table.ok()) {
        return "nftables NAT unsupported in a network namespace: `nft` said: " + table.err().strip();
      }
      Result veth = tryRun(ip(), "-n", ns, "link", "add", "name", "a", "type", "veth", "peer", "name", "b");
      if (!veth.ok()) {
        return "veth pairs unsupported: `ip link add` said: " + veth.err().strip();
      }
      return null;
    } finally {
      tryRun(ip(), "netns", "del", ns);
    }
  }

  private static String find(String name) {
    for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }

  static String ip() {
    return find("ip");
  }

  static String nft() {
    return find("nft");
  }

  // ------------------------------------------------------------------ commands

  record Result(int exit, String out, String err) {
    boolean ok() {
      return exit == 0;
    }
  }

  private void addNamespace(String ns) {
    if (namespaces.contains(ns)) {
      throw new IllegalArgumentException("namespace " + ns + " exists in this lab");
    }
    run(ip(), "netns", "add", ns);
    namespaces.add(ns);
    ns(ns, "ip", "link", "set", "lo", "up");
  }

  /** Runs a command inside a namespace ({@code ip} commands as {@code ip -n}); fails unless it exits 0. */
  static String ns(String ns, String... cmd) {
    List<String> c = new ArrayList<>();
    if (cmd[0].equals("ip")) {
      c.addAll(List.of(ip(), "-n", ns));
      c.addAll(List.of(cmd).subList(1, cmd.length));
    } else {
      c.addAll(List.of(ip(), "netns", "exec", ns));
      c.addAll(List.of(cmd));
    }
    return check(c, runWithInput(c, null));
  }

  private static String runIn(String ns, String input, String... cmd) {
    List<String> c = new ArrayList<>(List.of(ip(), "netns", "exec", ns));
    c.addAll(List.of(cmd));
    return check(c, runWithInput(c, input));
  }

  static String run(String... cmd) {
    return check(List.of(cmd), runWithInput(List.of(cmd), null));
  }

  static Result tryRun(String... cmd) {
    return runWithInput(List.of(cmd), null);
  }

  private static String check(List<String> cmd, Result r) {
    if (!r.ok()) {
      throw new IllegalStateException("`" + String.join(" ", cmd) + "` exited " + r.exit() + ": " + r.err().strip());
    }
    return r.out();
  }

  /** Runs a command with optional stdin, waiting up to 15 s; exit -1 when it could not run or timed out. */
  static Result runWithInput(List<String> cmd, String input) {
    try {
      Process p = new ProcessBuilder(cmd).start();
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()), WORKERS);
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()), WORKERS);
      try (var stdin = p.getOutputStream()) {
        if (input != null) {
          stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "", "timed out after " + COMMAND_TIMEOUT);
      }
      return new Result(p.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      return new Result(-1, "", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "", "interrupted");
    }
  }

  private static String readAll(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the lab is closed");
    }
  }

  private void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("a lab name is a lower-case letter and up to 15 letters or digits, got " + name);
    }
    if (hosts.containsKey(name) || nats.containsKey(name) || name.equals("inet") || name.equals("probe")) {
      throw new IllegalArgumentException("the name " + name + " is taken in this lab");
    }
  }
}
