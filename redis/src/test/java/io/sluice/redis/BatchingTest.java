package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.sluice.Ticket;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Batching on a real Redis, on a manual clock: the over-grant it allows is reached exactly where
 * the Javadoc says and never exceeded, in any window of time.
 */
class BatchingTest {
  private static final int NODES = 4;
  private static final int BURST = 40;
  private static final int SLICE = 5;

  @RegisterExtension
  static final RedisServer redis = new RedisServer();

  private static RedisQuotaStore store;
  private static RedisClient adminClient;
  private static StatefulRedisConnection<String, String> admin;

  private final ManualClock clock = new ManualClock(Duration.ofDays(400).toNanos());

  @BeforeAll
  static void connect() {
    store = RedisQuotaStore.connect(redis.uri());
    adminClient = RedisClient.create(redis.uri());
    admin = adminClient.connect();
  }

  @AfterAll
  static void disconnect() {
    admin.close();
    adminClient.shutdown();
    store.close();
  }

  @BeforeEach
  void flush() {
    admin.sync().flushall();
  }

  /** Four nodes, one permit a second, burst 40, slices of 5 with the given lease. */
  private List<GlobalRateLimiter> nodes(Duration lease) {
    List<GlobalRateLimiter> nodes = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      nodes.add(GlobalRateLimiter.newBuilder()
          .store(store)
          .name("batched")
          .rate(1, Duration.ofSeconds(1))
          .burst(BURST)
          .batch(SLICE, lease)
          .failClosed()
          .budget(Duration.ofSeconds(10))
          .clock(clock)
          .clientClock(clock)
          .build());
    }
    return nodes;
  }

  @Test
  void aFullBucketPlusEveryNodesUnspentSliceIsTheMostAnInstantGrants() {
    List<GlobalRateLimiter> nodes = nodes(Duration.ofMinutes(10));
    for (GlobalRateLimiter node : nodes) {
      assertThat(node.tryAcquire("tenant")).isEqualTo(0L);   // reserves 5, keeps 4
    }
    clock.advance(Duration.ofSeconds(20));                    // the store's bucket is full again

    int granted = 0;
    for (GlobalRateLimiter node : nodes) {
      while (Ticket.isPermit(node.tryAcquire("tenant"))) {
        granted++;
      }
    }

    assertThat(granted).as("burst + N * (slice - 1)").isEqualTo(BURST + NODES * (SLICE - 1));
  }

  @Test
  void aSliceNotSpentWithinItsLeaseIsDropped() {
    GlobalRateLimiter node = nodes(Duration.ofSeconds(2)).get(0);
    node.tryAcquire("tenant");
    long calls = node.snapshot().storeCalls();
    assertThat(node.tryAcquire("tenant")).isEqualTo(0L);
    assertThat(node.snapshot().storeCalls()).as("granted from the slice").isEqualTo(calls);

    clock.advance(Duration.ofSeconds(2));

    assertThat(node.availablePermits("tenant")).as("the store's 35 + 2 refilled, no slice")
        .isEqualTo(37);
    assertThat(node.tryAcquire("tenant")).isEqualTo(0L);
    assertThat(node.snapshot().storeCalls()).as("a new reservation").isEqualTo(calls + 2);
  }

  @Test
  void noWindowOfTimeSeesMoreThanTheStatedOverGrant() {
    // Long enough for a bucket to refill while slices are held: the over-grant can happen.
    Duration lease = Duration.ofSeconds(30);
    List<GlobalRateLimiter> nodes = nodes(lease);
    SplittableRandom random = new SplittableRandom(7);
    List<long[]> grants = new ArrayList<>();   // {time, permits}
    for (int i = 0; i < 3000; i++) {
      // Bursts of calls between quiet spells that refill the bucket.
      clock.advanceNanos(random.nextInt(10) == 0
          ? random.nextLong(60_000_000_000L)
          : random.nextLong(100_000_000L));
      GlobalRateLimiter node = nodes.get(random.nextInt(NODES));
      int permits = random.nextInt(10) < 8 ? 1 : 1 + random.nextInt(SLICE + 2);
      if (Ticket.isPermit(node.tryAcquire("tenant", permits))) {
        grants.add(new long[] {clock.nanoTime(), permits});
      }
    }

    long worst = 0;
    for (int i = 0; i < grants.size(); i++) {
      long sum = 0;
      for (int j = i; j < grants.size(); j++) {
        sum += grants.get(j)[1];
        long window = grants.get(j)[0] - grants.get(i)[0];
        long byRate = window / 1_000_000_000L;
        assertThat(sum).as("window of %d ns", window)
            .isLessThanOrEqualTo(BURST + byRate + NODES * (SLICE - 1))
            .isLessThanOrEqualTo(BURST + (window + lease.toNanos()) / 1_000_000_000L);
        worst = Math.max(worst, sum - BURST - byRate);
      }
    }
    assertThat(worst).as("the over-grant was exercised").isPositive();
  }
}
