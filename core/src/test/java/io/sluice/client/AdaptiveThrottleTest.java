package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Ticket;
import io.sluice.rate.RateLimiter;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Client-side throttling: P = max(0, (requests - K * accepts) / (requests + 1)). */
class AdaptiveThrottleTest {
  private final ManualClock clock = new ManualClock();

  private static void record(AdaptiveThrottle throttle, int requests, int accepts) {
    for (int i = 0; i < requests; i++) {
      throttle.tryRequest(FixedRandom.always(0.999_999));
    }
    for (int i = 0; i < accepts; i++) {
      throttle.onAccepted();
    }
  }

  @Test
  void theProbabilityFollowsTheFormulaWithKEqualTwo() {
    AdaptiveThrottle throttle = AdaptiveThrottle.newBuilder().clock(clock).build();
    assertThat(throttle.rejectionProbability()).isZero();

    record(throttle, 100, 50);
    assertThat(throttle.rejectionProbability()).as("accepts keep up with K").isZero();

    AdaptiveThrottle refused = AdaptiveThrottle.newBuilder().clock(clock).build();
    record(refused, 100, 30);
    assertThat(refused.rejectionProbability()).isEqualTo((100 - 2 * 30) / 101.0);
    assertThat(refused.requests()).isEqualTo(100);
    assertThat(refused.accepts()).isEqualTo(30);

    AdaptiveThrottle dead = AdaptiveThrottle.newBuilder().clock(clock).build();
    record(dead, 100, 0);
    assertThat(dead.rejectionProbability()).isEqualTo(100 / 101.0);
  }

  @Test
  void aSmallerKThrottlesSooner() {
    AdaptiveThrottle throttle = AdaptiveThrottle.newBuilder().k(1.5).clock(clock).build();
    record(throttle, 100, 60);
    assertThat(throttle.rejectionProbability()).isEqualTo((100 - 1.5 * 60) / 101.0);
  }

  @Test
  void aRequestIsRefusedLocallyWithProbabilityPAndCountedEitherWay() {
    AdaptiveThrottle throttle = AdaptiveThrottle.newBuilder().clock(clock).build();
    record(throttle, 100, 0);
    double p = throttle.rejectionProbability();

    assertThat(throttle.tryRequest(FixedRandom.always(p - 1e-9))).as("a draw below P: refused").isFalse();
    assertThat(throttle.requests()).as("the refused request counts").isEqualTo(101);
    assertThat(throttle.tryRequest(FixedRandom.always(0.999_999))).as("a draw above P: sent").isTrue();
  }

  @Test
  void theWindowForgetsOldRequests() {
    AdaptiveThrottle throttle =
        AdaptiveThrottle.newBuilder().window(Duration.ofSeconds(10)).clock(clock).build();
    record(throttle, 100, 0);

    clock.advance(Duration.ofSeconds(11));

    assertThat(throttle.requests()).isZero();
    assertThat(throttle.rejectionProbability()).isZero();
  }

  /**
   * A backend that accepts 100 requests per second, and a client that wants 1,000 per second:
   * with the throttle, what the client sends settles near K x accepts = 200 per second.
   */
  @Test
  void aClientFacingACappedBackendSendsAboutKTimesWhatItAccepts() {
    AdaptiveThrottle throttle = AdaptiveThrottle.newBuilder().clock(clock).build();
    RateLimiter backend = RateLimiter.newBuilder().rate(100, Duration.ofSeconds(1)).burst(10)
        .clock(clock).build();
    SplittableRandom random = new SplittableRandom(9);
    long sentLastMinute = 0;
    long acceptedLastMinute = 0;
    for (int ms = 0; ms < 10 * 60_000; ms++) {
      clock.advance(Duration.ofMillis(1));
      boolean measuring = ms >= 9 * 60_000;
      if (!throttle.tryRequest(random)) {
        continue;
      }
      if (measuring) {
        sentLastMinute++;
      }
      if (Ticket.isPermit(backend.tryAcquire())) {
        throttle.onAccepted();
        if (measuring) {
          acceptedLastMinute++;
        }
      }
    }
    assertThat(acceptedLastMinute).isBetween(5_900L, 6_100L);
    assertThat(sentLastMinute).as("about 200 per second instead of 1,000").isBetween(11_000L, 13_500L);
  }

  @Test
  void badArgumentsNameTheParameterTheValueAndTheRange() {
    // Each setter checks at once, before build().
    assertThatThrownBy(() -> AdaptiveThrottle.newBuilder().k(0.5))
        .hasMessage("k must be in [1.0, 100.0] but was 0.5");
    assertThatThrownBy(() -> AdaptiveThrottle.newBuilder().window(Duration.ofMillis(10)))
        .hasMessage("window must be in [PT1S, PT1H] but was PT0.01S");
    assertThatThrownBy(() -> AdaptiveThrottle.newBuilder().clock(null))
        .hasMessage("clock must not be null");
  }

  @Test
  void aBuilderBuildsThrottlesWithWindowsOfTheirOwn() {
    AdaptiveThrottle.Builder builder = AdaptiveThrottle.newBuilder().clock(clock);
    AdaptiveThrottle first = builder.build();
    AdaptiveThrottle second = builder.build();
    for (int i = 0; i < 100; i++) {
      first.tryRequest(new SplittableRandom(i));
    }
    assertThat(first.requests()).isEqualTo(100);
    assertThat(second.requests()).isZero();
    assertThat(second.rejectionProbability()).isZero();
  }
}
