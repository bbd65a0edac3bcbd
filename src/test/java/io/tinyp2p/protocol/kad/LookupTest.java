package io.tinyp2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.PeerId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The lookup state machine on a simulated network of 200 peers that answer truthfully. */
class LookupTest {
  final Random random = new Random(11);
  final List<PeerId> network = new ArrayList<>();

  LookupTest() {
    for (int i = 0; i < 200; i++) {
      network.add(RoutingTableTest.randomPeer(random));
    }
  }

  List<PeerId> closestTo(Key target, int n) {
    return network.stream().sorted(Comparator.comparing(Key::of, target::compareDistance)).limit(n).toList();
  }

  @Test
  void convergesOnTheTargetAndNeverExceedsAlpha() {
    PeerId self = network.get(0);
    for (int t = 1; t < 40; t++) {
      PeerId target = network.get(t);
      Key key = Key.of(target);
      // we start knowing only 3 random peers
      Lookup lookup = new Lookup(key, self, List.of(network.get(100), network.get(150), network.get(199)), 3, 20);
      Set<PeerId> asked = new HashSet<>();
      int rounds = 0;
      while (!lookup.isDone()) {
        List<PeerId> next = lookup.nextToQuery();
        assertTrue(lookup.inFlight() <= 3);
        for (PeerId p : next) {
          assertTrue(asked.add(p), "asked twice: " + p);
          // each peer answers with the 20 closest it knows: the global list, minus itself
          lookup.onResponse(p, closestTo(key, 21).stream().filter(x -> !x.equals(p)).limit(20).toList());
        }
        assertTrue(++rounds < 500, "lookup does not terminate");
      }
      assertTrue(lookup.result().contains(target), "target " + t + " not found");
      assertTrue(!asked.contains(self));
      assertEquals(closestTo(key, 21).stream().filter(x -> !x.equals(self)).limit(20).toList(), lookup.result());
    }
  }

  @Test
  void failuresAreDroppedAndTheLookupEnds() {
    PeerId self = network.get(0);
    Key key = Key.of(network.get(5));
    Lookup lookup = new Lookup(key, self, network.subList(1, 30), 3, 20);
    int rounds = 0;
    while (!lookup.isDone()) {
      for (PeerId p : lookup.nextToQuery()) {
        lookup.onFailure(p);
      }
      assertTrue(++rounds < 100);
    }
    assertEquals(List.of(), lookup.result());
  }

  @Test
  void hostileAnswersAreBounded() {
    PeerId self = network.get(0);
    Lookup lookup = new Lookup(Key.of(network.get(1)), self, List.of(network.get(2)), 3, 20);
    PeerId asked = lookup.nextToQuery().get(0);
    List<PeerId> flood = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      flood.add(RoutingTableTest.randomPeer(random));
    }
    lookup.onResponse(asked, flood);
    // the flood is bounded; the lookup still asks at most alpha at a time
    assertTrue(lookup.nextToQuery().size() <= 3);
  }
}
