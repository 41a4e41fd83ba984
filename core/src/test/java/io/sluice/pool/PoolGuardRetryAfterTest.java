package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.RejectReason;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Retry-After of the pool guard's refusals, on a manual clock: jittered on every kind (so that
 * callers turned away together do not come back together), the wait of the line included, and
 * within the limiter's range.
 */
class PoolGuardRetryAfterTest {
  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();

  private Limiter limiter(Duration maxRetryAfter, double jitter) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
        .retryAfter(Duration.ofMillis(10), maxRetryAfter).retryAfterJitter(jitter).build();
  }

  /** A caller in line that is never granted anything while the test looks. */
  private static final class Idle extends PoolGuard.Waiter {
    @Override
    void granted() {
      // The test cancels or never serves it.
    }
  }

  private static AdmissionRejectedException refusal(PoolGuard<String> guard, Duration timeout)
      throws InterruptedException {
    try {
      guard.acquire(timeout).close();
    } catch (AdmissionRejectedException e) {
      return e;
    }
    throw new AssertionError("expected a refusal");
  }

  @Test
  void everyRefusalOfThePoolGuardIsJittered() throws Exception {
    // A pool that never hands out a connection within the time given.
    PoolGuard<String> guard = PoolGuard.newBuilder(new PoolGuardTest.ScriptedAdapter(0))
        .clock(clock).limiter(limiter(Duration.ofSeconds(60), 0.5))
        .maxWait(Duration.ofMillis(100)).build();
    // The limiter's floor, 10 ms, with its jitter: [10, 15) ms, spread.
    assertJittered(RejectReason.DEADLINE, guard, Duration.ZERO); // due on arrival
    assertJittered(RejectReason.DEADLINE, guard, Duration.ofMillis(50)); // due in the pool
    assertJittered(RejectReason.QUEUE_TIMEOUT, guard, Duration.ofSeconds(1)); // maxWait first

    PoolGuard<String> failFast = PoolGuard.newBuilder(new PoolGuardTest.ScriptedAdapter(1))
        .clock(clock).limiter(limiter(Duration.ofSeconds(60), 0.5)).maxWaiters(0).build();
    try (Lease<String> held = failFast.acquire(Duration.ofSeconds(1))) {
      assertJittered(RejectReason.LIMIT_REACHED, failFast, Duration.ofSeconds(1));
      assertThat(held.resource()).isEqualTo("c0");
    }
  }

  private static void assertJittered(RejectReason reason, PoolGuard<String> guard,
      Duration timeout) throws InterruptedException {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 500; i++) {
      AdmissionRejectedException e = refusal(guard, timeout);
      assertThat(e.reason()).isEqualTo(reason);
      min = Math.min(min, e.retryAfterNanos());
      max = Math.max(max, e.retryAfterNanos());
    }
    assertThat(min).as("%s", reason).isGreaterThanOrEqualTo(10 * MS);
    assertThat(max).as("%s", reason).isLessThan(15 * MS);
    assertThat(max - min).as("%s: spread, not lock-step", reason).isGreaterThan(3 * MS);
  }

  @Test
  void aCallerTurnedAwayByAFullLineIsToldTheWaitOfTheLine() throws Exception {
    PoolGuard<String> guard = PoolGuard.newBuilder(new PoolGuardTest.ScriptedAdapter(1))
        .clock(clock).limiter(limiter(Duration.ofSeconds(60), 0.0)).maxWaiters(3).build();
    List<Idle> line = new ArrayList<>();
    try (Lease<String> held = guard.acquire(Duration.ofSeconds(1))) {
      for (int i = 0; i < 3; i++) {
        Idle waiter = new Idle();
        assertThat(guard.enqueue(waiter)).isTrue();
        line.add(waiter);
      }
      AdmissionRejectedException e = refusal(guard, Duration.ofSeconds(1));
      assertThat(e.reason()).isEqualTo(RejectReason.LIMIT_REACHED);
      // The floor, 10 ms, for the checkout held and the 3 callers ahead, at limit 1.
      assertThat(e.retryAfterNanos()).isEqualTo(4 * 10 * MS);
      assertThat(held.resource()).isEqualTo("c0");
    } finally {
      for (Idle waiter : line) {
        guard.cancel(waiter);
      }
    }
    assertThat(guard.waiters()).isZero();
  }

  @Test
  void noRefusalOfThePoolGuardGoesBeyondTheMaximumJitterIncluded() throws Exception {
    PoolGuard<String> guard = PoolGuard.newBuilder(new PoolGuardTest.ScriptedAdapter(1))
        .clock(clock).limiter(limiter(Duration.ofSeconds(1), 0.5)).maxWaiters(1000).build();
    List<Idle> line = new ArrayList<>();
    try (Lease<String> held = guard.acquire(Duration.ofSeconds(1))) {
      for (int i = 0; i < 1000; i++) {
        Idle waiter = new Idle();
        guard.enqueue(waiter);
        line.add(waiter);
      }
      refusal(guard, Duration.ofSeconds(1)); // the first refusal starts the stall clock
      clock.advance(Duration.ofHours(1)); // a hang: nothing released for an hour
      long min = Long.MAX_VALUE;
      long max = 0;
      for (int i = 0; i < 500; i++) {
        long hint = refusal(guard, Duration.ofSeconds(1)).retryAfterNanos();
        min = Math.min(min, hint);
        max = Math.max(max, hint);
      }
      // The estimate is held at 1 s / (1 + 0.5), so that the jitter stays within 1 s.
      assertThat(min).isGreaterThanOrEqualTo(666 * MS);
      assertThat(max).isLessThanOrEqualTo(1_000 * MS);
      assertThat(max - min).isGreaterThan(200 * MS);
      assertThat(held.resource()).isEqualTo("c0");
    } finally {
      for (Idle waiter : line) {
        guard.cancel(waiter);
      }
    }
  }
}
