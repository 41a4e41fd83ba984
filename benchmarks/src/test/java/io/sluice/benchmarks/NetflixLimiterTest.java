package io.sluice.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.netflix.concurrency.limits.Limit;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The adapter that lets the simulator drive Netflix's limiters. */
class NetflixLimiterTest {
  private final ManualClock clock = new ManualClock();
  private final List<Integer> reported = new ArrayList<>();
  private final RecordingLimit algorithm = new RecordingLimit(2);

  private Limiter limiter(boolean windowed) {
    return NetflixLimiter.factory(() -> algorithm, windowed)
        .create(clock, (window, limit) -> reported.add(limit));
  }

  @Test
  void admitsUpToTheNetflixLimitAndRejectsBeyondItWithoutRetryAfter() {
    Limiter limiter = limiter(false);

    long first = limiter.tryAcquire();
    long second = limiter.tryAcquire();
    long third = limiter.tryAcquire();

    assertThat(Ticket.isPermit(first)).isTrue();
    assertThat(Ticket.isPermit(second)).isTrue();
    assertThat(Ticket.isRejection(third)).isTrue();
    assertThat(Ticket.reason(third)).isEqualTo(RejectReason.LIMIT_REACHED);
    assertThat(Ticket.retryAfterNanos(third)).isZero();
    assertThat(limiter.inFlight()).isEqualTo(2);
    assertThat(limiter.snapshot().rejected()).isEqualTo(1);
  }

  @Test
  void mapsOutcomesToNetflixCallsOnTheSimulationClockAndReportsTheLimitAfterEveryRun() {
    Limiter limiter = limiter(false);
    long success = limiter.tryAcquire();
    long dropped = limiter.tryAcquire();
    clock.advance(Duration.ofMillis(5));

    assertThat(limiter.release(success, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.release(dropped, Outcome.DROPPED)).isTrue();
    long ignored = limiter.tryAcquire();
    assertThat(limiter.release(ignored, Outcome.IGNORED)).isTrue();

    assertThat(algorithm.samples).containsExactly("5000000ns", "5000000ns dropped");
    assertThat(limiter.snapshot().windowsClosed()).isEqualTo(2);
    // The drop shrank the limit to 1; Netflix's limiter follows it through notifyOnChange.
    assertThat(reported).containsExactly(2, 1);
    assertThat(limiter.limit()).isEqualTo(1);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void countsSecondReleasesAndForeignTicketsAsInvalid() {
    Limiter limiter = limiter(false);
    long permit = limiter.tryAcquire();

    assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.release(permit, Outcome.SUCCESS)).isFalse();
    assertThat(limiter.release(12345, Outcome.SUCCESS)).isFalse();
    assertThat(limiter.snapshot().invalidReleases()).isEqualTo(2);
    assertThatThrownBy(() -> limiter.tryAcquire(2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cost must be 1");
  }

  @Test
  void aWindowedAlgorithmRunsOncePerWindowOfEnoughSamples() {
    algorithm.limit = 100;
    Limiter limiter = limiter(true);
    for (int i = 0; i < 12; i++) {
      long permit = limiter.tryAcquire();
      clock.advance(Duration.ofMillis(10));
      limiter.release(permit, Outcome.SUCCESS);
    }
    assertThat(limiter.snapshot().windowsClosed()).isZero();

    // Netflix's default window is 1 s: the first release after it hands the window on.
    clock.advance(Duration.ofSeconds(1));
    long permit = limiter.tryAcquire();
    clock.advance(Duration.ofMillis(10));
    limiter.release(permit, Outcome.SUCCESS);

    assertThat(limiter.snapshot().windowsClosed()).isEqualTo(1);
    assertThat(reported).containsExactly(100);
  }

  /** A Netflix limit that records its samples and shrinks by one on a drop. */
  private static final class RecordingLimit implements Limit {
    final List<String> samples = new ArrayList<>();
    final List<Consumer<Integer>> consumers = new ArrayList<>();
    int limit;

    RecordingLimit(int limit) {
      this.limit = limit;
    }

    @Override
    public int getLimit() {
      return limit;
    }

    @Override
    public void notifyOnChange(Consumer<Integer> consumer) {
      consumers.add(consumer);
    }

    @Override
    public void onSample(long startTime, long rtt, int inflight, boolean didDrop) {
      samples.add(rtt + "ns" + (didDrop ? " dropped" : ""));
      if (didDrop) {
        limit--;
        consumers.forEach(c -> c.accept(limit));
      }
    }
  }
}
