package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Lua step on a real Redis: the same tickets as core's local limiter, expiry when full. */
class GcraStepTest {
  @RegisterExtension
  static final RedisServer redis = new RedisServer();

  private static RedisQuotaStore store;
  private static RedisClient adminClient;
  private static StatefulRedisConnection<String, String> adminConnection;
  private static RedisCommands<String, String> admin;

  private final ManualClock clock = new ManualClock(1_700_000_000_123_456_789L);

  @BeforeAll
  static void connect() {
    store = RedisQuotaStore.connect(redis.uri());
    adminClient = RedisClient.create(redis.uri());
    adminConnection = adminClient.connect();
    admin = adminConnection.sync();
  }

  @AfterAll
  static void disconnect() {
    adminConnection.close();
    adminClient.shutdown();
    store.close();
  }

  @BeforeEach
  void flush() {
    admin.flushall();
  }

  private GlobalRateLimiter global(long permits, Duration period, int burst) {
    return GlobalRateLimiter.newBuilder()
        .store(store)
        .name("step")
        .rate(permits, period)
        .burst(burst)
        .failClosed()
        .budget(Duration.ofSeconds(10))
        .clock(clock)
        .clientClock(clock)
        .build();
  }

  private KeyedRateLimiter<String> local(long permits, Duration period, int burst) {
    return KeyedRateLimiter.newBuilder().rate(permits, period).burst(burst).clock(clock).build();
  }

  @Test
  void givesTheSameTicketsAsTheLocalLimiterToTheNanosecond() {
    // Slow rates: Redis expires a bucket on its own (real) clock when it is full on the manual
    // clock, so manual time must run far ahead of real time. Each step moves it 0.75 refill
    // intervals on average (at least 0.75 s here), many times what a step takes in real time even
    // on a loaded machine; refilling a whole burst takes a few dozen steps.
    long[][] rates = {{7, 30_000_000_000L, 5}, {100, 100_000_000_000L, 20},
        {3, 10_000_000_000L, 1}, {600, 600_000_000_000L, 600}};
    SplittableRandom random = new SplittableRandom(14);
    for (long[] rate : rates) {
      flush();
      Duration period = Duration.ofNanos(rate[1]);
      GlobalRateLimiter global = global(rate[0], period, (int) rate[2]);
      KeyedRateLimiter<String> local = local(rate[0], period, (int) rate[2]);
      long interval = rate[1] / rate[0];
      for (int i = 0; i < 1500; i++) {
        clock.advanceNanos(random.nextLong(interval + interval / 2));
        String key = "k" + random.nextInt(3);
        int permits = 1 + random.nextInt((int) rate[2]);
        long expected = local.tryAcquire(key, permits);
        long actual = global.tryAcquire(key, permits);
        assertThat(Ticket.toString(actual)).as("step %d: %s x%d at %d, %s", i, key, permits,
            clock.nanoTime(), global).isEqualTo(Ticket.toString(expected));
        if (i % 50 == 0) {
          assertThat(global.availablePermits(key)).isEqualTo(local.availablePermits(key));
        }
      }
      assertThat(global.snapshot().storeFailures()).isZero();
    }
  }

  @Test
  void refusesWithTheExactWaitForARateThatIsNotAWholeNumberOfNanoseconds() {
    GlobalRateLimiter global = global(7, Duration.ofSeconds(3), 1);

    assertThat(global.tryAcquire("tenant")).isEqualTo(0L);
    long refused = global.tryAcquire("tenant");

    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.RATE_LIMITED);
    // 3 s / 7 = 428,571,428.57 ns: rounded up, never early.
    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(428_571_429L);
    clock.advanceNanos(428_571_428L);
    assertThat(Ticket.isRejection(global.tryAcquire("tenant"))).isTrue();
    clock.advanceNanos(1);
    assertThat(global.tryAcquire("tenant")).isEqualTo(0L);
  }

  @Test
  void keepsABucketOnlyUntilItIsFullAgain() {
    GlobalRateLimiter global = global(1, Duration.ofSeconds(10), 3);

    global.tryAcquire("tenant", 2);

    assertThat(admin.exists("step:tenant")).isEqualTo(1L);
    // Full again in 20 s: the key expires then (rounded up to the millisecond, never earlier).
    assertThat(admin.pttl("step:tenant")).isBetween(19_000L, 20_000L);
    clock.advance(Duration.ofSeconds(5));
    global.tryAcquire("tenant", 1);
    assertThat(admin.pttl("step:tenant")).isBetween(24_000L, 25_000L);

    long refused = global.tryAcquire("tenant", 3);
    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(Duration.ofSeconds(25).toNanos());
    assertThat(admin.pttl("step:tenant")).as("a refusal writes nothing")
        .isLessThanOrEqualTo(25_000L);
  }

  @Test
  void usesRedisTimeWhenNoSharedClockIsGiven() {
    GlobalRateLimiter global = GlobalRateLimiter.newBuilder()
        .store(store)
        .name("server-time")
        .rate(10, Duration.ofHours(1))
        .burst(3)
        .failClosed()
        .budget(Duration.ofSeconds(10))
        .build();

    for (int i = 0; i < 3; i++) {
      assertThat(global.tryAcquire("tenant")).isEqualTo(0L);
    }
    long refused = global.tryAcquire("tenant");

    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.RATE_LIMITED);
    // One permit refills in 6 minutes; the calls above took a sliver of that on Redis's clock.
    assertThat(Ticket.retryAfterNanos(refused))
        .isBetween(Duration.ofMinutes(6).minusSeconds(30).toNanos(),
            Duration.ofMinutes(6).toNanos());
    assertThat(admin.pttl("server-time:tenant")).isBetween(17 * 60_000L, 18 * 60_000L);
  }

  @Test
  void reloadsTheScriptWhenRedisHasForgottenIt() {
    // Slow enough that Redis keeps the bucket for the whole test (it expires on real time).
    GlobalRateLimiter global = global(10, Duration.ofHours(1), 10);
    assertThat(global.tryAcquire("tenant")).isEqualTo(0L);

    admin.scriptFlush();

    assertThat(global.tryAcquire("tenant")).isEqualTo(0L);
    assertThat(admin.scriptExists(GcraScript.SHA1)).containsExactly(true);
    assertThat(global.snapshot().storeFailures()).isZero();
    assertThat(global.availablePermits("tenant")).isEqualTo(8);
  }

  @Test
  void aClockThatStepsBackMakesTheBucketStricterNotLooser() {
    ManualClock shared = new ManualClock(Duration.ofDays(1).toNanos());
    ManualClock behind = new ManualClock(Duration.ofDays(1).minusSeconds(2).toNanos());
    GlobalRateLimiter ahead = GlobalRateLimiter.newBuilder().store(store).name("skew")
        .rate(1, Duration.ofSeconds(1)).burst(2).failClosed().budget(Duration.ofSeconds(10))
        .clock(shared).clientClock(shared).build();
    GlobalRateLimiter late = GlobalRateLimiter.newBuilder().store(store).name("skew")
        .rate(1, Duration.ofSeconds(1)).burst(2).failClosed().budget(Duration.ofSeconds(10))
        .clock(behind).clientClock(behind).build();

    assertThat(ahead.tryAcquire("tenant")).isEqualTo(0L);
    long refused = late.tryAcquire("tenant");

    // Two seconds behind the anchor, one permit left: it exists 2 s later on this clock.
    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(Duration.ofSeconds(2).toNanos());
    assertThat(ahead.tryAcquire("tenant")).isEqualTo(0L);
    assertThat(Ticket.isRejection(ahead.tryAcquire("tenant"))).isTrue();
  }
}
