package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The Retry-After of the executor's refusals, on a manual clock: one estimate with the limiter's
 * (the work in flight and the work queued ahead turned over once), jittered once, and never beyond
 * the limiter's maximum, jitter included.
 */
class ExecutorRetryAfterTest {
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;

  private final ManualClock clock = new ManualClock();
  private final ManualExecutor pool = new ManualExecutor();

  /** A limiter whose windows close on every sample, so that one task teaches it the median. */
  private Limiter limiter(int limit) {
    return Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(limit))
        .window(Duration.ofMillis(1), Duration.ofSeconds(1), 1)
        .build();
  }

  private static Callable<String> task() {
    return () -> "done";
  }

  /** Submits a task that the test expects to be refused, and returns the refusal. */
  private static AdmissionRejectedException refusal(AdmissionExecutor executor,
      TaskOptions options) {
    try {
      executor.submit(task(), options);
    } catch (AdmissionRejectedException e) {
      return e;
    }
    throw new AssertionError("expected a refusal");
  }

  /** Runs one task that takes {@code serviceNanos}, so that the limiter's window publishes it. */
  private void teach(AdmissionExecutor executor, long serviceNanos) {
    executor.submit(task());
    clock.advanceNanos(serviceNanos);
    pool.runNext();
  }

  @Test
  void aRefusedTaskIsToldTheTurnoverOfTheWorkInFlightAndQueuedAhead() {
    Limiter limiter = limiter(2);
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool).clock(clock).limiter(limiter)
        .queueCapacity(3).retryAfterJitter(0).build();
    teach(executor, 40 * MS);
    long turnover = limiter.retryAfterNanos();
    assertThat(turnover).as("the median the window published").isBetween(38 * MS, 42 * MS);

    for (int i = 0; i < 5; i++) {
      executor.submit(task()); // 2 run, 3 wait
    }
    AdmissionRejectedException full = refusal(executor, TaskOptions.defaults());
    assertThat(full.reason()).isEqualTo(RejectReason.QUEUE_FULL);
    // 2 units in flight and 3 tasks ahead turn over at 2 units per 40 ms: 40 ms x (1 + 3 / 2).
    assertThat((double) full.retryAfterNanos()).isCloseTo(2.5 * turnover, within(1.0));

    AdmissionRejectedException late =
        refusal(executor, TaskOptions.defaults().withTimeout(Duration.ofMillis(50)));
    assertThat(late.reason()).isEqualTo(RejectReason.DEADLINE);
    assertThat((double) late.retryAfterNanos()).isCloseTo(2.5 * turnover, within(1.0));
  }

  @Test
  void noRefusalOfTheExecutorGoesBeyondTheLimitersMaximumJitterIncluded() {
    // A fresh server hit by a burst of long work: 1 s tasks, 100 of them queued behind one.
    Limiter limiter = limiter(1);
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool).clock(clock).limiter(limiter)
        .queueCapacity(100).retryAfterJitter(1.0).build();
    teach(executor, SECOND);
    for (int i = 0; i < 101; i++) {
      executor.submit(task());
    }
    long max = 0;
    long min = Long.MAX_VALUE;
    for (int i = 0; i < 1_000; i++) {
      long hint = refusal(executor, TaskOptions.defaults()).retryAfterNanos();
      max = Math.max(max, hint);
      min = Math.min(min, hint);
    }
    // 1 s x (1 + 100 / 1) = 101 s is more than the range holds: the estimate is held at
    // 60 s / (1 + 1.0) so that the executor's jitter stays within the limiter's 60 s.
    assertThat(min).isGreaterThanOrEqualTo(30 * SECOND);
    assertThat(max).isLessThanOrEqualTo(60 * SECOND);
    assertThat(max - min).as("spread, not lock-step at the maximum").isGreaterThan(15 * SECOND);

    // The same an hour into a hang: the queue neither moves nor lets a value out of the range.
    clock.advance(Duration.ofHours(1));
    for (int i = 0; i < 1_000; i++) {
      assertThat(refusal(executor, TaskOptions.defaults()).retryAfterNanos())
          .isBetween(30 * SECOND, 60 * SECOND);
    }
  }

  @Test
  void everyRefusalOfTheExecutorIsJittered() {
    Limiter limiter = limiter(1);
    AdmissionExecutor queueing = AdmissionExecutor.newBuilder(pool).clock(clock).limiter(limiter)
        .queueCapacity(1).codel(Duration.ofMillis(100), Duration.ofMillis(100))
        .retryAfterJitter(0.5).build();
    teach(queueing, 30 * MS);
    queueing.submit(task());
    queueing.submit(task(), TaskOptions.of(Priority.CRITICAL));
    // The limiter's turnover (the 30 ms median) for the task in flight and the one queued ahead.
    long estimate = 2 * limiter.retryAfterNanos();
    assertThat(estimate).isBetween(58 * MS, 62 * MS);
    assertJittered(RejectReason.QUEUE_FULL, estimate,
        () -> refusal(queueing, TaskOptions.defaults()));
    assertJittered(RejectReason.DEADLINE, estimate,
        () -> refusal(queueing, TaskOptions.defaults().withTimeout(Duration.ofMillis(40))));
    clock.advanceNanos(100 * MS); // the CRITICAL queue has stood for 100 ms
    // Nothing has completed for 100 ms either: the turnover is three times that now.
    long stalled = 2 * limiter.retryAfterNanos();
    assertThat(stalled).isEqualTo(2 * 300 * MS);
    assertJittered(RejectReason.PRIORITY_SHED, stalled,
        () -> refusal(queueing, TaskOptions.of(Priority.SHEDDABLE)));

    Limiter other = limiter(1);
    AdmissionExecutor direct = AdmissionExecutor.newBuilder(pool).clock(clock).limiter(other)
        .queueCapacity(0).build();
    direct.submit(task());
    // Without a queue the limiter refuses, and its ticket carries its own jittered hint.
    assertJittered(RejectReason.LIMIT_REACHED, 10 * MS,
        () -> refusal(direct, TaskOptions.defaults()));
  }

  /** Asserts that refusals of {@code reason} spread over [estimate, 1.5 estimate). */
  private static void assertJittered(RejectReason reason, long estimate,
      Supplier<AdmissionRejectedException> refuse) {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 500; i++) {
      AdmissionRejectedException e = refuse.get();
      assertThat(e.reason()).isEqualTo(reason);
      min = Math.min(min, e.retryAfterNanos());
      max = Math.max(max, e.retryAfterNanos());
    }
    assertThat(min).as("%s", reason).isGreaterThanOrEqualTo(estimate);
    assertThat(max).as("%s", reason).isLessThan(estimate + estimate / 2);
    assertThat(max - min).as("%s: spread, not lock-step", reason).isGreaterThan(estimate / 3);
  }
}
