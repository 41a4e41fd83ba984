package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.testing.ManualClock;
import java.math.BigInteger;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Single-threaded behaviour of the token bucket, driven by a manual clock. */
class RateLimiterTest {
  private final ManualClock clock = new ManualClock(1_000_000_000L);

  private RateLimiter limiter(long permits, Duration period, int burst) {
    return RateLimiter.newBuilder().rate(permits, period).burst(burst).clock(clock).build();
  }

  @Test
  void startsFullAdmitsTheBurstAndRefusesWithTheTimeOfTheNextToken() {
    RateLimiter limiter = limiter(10, Duration.ofSeconds(1), 5);

    for (int i = 0; i < 5; i++) {
      assertThat(Ticket.isPermit(limiter.tryAcquire())).as("permit %d of the burst", i).isTrue();
    }
    long refused = limiter.tryAcquire();

    assertThat(Ticket.isRejection(refused)).isTrue();
    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.RATE_LIMITED);
    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(100_000_000L);
    assertThat(limiter.availablePermits()).isZero();
  }

  @Test
  void retryAfterIsExactToTheNanosecond() {
    RateLimiter limiter = limiter(3, Duration.ofSeconds(1), 1);
    assertThat(Ticket.isPermit(limiter.tryAcquire())).isTrue();

    long refused = limiter.tryAcquire();
    long wait = Ticket.retryAfterNanos(refused);
    // One permit every 1/3 s: 333,333,333.33 ns, so the first whole nanosecond that conforms.
    assertThat(wait).isEqualTo(333_333_334L);

    clock.advanceNanos(wait - 1);
    long stillEarly = limiter.tryAcquire();
    assertThat(Ticket.retryAfterNanos(stillEarly)).isEqualTo(1L);
    clock.advanceNanos(1);
    assertThat(Ticket.isPermit(limiter.tryAcquire())).isTrue();
  }

  @Test
  void aWeightedAcquireTakesAllOrNothingAndWaitsForAllItsTokens() {
    RateLimiter limiter = limiter(10, Duration.ofSeconds(1), 10);
    assertThat(Ticket.isPermit(limiter.tryAcquire(7))).isTrue();

    long refused = limiter.tryAcquire(4);
    assertThat(Ticket.retryAfterNanos(refused)).as("one more token is 100 ms away")
        .isEqualTo(100_000_000L);
    assertThat(limiter.availablePermits()).as("the refusal took nothing").isEqualTo(3);
    assertThat(Ticket.isPermit(limiter.tryAcquire(3))).isTrue();
    assertThat(Ticket.retryAfterNanos(limiter.tryAcquire(10))).isEqualTo(1_000_000_000L);

    clock.advance(Duration.ofSeconds(1));
    assertThat(Ticket.isPermit(limiter.tryAcquire(10))).isTrue();
  }

  @Test
  void aQuietBucketRefillsOnlyUpToTheBurst() {
    RateLimiter limiter = limiter(100, Duration.ofSeconds(1), 20);
    assertThat(Ticket.isPermit(limiter.tryAcquire(20))).isTrue();

    clock.advance(Duration.ofHours(5));

    assertThat(limiter.availablePermits()).isEqualTo(20);
    assertThat(Ticket.isPermit(limiter.tryAcquire(20))).isTrue();
    assertThat(Ticket.isRejection(limiter.tryAcquire())).isTrue();
  }

  /**
   * The count over a long run with an emission interval that is not a whole number of nanoseconds
   * (3/7 s): greedy callers get exactly burst + floor(t * 7 / 3 s), at every step.
   */
  @Test
  void rateAndBurstAreExactOverALongRunWithAFractionalInterval() {
    RateLimiter limiter = limiter(7, Duration.ofSeconds(3), 4);
    greedyRunIsExact(limiter, 7, 3_000_000_000L, 4, 200_000, 1_000_000_000L, 11);
  }

  /**
   * A prime rate per day has the largest scale (2e9 units per ns), so the scaled clock is rebased
   * about every 1.15 s; the count stays exact across every rebase.
   */
  @Test
  void rateAndBurstStayExactAcrossRebasesOfTheScaledClock() {
    long permits = 999_999_937L;
    long day = Duration.ofDays(1).toNanos();
    Gcra gcra = new Gcra(clock, permits, day, 1000);
    assertThat(gcra.rebaseAfterNanos).isLessThan(2_000_000_000L);

    RateLimiter limiter = limiter(permits, Duration.ofDays(1), 1000);
    long simulated = greedyRunIsExact(limiter, permits, day, 1000, 2_000, 50_000_000L, 12);
    assertThat(simulated).as("the run crossed many rebases").isGreaterThan(20 * gcra.rebaseAfterNanos);
  }

  /**
   * Takes everything available at each of {@code steps} random instants and checks the count and
   * the Retry-After against exact arithmetic; returns the time run. Steps must stay below
   * {@code (burst - 1)} emission intervals so that the bucket never caps.
   */
  private long greedyRunIsExact(RateLimiter limiter, long permits, long periodNanos, int burst,
      int steps, long maxStepNanos, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long start = clock.nanoTime();
    long admitted = 0;
    for (int step = 0; step < steps; step++) {
      long available = limiter.availablePermits();
      if (available > 0) {
        long ticket = limiter.tryAcquire((int) available);
        assertThat(Ticket.isPermit(ticket)).as("the available permits are admitted").isTrue();
        admitted += available;
      }
      long refused = limiter.tryAcquire();
      assertThat(Ticket.isRejection(refused)).as("nothing beyond the available permits").isTrue();
      long elapsed = clock.nanoTime() - start;
      long expected = burst + BigInteger.valueOf(elapsed).multiply(BigInteger.valueOf(permits))
          .divide(BigInteger.valueOf(periodNanos)).longValueExact();
      assertThat(admitted).as("admitted after %d ns", elapsed).isEqualTo(expected);
      // The refusal's Retry-After is the exact distance to the next token: token k (counting from
      // the start) exists from ceil(k * period / permits) on.
      long k = expected - burst + 1;
      long nextToken = ceilDiv(BigInteger.valueOf(k).multiply(BigInteger.valueOf(periodNanos)),
          permits);
      assertThat(Ticket.retryAfterNanos(refused)).as("Retry-After after %d ns", elapsed)
          .isEqualTo(nextToken - elapsed);
      // Steps stay below (burst - 1) refills, so no token is lost to the bucket's cap.
      clock.advanceNanos(1 + random.nextLong(maxStepNanos));
    }
    return clock.nanoTime() - start;
  }

  private static long ceilDiv(BigInteger dividend, long divisor) {
    BigInteger[] qr = dividend.divideAndRemainder(BigInteger.valueOf(divisor));
    return qr[0].longValueExact() + (qr[1].signum() > 0 ? 1 : 0);
  }

  @Test
  void aRejectionSpeaksTheLimitersLanguage() {
    RateLimiter limiter = limiter(1, Duration.ofSeconds(2), 1);
    limiter.tryAcquire();

    AdmissionRejectedException e = Ticket.toException(limiter.tryAcquire());

    assertThat(e.reason()).isEqualTo(RejectReason.RATE_LIMITED);
    assertThat(e.retryAfterSeconds()).isEqualTo(2);
  }

  @Test
  void theDefaultBurstIsOnePeriodOfPermits() {
    RateLimiter limiter = RateLimiter.newBuilder().rate(50, Duration.ofSeconds(1)).clock(clock)
        .build();
    assertThat(limiter.burst()).isEqualTo(50);
    assertThat(limiter.availablePermits()).isEqualTo(50);
  }

  @Test
  void badConfigurationNamesTheParameterTheValueAndTheRange() {
    assertThatThrownBy(() -> RateLimiter.newBuilder().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rate must be set");
    assertThatThrownBy(() -> RateLimiter.newBuilder().rate(0, Duration.ofSeconds(1)))
        .hasMessage("permits must be in [1, 1000000000] but was 0");
    assertThatThrownBy(() -> RateLimiter.newBuilder().rate(1, Duration.ofDays(2)))
        .hasMessageContaining("period must be in [PT0.000000001S, PT24H] but was PT48H");
    assertThatThrownBy(() -> RateLimiter.newBuilder().burst(0))
        .hasMessage("burst must be in [1, 1000000000] but was 0");
    assertThatThrownBy(() -> KeyedRateLimiter.newBuilder().maxKeys(0))
        .hasMessage("maxKeys must be in [1, 16777216] but was 0");
    // One permit a day refills a burst of 366 in more than 365 days.
    assertThatThrownBy(() -> RateLimiter.newBuilder().rate(1, Duration.ofDays(1)).burst(366).build())
        .hasMessage("burst (for 1 permits per 86400000000000ns) must be in [1, 365] but was 366");
    assertThatThrownBy(() -> RateLimiter.newBuilder().clock(null))
        .hasMessage("clock must not be null");

    RateLimiter limiter = limiter(10, Duration.ofSeconds(1), 5);
    assertThatThrownBy(() -> limiter.tryAcquire(6))
        .hasMessage("cost must be in [1, 5] but was 6");
    assertThatThrownBy(() -> limiter.tryAcquire(0))
        .hasMessage("cost must be in [1, 5] but was 0");
  }
}
