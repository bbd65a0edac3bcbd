package io.tinyp2p.protocol.kad;

import io.tinyp2p.protocol.identify.PeerIdentified;
import io.tinyp2p.protocol.ping.PingEvent;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.kad.pb.KadProto;
import io.tinyp2p.stream.LengthPrefixed;
import io.tinyp2p.stream.P2pStream;
import io.tinyp2p.swarm.Connection;
import io.tinyp2p.peerstore.PeerStore;
import io.tinyp2p.swarm.ProtocolSpec;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmEvent;
import io.tinyp2p.swarm.SwarmException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kademlia {@code /ipfs/kad/1.0.0} in server mode, as the original runs rust-libp2p's: we
 * answer FIND_NODE (and PING) from our routing table, and discover the network with iterative
 * lookups. A peer enters the routing table only after it advertised the protocol in Identify
 * and answered one of our requests; a failed dial or ping removes it. Discovery runs 5 s
 * after start and then every {@code discoveryInterval}: a lookup for our own id, and one for
 * a random id in every bucket not refreshed for a while. With an empty table it only logs
 * that discovery is paused and dials the boot nodes again.
 *
 * <p>It also holds records (PUT_VALUE, GET_VALUE) and provider records (ADD_PROVIDER,
 * GET_PROVIDERS) for the network, validated and bounded ({@link RecordStore},
 * {@link ProviderStore}); {@link #putValue}, {@link #getValue}, {@link #provide} and
 * {@link #findProviders} are the client side ({@link KadValues}, {@link KadProviders}).
 */
public final class Kademlia {
  private static final Logger LOG = LoggerFactory.getLogger(Kademlia.class);

  public static final String PROTOCOL_ID = KadRpc.PROTOCOL_ID;
  public static final ProtocolSpec SPEC = ProtocolSpec.of(PROTOCOL_ID);
  public static final int K = 20;
  public static final int ALPHA = 3;

  /** Tunables; {@code store} bounds the record and provider stores ({@link StoreConfig#defaults()}). */
  public record Config(Duration firstDiscovery, Duration discoveryInterval, Duration requestTimeout,
      Duration lookupDeadline, StoreConfig store) {
    /** The tunables with the default store limits. */
    public Config(Duration firstDiscovery, Duration discoveryInterval, Duration requestTimeout, Duration lookupDeadline) {
      this(firstDiscovery, discoveryInterval, requestTimeout, lookupDeadline, StoreConfig.defaults());
    }

    public static Config of(Duration discoveryInterval) {
      return new Config(Duration.ofSeconds(5), discoveryInterval, Duration.ofSeconds(10), Duration.ofSeconds(60));
    }

    public Config withStore(StoreConfig store) {
      return new Config(firstDiscovery, discoveryInterval, requestTimeout, lookupDeadline, store);
    }
  }

  /** A provider of a key: its PeerId and the addresses it is reachable at (as far as we know). */
  public record Provider(PeerId peer, List<Multiaddr> addrs) {
    public Provider {
      addrs = List.copyOf(addrs);
    }
  }

  private final Swarm swarm;
  private final Config config;
  private final List<Multiaddr> bootNodes;
  private final RoutingTable table;
  private final Set<PeerId> probing = new HashSet<>();
  private final List<java.util.function.IntConsumer> tableListeners = new ArrayList<>();
  private LookupListener lookupListener;
  private final List<PeerId> storedPeers = new ArrayList<>();
  private int nextStored;
  private long firstTimer = -1;
  private long periodicTimer = -1;
  private boolean discovering;
  private boolean stopped;
  private boolean pausedLogged;
  private final int maxMessageSize;
  private final KadValues values;
  private final KadProviders providers;
  /** The republish timers of records and provider records, and the sweep of expired ones. */
  private final List<Long> storeTimers = new ArrayList<>();
  /** How often expired records and provider records are dropped (they are never served once expired). */
  static final long SWEEP_MS = 5 * 60_000;

  public Kademlia(Swarm swarm, Config config, List<Multiaddr> bootNodes) {
    this.swarm = swarm;
    this.config = config;
    this.bootNodes = List.copyOf(bootNodes);
    this.table = new RoutingTable(swarm.localPeer(), K, System::currentTimeMillis);
    this.maxMessageSize = Math.max(KadRpc.MAX_MESSAGE_SIZE, config.store().maxValueSize() + 16 * 1024);
    this.values = new KadValues(this, new RecordStore(config.store(), System::currentTimeMillis));
    this.providers = new KadProviders(this, new ProviderStore(config.store(), System::currentTimeMillis));
    swarm.handle(SPEC, this::onInbound);
    swarm.on(PeerIdentified.class, e -> {
      if (!e.info().supports(PROTOCOL_ID)) {
        return;
      }
      if (table.contains(e.peer())) {
        // new addresses (a push: a relay reservation came, an address was confirmed) reach the table too
        table.add(e.peer(), swarm.peerStore().addresses(e.peer()));
      } else {
        probe(e.peer());
      }
    });
    swarm.on(SwarmEvent.DialFailed.class, e -> {
      if (e.peer() != null) {
        remove(e.peer(), "dial failed");
      }
    });
    swarm.on(PingEvent.Failed.class, e -> remove(e.peer(), "ping failed"));
    // A routing-table peer whose last connection closed is dialed again: if it is gone, the
    // failed dial removes it; if it only closed an idle connection, we are connected again.
    swarm.on(SwarmEvent.ConnectionClosed.class, e -> {
      PeerId peer = e.peer();
      if (peer != null && table.contains(peer) && !swarm.isConnected(peer) && !stopped) {
        swarm.dial(peer);
      }
    });
    swarm.peerRouting(this::findPeer);
  }

  /** Starts the discovery timers and the record and provider republish timers, and dials the boot nodes. */
  public void start() {
    dialBootNodes();
    firstTimer = swarm.vertx().setTimer(config.firstDiscovery().toMillis(), t -> {
      firstTimer = -1;
      discover();
      periodicTimer = swarm.vertx().setPeriodic(config.discoveryInterval().toMillis(), p -> discover());
    });
    StoreConfig store = config.store();
    storeTimers.add(swarm.vertx().setPeriodic(store.recordRepublish().toMillis(), t -> values.republish()));
    storeTimers.add(swarm.vertx().setPeriodic(store.providerRepublish().toMillis(), t -> providers.republish()));
    storeTimers.add(swarm.vertx().setPeriodic(SWEEP_MS, t -> {
      values.store().expire();
      providers.store().expire();
    }));
  }

  public void stop() {
    stopped = true;
    if (firstTimer >= 0) {
      swarm.vertx().cancelTimer(firstTimer);
    }
    if (periodicTimer >= 0) {
      swarm.vertx().cancelTimer(periodicTimer);
    }
    storeTimers.forEach(swarm.vertx()::cancelTimer);
    storeTimers.clear();
  }

  // ---- records and providers (on the node's event loop) ----

  /**
   * Validates and stores a record, then sends it (PUT_VALUE) to the k peers closest to its key.
   * Completes with how many of them stored it; as rust-libp2p with a quorum of one, it fails
   * when none did (none answered, or no peer was known), and the record stays in our store
   * either way. Fails at once, sending nothing, when the record is invalid or our store refuses it.
   */
  public Future<Integer> putValue(byte[] key, byte[] value) {
    return values.put(key, value);
  }

  /**
   * The value under {@code key}: ours if we hold a valid record, else from an iterative
   * GET_VALUE walk that ends once {@link StoreConfig#getQuorum()} peers returned a valid record
   * (invalid ones are ignored). Fails with "no record for key ..." when nobody had one.
   */
  public Future<byte[]> getValue(byte[] key) {
    return values.get(key);
  }

  /**
   * Announces that we provide {@code key}: recorded locally (and announced again every
   * {@link StoreConfig#providerRepublish()}), then ADD_PROVIDER with our listen addresses to
   * the k peers closest to it. Completes with how many peers it was sent to (ADD_PROVIDER has
   * no answer), 0 when no peer is known.
   */
  public Future<Integer> provide(byte[] key) {
    return providers.provide(key);
  }

  /**
   * Up to {@code count} providers of {@code key}: ourselves if we provide it, those we hold,
   * then those an iterative GET_PROVIDERS walk finds (it stops once {@code count} are known).
   * An empty list when nobody provides it.
   */
  public Future<List<Provider>> findProviders(byte[] key, int count) {
    return providers.find(key, count);
  }

  /** What the DHT holds: records, keys with provider records, and the keys we provide ourselves. */
  public record StoreStats(int records, int providerKeys, int provided) {}

  public StoreStats storeStats() {
    return new StoreStats(values.store().size(), providers.store().keys(), providers.provided());
  }

  /** The records we hold (tests look into it). */
  RecordStore recordStore() {
    return values.store();
  }

  /** The provider records we hold. */
  ProviderStore providerStore() {
    return providers.store();
  }

  Swarm swarm() {
    return swarm;
  }

  Config config() {
    return config;
  }

  boolean stopped() {
    return stopped;
  }

  public RoutingTable routingTable() {
    return table;
  }

  /** Calls {@code listener} with the table's size after every change (on the node's loop). */
  public void onTableChange(java.util.function.IntConsumer listener) {
    tableListeners.add(listener);
  }

  /** How a lookup ended: peers answered, nobody did (or there was nobody to ask), or its deadline cut it short. */
  public enum LookupOutcome { FOUND, EMPTY, DEADLINE }

  /** Told of every lookup's end, on the node's loop. */
  public interface LookupListener {
    void ended(LookupOutcome outcome, long nanos);
  }

  /** Tells {@code listener} how every lookup from now on ended and how long it took. */
  public void onLookup(LookupListener listener) {
    this.lookupListener = listener;
  }

  private void tableChanged() {
    int size = table.size();
    for (java.util.function.IntConsumer l : List.copyOf(tableListeners)) {
      l.accept(size);
    }
  }

  /**
   * Peers remembered from an earlier run (most recently seen first; their addresses are in the
   * peer store), bootstrapped from like the boot nodes: dialed at start and while the routing
   * table is empty, {@link #K} at a time, taking turns. They join the table as any peer does,
   * once they advertise kad and answer. Call it before {@link #start}.
   */
  public void bootstrapFrom(List<PeerId> peers) {
    storedPeers.clear();
    storedPeers.addAll(peers);
    nextStored = 0;
  }

  private void dialBootNodes() {
    for (Multiaddr boot : bootNodes) {
      swarm.dial(boot).onFailure(e -> LOG.warn("boot node {}: {}", boot, e.getMessage()));
    }
    for (int i = 0; i < Math.min(K, storedPeers.size()); i++) {
      PeerId peer = storedPeers.get(nextStored);
      nextStored = (nextStored + 1) % storedPeers.size();
      swarm.dial(peer, false).onFailure(e -> LOG.debug("stored peer {}: {}", peer, e.getMessage()));
    }
  }

  // ---- routing table upkeep ----

  /** Asks a peer that speaks kad for our own neighbourhood; if it answers, it joins the table. */
  private void probe(PeerId peer) {
    if (!probing.add(peer)) {
      return;
    }
    findNode(peer, swarm.localPeer().toBytes())
        .onComplete(ar -> {
          probing.remove(peer);
          if (ar.succeeded()) {
            admit(peer);
          }
        });
  }

  /** Adds a peer that answered on kad; a full bucket pings its oldest entry first. */
  private void admit(PeerId peer) {
    // the peer store holds only addresses that passed the swarm's address policy
    List<Multiaddr> addrs = swarm.peerStore().addresses(peer);
    RoutingTable.Outcome outcome = table.add(peer, addrs);
    if (outcome.added()) {
      pausedLogged = false;
      tableChanged();
      LOG.debug("routing table: added {} ({} peers)", peer, table.size());
    } else if (outcome.candidate() != null) {
      PeerId oldest = outcome.candidate();
      swarm.dial(oldest).compose(c -> findNode(oldest, swarm.localPeer().toBytes())).onComplete(ar -> {
        if (ar.succeeded()) {
          table.touch(oldest);
        } else {
          table.replace(oldest, peer, addrs);
          tableChanged();
        }
      });
    }
  }

  private void remove(PeerId peer, String why) {
    if (table.remove(peer)) {
      LOG.info("Removing peer {} from the routing table: {}", peer, why);
      tableChanged();
    }
  }

  // ---- discovery ----

  private void discover() {
    if (table.size() == 0) {
      if (!pausedLogged) {
        LOG.info("routing table is empty: discovery paused until a peer is found");
        pausedLogged = true;
      }
      dialBootNodes();
      return;
    }
    if (discovering) {
      return;
    }
    discovering = true;
    List<Future<List<PeerId>>> lookups = new ArrayList<>();
    lookups.add(lookup(swarm.localPeer().toBytes()));
    for (int bucket : table.bucketsNeedingRefresh(config.discoveryInterval().toMillis())) {
      table.markBucketRefreshed(bucket);
      PeerId random = randomPeerInBucket(bucket);
      if (random != null) {
        lookups.add(lookup(random.toBytes()));
      }
    }
    Future.join(lookups).onComplete(ar -> {
      discovering = false;
      LOG.debug("discovery round done: {} peers in the routing table", table.size());
    });
  }

  /** Finds the addresses of a peer: the routing table's, else a lookup for it. */
  public Future<List<Multiaddr>> findPeer(PeerId peer) {
    RoutingTable.Entry entry = table.get(peer);
    if (entry != null && !entry.addrs().isEmpty()) {
      return Future.succeededFuture(entry.addrs());
    }
    return lookup(peer.toBytes()).map(found -> swarm.peerStore().addresses(peer));
  }

  /**
   * A random PeerId (a sha2-256 multihash of random bytes) whose key falls in the bucket. The
   * FIND_NODE key must be a preimage, so we draw until one lands there: bucket i (i leading
   * bits shared) is hit with probability 2^-(i+1), so far buckets at once; we give up after
   * 65536 draws, which only the nearest buckets (i &gt; 15, almost always empty) need.
   */
  private PeerId randomPeerInBucket(int bucket) {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    byte[] mh = new byte[34];
    mh[0] = 0x12;
    mh[1] = 32;
    for (int i = 0; i < 1 << 16; i++) {
      byte[] digest = new byte[32];
      random.nextBytes(digest);
      System.arraycopy(digest, 0, mh, 2, 32);
      PeerId candidate = PeerId.fromBytes(mh);
      if (table.bucketIndex(Key.of(candidate)) == bucket) {
        return candidate;
      }
    }
    return null;
  }

  /**
   * Iterative lookup for the k peers closest to {@code target}: α requests in flight, each
   * bounded by the request timeout, the whole bounded by the lookup deadline.
   */
  public Future<List<PeerId>> lookup(byte[] key) {
    return walk(key, peer -> findNode(peer, key), () -> false);
  }

  /**
   * The iterative walk towards {@code key} that lookups, GET_VALUE and GET_PROVIDERS share:
   * {@code ask} queries one peer and completes with the closer peers its answer names (it keeps
   * whatever else the answer carries); the walk ends early once {@code enough} says so.
   * Completes with the closest peers that answered.
   */
  Future<List<PeerId>> walk(byte[] key, java.util.function.Function<PeerId, Future<List<PeerId>>> ask,
      java.util.function.BooleanSupplier enough) {
    Key target = Key.ofBytes(key);
    List<PeerId> seeds = new ArrayList<>(table.closest(target, K).stream().map(RoutingTable.Entry::peer).toList());
    if (seeds.size() < K) {
      // early on the table may still be empty: connected peers that speak kad help too
      for (Connection c : swarm.connections()) {
        PeerStore.PeerInfo info = swarm.peerStore().get(c.remotePeer());
        if (info != null && info.supports(PROTOCOL_ID) && !seeds.contains(c.remotePeer())) {
          seeds.add(c.remotePeer());
        }
      }
    }
    Lookup lookup = new Lookup(target, swarm.localPeer(), seeds, ALPHA, K);
    Promise<List<PeerId>> promise = Promise.promise();
    long started = System.nanoTime();
    boolean[] cut = {false};
    long deadline = swarm.vertx().setTimer(config.lookupDeadline().toMillis(),
        t -> cut[0] = promise.tryComplete(lookup.result()));
    step(lookup, ask, enough, promise);
    return promise.future().andThen(ar -> {
      swarm.vertx().cancelTimer(deadline);
      if (lookupListener != null) {
        lookupListener.ended(cut[0] ? LookupOutcome.DEADLINE
            : ar.succeeded() && !ar.result().isEmpty() ? LookupOutcome.FOUND : LookupOutcome.EMPTY,
            System.nanoTime() - started);
      }
    });
  }

  private void step(Lookup lookup, java.util.function.Function<PeerId, Future<List<PeerId>>> ask,
      java.util.function.BooleanSupplier enough, Promise<List<PeerId>> promise) {
    if (promise.future().isComplete()) {
      return;
    }
    if (lookup.isDone() || enough.getAsBoolean()) {
      promise.tryComplete(lookup.result());
      return;
    }
    for (PeerId peer : lookup.nextToQuery()) {
      ask.apply(peer).onComplete(ar -> {
        if (ar.succeeded()) {
          lookup.onResponse(peer, ar.result());
          admit(peer);
        } else {
          lookup.onFailure(peer);
        }
        step(lookup, ask, enough, promise);
      });
    }
  }

  // ---- wire ----

  /** FIND_NODE to one peer; the peers it names are remembered as dialable. */
  Future<List<PeerId>> findNode(PeerId peer, byte[] key) {
    return ask(peer, KadRpc.findNode(key)).map(this::closerPeers);
  }

  /** One request to one peer and its answer. */
  Future<KadRpc.Reply> ask(PeerId peer, KadProto.Message request) {
    return KadRpc.request(swarm, peer, request, config.requestTimeout(), maxMessageSize);
  }

  /** The closer peers an answer names; they are remembered as dialable. */
  List<PeerId> closerPeers(KadRpc.Reply reply) {
    List<PeerId> closer = new ArrayList<>();
    for (KadRpc.PeerEntry entry : learnPeers(reply.message().getCloserPeersList(), reply.via())) {
      closer.add(entry.peer());
    }
    return closer;
  }

  /**
   * Decodes peers one peer told us about (never ourselves), keeping only the addresses the
   * address policy allows for what we reached the teller over, and adds those to the peer store
   * (dials to them are backed off per address, in the swarm).
   */
  List<KadRpc.PeerEntry> learnPeers(List<KadProto.Message.Peer> peers, io.tinyp2p.stream.ConnectionInfo via) {
    Multiaddr from = via == null ? null : via.remoteAddress();
    List<KadRpc.PeerEntry> out = new ArrayList<>();
    for (KadRpc.PeerEntry entry : KadRpc.decodePeers(peers)) {
      if (entry.peer().equals(swarm.localPeer())) {
        continue;
      }
      List<Multiaddr> usable = RoutingTable.normalize(swarm.addressPolicy().filter(entry.addrs(), from));
      if (!usable.isEmpty()) {
        swarm.peerStore().addAddresses(entry.peer(), usable);
      }
      out.add(new KadRpc.PeerEntry(entry.peer(), usable));
    }
    return out;
  }

  private void onInbound(P2pStream stream) {
    PeerId from = stream.remotePeer();
    LengthPrefixed.serve(stream, swarm.vertx(), maxMessageSize, config.requestTimeout(), bytes -> {
      KadProto.Message request;
      try {
        request = KadRpc.parse(bytes);
      } catch (SwarmException e) {
        swarm.peerLog().info(LOG, from, "kad from {}: {}", from, e.getMessage());
        return null;
      }
      return answer(from, request, stream);
    }, e -> swarm.streamReadFailed(stream, "kad", e));
    // A server-mode peer that asks us is worth knowing: check whether it answers too.
    PeerStore.PeerInfo info = swarm.peerStore().get(from);
    if (info != null && info.supports(PROTOCOL_ID) && !table.contains(from)) {
      probe(from);
    }
  }

  /**
   * Our answer, as {@link LengthPrefixed#serve} takes it: PING is echoed; FIND_NODE gets the k
   * closest peers we know to the key (never the asker itself); GET_VALUE and GET_PROVIDERS get
   * them too, with the record or the providers we hold; a valid PUT_VALUE is stored and echoed;
   * ADD_PROVIDER has no answer. Null (the stream is reset) for what we refuse or do not serve.
   */
  private Buffer answer(PeerId from, KadProto.Message request, P2pStream stream) {
    // an absent type is PUT_VALUE, the enum's 0: encoders with proto3 defaults (js) leave it out;
    // a type we do not know is kept among the unknown fields
    if (!request.hasType() && request.getUnknownFields().hasField(KadProto.Message.TYPE_FIELD_NUMBER)) {
      swarm.peerLog().info(LOG, from, "kad from {}: unsupported message type {}", from,
          request.getUnknownFields().getField(KadProto.Message.TYPE_FIELD_NUMBER).getVarintList());
      return null;
    }
    KadProto.Message.MessageType type = request.getType();
    KadProto.Message.Builder reply = KadProto.Message.newBuilder().setType(type);
    if (type == KadProto.Message.MessageType.PING) {
      return Buffer.buffer(reply.build().toByteArray());
    }
    if (type == KadProto.Message.MessageType.PUT_VALUE) {
      KadProto.Message echo = values.onPut(from, request);
      return echo == null ? null : Buffer.buffer(echo.toByteArray());
    }
    if (type == KadProto.Message.MessageType.ADD_PROVIDER) {
      providers.onAdd(from, request, stream.connection());
      return LengthPrefixed.NO_REPLY;
    }
    if (type == KadProto.Message.MessageType.GET_VALUE) {
      values.answerGet(request, reply);
    } else if (type == KadProto.Message.MessageType.GET_PROVIDERS) {
      providers.answerGet(request, reply);
    } else if (type != KadProto.Message.MessageType.FIND_NODE) {
      swarm.peerLog().info(LOG, from, "kad from {}: unsupported message type {}", from, type);
      return null;
    }
    reply.setKey(request.getKey());
    Key target = Key.ofBytes(request.getKey().toByteArray());
    for (RoutingTable.Entry entry : table.closest(target, K + 1)) {
      if (entry.peer().equals(from) || reply.getCloserPeersCount() >= K) {
        continue;
      }
      reply.addCloserPeers(KadRpc.encodePeer(entry.peer(), entry.addrs()));
    }
    return Buffer.buffer(reply.build().toByteArray());
  }
}
