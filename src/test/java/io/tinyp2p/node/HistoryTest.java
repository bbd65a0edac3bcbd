package io.tinyp2p.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** {@link History} on a scripted clock and scripted counters: rates, percentiles, the ring's bound. */
class HistoryTest {
  /** The scripted node: the test sets what the next reading says. */
  private long now = 1_000_000;
  private int connections;
  private long bytesIn;
  private long bytesOut;
  private final Map<String, History.TopicTotals> topics = new LinkedHashMap<>();
  private long[] latencies = new long[0];

  private History.Reading read() {
    History.Reading r = new History.Reading(connections, bytesIn, bytesOut, new LinkedHashMap<>(topics), latencies);
    latencies = new long[0]; // a reading hands over the requests answered since the last one
    return r;
  }

  private History history(Duration interval) {
    return new History(() -> now, this::read, interval);
  }

  /** A history of a node in topic "block" with nothing counted yet, sampling every 5 s. */
  private History joinedBlock() {
    topics.put("block", new History.TopicTotals(0, 0));
    return history(History.INTERVAL);
  }

  @Test
  void ratesAreTheCountersGrowthOverTheTimeBetweenSamples() {
    History h = joinedBlock();
    now += 5000;
    connections = 3;
    bytesIn = 10_000;
    bytesOut = 5_000;
    topics.put("block", new History.TopicTotals(50, 40));
    h.sample();
    now += 2500; // a late timer: the rate is over the time that really passed
    bytesIn += 1000;
    topics.put("block", new History.TopicTotals(51, 40));
    h.sample();
    List<History.Sample> s = h.samples();
    assertEquals(2, s.size());
    assertEquals(1_005_000, s.get(0).at());
    assertEquals(3, s.get(0).connections());
    assertEquals(2000.0, s.get(0).bytesInPerSec());
    assertEquals(1000.0, s.get(0).bytesOutPerSec());
    assertEquals(10.0, s.get(0).topics().get("block").receivedPerSec());
    assertEquals(8.0, s.get(0).topics().get("block").deliveredPerSec());
    assertEquals(50, s.get(0).topics().get("block").received());
    assertEquals(400.0, s.get(1).bytesInPerSec());
    assertEquals(0.0, s.get(1).bytesOutPerSec());
    assertEquals(0.4, s.get(1).topics().get("block").receivedPerSec());
    assertEquals(0.0, s.get(1).topics().get("block").deliveredPerSec());
    assertEquals(11_000, s.get(1).bytesIn());
  }

  @Test
  void latencyPercentilesAreOverTheRequestsOfTheInterval() {
    History h = history(History.INTERVAL);
    latencies = LongStream.rangeClosed(1, 100).map(ms -> ms * 1_000_000).toArray(); // 1..100 ms, in order
    now += 5000;
    h.sample();
    latencies = new long[] {3_456_789, 1_234_567}; // only these two in the next interval
    now += 5000;
    h.sample();
    now += 5000; // no request answered
    h.sample();
    List<History.Sample> s = h.samples();
    assertEquals(100, s.get(0).requests());
    assertEquals(51.0, s.get(0).p50Ms());
    assertEquals(99.0, s.get(0).p99Ms());
    assertEquals(2, s.get(1).requests());
    assertEquals(3.457, s.get(1).p50Ms());
    assertEquals(3.457, s.get(1).p99Ms());
    assertEquals(0, s.get(2).requests());
    assertNull(s.get(2).p50Ms());
    assertNull(s.get(2).p99Ms());
  }

  @Test
  void theRingHoldsFifteenMinutesOfSamples() {
    History h = history(History.INTERVAL);
    int perWindow = (int) (History.WINDOW.toMillis() / History.INTERVAL.toMillis());
    assertEquals(180, perWindow);
    for (int i = 1; i <= 3 * perWindow + 7; i++) {
      now += 5000;
      bytesIn += 100;
      h.sample();
      assertTrue(h.samples().size() <= perWindow, "after " + i + " samples: " + h.samples().size());
    }
    List<History.Sample> s = h.samples();
    assertEquals(perWindow, s.size());
    assertEquals(now, s.get(s.size() - 1).at());
    assertEquals(now - History.WINDOW.toMillis() + 5000, s.get(0).at()); // the oldest is within the window
    assertEquals(20.0, s.get(0).bytesInPerSec());
  }

  @Test
  void samplesOlderThanTheWindowGoEvenWhenTheRingIsNotFull() {
    History h = history(History.INTERVAL);
    for (int i = 0; i < 10; i++) {
      now += 5000;
      h.sample();
    }
    now += History.WINDOW.toMillis() - 20_000; // the loop was stuck (or the clock jumped)
    h.sample();
    List<History.Sample> s = h.samples();
    assertEquals(6, s.size(), "the samples of the last 15 minutes only");
    assertTrue(s.get(0).at() >= now - History.WINDOW.toMillis());
  }

  @Test
  void aTopicJoinedBetweenSamplesHasNoRateBeforeItsSecondSample() {
    History h = history(History.INTERVAL);
    now += 5000;
    topics.put("tx", new History.TopicTotals(500, 500)); // rejoined: its totals were kept
    h.sample();
    now += 5000;
    topics.put("tx", new History.TopicTotals(510, 505));
    h.sample();
    List<History.Sample> s = h.samples();
    assertEquals(0.0, s.get(0).topics().get("tx").receivedPerSec());
    assertEquals(2.0, s.get(1).topics().get("tx").receivedPerSec());
    assertEquals(1.0, s.get(1).topics().get("tx").deliveredPerSec());
  }

  @Test
  void aShorterIntervalKeepsMoreSamplesOfTheSameWindow() {
    History h = history(Duration.ofMillis(100));
    for (int i = 0; i < 10_000; i++) {
      now += 100;
      h.sample();
    }
    assertEquals(9000, h.samples().size());
    assertThrows(IllegalArgumentException.class, () -> history(Duration.ofMillis(10)));
    assertThrows(IllegalArgumentException.class, () -> history(Duration.ofMinutes(16)));
  }

  @Test
  void jsonCarriesTheIntervalAndTheSamples() {
    History h = joinedBlock();
    now += 5000;
    bytesOut = 7;
    latencies = new long[] {2_000_000};
    h.sample();
    now += 5000;
    h.sample();
    JsonObject json = h.toJson();
    assertEquals(5000, json.getLong("intervalMs"));
    assertEquals(900_000, json.getLong("windowMs"));
    JsonArray samples = json.getJsonArray("samples");
    assertEquals(2, samples.size());
    JsonObject first = samples.getJsonObject(0);
    assertEquals(1_005_000, first.getLong("at"));
    assertEquals(7, first.getLong("bytesOut"));
    assertEquals(1.4, first.getDouble("bytesOutPerSec"));
    assertEquals(0.0, first.getDouble("bytesInPerSec"));
    assertEquals(new JsonObject().put("received", 0L).put("delivered", 0L).put("receivedPerSec", 0.0)
        .put("deliveredPerSec", 0.0), first.getJsonObject("topics").getJsonObject("block"));
    assertEquals(1, first.getInteger("requests"));
    assertEquals(new JsonObject().put("p50", 2.0).put("p99", 2.0), first.getJsonObject("latencyMs"));
    assertTrue(samples.getJsonObject(1).containsKey("latencyMs"));
    assertNull(samples.getJsonObject(1).getValue("latencyMs"));
  }
}
