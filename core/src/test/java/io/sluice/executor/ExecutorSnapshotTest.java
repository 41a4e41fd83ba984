package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.ExecutorSnapshot;
import io.sluice.metrics.LatencySnapshot;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** A scripted sequence through the executor on a manual clock, and every count it leaves. */
class ExecutorSnapshotTest {
  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();
  private final ManualExecutor pool = new ManualExecutor();
  private final List<String> reported = new ArrayList<>();

  @Test
  void countsByPriorityReasonAndOutcomeAndQueueWaitsAreExact() {
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool)
        .clock(clock)
        .limiter(Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build())
        .queueCapacity(2)
        .retryAfterJitter(0)
        .rejectionListener((reason, priority, retryAfter) -> reported.add(reason + "/" + priority))
        .build();

    CompletableFuture<String> a = executor.submit(() -> "a", TaskOptions.of(Priority.CRITICAL));
    CompletableFuture<String> b = executor.submit(() -> {
      throw new TimeoutException("downstream timed out");
    }, TaskOptions.of(Priority.CRITICAL));
    CompletableFuture<String> c = executor.submit(() -> "c", TaskOptions.of(Priority.SHEDDABLE));
    CompletableFuture<String> d = executor.submit(() -> "d", TaskOptions.of(Priority.SHEDDABLE));
    assertThatThrownBy(() -> executor.submit(() -> "e", TaskOptions.of(Priority.SHEDDABLE)))
        .isInstanceOf(AdmissionRejectedException.class);

    ExecutorSnapshot queued = executor.snapshot();
    assertThat(queued.queued(Priority.CRITICAL)).isEqualTo(1);
    assertThat(queued.queued(Priority.SHEDDABLE)).isEqualTo(2);
    assertThat(queued.queued()).isEqualTo(3);
    assertThat(queued.admitted(Priority.CRITICAL)).isEqualTo(1);
    assertThat(queued.rejected(RejectReason.QUEUE_FULL, Priority.SHEDDABLE)).isEqualTo(1);
    assertThat(queued.rejected()).isEqualTo(1);

    clock.advanceNanos(3 * MS);
    pool.runNext(); // a succeeds; b (waited 3 ms) is admitted
    clock.advanceNanos(4 * MS);
    pool.runNext(); // b times out (DROPPED); c (waited 7 ms) is admitted
    d.cancel(false);
    clock.advanceNanos(MS);
    List<Runnable> returned = executor.shutdownNow(); // nothing queued is left: d was cancelled
    pool.runNext(); // c succeeds

    assertThat(a).isCompletedWithValue("a");
    assertThat(b).isCompletedExceptionally();
    assertThat(c).isCompletedWithValue("c");
    assertThat(returned).isEmpty();

    ExecutorSnapshot s = executor.snapshot();
    assertThat(s.queued()).isZero();
    assertThat(s.admitted(Priority.CRITICAL)).isEqualTo(2);
    assertThat(s.admitted(Priority.SHEDDABLE)).isEqualTo(1);
    assertThat(s.admitted()).isEqualTo(3);
    assertThat(s.completed(Outcome.SUCCESS, Priority.CRITICAL)).isEqualTo(1);
    assertThat(s.completed(Outcome.DROPPED, Priority.CRITICAL)).isEqualTo(1);
    assertThat(s.completed(Outcome.SUCCESS, Priority.SHEDDABLE)).isEqualTo(1);
    assertThat(s.completed(Outcome.IGNORED, Priority.SHEDDABLE)).isZero();
    assertThat(s.rejected(RejectReason.QUEUE_FULL, Priority.SHEDDABLE)).isEqualTo(1);
    assertThat(s.rejected()).isEqualTo(1);
    assertThat(s.shed()).as("d was cancelled by its caller: not shed").isZero();
    assertThat(reported).containsExactly("QUEUE_FULL/SHEDDABLE");

    LatencySnapshot critical = s.queueWait(Priority.CRITICAL);
    assertThat(critical.count()).isEqualTo(2);
    assertThat(critical.totalNanos()).isEqualTo(3 * MS);
    assertThat(critical.valueAtQuantile(0.0)).isLessThan(MS);
    assertThat(critical.maxNanos()).isCloseTo(3 * MS, org.assertj.core.data.Offset.offset(MS / 10));
    assertThat(s.queueWait(Priority.SHEDDABLE).totalNanos()).isEqualTo(7 * MS);
    assertThat(s.queueWait().count()).isEqualTo(3);
    assertThat(s.queueWait().totalNanos()).isEqualTo(10 * MS);

    // The limiter saw the same admissions; its rejections also count the dispatcher's attempts.
    LimiterSnapshot limiter = executor.limiter().snapshot();
    assertThat(limiter.admitted()).isEqualTo(3);
    assertThat(limiter.succeeded()).isEqualTo(2);
    assertThat(limiter.dropped()).isEqualTo(1);
    assertThat(refusedOrShed(executor, RejectReason.QUEUE_FULL)).isEqualTo(1);
  }

  @Test
  void shedTasksCountAsShedWithTheirPriority() {
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool)
        .clock(clock)
        .limiter(Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build())
        .rejectionListener((reason, priority, retryAfter) -> reported.add(reason + "/" + priority))
        .build();
    executor.submit(() -> "running", TaskOptions.of(Priority.CRITICAL));
    CompletableFuture<String> waiting =
        executor.submit(() -> "waiting", TaskOptions.of(Priority.SHEDDABLE_PLUS));

    List<Runnable> returned = executor.shutdownNow();
    assertThat(returned).hasSize(1);
    assertThat(waiting).isCompletedExceptionally();
    assertThatThrownBy(() -> executor.submit(() -> "late", TaskOptions.of(Priority.SHEDDABLE)))
        .isInstanceOf(AdmissionRejectedException.class);

    ExecutorSnapshot s = executor.snapshot();
    assertThat(s.shed(RejectReason.SHUTDOWN, Priority.SHEDDABLE_PLUS)).isEqualTo(1);
    assertThat(s.shed()).isEqualTo(1);
    assertThat(s.rejected(RejectReason.SHUTDOWN, Priority.SHEDDABLE)).isEqualTo(1);
    assertThat(s.admitted()).isEqualTo(1);
    assertThat(refusedOrShed(executor, RejectReason.SHUTDOWN)).isEqualTo(2);
    assertThat(reported).containsExactly("SHUTDOWN/SHEDDABLE_PLUS", "SHUTDOWN/SHEDDABLE");
  }

  /** Returns the tasks refused at submission or shed later for {@code reason}. */
  private static long refusedOrShed(AdmissionExecutor executor, RejectReason reason) {
    ExecutorSnapshot snapshot = executor.snapshot();
    return snapshot.rejected(reason) + snapshot.shed(reason);
  }
}
