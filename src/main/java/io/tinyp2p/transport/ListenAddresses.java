package io.tinyp2p.transport;

import io.tinyp2p.multiaddr.Multiaddr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a listen address's host stands for, for transports to build their bound addresses from. */
public final class ListenAddresses {
  private static final Logger LOG = LoggerFactory.getLogger(ListenAddresses.class);

  private ListenAddresses() {}

  /**
   * The hosts {@code addr} listens on: its own, or for an unspecified host (0.0.0.0, ::) the
   * addresses of the same family of every interface that is up, link-local ones left out and
   * zones stripped; loopback (127.0.0.1, ::1) when none is found.
   */
  public static List<String> hosts(Multiaddr addr) {
    if (!addr.isUnspecified()) {
      return List.of(addr.host());
    }
    List<String> out = new ArrayList<>();
    try {
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nif.isUp()) {
          continue;
        }
        for (InetAddress ia : Collections.list(nif.getInetAddresses())) {
          boolean v4 = ia instanceof Inet4Address;
          if (v4 != !addr.isIp6() || ia.isLinkLocalAddress()) {
            continue;
          }
          String host = ia.getHostAddress();
          int zone = host.indexOf('%');
          out.add(zone >= 0 ? host.substring(0, zone) : host);
        }
      }
    } catch (SocketException e) {
      LOG.warn("cannot list network interfaces: {}", e.getMessage());
    }
    if (out.isEmpty()) {
      out.add(addr.isIp6() ? "::1" : "127.0.0.1");
    }
    return out;
  }
}
