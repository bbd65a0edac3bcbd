package io.tinyp2p.protocol.kad;

import io.tinyp2p.crypto.PeerId;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The iterative FIND_NODE lookup as a deterministic state machine (no timers, no I/O): the
 * caller asks {@link #nextToQuery()} whom to ask, reports answers and failures, and stops at
 * {@link #isDone()} (or at its own deadline). At most α requests are in flight; the lookup
 * ends when the k closest peers known have all answered or failed.
 */
public final class Lookup {
  /** Candidates remembered at most: bounds what hostile answers can make us hold. */
  static final int MAX_CANDIDATES = 1000;

  private enum State { WAITING, IN_FLIGHT, ANSWERED, FAILED }

  private record Candidate(PeerId peer, Key key) {}

  private final Key target;
  private final int alpha;
  private final int k;
  private final PeerId self;
  private final TreeMap<Candidate, State> candidates;
  private int inFlight;

  public Lookup(Key target, PeerId self, List<PeerId> seeds, int alpha, int k) {
    this.target = target;
    this.self = self;
    this.alpha = alpha;
    this.k = k;
    this.candidates = new TreeMap<>((a, b) -> {
      int c = target.compareDistance(a.key(), b.key());
      return c != 0 ? c : a.peer().compareTo(b.peer());
    });
    seeds.forEach(this::offer);
  }

  public Key target() {
    return target;
  }

  private void offer(PeerId peer) {
    if (peer.equals(self)) {
      return;
    }
    Candidate c = new Candidate(peer, Key.of(peer));
    if (candidates.containsKey(c)) {
      return;
    }
    candidates.put(c, State.WAITING);
    if (candidates.size() > MAX_CANDIDATES) {
      // forget the farthest one that is not being asked right now
      for (Candidate far : candidates.descendingKeySet()) {
        if (candidates.get(far) != State.IN_FLIGHT) {
          candidates.remove(far);
          break;
        }
      }
    }
  }

  /** Peers to ask now (marks them in flight). */
  public List<PeerId> nextToQuery() {
    List<PeerId> out = new ArrayList<>();
    int live = 0;
    for (var e : candidates.entrySet()) {
      if (inFlight >= alpha || live >= k) {
        break;
      }
      if (e.getValue() == State.FAILED) {
        continue;
      }
      live++;
      if (e.getValue() == State.WAITING) {
        e.setValue(State.IN_FLIGHT);
        inFlight++;
        out.add(e.getKey().peer());
      }
    }
    return out;
  }

  public void onResponse(PeerId from, List<PeerId> closer) {
    if (settle(from, State.ANSWERED)) {
      closer.forEach(this::offer);
    }
  }

  public void onFailure(PeerId from) {
    settle(from, State.FAILED);
  }

  private boolean settle(PeerId from, State state) {
    Candidate c = new Candidate(from, Key.of(from));
    if (candidates.get(c) != State.IN_FLIGHT) {
      return false;
    }
    candidates.put(c, state);
    inFlight--;
    return true;
  }

  /** Done when nothing is in flight and the k closest live candidates have all answered. */
  public boolean isDone() {
    if (inFlight > 0) {
      return false;
    }
    int live = 0;
    for (var e : candidates.entrySet()) {
      if (live >= k) {
        break;
      }
      if (e.getValue() == State.FAILED) {
        continue;
      }
      live++;
      if (e.getValue() == State.WAITING) {
        return false;
      }
    }
    return true;
  }

  /** The k closest peers that answered, closest first. */
  public List<PeerId> result() {
    List<PeerId> out = new ArrayList<>();
    for (var e : candidates.entrySet()) {
      if (out.size() >= k) {
        break;
      }
      if (e.getValue() == State.ANSWERED) {
        out.add(e.getKey().peer());
      }
    }
    return out;
  }

  public int inFlight() {
    return inFlight;
  }
}
