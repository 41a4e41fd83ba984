package io.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.limit.FixedLimit;
import org.junit.jupiter.api.Test;

/** The recording limiter delegates every call and records what its callers did. */
class RecordingLimiterTest {

  @Test
  void recordsGrantsRefusalsAndTheOutcomeOfEveryEffectiveRelease() {
    Limiter real = Limiter.newBuilder().algorithm(FixedLimit.of(2)).build();
    RecordingLimiter limiter = RecordingLimiter.wrap(real);

    long a = limiter.tryAcquire();
    long b = limiter.tryAcquire();
    long refused = limiter.tryAcquire();
    assertThat(Ticket.isRejection(refused)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(2).isEqualTo(real.inFlight());

    assertThat(limiter.release(b, Outcome.DROPPED)).isTrue();
    assertThat(limiter.release(a, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.release(a, Outcome.SUCCESS)).isFalse();      // second release
    assertThat(limiter.release(refused, Outcome.IGNORED)).isFalse();

    assertThat(limiter.outcomes()).containsExactly(Outcome.DROPPED, Outcome.SUCCESS);
    assertThat(limiter.granted()).isEqualTo(2);
    assertThat(limiter.refused()).isEqualTo(1);
    assertThat(limiter.ineffectiveReleases()).isEqualTo(2);
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().rejected()).isEqualTo(real.snapshot().rejected()).isEqualTo(1);
    assertThat(limiter.snapshot().invalidReleases()).isEqualTo(2);
    assertThat(limiter.limit()).isEqualTo(2);
    assertThat(limiter.delegate()).isSameAs(real);
  }

  @Test
  void weightedAcquisitionsAreDelegated() {
    RecordingLimiter limiter =
        RecordingLimiter.wrap(Limiter.newBuilder().algorithm(FixedLimit.of(4)).build());
    long heavy = limiter.tryAcquire(3);
    assertThat(limiter.inFlight()).isEqualTo(3);
    assertThat(Ticket.isRejection(limiter.tryAcquire(2))).isTrue();
    limiter.release(heavy, Outcome.SUCCESS);
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.granted()).isEqualTo(1);
    assertThat(limiter.refused()).isEqualTo(1);
  }
}
