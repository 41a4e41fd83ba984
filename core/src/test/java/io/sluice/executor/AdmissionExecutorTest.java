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
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Single-threaded behaviour of the executor, driven by a manual clock and an executor that runs
 * tasks only when the test says so: queueing, CoDel, adaptive LIFO, deadlines, priorities,
 * Retry-After values, cancellation, failure outcomes and shutdown.
 */
class AdmissionExecutorTest {
  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();
  private final ManualExecutor pool = new ManualExecutor();
  private final List<String> ran = new CopyOnWriteArrayList<>();

  private RecordingLimiter limiter(int limit) {
    return new RecordingLimiter(
        Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build());
  }

  private AdmissionExecutor.Builder builder(Limiter limiter) {
    return AdmissionExecutor.newBuilder(pool).clock(clock).limiter(limiter).retryAfterJitter(0);
  }

  private Callable<String> task(String name) {
    return () -> {
      ran.add(name);
      return name;
    };
  }

  private CompletableFuture<String> submit(AdmissionExecutor e, String name, Priority p) {
    return e.submit(task(name), TaskOptions.of(p));
  }

  private static AdmissionRejectedException rejectionOf(CompletableFuture<?> future) {
    assertThat(future).isCompletedExceptionally();
    Throwable cause = future.handle((v, t) -> t).join();
    assertThat(cause).isInstanceOf(AdmissionRejectedException.class);
    return (AdmissionRejectedException) cause;
  }

  @Test
  void admitsUpToTheLimitQueuesTheRestAndDispatchesWhenAPermitIsReleased() {
    RecordingLimiter limiter = limiter(2);
    AdmissionExecutor executor = builder(limiter).build();
    CompletableFuture<String> a = submit(executor, "a", Priority.CRITICAL);
    CompletableFuture<String> b = submit(executor, "b", Priority.CRITICAL);
    CompletableFuture<String> c = submit(executor, "c", Priority.CRITICAL);

    assertThat(pool.pending()).isEqualTo(2);
    assertThat(executor.queued()).isEqualTo(1);
    assertThat(limiter.inFlight()).isEqualTo(2);

    pool.runNext();
    assertThat(a).isCompletedWithValue("a");
    assertThat(executor.queued()).isZero();
    assertThat(pool.pending()).as("c dispatched by the thread that released a's permit").isEqualTo(2);
    pool.runNext();
    pool.runNext();
    assertThat(b).isCompletedWithValue("b");
    assertThat(c).isCompletedWithValue("c");
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SUCCESS);
  }

  @Test
  void aFullQueueRejectsAtSubmissionWithARetryAfterForTheWorkAhead() {
    RecordingLimiter limiter = limiter(1);
    AdmissionExecutor executor = builder(limiter).queueCapacity(2).build();
    // Teach the service estimate: one task takes 20 ms from dispatch to completion.
    submit(executor, "warm", Priority.CRITICAL);
    clock.advanceNanos(20 * MS);
    pool.runNext();

    submit(executor, "a", Priority.CRITICAL);
    submit(executor, "b", Priority.CRITICAL);
    submit(executor, "c", Priority.CRITICAL);
    assertThat(executor.queued()).isEqualTo(2);

    assertThatThrownBy(() -> submit(executor, "d", Priority.CRITICAL))
        .isInstanceOfSatisfying(AdmissionRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectReason.QUEUE_FULL);
          // The limiter's estimate (its 10 ms floor: no window has closed yet) for the work in
          // flight and the 2 tasks queued ahead, at limit 1: 10 ms x (1 + 2 / 1).
          assertThat(e.retryAfterNanos()).isEqualTo(3 * 10 * MS);
        });
    assertThat(refusedOrShed(executor, RejectReason.QUEUE_FULL)).isEqualTo(1);
  }

  @Test
  void retryAfterJitterStaysWithinItsBand() {
    RecordingLimiter limiter = limiter(1);
    AdmissionExecutor executor = builder(limiter).queueCapacity(1).retryAfterJitter(0.5).build();
    submit(executor, "a", Priority.CRITICAL);
    submit(executor, "b", Priority.CRITICAL);
    long base = 2 * 10 * MS; // the limiter's floor, for the task in flight and the one queued
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 200; i++) {
      try {
        submit(executor, "x", Priority.CRITICAL);
      } catch (AdmissionRejectedException e) {
        min = Math.min(min, e.retryAfterNanos());
        max = Math.max(max, e.retryAfterNanos());
      }
    }
    assertThat(min).isGreaterThanOrEqualTo(base);
    assertThat(max).isLessThan(base + base / 2);
    assertThat(max - min).as("spread: clients do not return in lock-step").isGreaterThan(base / 10);
  }

  @Test
  void withoutAQueueARefusalIsLimitReachedWithTheLimitersHint() {
    AdmissionExecutor executor = builder(limiter(1)).queueCapacity(0).build();
    submit(executor, "a", Priority.CRITICAL);
    assertThatThrownBy(() -> submit(executor, "b", Priority.CRITICAL))
        .isInstanceOfSatisfying(AdmissionRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectReason.LIMIT_REACHED);
          // the limiter's own hint: its 10 ms floor times its jitter factor in [1, 1.5)
          assertThat(e.retryAfterNanos()).isBetween(10 * MS, 15 * MS - 1);
        });
  }

  @Test
  void codelShedsTasksOlderThanTheTargetOnlyOnceTheQueueHasStoodForAnInterval() {
    AdmissionExecutor executor = builder(limiter(1)).adaptiveLifo(false).build();
    submit(executor, "a", Priority.CRITICAL);
    CompletableFuture<String> b = submit(executor, "b", Priority.CRITICAL);
    CompletableFuture<String> c = submit(executor, "c", Priority.CRITICAL);

    clock.setNanos(60 * MS); // queue non-empty for 60 ms < 100 ms: not standing, b waited 60 ms
    pool.runNext();
    assertThat(b).as("dispatched, not shed").isNotDone();
    assertThat(pool.pending()).isEqualTo(1);

    clock.setNanos(120 * MS); // non-empty since 0: standing; c has waited 120 ms > 5 ms
    CompletableFuture<String> d = submit(executor, "d", Priority.CRITICAL);
    AdmissionRejectedException shed = rejectionOf(c);
    assertThat(shed.reason()).isEqualTo(RejectReason.QUEUE_TIMEOUT);
    assertThat(shed.retryAfterNanos()).isPositive();
    assertThat(d).as("d has waited 0 ms").isNotDone();

    clock.setNanos(124 * MS); // d has waited 4 ms <= 5 ms
    pool.runNext();
    pool.runNext();
    assertThat(d).isCompletedWithValue("d");
    assertThat(ran).containsExactly("a", "b", "d");
    assertThat(refusedOrShed(executor, RejectReason.QUEUE_TIMEOUT)).isEqualTo(1);
  }

  @Test
  void codelParametersAreConfigurable() {
    AdmissionExecutor executor = builder(limiter(1)).adaptiveLifo(false)
        .codel(Duration.ofMillis(50), Duration.ofMillis(200)).build();
    submit(executor, "a", Priority.CRITICAL);
    CompletableFuture<String> b = submit(executor, "b", Priority.CRITICAL);
    clock.setNanos(150 * MS); // standing only after 200 ms
    submit(executor, "c", Priority.CRITICAL);
    assertThat(b).isNotDone();
    clock.setNanos(240 * MS); // standing; b waited 240 ms > 50 ms, c 90 ms > 50 ms
    submit(executor, "d", Priority.CRITICAL);
    assertThat(rejectionOf(b).reason()).isEqualTo(RejectReason.QUEUE_TIMEOUT);
    assertThat(refusedOrShed(executor, RejectReason.QUEUE_TIMEOUT)).isEqualTo(2);
  }

  @Test
  void adaptiveLifoServesNewestFirstWhileTheQueueStandsAndOldestFirstOtherwise() {
    AdmissionExecutor executor = builder(limiter(1)).build(); // CoDel 5 ms / 100 ms
    submit(executor, "a", Priority.CRITICAL);
    clock.setNanos(1 * MS);
    CompletableFuture<String> old = submit(executor, "old", Priority.CRITICAL);
    clock.setNanos(147 * MS); // standing since 1 ms: "old" (146 ms) is shed as c arrives
    submit(executor, "c", Priority.CRITICAL);
    clock.setNanos(148 * MS);
    submit(executor, "d", Priority.CRITICAL);
    clock.setNanos(149 * MS);
    submit(executor, "e", Priority.CRITICAL);
    assertThat(rejectionOf(old).reason()).isEqualTo(RejectReason.QUEUE_TIMEOUT);

    clock.setNanos(150 * MS);
    pool.runNext(); // a done; standing: newest first -> e
    clock.setNanos(151 * MS);
    pool.runNext(); // e done -> d (c waited 4 ms, d 3 ms: both within target)
    pool.runNext(); // d done -> c, then the queue is empty
    clock.setNanos(160 * MS);
    submit(executor, "f", Priority.CRITICAL);
    clock.setNanos(161 * MS);
    submit(executor, "g", Priority.CRITICAL);
    clock.setNanos(163 * MS);
    pool.runNext(); // c done; non-empty only since 160 ms: oldest first -> f
    pool.runNext();
    pool.runNext();

    assertThat(ran).containsExactly("a", "e", "d", "c", "f", "g");
  }

  @Test
  void withAdaptiveLifoOffAStandingQueueStaysOldestFirst() {
    AdmissionExecutor executor = builder(limiter(1)).adaptiveLifo(false).build();
    submit(executor, "a", Priority.CRITICAL);
    clock.setNanos(1 * MS);
    submit(executor, "b", Priority.CRITICAL);
    clock.setNanos(2 * MS);
    submit(executor, "c", Priority.CRITICAL);
    clock.setNanos(110 * MS); // standing: b and c are shed by CoDel as d arrives
    submit(executor, "d", Priority.CRITICAL);
    submit(executor, "e", Priority.CRITICAL);
    clock.setNanos(112 * MS);
    pool.runNext();
    pool.runNext();
    pool.runNext();
    assertThat(ran).containsExactly("a", "d", "e");
  }

  @Test
  void aDeadlinePastOrUnreachableIsRejectedAtSubmission() {
    AdmissionExecutor executor = builder(limiter(1)).build();
    submit(executor, "warm", Priority.CRITICAL);
    clock.advanceNanos(20 * MS); // service estimate: 20 ms
    pool.runNext();

    assertThatThrownBy(() -> executor.submit(task("late"),
        TaskOptions.defaults().withDeadline(clock.nanoTime())))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));
    assertThatThrownBy(() -> executor.submit(task("tooShort"),
        TaskOptions.defaults().withTimeout(Duration.ofMillis(15))))
        .as("15 ms < 20 ms of service, even with a free permit")
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));

    submit(executor, "a", Priority.CRITICAL); // holds the only permit
    assertThatThrownBy(() -> executor.submit(task("waits"),
        TaskOptions.defaults().withTimeout(Duration.ofMillis(30))))
        .as("wait (0 queued + 1) x 20 ms / 1 + 20 ms service = 40 ms > 30 ms")
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));
    CompletableFuture<String> fits =
        executor.submit(task("fits"), TaskOptions.defaults().withTimeout(Duration.ofMillis(45)));
    assertThat(fits).isNotDone();
    assertThat(refusedOrShed(executor, RejectReason.DEADLINE)).isEqualTo(3);
  }

  @Test
  void aStaleServiceEstimateIsMeasuredAgainInsteadOfRefusingEveryDeadlineForever() {
    AdmissionExecutor executor = builder(limiter(4)).build();
    submit(executor, "coldStart", Priority.CRITICAL);
    clock.advanceNanos(500 * MS); // one slow completion: the estimate is 500 ms
    pool.runNext();
    TaskOptions within100ms = TaskOptions.defaults().withTimeout(Duration.ofMillis(100));

    assertThatThrownBy(() -> executor.submit(task("refused"), within100ms))
        .as("a fresh estimate of 500 ms refuses a 100 ms deadline")
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));

    clock.advanceNanos(1001 * MS); // refusals took no sample: stale after 2 x 500 ms
    CompletableFuture<String> probe = executor.submit(task("probe"), within100ms);
    assertThat(pool.pending()).as("the stale estimate admits a task to measure it").isEqualTo(1);
    clock.advanceNanos(10 * MS);
    pool.runNext();
    assertThat(probe).isCompletedWithValue("probe");

    assertThatThrownBy(() -> executor.submit(task("refusedAgain"), within100ms))
        .as("fresh again: 500 + (10 - 500) / 8 = 439 ms still exceeds 100 ms")
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));
    assertThat(refusedOrShed(executor, RejectReason.DEADLINE)).isEqualTo(2);
  }

  @Test
  void aQueuedTaskWhoseDeadlinePassesIsShedWhenTheNextDispatchRuns() {
    AdmissionExecutor executor = builder(limiter(1)).build();
    submit(executor, "a", Priority.CRITICAL);
    CompletableFuture<String> b =
        executor.submit(task("b"), TaskOptions.defaults().withTimeout(Duration.ofMillis(50)));
    CompletableFuture<String> c = submit(executor, "c", Priority.CRITICAL);

    clock.setNanos(51 * MS);
    pool.runNext(); // a's release dispatches: b has expired, c has none

    assertThat(rejectionOf(b).reason()).isEqualTo(RejectReason.DEADLINE);
    pool.runNext();
    assertThat(c).isCompletedWithValue("c");
    assertThat(ran).containsExactly("a", "c");
  }

  @Test
  void aSweepShedsExpiredTasksWhileEveryAdmittedTaskIsStuck() {
    AdmissionExecutor executor = builder(limiter(1)).adaptiveLifo(false).build();
    submit(executor, "stuck", Priority.CRITICAL); // admitted; the test never runs it
    CompletableFuture<String> b =
        executor.submit(task("b"), TaskOptions.defaults().withTimeout(Duration.ofMillis(50)));
    CompletableFuture<String> c = submit(executor, "c", Priority.CRITICAL);

    clock.setNanos(51 * MS);
    assertThat(b).as("no event yet: nothing has looked at the queue").isNotDone();
    executor.sweep();
    assertThat(rejectionOf(b).reason()).isEqualTo(RejectReason.DEADLINE);
    assertThat(c).as("no deadline, and the queue has not stood for an interval").isNotDone();

    clock.setNanos(151 * MS); // non-empty since 0 ms: standing, and c has waited 151 ms
    executor.sweep();
    assertThat(rejectionOf(c).reason()).isEqualTo(RejectReason.QUEUE_TIMEOUT);
    assertThat(executor.queued()).isZero();
    assertThat(pool.pending()).as("only the stuck task was handed over").isEqualTo(1);

    pool.runNext();
    executor.sweep(); // nothing queued: a no-op
    assertThat(ran).containsExactly("stuck");
    assertThat(executor.limiter().inFlight()).isZero();
  }

  @Test
  void aSweepDispatchesWhenAPermitFreedOutsideTheExecutor() {
    Limiter shared = limiter(1);
    long held = shared.tryAcquire(); // another user of the same limiter holds the only permit
    AdmissionExecutor executor = builder(shared).build();
    CompletableFuture<String> a = submit(executor, "a", Priority.CRITICAL);
    assertThat(executor.queued()).isEqualTo(1);

    shared.release(held, Outcome.SUCCESS); // the executor cannot see this release
    assertThat(pool.pending()).isZero();
    executor.sweep();
    assertThat(pool.pending()).isEqualTo(1);
    pool.runNext();
    assertThat(a).isCompletedWithValue("a");
  }

  @Test
  void higherPrioritiesAreDispatchedFirst() {
    AdmissionExecutor executor = builder(limiter(1)).build();
    submit(executor, "running", Priority.CRITICAL);
    submit(executor, "sheddable", Priority.SHEDDABLE);
    submit(executor, "sheddablePlus", Priority.SHEDDABLE_PLUS);
    submit(executor, "critical", Priority.CRITICAL);
    submit(executor, "criticalPlus", Priority.CRITICAL_PLUS);
    assertThat(executor.queued(Priority.SHEDDABLE)).isEqualTo(1);

    for (int i = 0; i < 5; i++) {
      pool.runNext();
    }
    assertThat(ran).containsExactly(
        "running", "criticalPlus", "critical", "sheddablePlus", "sheddable");
  }

  @Test
  void whileAHigherLevelStandsLowerLevelsAreRejectedAtSubmission() {
    // A 100 ms target: nothing queued here waits long enough to be timed out.
    AdmissionExecutor executor =
        builder(limiter(1)).codel(Duration.ofMillis(100), Duration.ofMillis(100)).build();
    submit(executor, "running", Priority.CRITICAL);
    submit(executor, "queued", Priority.CRITICAL);
    CompletableFuture<String> early = submit(executor, "early", Priority.SHEDDABLE);
    clock.setNanos(100 * MS); // the CRITICAL queue has stood for 100 ms

    assertThatThrownBy(() -> submit(executor, "late", Priority.SHEDDABLE))
        .isInstanceOfSatisfying(AdmissionRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectReason.PRIORITY_SHED);
          assertThat(e.retryAfterNanos()).isPositive();
        });
    assertThatThrownBy(() -> submit(executor, "late2", Priority.SHEDDABLE_PLUS))
        .isInstanceOf(AdmissionRejectedException.class);
    assertThat(submit(executor, "same level", Priority.CRITICAL)).isNotDone();
    assertThat(submit(executor, "higher", Priority.CRITICAL_PLUS)).isNotDone();
    assertThat(early).as("already queued: served or timed out by its own queue").isNotDone();
    assertThat(refusedOrShed(executor, RejectReason.PRIORITY_SHED)).isEqualTo(2);
  }

  @Test
  void longTasksHoldAtMostTheirShareAndDoNotBlockShortOnes() {
    RecordingLimiter limiter = limiter(10);
    AdmissionExecutor executor = builder(limiter).longTasks(2, 0.5).build();
    TaskOptions longTask = TaskOptions.defaults().withCost(2);
    List<CompletableFuture<String>> longs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      longs.add(executor.submit(task("long" + i), longTask));
    }
    assertThat(limiter.inFlight()).as("2 long tasks x 2 units = 4 <= 5 = 0.5 x 10").isEqualTo(4);
    assertThat(executor.queued()).isEqualTo(2);

    for (int i = 0; i < 6; i++) {
      submit(executor, "short" + i, Priority.CRITICAL);
    }
    assertThat(limiter.inFlight()).as("short tasks use the rest of the limit").isEqualTo(10);
    assertThat(executor.queued()).isEqualTo(2);

    pool.runNext(); // long0 done: 2 units free, long2 fits its share again
    assertThat(ran).containsExactly("long0");
    assertThat(limiter.inFlight()).isEqualTo(10);
    assertThat(executor.queued()).isEqualTo(1);
  }

  @Test
  void aNullTaskIsANullPointerExceptionAsExecutorServiceSpecifies() {
    AdmissionExecutor executor = builder(limiter(4)).build();
    assertThatThrownBy(() -> executor.execute(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("task must not be null");
    assertThatThrownBy(() -> executor.submit((Callable<String>) null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> executor.submit((Runnable) null, "result"))
        .isInstanceOf(NullPointerException.class);
    executor.shutdown();
    assertThat(executor.isTerminated()).isTrue();
  }

  @Test
  void aCostAboveTheLimitersMaximumIsRefusedWithIllegalArgument() {
    AdmissionExecutor executor = builder(limiter(4)).build();
    assertThatThrownBy(() -> executor.submit(task("big"), TaskOptions.defaults().withCost(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cost must be in [1, 4] but was 5");
    executor.shutdown();
    assertThat(executor.isTerminated()).as("the refused task is not outstanding").isTrue();
  }

  @Test
  void cancellingAQueuedTaskMeansItNeverRuns() {
    RecordingLimiter limiter = limiter(1);
    AdmissionExecutor executor = builder(limiter).build();
    submit(executor, "a", Priority.CRITICAL);
    CompletableFuture<String> b = submit(executor, "b", Priority.CRITICAL);

    assertThat(b.cancel(false)).isTrue();
    pool.runNext();

    assertThat(pool.pending()).isZero();
    assertThat(executor.queued()).isZero();
    assertThat(ran).containsExactly("a");
    assertThat(limiter.inFlight()).isZero();
    executor.shutdown();
    assertThat(executor.isTerminated()).isTrue();
  }

  @Test
  void cancellingAnAdmittedTaskReleasesItsPermitAtOnce() {
    RecordingLimiter limiter = limiter(1);
    AdmissionExecutor executor = builder(limiter).build();
    CompletableFuture<String> a = submit(executor, "a", Priority.CRITICAL);
    CompletableFuture<String> b = submit(executor, "b", Priority.CRITICAL);
    assertThat(limiter.inFlight()).isEqualTo(1);

    assertThat(a.cancel(true)).isTrue();

    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED);
    assertThat(pool.pending()).as("b took the freed permit").isEqualTo(2);
    pool.runNext(); // a's runnable: does nothing
    assertThat(ran).isEmpty();
    pool.runNext();
    assertThat(b).isCompletedWithValue("b");
    assertThat(limiter.inFlight()).isZero();
    assertThat(a.cancel(true)).as("cancelling twice is harmless").isTrue();
    assertThat(limiter.snapshot().invalidReleases()).isZero();
  }

  @Test
  void aTasksExceptionReleasesItsPermitAsTheClassifierDecides() throws Exception {
    RecordingLimiter limiter = limiter(4);
    AdmissionExecutor executor = builder(limiter).build();
    CompletableFuture<Object> timeout = executor.submit(() -> {
      throw new TimeoutException("downstream");
    });
    CompletableFuture<Object> wrapped = executor.submit(() -> {
      throw new IllegalStateException(new RejectedExecutionException("pool full downstream"));
    });
    CompletableFuture<Object> bug = executor.submit(() -> {
      throw new IllegalStateException("bug");
    });
    CompletableFuture<String> fine = executor.submit(task("fine"));
    for (int i = 0; i < 4; i++) {
      pool.runNext();
    }
    assertThat(limiter.outcomes).containsExactly(
        Outcome.DROPPED, Outcome.DROPPED, Outcome.IGNORED, Outcome.SUCCESS);
    assertThatThrownBy(timeout::get).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(TimeoutException.class);
    assertThat(wrapped).isCompletedExceptionally();
    assertThat(bug).isCompletedExceptionally();
    assertThat(fine.get()).isEqualTo("fine");

    RecordingLimiter other = limiter(1);
    AdmissionExecutor strict = builder(other).failureClassifier(t -> Outcome.DROPPED).build();
    strict.submit(() -> {
      throw new IllegalStateException("counts as overload here");
    });
    pool.runNext();
    assertThat(other.outcomes).containsExactly(Outcome.DROPPED);
  }

  @Test
  void aRefusalByTheWrappedExecutorShedsTheTaskAndReleasesItsPermit() {
    ManualClock c = clock;
    List<Object> told = new ArrayList<>();
    Executor refusing = r -> {
      throw new RejectedExecutionException("saturated");
    };
    RecordingLimiter limiter = limiter(2);
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(refusing).clock(c).limiter(limiter)
        .shedListener((task, e) -> told.add(task)).build();
    CompletableFuture<String> f = executor.submit(task("x"));
    AdmissionRejectedException e = rejectionOf(f);
    assertThat(e.reason()).isEqualTo(RejectReason.QUEUE_FULL);
    assertThat(e.getCause()).hasMessage("saturated");
    Runnable r = () -> ran.add("r");
    executor.execute(r);
    assertThat(told).hasSize(2).last().isSameAs(r);
    assertThat(limiter.outcomes).containsExactly(Outcome.DROPPED, Outcome.DROPPED);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void shutdownRunsWhatIsQueuedRejectsNewWorkAndTerminates() throws InterruptedException {
    AdmissionExecutor executor = builder(limiter(1)).build();
    submit(executor, "a", Priority.CRITICAL);
    CompletableFuture<String> b = submit(executor, "b", Priority.CRITICAL);
    executor.shutdown();

    assertThat(executor.isShutdown()).isTrue();
    assertThatThrownBy(() -> submit(executor, "c", Priority.CRITICAL))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.SHUTDOWN));
    assertThat(executor.isTerminated()).isFalse();
    assertThat(executor.awaitTermination(0, TimeUnit.SECONDS)).isFalse();
    pool.runNext();
    pool.runNext();
    assertThat(b).isCompletedWithValue("b");
    assertThat(executor.isTerminated()).isTrue();
    assertThat(executor.awaitTermination(0, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void shutdownNowReturnsTheQueuedTasksAsSubmittedAndFailsTheirFutures() {
    AdmissionExecutor executor = builder(limiter(1)).build();
    submit(executor, "a", Priority.CRITICAL);
    Runnable b = () -> ran.add("b");
    executor.execute(b, TaskOptions.of(Priority.SHEDDABLE));
    CompletableFuture<String> c = submit(executor, "c", Priority.CRITICAL);

    List<Runnable> returned = executor.shutdownNow();

    assertThat(returned).hasSize(2).contains(b);
    assertThat(rejectionOf(c).reason()).isEqualTo(RejectReason.SHUTDOWN);
    assertThat(executor.isTerminated()).as("a is still running").isFalse();
    pool.runNext();
    assertThat(executor.isTerminated()).isTrue();
    assertThat(ran).containsExactly("a");
    returned.forEach(Runnable::run); // the caller may run them elsewhere
    assertThat(ran).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(executor.shutdownNow()).isEmpty();
  }

  @Test
  void shutdownNowFromATaskRunInlineByTheDispatcherDoesNotDeadlock() {
    boolean[] inline = {false};
    List<Runnable> returned = new ArrayList<>();
    AdmissionExecutor[] holder = new AdmissionExecutor[1];
    Executor switching = r -> {
      if (inline[0]) {
        r.run();
      } else {
        pool.execute(r);
      }
    };
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(switching).clock(clock)
        .limiter(limiter(1)).build();
    holder[0] = executor;
    submit(executor, "first", Priority.CRITICAL);
    executor.execute(() -> returned.addAll(holder[0].shutdownNow()));
    Runnable last = () -> ran.add("last");
    executor.execute(last);
    inline[0] = true;

    pool.runNext(); // first's release dispatches the stopper inline, on this thread

    assertThat(returned).containsExactly(last);
    assertThat(executor.isTerminated()).isTrue();
  }

  @Test
  void aThrowingLimitListenerNeitherStrandsQueuedTasksNorTermination() {
    Limiter throwing = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
        .window(Duration.ofMillis(1), Duration.ofMillis(1), 1)
        .listener((window, limit) -> {
          throw new IllegalStateException("listener bug");
        })
        .build();
    AdmissionExecutor executor = builder(throwing).build();
    submit(executor, "a", Priority.CRITICAL);
    CompletableFuture<String> b = submit(executor, "b", Priority.CRITICAL);
    executor.shutdown();

    clock.advanceNanos(2 * MS); // a's release closes a window: the listener throws
    assertThatThrownBy(pool::runNext).hasMessage("listener bug");
    assertThat(pool.pending()).as("b was dispatched all the same").isEqualTo(1);
    clock.advanceNanos(2 * MS);
    assertThatThrownBy(pool::runNext).hasMessage("listener bug");

    assertThat(b).isCompletedWithValue("b");
    assertThat(throwing.inFlight()).isZero();
    assertThat(executor.isTerminated()).isTrue();
  }

  @Test
  void invokeAllAndInvokeAnyGoThroughAdmission() throws Exception {
    RecordingLimiter limiter = limiter(2);
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(Runnable::run).clock(clock)
        .limiter(limiter).build();
    List<Callable<String>> tasks = List.of(task("x"), task("y"), task("z"));

    List<String> all = new ArrayList<>();
    for (Future<String> f : executor.invokeAll(tasks)) {
      all.add(f.get());
    }
    String any = executor.invokeAny(tasks);

    assertThat(all).containsExactly("x", "y", "z");
    assertThat(any).isIn("x", "y", "z");
    assertThat(limiter.outcomes).as("each task held a permit").hasSizeGreaterThanOrEqualTo(4)
        .containsOnly(Outcome.SUCCESS);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void builderRejectsBadConfigurationNamingParameterValueAndRange() {
    AdmissionExecutor.Builder b = AdmissionExecutor.newBuilder(pool);
    assertThatThrownBy(() -> b.queueCapacity(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("queueCapacity must be in [0, 1048576] but was -1");
    assertThatThrownBy(() -> b.codel(Duration.ofMillis(10), Duration.ofMillis(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("codel interval must be in [PT0.01S, PT1H] but was PT0.005S");
    assertThatThrownBy(() -> b.longTasks(1, 0.5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("longTasks minCost must be in [2, 1048576] but was 1");
    assertThatThrownBy(() -> b.longTasks(4, 0.0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("longTasks maxShare must be in (0.0, 1.0] but was 0.0");
    assertThatThrownBy(() -> b.retryAfterJitter(1.5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retryAfterJitter must be in [0.0, 1.0] but was 1.5");
    assertThatThrownBy(() -> AdmissionExecutor.newBuilder(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("delegate must not be null");
    assertThatThrownBy(() -> TaskOptions.defaults().withCost(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cost must be in [1, 1048576] but was 0");
    assertThatThrownBy(() -> TaskOptions.defaults().withTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be in [PT0.000000001S, PT24H] but was PT0S");
  }

  /** Returns the tasks refused at submission or shed later for {@code reason}. */
  private static long refusedOrShed(AdmissionExecutor executor, RejectReason reason) {
    ExecutorSnapshot snapshot = executor.snapshot();
    return snapshot.rejected(reason) + snapshot.shed(reason);
  }
}
