package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.RejectReason;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.metrics.PoolGuardSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A scripted sequence of checkouts on a manual clock, and every count it leaves. */
class PoolGuardSnapshotTest {
  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();
  private final ArrayDeque<String> idle = new ArrayDeque<>(List.of("conn-1"));
  private final List<String> reported = new ArrayList<>();
  private int waitingSeenInBorrow = -1;
  private PoolGuard<String> guard;

  /** A pool that takes 2 ms to hand out a connection, and waits its whole timeout for none. */
  private final PoolAdapter<String> adapter = new PoolAdapter<>() {
    @Override
    public String borrow(long timeoutNanos) {
      waitingSeenInBorrow = guard.snapshot().waiting();
      String c = idle.poll();
      clock.advanceNanos(c == null ? timeoutNanos : 2 * MS);
      return c;
    }

    @Override
    public void giveBack(String resource) {
      idle.add(resource);
    }
  };

  @Test
  void refusalsByReasonWaitingCallersAndBorrowWaitsAreExact() throws InterruptedException {
    guard = PoolGuard.newBuilder(adapter)
        .clock(clock)
        .limiter(Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(2)).build())
        .maxWait(Duration.ofMillis(50))
        .rejectionListener((reason, priority, retryAfter) -> reported.add(reason + "/" + priority))
        .build();

    Lease<String> first = guard.acquire(Duration.ofSeconds(1));
    assertThat(waitingSeenInBorrow).isEqualTo(1);
    assertThatThrownBy(() -> guard.acquire(Duration.ofSeconds(1)))   // pool empty: 50 ms
        .isInstanceOf(AdmissionRejectedException.class);
    assertThatThrownBy(() -> guard.acquire(Duration.ZERO))
        .isInstanceOf(AdmissionRejectedException.class);
    first.close();
    Lease<String> second = guard.acquire(Duration.ofSeconds(1));

    PoolGuardSnapshot s = guard.snapshot();
    assertThat(s.refused(RejectReason.QUEUE_TIMEOUT)).isEqualTo(1);
    assertThat(s.refused(RejectReason.DEADLINE)).isEqualTo(1);
    assertThat(s.refused(RejectReason.LIMIT_REACHED)).isZero();
    assertThat(s.refused()).isEqualTo(2);
    assertThat(s.waiting()).isZero();
    assertThat(s.borrowWait().count()).isEqualTo(3);
    assertThat(s.borrowWait().totalNanos()).isEqualTo(54 * MS);
    assertThat(reported).containsExactly("QUEUE_TIMEOUT/CRITICAL", "DEADLINE/CRITICAL");
    assertThat(guard.limiter().snapshot().dropped()).isEqualTo(1);
    second.close();
  }

  @Test
  void aRefusalByTheLimiterIsCountedAsLimitReached() throws InterruptedException {
    idle.add("conn-2");
    guard = PoolGuard.newBuilder(adapter).clock(clock)
        .limiter(Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build())
        .maxWaiters(0) // refuse at once instead of waiting in line
        .build();
    try (Lease<String> held = guard.acquire(Duration.ofSeconds(1))) {
      assertThatThrownBy(() -> guard.acquire(Duration.ofSeconds(1)))
          .isInstanceOf(AdmissionRejectedException.class)
          .extracting(e -> ((AdmissionRejectedException) e).reason())
          .isEqualTo(RejectReason.LIMIT_REACHED);
      assertThat(held.resource()).isEqualTo("conn-1");
    }
    assertThat(guard.snapshot().refused(RejectReason.LIMIT_REACHED)).isEqualTo(1);
    assertThat(guard.snapshot().borrowWait().count()).isEqualTo(1);
  }

  @Test
  void theSnapshotCountsTheCallersWaitingInLine() throws Exception {
    guard = PoolGuard.newBuilder(adapter)
        .clock(clock)
        .limiter(Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build())
        .maxWait(Duration.ofHours(1))
        .build();
    Lease<String> first = guard.acquire(Duration.ofSeconds(1));
    List<String> served = new ArrayList<>();
    Thread waiter = new Thread(() -> {
      try (Lease<String> second = guard.acquire(Duration.ofHours(1))) {
        served.add(second.resource());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    waiter.start();
    while (guard.waiters() == 0) {
      Thread.onSpinWait(); // bounded by the test's timeout: the caller joins the line at once
    }
    PoolGuardSnapshot inLine = guard.snapshot();
    assertThat(inLine.waiters()).isEqualTo(1);
    assertThat(inLine.waiting()).as("nobody is inside the pool's borrow").isZero();

    first.close();
    waiter.join();
    assertThat(served).containsExactly("conn-1");
    assertThat(guard.snapshot().waiters()).isZero();
  }
}
