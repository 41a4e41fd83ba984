package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.PoolGuardSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17, item 13 (a): a caller beyond the limit waits in line for a permit, in order, until its
 * deadline, instead of failing at once. Waiting callers run on their own threads; the test waits
 * for them to be in line (by the guard's count, never by sleeping) and moves the manual clock
 * itself, unparking a waiter so that it looks at the clock again (park may always return early).
 * The races between a grant and a deadline are driven step by step through the guard's line.
 */
@Timeout(30)
class PoolGuardWaitingTest {
  private static final long MS = 1_000_000L;
  private final ManualClock clock = new ManualClock();
  private final PoolGuardTest.ScriptedAdapter adapter = new PoolGuardTest.ScriptedAdapter(4);
  private final java.util.List<Thread> started = new java.util.ArrayList<>();

  @AfterEach
  void noThreadIsLeftBehind() throws InterruptedException {
    for (Thread t : started) {
      t.interrupt();
      t.join();
    }
  }

  private Limiter fixed(int limit) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build();
  }

  /** Starts {@code guard.acquire(timeout)} on a thread of its own. */
  private Caller acquireOnThread(PoolGuard<String> guard, Duration timeout) {
    FutureTask<Lease<String>> task = new FutureTask<>(() -> guard.acquire(timeout));
    Thread t = new Thread(task, "caller-" + started.size());
    started.add(t);
    t.start();
    return new Caller(t, task);
  }

  record Caller(Thread thread, Future<Lease<String>> lease) {
    AdmissionRejectedException refusal() throws InterruptedException {
      try {
        lease.get();
        throw new AssertionError("expected a refusal");
      } catch (ExecutionException e) {
        return (AdmissionRejectedException) e.getCause();
      }
    }
  }

  private static void await(BooleanSupplier condition) {
    while (!condition.getAsBoolean()) {
      Thread.onSpinWait();
    }
  }

  @Test
  void callersBeyondTheLimitWaitInLineAndAreServedInOrderAsLeasesClose() throws Exception {
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(fixed(2)).build();
    Lease<String> a = guard.acquire(Duration.ofMillis(100));
    Lease<String> b = guard.acquire(Duration.ofMillis(100));
    Caller first = acquireOnThread(guard, Duration.ofSeconds(1));
    await(() -> guard.waiters() == 1);
    Caller second = acquireOnThread(guard, Duration.ofSeconds(1));
    await(() -> guard.waiters() == 2);

    a.close();
    assertThat(guard.waiters()).as("the close handed its permit to the head of the line").isOne();
    Lease<String> firstLease = first.lease().get();
    assertThat(firstLease.resource()).isEqualTo("c2");
    assertThat(second.lease().isDone()).as("the second caller still waits").isFalse();

    b.close();
    Lease<String> secondLease = second.lease().get();
    assertThat(secondLease.resource()).isEqualTo("c3");
    assertThat(guard.waiters()).isZero();
    assertThat(guard.limiter().inFlight()).isEqualTo(2);
    firstLease.close();
    secondLease.close();
    assertThat(guard.limiter().inFlight()).isZero();
    assertThat(guard.limiter().snapshot().invalidReleases()).isZero();
  }

  @Test
  void aWaiterLeavesAtItsDeadlineOrAtMaxWaitWithoutAskingThePool() throws Exception {
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(fixed(1))
        .maxWait(Duration.ofMillis(50)).build();
    Lease<String> held = guard.acquire(Duration.ofMillis(100));

    Caller byDeadline = acquireOnThread(guard, Duration.ofMillis(20));
    await(() -> guard.waiters() == 1);
    clock.advanceNanos(20 * MS);
    LockSupport.unpark(byDeadline.thread());
    AdmissionRejectedException late = byDeadline.refusal();
    assertThat(late.reason()).isEqualTo(RejectReason.DEADLINE);
    assertThat(late.retryAfterNanos()).isPositive();
    assertThat(guard.waiters()).isZero();

    Caller byMaxWait = acquireOnThread(guard, Duration.ofSeconds(1));
    await(() -> guard.waiters() == 1);
    clock.advanceNanos(49 * MS);
    LockSupport.unpark(byMaxWait.thread());
    await(() -> byMaxWait.thread().getState() == Thread.State.TIMED_WAITING);
    assertThat(byMaxWait.lease().isDone()).as("1 ms before maxWait it still waits").isFalse();
    clock.advanceNanos(MS);
    LockSupport.unpark(byMaxWait.thread());
    assertThat(byMaxWait.refusal().reason()).isEqualTo(RejectReason.QUEUE_TIMEOUT);

    assertThat(adapter.timeouts).as("only the holder borrowed").hasSize(1);
    PoolGuardSnapshot s = guard.snapshot();
    assertThat(s.refused(RejectReason.DEADLINE)).isOne();
    assertThat(s.refused(RejectReason.QUEUE_TIMEOUT)).isOne();
    held.close();
    assertThat(guard.limiter().inFlight()).isZero();
    assertThat(guard.waiters()).isZero();
  }

  @Test
  void anInterruptedWaiterLeavesTheLineWithInterruptedException() throws Exception {
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(fixed(1)).build();
    Lease<String> held = guard.acquire(Duration.ofMillis(100));
    Caller caller = acquireOnThread(guard, Duration.ofSeconds(1));
    await(() -> guard.waiters() == 1);
    caller.thread().interrupt();
    assertThatThrownBy(() -> caller.lease().get()).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(InterruptedException.class);
    assertThat(guard.waiters()).isZero();
    held.close();
    assertThat(guard.limiter().inFlight()).as("nobody was handed the freed permit").isZero();
  }

  @Test
  void aFullLineRefusesAtOnceWithLimitReached() throws Exception {
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(fixed(1))
        .maxWaiters(1).build();
    Lease<String> held = guard.acquire(Duration.ofMillis(100));
    Caller waiting = acquireOnThread(guard, Duration.ofSeconds(1));
    await(() -> guard.waiters() == 1);
    assertThatThrownBy(() -> guard.acquire(Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.LIMIT_REACHED));
    held.close();
    waiting.lease().get().close();
    assertThat(guard.limiter().inFlight()).isZero();
  }

  /** A waiter of the line that records its grants, driven by the test instead of a thread. */
  static final class RecordingWaiter extends PoolGuard.Waiter {
    final AtomicInteger grants = new AtomicInteger();

    @Override
    void granted() {
      grants.incrementAndGet();
    }
  }

  @Test
  void aPermitGrantedAsTheWaitRunsOutIsHandedToTheNextWaiterNotHeld() throws Exception {
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(fixed(1)).build();
    Lease<String> held = guard.acquire(Duration.ofMillis(100));
    RecordingWaiter late = new RecordingWaiter();
    RecordingWaiter next = new RecordingWaiter();
    assertThat(guard.enqueue(late)).isTrue();
    assertThat(guard.enqueue(next)).isTrue();
    assertThat(guard.tryAcquirePermit()).as("a newcomer does not pass the line")
        .isEqualTo(PoolGuard.NONE);

    held.close();
    assertThat(late.grants).hasValue(1);
    assertThat(late.state).isNotNegative();
    assertThat(guard.cancel(late)).as("granted: it can no longer cancel").isFalse();
    assertThat(next.grants).hasValue(0);

    // The grant came as the deadline passed: no time is left to borrow, so the permit moves on.
    assertThatThrownBy(() -> guard.borrow(late.state, clock.nanoTime(), 0, true))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));
    assertThat(next.grants).hasValue(1);
    assertThat(guard.limiter().inFlight()).isOne();
    guard.borrow(next.state, clock.nanoTime(), 10 * MS, true).close();
    assertThat(guard.limiter().inFlight()).isZero();
    assertThat(guard.waiters()).isZero();
    assertThat(guard.limiter().snapshot().invalidReleases()).isZero();
  }

  @Test
  void aCancelledWaiterIsSkippedAndLeavesTheLineAtOnce() {
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(fixed(1)).build();
    long permit = guard.tryAcquirePermit();
    assertThat(permit).isNotNegative();
    RecordingWaiter gone = new RecordingWaiter();
    RecordingWaiter next = new RecordingWaiter();
    guard.enqueue(gone);
    guard.enqueue(next);
    assertThat(guard.cancel(gone)).isTrue();
    assertThat(guard.cancel(gone)).as("cancelled once").isFalse();
    assertThat(guard.waiters()).isOne();
    guard.release(permit, Outcome.SUCCESS);
    assertThat(gone.grants).hasValue(0);
    assertThat(next.grants).hasValue(1);
    guard.release(next.state, Outcome.SUCCESS);
    assertThat(guard.limiter().inFlight()).isZero();
  }

  @Test
  void aThrowingLimitListenerDoesNotStrandTheLine() throws Exception {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
        .window(Duration.ofMillis(1), Duration.ofMillis(1), 1)
        .listener((window, limit) -> {
          throw new IllegalStateException("listener");
        })
        .build();
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(limiter).build();
    Lease<String> held = guard.acquire(Duration.ofMillis(100));
    RecordingWaiter waiter = new RecordingWaiter();
    guard.enqueue(waiter);
    clock.advanceNanos(2 * MS);

    assertThatThrownBy(() -> held.release(Outcome.DROPPED)).hasMessage("listener");
    assertThat(held.isReleased()).isTrue();
    assertThat(waiter.grants).as("handed on despite the listener").hasValue(1);
    assertThat(guard.limiter().inFlight()).isOne();
    Lease<String> next = guard.borrow(waiter.state, clock.nanoTime(), 10 * MS, true);
    clock.advanceNanos(2 * MS);
    assertThatThrownBy(() -> next.release(Outcome.DROPPED)).hasMessage("listener");
    assertThat(guard.limiter().inFlight()).isZero();
    assertThat(adapter.idle).hasSize(4);
  }

  @Test
  void badMaxWaitersNamesTheParameterTheValueAndTheRange() {
    assertThatThrownBy(() -> PoolGuard.newBuilder(adapter).maxWaiters(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWaiters must be in [0, 1048576] but was -1");
  }
}
