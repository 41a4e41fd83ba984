package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool guard on a manual clock, over a scripted adapter that records what it was asked. */
class PoolGuardTest {
  private static final long MS = 1_000_000L;
  private final ManualClock clock = new ManualClock();

  /** An adapter whose borrow answers from a script and records each timeout it was given. */
  static final class ScriptedAdapter implements PoolAdapter<String> {
    final ArrayDeque<String> idle = new ArrayDeque<>();
    final List<Long> timeouts = new ArrayList<>();
    final List<String> returned = new ArrayList<>();
    final List<String> discarded = new ArrayList<>();
    RuntimeException failure;
    boolean interrupt;

    ScriptedAdapter(int size) {
      for (int i = 0; i < size; i++) {
        idle.add("c" + i);
      }
    }

    @Override
    public String borrow(long timeoutNanos) throws InterruptedException {
      timeouts.add(timeoutNanos);
      if (failure != null) {
        throw failure;
      }
      if (interrupt) {
        throw new InterruptedException();
      }
      return idle.pollFirst(); // null: "none came within the timeout"
    }

    @Override
    public void giveBack(String resource) {
      returned.add(resource);
      idle.addLast(resource);
    }

    @Override
    public void discard(String resource) {
      discarded.add(resource);
    }
  }

  private Limiter fixed(int limit) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build();
  }

  @Test
  void withWaitingOffCallersBeyondTheLimitFailFastWithRetryAfterAndThePoolIsNotAsked()
      throws Exception {
    ScriptedAdapter adapter = new ScriptedAdapter(5);
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(fixed(2))
        .maxWaiters(0).build();
    Lease<String> a = guard.acquire(Duration.ofMillis(100));
    Lease<String> b = guard.acquire(Duration.ofMillis(100));

    assertThatThrownBy(() -> guard.acquire(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(AdmissionRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectReason.LIMIT_REACHED);
          assertThat(e.retryAfterNanos()).isBetween(10 * MS, 15 * MS);
        });
    assertThat(adapter.timeouts).as("only the two admitted callers borrowed").hasSize(2);
    assertThat(clock.nanoTime()).as("nobody waited").isZero();

    a.close();
    try (Lease<String> c = guard.acquire(Duration.ofMillis(100))) {
      assertThat(c.resource()).isEqualTo("c2");
    }
    b.close();
    assertThat(guard.limiter().inFlight()).isZero();
  }

  @Test
  void theBorrowWaitIsBoundedByTheDeadlineAndMaxWaitAndATimeoutIsADrop() throws Exception {
    ScriptedAdapter adapter = new ScriptedAdapter(0); // exhausted pool
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(fixed(3))
        .maxWait(Duration.ofMillis(50)).build();

    assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(200)))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.QUEUE_TIMEOUT));
    assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(20)))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));
    assertThatThrownBy(() -> guard.acquireBy(clock.nanoTime()))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE));

    assertThat(adapter.timeouts).containsExactly(50 * MS, 20 * MS);
    assertThat(guard.limiter().inFlight()).isZero();
  }

  @Test
  void theLimitShrinksWhenHoldTimesGrowOrThePoolTimesOutAndRecovers() throws Exception {
    ScriptedAdapter adapter = new ScriptedAdapter(10);
    Limiter limiter = Limiter.newBuilder().clock(clock)
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 5)
        .algorithm(AimdLimit.newBuilder().initialLimit(10).maxLimit(10)
            .timeout(Duration.ofMillis(50)))
        .build();
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(limiter).build();

    holdRounds(guard, 3, 6, 200 * MS); // queries slow down: 200 ms holds > 50 ms objective
    int afterSlowHolds = limiter.limit();
    assertThat(afterSlowHolds).isLessThan(10);

    adapter.idle.clear(); // the pool stops handing out connections: each borrow times out
    for (int i = 0; i < 6; i++) {
      clock.advanceNanos(40 * MS);
      assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(10)))
          .isInstanceOf(AdmissionRejectedException.class);
    }
    int afterDrops = limiter.limit();
    assertThat(afterDrops).isLessThan(afterSlowHolds);
    for (int i = 0; i < 10; i++) {
      adapter.idle.add("c" + i);
    }

    holdRounds(guard, 4, 60, 5 * MS); // fast again, with demand enough to let the limit grow
    System.out.printf("pool guard limit: 10 -> %d after slow holds -> %d after pool timeouts"
        + " -> %d after fast holds%n", afterSlowHolds, afterDrops, limiter.limit());
    assertThat(limiter.limit()).isGreaterThan(afterDrops);
  }

  /** Rounds of up to {@code concurrent} checkouts (within the limit) held, then closed. */
  private void holdRounds(PoolGuard<String> guard, int concurrent, int rounds, long holdNanos)
      throws InterruptedException {
    for (int r = 0; r < rounds; r++) {
      List<Lease<String>> leases = new ArrayList<>();
      for (int i = 0; i < Math.min(concurrent, guard.limiter().limit()); i++) {
        leases.add(guard.acquire(Duration.ofSeconds(1)));
      }
      clock.advanceNanos(holdNanos);
      leases.forEach(Lease::close);
    }
  }

  @Test
  void aLeaseIsReleasedExactlyOnceAndBrokenResourcesAreDiscarded() throws Exception {
    ScriptedAdapter adapter = new ScriptedAdapter(2);
    Limiter limiter = fixed(2);
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(limiter).build();
    Lease<String> a = guard.acquire(Duration.ofMillis(100));
    Lease<String> b = guard.acquire(Duration.ofMillis(100));

    assertThat(a.release(Outcome.DROPPED)).isTrue();
    assertThat(a.release(Outcome.SUCCESS)).isFalse();
    a.close();
    assertThat(b.discard(Outcome.IGNORED)).isTrue();
    assertThat(b.isReleased()).isTrue();

    assertThat(adapter.returned).containsExactly("c0");
    assertThat(adapter.discarded).containsExactly("c1");
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().invalidReleases()).isZero();
  }

  @Test
  void aFailingOrInterruptedBorrowReleasesThePermit() {
    ScriptedAdapter adapter = new ScriptedAdapter(1);
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).clock(clock).limiter(fixed(1)).build();
    adapter.failure = new IllegalStateException("cannot connect");
    assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(100)))
        .isInstanceOf(IllegalStateException.class).hasMessage("cannot connect");
    adapter.failure = null;
    adapter.interrupt = true;
    assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(100)))
        .isInstanceOf(InterruptedException.class);
    assertThat(guard.limiter().inFlight()).isZero();
  }

  @Test
  void builderRejectsBadConfigurationNamingParameterValueAndRange() {
    ScriptedAdapter adapter = new ScriptedAdapter(1);
    assertThatThrownBy(() -> PoolGuard.newBuilder(adapter).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxCheckouts (or set a limiter) must be in [1, 1048576] but was 0");
    assertThatThrownBy(() -> PoolGuard.newBuilder(adapter).maxCheckouts(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxCheckouts must be in [1, 1048576] but was 0");
    assertThatThrownBy(() -> PoolGuard.newBuilder(adapter).maxWait(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait must be in [PT0.000000001S, PT1H] but was PT0S");
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).maxCheckouts(4).build();
    assertThat(guard.limiter().limit()).isEqualTo(4);
    assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be in [PT0S, PT24H] but was PT-0.001S");
  }
}
