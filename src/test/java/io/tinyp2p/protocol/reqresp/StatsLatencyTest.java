package io.tinyp2p.protocol.reqresp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link RequestResponse.Stats#latenciesSince}: the requests answered since an earlier count, within the 1024 kept. */
class StatsLatencyTest {

  @Test
  void latenciesSinceAnEarlierCount() {
    RequestResponse.Stats stats = new RequestResponse.Stats();
    assertArrayEquals(new long[0], stats.latenciesSince(0));
    for (long i = 1; i <= 5; i++) {
      stats.recordLatency(i);
    }
    assertArrayEquals(new long[] {3, 4, 5}, stats.latenciesSince(2));
    assertArrayEquals(new long[0], stats.latenciesSince(5));
    for (long i = 6; i <= 2000; i++) {
      stats.recordLatency(i);
    }
    long[] kept = stats.latenciesSince(0);
    assertEquals(1024, kept.length, "only the last 1024 are kept");
    assertEquals(977, kept[0]);
    assertEquals(2000, kept[1023]);
    assertArrayEquals(new long[] {1999, 2000}, stats.latenciesSince(1998));
    assertEquals(2000, stats.succeeded());
  }

  @Test
  void percentileIsTheNearestRank() {
    long[] sorted = {10, 20, 30, 40};
    assertEquals(30, RequestResponse.Stats.percentile(sorted, 0.50)); // rank round(1.5) = 2
    assertEquals(40, RequestResponse.Stats.percentile(sorted, 0.99));
    assertEquals(10, RequestResponse.Stats.percentile(new long[] {10}, 0.99));
  }
}
