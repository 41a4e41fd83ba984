package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many threads on four limiters standing for four replicas, each with its own connection to one
 * real Redis: no key is ever granted more than its quota, and a hot key under 64 threads neither
 * livelocks nor loses or doubles a permit. The quota math runs on a shared manual clock (a client
 * clock, as every replica would share an epoch clock), so the bounds are exact.
 */
@Tag("stress")
class RedisStressTest {
  private static final int REPLICAS = 4;

  @RegisterExtension
  static final RedisServer redis = new RedisServer();

  private static final List<RedisQuotaStore> stores = new ArrayList<>();

  @BeforeAll
  static void connect() {
    for (int i = 0; i < REPLICAS; i++) {
      stores.add(RedisQuotaStore.connect(redis.uri()));
    }
  }

  @AfterAll
  static void disconnect() {
    stores.forEach(RedisQuotaStore::close);
  }

  private static GlobalRateLimiter[] replicas(String name, ManualClock clock, long permits,
      Duration period, int burst, int slice) {
    GlobalRateLimiter[] replicas = new GlobalRateLimiter[REPLICAS];
    for (int i = 0; i < REPLICAS; i++) {
      GlobalRateLimiter.Builder builder = GlobalRateLimiter.newBuilder()
          .store(stores.get(i))
          .name(name)
          .rate(permits, period)
          .burst(burst)
          .failClosed()
          .budget(Duration.ofSeconds(10))
          .clock(clock)
          .clientClock(clock);
      if (slice > 0) {
        builder.batch(slice, Duration.ofSeconds(2));
      }
      replicas[i] = builder.build();
    }
    return replicas;
  }

  @Test
  @Timeout(60)
  void manyThreadsOnManyKeysNeverExceedRateTimesTimePlusBurst() throws InterruptedException {
    checkManyKeys("many-keys", 0);
  }

  @Test
  @Timeout(60)
  void batchingKeepsTheBoundFromAFullBucket() throws InterruptedException {
    checkManyKeys("many-keys-batched", 4);
  }

  private void checkManyKeys(String name, int slice) throws InterruptedException {
    int keys = 40;
    int burst = 10;
    ManualClock clock = new ManualClock(Duration.ofDays(400).toNanos());
    // One permit a second. Each call moves the manual clock 10 ms, far faster than the calls take
    // in real time, so Redis (which expires buckets on its own clock) never forgets a bucket that
    // is not yet full on the manual clock.
    GlobalRateLimiter[] replicas = replicas(name, clock, 60, Duration.ofMinutes(1), burst, slice);
    AtomicIntegerArray admitted = new AtomicIntegerArray(keys);
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    long start = clock.nanoTime();

    run(8, thread -> {
      SplittableRandom random = new SplittableRandom(thread);
      for (int i = 0; i < 1500; i++) {
        int key = random.nextInt(keys);
        long ticket = replicas[random.nextInt(REPLICAS)].tryAcquire("k" + key);
        if (Ticket.isPermit(ticket)) {
          admitted.incrementAndGet(key);
        } else if (Ticket.reason(ticket) != RejectReason.RATE_LIMITED) {
          problems.add(Ticket.toString(ticket));
        }
        clock.advanceNanos(10_000_000L);
      }
    });

    long elapsed = clock.nanoTime() - start;
    long bound = burst + elapsed / 1_000_000_000L;
    assertThat(problems).isEmpty();
    for (int key = 0; key < keys; key++) {
      assertThat((long) admitted.get(key)).as("key %d over %d ns", key, elapsed)
          .isLessThanOrEqualTo(bound);
      if (slice == 0) {
        assertThat(admitted.get(key)).as("key %d got at least its burst", key)
            .isGreaterThanOrEqualTo(burst);
      }
    }
  }

  @Test
  @Timeout(60)
  void sixtyFourThreadsOnOneKeyGetExactlyTheBurst() throws InterruptedException {
    ManualClock clock = new ManualClock(Duration.ofDays(400).toNanos());
    GlobalRateLimiter[] replicas = replicas("hot", clock, 10_000, Duration.ofHours(1), 5000, 0);

    int admitted = hammer(replicas);

    assertThat(admitted).as("every token granted exactly once, none lost").isEqualTo(5000);
    long storeCalls = 0;
    for (GlobalRateLimiter replica : replicas) {
      assertThat(replica.snapshot().storeFailures()).isZero();
      storeCalls += replica.snapshot().storeCalls();
    }
    // One round trip per permit; then each thread's first refusal at most, as a replica
    // remembers a refusal as soon as it has one.
    assertThat(storeCalls).isBetween(5000L + REPLICAS, 5000L + 64);
  }

  @Test
  @Timeout(60)
  void sixtyFourThreadsOnOneBatchedKeyGrantOrHoldEveryTokenOnce() throws InterruptedException {
    ManualClock clock = new ManualClock(Duration.ofDays(400).toNanos());
    GlobalRateLimiter[] replicas = replicas("hot-batched", clock, 10_000, Duration.ofHours(1), 5000,
        16);

    int admitted = hammer(replicas);

    long held = 0;
    long storeCalls = 0;
    for (GlobalRateLimiter replica : replicas) {
      held += ((StoreRateLimiter) replica).reservedPermits();
      storeCalls += replica.snapshot().storeCalls();
      assertThat(replica.snapshot().storeFailures()).isZero();
    }
    assertThat(admitted + held).as("granted or still reserved, never twice").isEqualTo(5000);
    assertThat(held).as("at most slice - 1 per replica").isLessThanOrEqualTo(REPLICAS * 15);
    assertThat(storeCalls).as("slices of 16: far fewer round trips than permits")
        .isLessThan(1000);
  }

  /** 64 threads, 150 calls each, on one key spread over the replicas; returns the permits. */
  private static int hammer(GlobalRateLimiter[] replicas) throws InterruptedException {
    AtomicIntegerArray admitted = new AtomicIntegerArray(1);
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    run(64, thread -> {
      GlobalRateLimiter replica = replicas[thread % REPLICAS];
      for (int i = 0; i < 150; i++) {
        long ticket = replica.tryAcquire("tenant");
        if (Ticket.isPermit(ticket)) {
          admitted.incrementAndGet(0);
        } else if (Ticket.reason(ticket) != RejectReason.RATE_LIMITED) {
          problems.add(Ticket.toString(ticket));
        }
      }
    });
    assertThat(problems).isEmpty();
    return admitted.get(0);
  }

  interface Body {
    void run(int thread);
  }

  private static void run(int threads, Body body) throws InterruptedException {
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread thread = new Thread(() -> {
        try {
          start.await();
          body.run(id);
        } catch (Throwable e) {
          failures.add(e);
        }
      }, "stress-" + t);
      started.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : started) {
      thread.join(TimeUnit.SECONDS.toMillis(50));
      assertThat(thread.isAlive()).as(thread.getName() + " finished").isFalse();
    }
    assertThat(failures).isEmpty();
  }
}
