package io.tinyp2p.protocol.autonat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.TestNode;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import io.tinyp2p.protocol.autonat.pb.AutoNatProto.Message;
import io.tinyp2p.swarm.Swarm;
import io.tinyp2p.swarm.SwarmConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What AutoNAT answers do to the announced addresses and the reachability, on an injected clock. */
class ConfirmedAddrsTest {
  static final Multiaddr EXTERNAL = Multiaddr.parse("/ip4/203.0.113.9/tcp/4001");

  final Vertx vertx = Vertx.vertx();
  final io.vertx.core.Context context = vertx.getOrCreateContext();
  final AtomicLong now = new AtomicLong(1_000_000);
  final List<ReachabilityChanged> events = new ArrayList<>();
  Swarm swarm;
  AutoNat autoNat;

  @AfterEach
  void closeAll() {
    TestNode.onContext(context, () -> {
      autoNat.stop();
      return swarm.close();
    });
    TestNode.await(vertx.close());
  }

  void start(int confidence) {
    AutoNatConfig d = AutoNatConfig.defaults();
    AutoNatConfig config = new AutoNatConfig(false, true, Duration.ofSeconds(60), confidence, 3, d.requestTimeout(),
        d.dialTimeout(), 3, 30, d.limitWindow(), 2, d.observedTtl(), 16, List.of(EXTERNAL));
    onLoop(() -> {
      swarm = new Swarm(vertx, KeyPair.generate(), SwarmConfig.defaults());
      autoNat = new AutoNat(swarm, config, now::get);
      swarm.on(ReachabilityChanged.class, events::add);
      return null;
    });
  }

  <T> T onLoop(java.util.function.Supplier<T> action) {
    return TestNode.onContext(context, () -> Future.succeededFuture(action.get()));
  }

  void answer(Message.ResponseStatus status) {
    onLoop(() -> {
      autoNat.onAnswer(new AutoNatClient.Answer(KeyPair.generate().peerId(), List.of(EXTERNAL), status, "", null));
      return null;
    });
  }

  List<Multiaddr> announced() {
    return onLoop(() -> swarm.announcedAddresses());
  }

  @Test
  void aConfirmationIsAnnouncedUntilItExpires() {
    start(1);
    assertFalse(announced().contains(EXTERNAL), "a candidate is not announced before it is confirmed");
    answer(Message.ResponseStatus.OK);
    assertTrue(announced().contains(EXTERNAL));
    assertEquals(1, events.size());
    assertEquals(Reachability.PUBLIC, events.get(0).reachability());
    assertEquals(List.of(EXTERNAL), events.get(0).confirmedAddrs());

    now.addAndGet(Duration.ofSeconds(60 * 4).toMillis() - 1);
    onLoop(() -> autoNat.probe());
    assertTrue(announced().contains(EXTERNAL), "within 4 intervals");
    now.addAndGet(1);
    onLoop(() -> autoNat.probe());
    assertFalse(announced().contains(EXTERNAL), "expired");
    assertEquals(2, events.size());
    assertEquals(List.of(), events.get(1).confirmedAddrs());
  }

  @Test
  void aDialErrorDropsTheConfirmationAndRefusalsCountForNothing() {
    start(2);
    answer(Message.ResponseStatus.OK);
    assertTrue(announced().contains(EXTERNAL));
    assertEquals(Reachability.UNKNOWN, onLoop(() -> autoNat.reachability()), "one answer of two");
    answer(Message.ResponseStatus.E_DIAL_REFUSED);
    answer(Message.ResponseStatus.E_BAD_REQUEST);
    assertEquals(Reachability.UNKNOWN, onLoop(() -> autoNat.reachability()));
    answer(Message.ResponseStatus.E_DIAL_ERROR);
    assertFalse(announced().contains(EXTERNAL), "unconfirmed");
    answer(Message.ResponseStatus.E_DIAL_ERROR);
    assertEquals(Reachability.PRIVATE, onLoop(() -> autoNat.reachability()));
  }
}
