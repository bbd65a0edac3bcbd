package io.tinyp2p.nat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A NAT router of a {@link NetLab}: a namespace with {@code wan} on the internet segment and a bridge
 * {@code lan} for its private segment, forwarding between them through the nftables table
 * {@code tp2p} (see {@link NetLab.NatType} and {@link NetLab#ruleset}).
 */
public final class Nat {
  private static final Pattern PACKETS = Pattern.compile("packets (\\d+)");

  private final NetLab lab;
  private final String name;
  private final String namespace;
  private final NetLab.NatType type;
  private final String publicIp;
  private final String lanNet;
  private int nextHost = 10;

  Nat(NetLab lab, String name, String namespace, NetLab.NatType type, String publicIp, String lanNet) {
    this.lab = lab;
    this.name = name;
    this.namespace = namespace;
    this.type = type;
    this.publicIp = publicIp;
    this.lanNet = lanNet;
  }

  /** A host on this NAT's private segment: 192.168.n.10 and up, default route via the NAT. */
  public Host host(String hostName) {
    int index;
    synchronized (this) {
      index = nextHost++;
    }
    if (index > 250) {
      throw new IllegalStateException("at most 241 hosts behind one NAT");
    }
    return lab.lanHost(this, hostName, index);
  }

  public String name() {
    return name;
  }

  public String namespace() {
    return namespace;
  }

  public NetLab.NatType type() {
    return type;
  }

  /** The NAT's address on the internet segment: what its hosts' connections come from. */
  public String publicIp() {
    return publicIp;
  }

  /** The NAT's own address on its private segment (its hosts' gateway). */
  public String lanIp() {
    return lanNet + ".1";
  }

  String lanNet() {
    return lanNet;
  }

  /** Packets arriving on the wan side that the NAT dropped (let in neither to itself nor forwarded). */
  public long filtered() {
    String out = NetLab.ns(namespace, NetLab.nft(), "list", "counter", "ip", "tp2p", "filtered");
    Matcher m = PACKETS.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no packet count in: " + out);
    }
    return Long.parseLong(m.group(1));
  }

  /** The NAT's nftables table as {@code nft list} shows it: rules, the counter and (full cone) the map's entries. */
  public String ruleset() {
    return NetLab.ns(namespace, NetLab.nft(), "list", "table", "ip", "tp2p");
  }

  @Override
  public String toString() {
    return name + "(" + type + " " + publicIp + ")";
  }
}
