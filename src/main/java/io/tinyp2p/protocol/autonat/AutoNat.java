package io.tinyp2p.protocol.autonat;

import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.protocol.identify.AddressObserved;
import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AutoNAT v1 {@code /libp2p/autonat/1.0.0} and the node's external addresses.
 *
 * <p>Identify tells us where each peer sees us; {@link ObservedAddrs} keeps those observations
 * and turns an address that enough distinct peers report into a candidate. The client asks up to
 * {@code maxServers} connected AutoNAT servers, every {@code interval} (and soon after our
 * addresses or candidates change, and when a server connects while we know too little), to dial
 * us back at one address each: the candidates (configured and observed), else our listen
 * addresses. An OK confirms the address for {@link AutoNatConfig#confirmedTtl()}, an
 * E_DIAL_ERROR unconfirms it; both count towards our {@link Reachability} ({@link Confidence}),
 * refusals count for nothing. The confirmed addresses are announced (identify, provider records)
 * besides the listen addresses; with the client off the observed candidates are announced as
 * they are. Changes go out as a {@link ReachabilityChanged}. The server is
 * {@link AutoNatServer}. Everything on the swarm's context.
 */
public final class AutoNat {
  private static final Logger LOG = LoggerFactory.getLogger(AutoNat.class);

  public static final String PROTOCOL_ID = "/libp2p/autonat/1.0.0";
  /** Two inbound AutoNAT streams per connection at once (js-libp2p allows as many). */
  public static final ProtocolSpec SPEC = ProtocolSpec.of(PROTOCOL_ID).maxInboundPerConnection(2).background();
  /** Largest AutoNAT message read. */
  static final int MAX_MESSAGE_SIZE = 8 * 1024;
  static final Duration READ_DEADLINE = Duration.ofSeconds(10);
  /** How soon after a change the client asks. */
  static final long SOON_MS = 500;

  private final Swarm swarm;
  private final AutoNatConfig config;
  private final LongSupplier clock;
  private final ObservedAddrs observed;
  private final Confidence confidence;
  private final AutoNatServer server;
  private final Map<Multiaddr, Long> confirmed = new LinkedHashMap<>();
  /** When each server was last asked (pruned after half an interval): one question per server and round. */
  private final Map<PeerId, Long> asked = new HashMap<>();
  private final Map<String, Long> clientCounters = new LinkedHashMap<>();
  private List<Multiaddr> lastListen = List.of();
  private List<Multiaddr> lastCandidates = List.of();
  private List<Multiaddr> lastAnnounced = List.of();
  private int rotation;
  private long timer = -1;
  private long soonTimer = -1;
  private long lastProbeAt;
  private boolean stopped;

  public AutoNat(Swarm swarm, AutoNatConfig config) {
    this(swarm, config, System::currentTimeMillis);
  }

  AutoNat(Swarm swarm, AutoNatConfig config, LongSupplier clock) {
    this.swarm = swarm;
    this.config = config;
    this.clock = clock;
    this.observed = new ObservedAddrs(config.observedThreshold(), config.observedTtl(), config.maxObserved(), clock);
    this.confidence = new Confidence(config.confidence());
    this.server = config.server() ? new AutoNatServer(swarm, config, clock) : null;
    for (String key : List.of("asked", "ok", "dialError", "refused", "failed")) {
      clientCounters.put(key, 0L);
    }
    if (server != null) {
      swarm.handle(SPEC, server::onStream);
    }
    swarm.on(AddressObserved.class, this::onObserved);
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> observed.closed(e.connection().info().id()));
    if (config.client()) {
      swarm.on(PeerIdentified.class, e -> {
        if (e.info().supports(PROTOCOL_ID) && confidence.status() == Reachability.UNKNOWN) {
          soon();
        }
      });
      swarm.on(SwarmEvent.ListenAddressesChanged.class, e -> {
        if (!lastListen.equals(swarm.listenAddresses())) {
          lastListen = List.copyOf(swarm.listenAddresses());
          asked.clear();
          soon();
        }
      });
      timer = swarm.vertx().setPeriodic(config.interval().toMillis(), t -> probe());
    }
  }

  private void onObserved(AddressObserved e) {
    Multiaddr addr = ObservedAddrs.normalize(e.observed(), e.connection(), swarm.listenAddresses());
    if (addr == null) {
      return;
    }
    observed.observed(e.connection(), addr);
    List<Multiaddr> candidates = observed.candidates();
    if (!candidates.equals(lastCandidates)) {
      lastCandidates = candidates;
      if (config.client()) {
        soon();
      } else {
        announce(confidence.status());
      }
    }
  }

  /** Asks soon (once, however many changes come in the meantime). */
  private void soon() {
    if (soonTimer < 0 && !stopped) {
      soonTimer = swarm.vertx().setTimer(SOON_MS, t -> {
        soonTimer = -1;
        probe();
      });
    }
  }

  /** The addresses worth testing: the candidates, configured and observed; else our listen addresses. */
  List<Multiaddr> testable() {
    List<Multiaddr> out = new ArrayList<>(config.candidates());
    observed.candidates().stream().filter(a -> !out.contains(a)).forEach(out::add);
    if (out.isEmpty()) {
      swarm.listenAddresses().stream().filter(a -> !a.isUnspecified()).forEach(out::add);
    }
    return out;
  }

  /**
   * One round: asks each connected AutoNAT server not asked in the last interval (up to
   * {@code maxServers}) about one testable address; completes with their answers once all
   * answered or failed.
   */
  public Future<List<AutoNatClient.Answer>> probe() {
    if (stopped) {
      return Future.succeededFuture(List.of());
    }
    long now = clock.getAsLong();
    lastProbeAt = now;
    expireConfirmed(now);
    // half an interval: the timer's next round asks the same servers again, whatever its drift
    asked.values().removeIf(at -> now - at >= config.interval().toMillis() / 2);
    List<Multiaddr> testable = testable();
    List<Future<AutoNatClient.Answer>> answers = new ArrayList<>();
    for (Connection c : swarm.connections()) {
      PeerStore.PeerInfo info = swarm.peerStore().get(c.remotePeer());
      if (answers.size() >= config.maxServers() || testable.isEmpty() || info == null || !info.supports(PROTOCOL_ID)
          || asked.containsKey(c.remotePeer())) {
        continue;
      }
      asked.put(c.remotePeer(), now);
      Multiaddr addr = testable.get(Math.floorMod(rotation++, testable.size()));
      clientCounters.merge("asked", 1L, Long::sum);
      answers.add(AutoNatClient.ask(swarm, c, List.of(addr), config.requestTimeout())
          .onSuccess(this::onAnswer)
          .onFailure(e -> {
            clientCounters.merge("failed", 1L, Long::sum);
            LOG.debug("autonat request to {} failed: {}", c.remotePeer(), e.getMessage());
          }));
    }
    return Future.join(answers).transform(ar -> Future.succeededFuture(answers.stream()
        .filter(Future::succeeded).map(Future::result).toList()));
  }

  /** Takes one server's answer: confirms or drops the address, counts towards the reachability. */
  void onAnswer(AutoNatClient.Answer a) {
    long now = clock.getAsLong();
    Reachability before = confidence.status();
    LOG.debug("autonat {} about {}: {} {}", a.server(), a.asked(), a.status(), a.text());
    switch (a.status()) {
      case OK -> {
        clientCounters.merge("ok", 1L, Long::sum);
        confirmed.put(a.addr() != null && a.asked().contains(a.addr()) ? a.addr() : a.asked().get(0), now);
        confidence.record(true);
      }
      case E_DIAL_ERROR -> {
        clientCounters.merge("dialError", 1L, Long::sum);
        a.asked().forEach(confirmed::remove);
        confidence.record(false);
      }
      default -> clientCounters.merge("refused", 1L, Long::sum);
    }
    if (confidence.status() != before) {
      LOG.info("reachability {} (AutoNAT, {} answers)", confidence.status().json(), confidence.answers());
    }
    announce(before);
  }

  private void expireConfirmed(long now) {
    if (confirmed.values().removeIf(at -> now - at >= config.confirmedTtl().toMillis())) {
      announce(confidence.status());
    }
  }

  /** Announces what is confirmed now; a {@link ReachabilityChanged} when that or the reachability moved. */
  private void announce(Reachability before) {
    List<Multiaddr> announced = confirmedAddrs();
    boolean moved = !announced.equals(lastAnnounced);
    lastAnnounced = announced;
    swarm.ownAddresses().external(announced);
    if (confidence.status() != before || moved) {
      swarm.emit(new ReachabilityChanged(swarm.localPeer(), confidence.status(), announced));
    }
  }

  /** The external addresses we announce: confirmed by AutoNAT (with the client off: the observed candidates). */
  public List<Multiaddr> confirmedAddrs() {
    return config.client() ? List.copyOf(confirmed.keySet()) : observed.candidates();
  }

  public Reachability reachability() {
    return confidence.status();
  }

  /** The observed addresses (tests and {@code /status} read them). */
  public ObservedAddrs observed() {
    return observed;
  }

  /** What {@code /status} shows under {@code autonat}. */
  public JsonObject statusJson() {
    JsonArray seen = new JsonArray();
    observed.counts().forEach((a, n) -> seen.add(new JsonObject().put("addr", a.toString()).put("observers", n)));
    JsonObject client = new JsonObject().put("enabled", config.client()).put("lastProbeAt", lastProbeAt);
    clientCounters.forEach(client::put);
    JsonObject serverJson = new JsonObject().put("enabled", server != null);
    if (server != null) {
      server.counters().forEach(serverJson::put);
    }
    return new JsonObject()
        .put("reachability", confidence.status().json())
        .put("confirmedAddrs", new JsonArray(confirmedAddrs().stream().map(Multiaddr::toString).toList()))
        .put("candidates", new JsonArray(testable().stream().map(Multiaddr::toString).toList()))
        .put("observed", seen)
        .put("client", client)
        .put("server", serverJson);
  }

  /** The server's answers by status (null with the server off). */
  public Map<String, Long> serverCounters() {
    return server == null ? null : server.counters();
  }

  /** Stops the client's timers. */
  public void stop() {
    stopped = true;
    for (long t : new long[] {timer, soonTimer}) {
      swarm.vertx().cancelTimer(t); // false for -1: no such timer
    }
  }
}
