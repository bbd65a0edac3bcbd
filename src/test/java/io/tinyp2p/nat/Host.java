package io.tinyp2p.nat;

import java.util.ArrayList;
import java.util.List;

/**
 * One machine of a {@link NetLab}: a network namespace with one lab interface {@code eth0} (a public
 * address on the internet segment, or a private one behind a {@link Nat}) and, once a process needs
 * it, a management link (see {@link #managementIp()}).
 */
public final class Host {
  private final NetLab lab;
  private final String name;
  private final String namespace;
  private final String ip;
  private final Nat nat;
  private String managementIp;

  Host(NetLab lab, String name, String namespace, String ip, Nat nat) {
    this.lab = lab;
    this.name = name;
    this.namespace = namespace;
    this.ip = ip;
    this.nat = nat;
  }

  public String name() {
    return name;
  }

  /** The network namespace, {@code tp2p-<pid>-<name>}. */
  public String namespace() {
    return namespace;
  }

  /** The host's address on its segment (public 11.0.113.x, or private 192.168.n.x). */
  public String ip() {
    return ip;
  }

  /** The NAT this host is behind, or null for a public host. */
  public Nat nat() {
    return nat;
  }

  /**
   * The address the test JVM reaches this host at (169.254.B.x), created on first use: only the
   * root namespace is on the other end of that link, and it forwards nothing from it.
   */
  public synchronized String managementIp() {
    if (managementIp == null) {
      managementIp = lab.management(this);
    }
    return managementIp;
  }

  /** {@code ip netns exec <namespace>}: put before a command to run it on this host. */
  public List<String> execPrefix() {
    return List.of(NetLab.ip(), "netns", "exec", namespace);
  }

  /** Runs a command on this host, waiting up to 15 s; its stdout, or an exception with its stderr. */
  public String exec(String... command) {
    List<String> c = new ArrayList<>(execPrefix());
    c.addAll(List.of(command));
    return NetLab.run(c.toArray(String[]::new));
  }

  @Override
  public String toString() {
    return name + "(" + ip + (nat != null ? " behind " + nat.name() : "") + ")";
  }
}
