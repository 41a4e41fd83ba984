package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.limit.FixedLimit;
import io.sluice.pool.PoolAdapter;
import io.sluice.pool.PoolGuard;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** A scripted sequence on a manual clock, and every value of the snapshots after it. */
class LimiterSnapshotTest {
  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();
  private final List<String> rejections = new ArrayList<>();

  private Limiter limiter(int limit) {
    return Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(limit))
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 5)
        .retryAfterJitter(0)
        .rejectionListener((reason, priority, retryAfterNanos) ->
            rejections.add(reason + "/" + priority + "/" + retryAfterNanos))
        .build();
  }

  @Test
  void countsAreExactAfterAScriptedSequence() {
    Limiter limiter = limiter(4);
    long a = limiter.tryAcquire();
    long b = limiter.tryAcquire();
    long heavy = limiter.tryAcquire(2);
    long refused1 = limiter.tryAcquire();
    long refused2 = limiter.tryAcquire();

    LimiterSnapshot full = limiter.snapshot();
    assertThat(full).isEqualTo(LimiterSnapshot.newBuilder().limit(4).limits(4, 4).inFlight(4)
        .retryAfterNanos(10 * MS).admitted(3)
        .rejected(RejectReason.LIMIT_REACHED, Priority.CRITICAL, 2).build());

    clock.advanceNanos(10 * MS);
    limiter.release(a, Outcome.SUCCESS);
    limiter.release(b, Outcome.DROPPED);
    limiter.release(a, Outcome.SUCCESS);      // second release: invalid
    limiter.release(refused1, Outcome.SUCCESS); // a rejection: invalid
    clock.advanceNanos(10 * MS);
    limiter.release(heavy, Outcome.IGNORED);

    LimiterSnapshot s = limiter.snapshot();
    assertThat(s.limit()).isEqualTo(4);
    assertThat(s.inFlight()).isZero();
    assertThat(s.admitted()).isEqualTo(3);       // the weighted permit counts once
    assertThat(s.succeeded()).isEqualTo(1);
    assertThat(s.dropped()).isEqualTo(1);
    assertThat(s.ignored()).isEqualTo(1);
    assertThat(s.completed()).isEqualTo(3);
    assertThat(s.rejected()).isEqualTo(2);
    assertThat(s.invalidReleases()).isEqualTo(2);
    assertThat(s.windowsClosed()).isZero();
    assertThat(s.rtt().count()).as("no window closed yet").isZero();
    assertThat(s.retryAfterNanos()).isEqualTo(10 * MS);
    assertThat(s.limitAtMinimum()).as("a fixed limit is never 'at its minimum'").isFalse();

    String expected = "LIMIT_REACHED/CRITICAL/" + 10 * MS;
    assertThat(rejections).containsExactly(expected, expected);
    assertThat(Ticket.retryAfterNanos(refused2)).isEqualTo(10 * MS);
  }

  @Test
  void theRttDistributionHoldsClosedWindowsAndIntervalsAreDifferences() {
    Limiter limiter = limiter(10);
    LimiterSnapshot start = limiter.snapshot();
    // Window 1: five successes of 10, 20, 20, 20 and 40 ms; the fifth sample closes it at 140 ms.
    clock.advanceNanos(100 * MS);
    long p1 = limiter.tryAcquire();
    clock.advanceNanos(10 * MS);
    limiter.release(p1, Outcome.SUCCESS);
    long[] three = {limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()};
    long p5 = limiter.tryAcquire();
    clock.advanceNanos(20 * MS);
    for (long p : three) {
      limiter.release(p, Outcome.SUCCESS);
    }
    clock.advanceNanos(20 * MS);
    limiter.release(p5, Outcome.SUCCESS);

    LimiterSnapshot first = limiter.snapshot();
    assertThat(first.windowsClosed()).isEqualTo(1);
    assertThat(first.rtt().count()).isEqualTo(5);
    assertThat(first.rtt().totalNanos()).isEqualTo(110 * MS);
    assertThat(first.rtt().meanNanos()).isEqualTo(22 * MS);
    assertThat(first.rtt().valueAtQuantile(0.5)).isCloseTo(20 * MS, within3Percent(20 * MS));
    assertThat(first.rtt().maxNanos()).isCloseTo(40 * MS, within3Percent(40 * MS));
    assertThat(first.rtt().valueAtQuantile(0.0)).isCloseTo(10 * MS, within3Percent(10 * MS));

    // Window 2: one success of 1 s, closed by the 1 s maximum.
    long slow = limiter.tryAcquire();
    clock.advanceNanos(1_000 * MS);
    limiter.release(slow, Outcome.SUCCESS);
    LimiterSnapshot second = limiter.snapshot();

    LatencySnapshot interval = second.rtt().minus(first.rtt());
    assertThat(second.windowsClosed()).isEqualTo(2);
    assertThat(interval.count()).isEqualTo(1);
    assertThat(interval.totalNanos()).isEqualTo(1_000 * MS);
    assertThat(interval.valueAtQuantile(0.99)).isCloseTo(1_000 * MS, within3Percent(1_000 * MS));
    assertThat(second.rtt().minus(start.rtt()).count()).isEqualTo(6);
    assertThat(second.admitted() - first.admitted()).isEqualTo(1);
    assertThat(second.succeeded()).isEqualTo(6);
  }

  @Test
  void aReleaseCountBeyondThirtyTwoBitsIsExtendedByTheWindowCloser() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
        .window(Duration.ofMillis(1), Duration.ofMillis(1), 1).build();
    // Not 2^32 releases (too slow for a unit test): many windows of a few releases each check that
    // the base the closer publishes and the live count add up at every step.
    long releases = 0;
    for (int window = 0; window < 2_000; window++) {
      for (int i = 0; i <= window % 3; i++) {
        long p = limiter.tryAcquire();
        clock.advanceNanos(MS);
        limiter.release(p, Outcome.SUCCESS);
        releases++;
        assertThat(limiter.snapshot().completed()).isEqualTo(releases);
      }
    }
    assertThat(limiter.snapshot().windowsClosed()).isGreaterThan(1_000);
  }

  @Test
  void aListenerThatThrowsDoesNotUndoTheRejection() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
        .rejectionListener((r, p, n) -> {
          throw new IllegalStateException("listener bug");
        })
        .build();
    limiter.tryAcquire();
    long refused = limiter.tryAcquire();
    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.LIMIT_REACHED);
    assertThat(limiter.snapshot().rejected()).isEqualTo(1);
  }

  @Test
  void aLimiterOfAnotherImplementationIsReadThroughTheDefault() {
    Limiter foreign = new Limiter() {
      @Override public long tryAcquire() { return 0; }
      @Override public long tryAcquire(int cost) { return 0; }
      @Override public boolean release(long permit, Outcome outcome) { return true; }
      @Override public int limit() { return 7; }
      @Override public int inFlight() { return 3; }
      @Override public long retryAfterNanos() { return 5; }
    };
    LimiterSnapshot s = foreign.snapshot();
    assertThat(s).isEqualTo(LimiterSnapshot.newBuilder().limit(7).inFlight(3).retryAfterNanos(5)
        .build());
    assertThat(s.minLimit()).as("what the default cannot know is 0").isZero();
    assertThat(s.limitAtMinimum()).isFalse();
    assertThat(s.rejected()).isZero();
    assertThat(s.rtt()).isEqualTo(LatencySnapshot.empty());
  }

  @Test
  void aSnapshotBuilderChecksEveryValueAndBuildsTwiceAlike() {
    LimiterSnapshot.Builder b = LimiterSnapshot.newBuilder().limit(2).admitted(5)
        .rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE, 3);
    assertThat(b.build()).isEqualTo(b.build());
    assertThat(b.build().rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE)).isEqualTo(3);
    assertThat(b.build().rejected()).isEqualTo(3);
    assertThatThrownBy(() -> b.admitted(-1))
        .hasMessage("admitted must be in [0, 9223372036854775807] but was -1");
    assertThatThrownBy(() -> b.limits(5, 4)).hasMessageContaining("maxLimit must be in [5, ");
    assertThatThrownBy(() -> b.rejected(null, Priority.CRITICAL, 1))
        .hasMessage("reason must not be null");
  }

  @Test
  void aNullRejectionListenerIsRefusedByEveryBuilder() {
    assertThatThrownBy(() -> Limiter.newBuilder().rejectionListener(null))
        .hasMessage("rejectionListener must not be null");
    assertThatThrownBy(() -> AdmissionExecutor.newBuilder(Runnable::run)
            .rejectionListener(null))
        .hasMessage("rejectionListener must not be null");
    assertThatThrownBy(() -> PoolGuard.newBuilder(
            new PoolAdapter<Object>() {
              @Override
              public Object borrow(long timeoutNanos) {
                return new Object();
              }

              @Override
              public void giveBack(Object resource) {}
            }).rejectionListener(null))
        .hasMessage("rejectionListener must not be null");
  }

  static Offset<Long> within3Percent(long nanos) {
    return Offset.offset((long) (nanos * 0.03));
  }
}
