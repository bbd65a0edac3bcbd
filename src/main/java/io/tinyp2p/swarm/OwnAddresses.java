package io.tinyp2p.swarm;

import io.tinyp2p.multiaddr.Multiaddr;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/**
 * The addresses a swarm is reachable at: those its transports listen on (a relay reservation
 * is one too, gained and lost while the node runs) and the external ones confirmed dialable
 * (AutoNAT's). Each change runs the swarm's {@link SwarmEvent.ListenAddressesChanged}.
 */
public final class OwnAddresses {
  private final List<Multiaddr> listen = new ArrayList<>();
  private List<Multiaddr> external = List.of();
  private final Runnable changed;

  OwnAddresses(Runnable changed) {
    this.changed = changed;
  }

  /** Our listen addresses; an unspecified host (0.0.0.0, ::) is expanded to the interfaces' addresses. */
  public List<Multiaddr> listen() {
    return Collections.unmodifiableList(listen);
  }

  /** What we announce (identify, our provider records): the listen addresses, then the confirmed external ones. */
  public List<Multiaddr> announced() {
    return Stream.concat(listen.stream(), external.stream()).distinct().toList();
  }

  /** Adds listen addresses (a transport bound, or a relay reservation came back). */
  public void addListen(List<Multiaddr> addrs) {
    if (listen.addAll(addrs.stream().filter(a -> !listen.contains(a)).toList())) {
      changed.run();
    }
  }

  /** Removes listen addresses a transport lost (a relay reservation that ended). */
  public void removeListen(List<Multiaddr> addrs) {
    if (listen.removeAll(addrs)) {
      changed.run();
    }
  }

  /** Sets the external addresses confirmed dialable. */
  public void external(List<Multiaddr> addrs) {
    if (!external.equals(addrs)) {
      external = List.copyOf(addrs);
      changed.run();
    }
  }
}
