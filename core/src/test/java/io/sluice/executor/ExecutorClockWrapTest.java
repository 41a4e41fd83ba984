package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.RejectReason;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Times are compared by difference, as {@link io.sluice.NanoClock} readings require: deadlines,
 * timeouts and CoDel's "empty since" survive the wrap of the clock from Long.MAX_VALUE to
 * Long.MIN_VALUE, and estimates multiplied by queue lengths saturate instead of overflowing.
 */
class ExecutorClockWrapTest {
  private static final long MS = 1_000_000L;

  private ManualClock clock = new ManualClock(Long.MAX_VALUE - MS);
  private final ManualExecutor pool = new ManualExecutor();

  private AdmissionExecutor executor(int limit) {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build();
    return AdmissionExecutor.newBuilder(pool).clock(clock).limiter(limiter)
        .adaptiveLifo(false).retryAfterJitter(0).build();
  }

  private static Callable<String> task(String name) {
    return () -> name;
  }

  private static RejectReason shedReason(CompletableFuture<?> future) {
    assertThat(future).isCompletedExceptionally();
    Throwable cause = future.handle((v, t) -> t).join();
    assertThat(cause).isInstanceOf(AdmissionRejectedException.class);
    return ((AdmissionRejectedException) cause).reason();
  }

  @Test
  void aTimeoutThatEndsAfterTheWrapIsADeadlineNotNone() {
    AdmissionExecutor executor = executor(1);
    executor.submit(task("holder"));
    CompletableFuture<String> timed =
        executor.submit(task("timed"), TaskOptions.defaults().withTimeout(Duration.ofMillis(10)));

    clock.advanceNanos(5 * MS); // across the wrap, 4 ms after it; 5 ms left
    executor.sweep();
    assertThat(timed).as("5 ms before its deadline").isNotDone();

    clock.advanceNanos(6 * MS);
    executor.sweep();
    assertThat(shedReason(timed)).isEqualTo(RejectReason.DEADLINE);
  }

  @Test
  void aDeadlineAfterTheWrapIsAcceptedAndShedWhenItPasses() {
    AdmissionExecutor executor = executor(1);
    executor.submit(task("holder"));
    long deadline = clock.nanoTime() + 10 * MS; // wraps to a negative reading
    CompletableFuture<String> timed =
        executor.submit(task("timed"), TaskOptions.defaults().withDeadline(deadline));
    assertThat(timed).as("10 ms ahead, not in the past").isNotDone();

    clock.advanceNanos(9 * MS);
    executor.sweep();
    assertThat(timed).isNotDone();
    clock.advanceNanos(1 * MS);
    executor.sweep();
    assertThat(shedReason(timed)).isEqualTo(RejectReason.DEADLINE);
  }

  @Test
  void aDeadlineJustBeforeTheWrapIsPastJustAfterIt() {
    AdmissionExecutor executor = executor(1);
    long deadline = clock.nanoTime() + MS / 2; // still positive
    clock.advanceNanos(2 * MS); // now negative: the deadline passed 1.5 ms ago
    assertThatThrownBy(() -> executor.submit(task("late"),
        TaskOptions.defaults().withDeadline(deadline)))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));
    CompletableFuture<String> onTime = executor.submit(task("onTime"),
        TaskOptions.defaults().withDeadline(clock.nanoTime() + MS));
    assertThat(pool.pending()).as("admitted at once").isEqualTo(1);
    pool.runNext();
    assertThat(onTime).isCompletedWithValue("onTime");
  }

  /**
   * CoDel: a queue that emptied after the wrap does not stand. The moment it was last empty must
   * move forward across the wrap; compared absolutely, it stays at its last reading before the
   * wrap and the queue looks standing for ever, shedding every task older than the target.
   */
  @Test
  void aQueueThatEmptiedAfterTheWrapDoesNotStand() {
    clock = new ManualClock(Long.MAX_VALUE - 50 * MS);
    AdmissionExecutor executor = executor(1);
    executor.submit(task("a"));
    executor.submit(task("b")); // queued before the wrap

    clock.advanceNanos(60 * MS); // 10 ms after the wrap; b waited 60 ms, the queue never stood
    pool.runNext(); // a's release dispatches b: the queue is empty now
    CompletableFuture<String> c = executor.submit(task("c")); // queued now
    assertThat(executor.queued()).isEqualTo(1);

    clock.advanceNanos(50 * MS); // 110 ms after b was queued, 50 ms after c was
    executor.sweep();
    assertThat(c).as("not standing: the queue was empty 50 ms ago").isNotDone();
    pool.runNext();
    pool.runNext();
    assertThat(c).isCompletedWithValue("c");
  }

  /**
   * The wait estimate multiplies the service estimate by the queue length: with tasks that took
   * a century, it used to overflow to a negative Retry-After, and a full queue made submit throw
   * IllegalArgumentException from the exception's constructor instead of QUEUE_FULL.
   */
  @Test
  void hugeServiceEstimatesSaturateTheRetryAfterInsteadOfOverflowing() {
    clock = new ManualClock(0);
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build();
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool).clock(clock).limiter(limiter)
        .queueCapacity(3).retryAfterJitter(0).build();
    executor.submit(task("century"));
    clock.advanceNanos(3_000_000_000_000_000_000L); // ~95 years of service
    pool.runNext();

    executor.submit(task("running"));
    for (int i = 0; i < 3; i++) {
      executor.submit(task("queued" + i));
    }
    assertThatThrownBy(() -> executor.submit(task("full")))
        .isInstanceOfSatisfying(AdmissionRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectReason.QUEUE_FULL);
          assertThat(e.retryAfterNanos()).isPositive();
        });
    assertThatThrownBy(() -> executor.submit(task("deadline"),
        TaskOptions.defaults().withTimeout(Duration.ofDays(1))))
        .as("a day is far less than the saturated wait")
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));
  }
}
