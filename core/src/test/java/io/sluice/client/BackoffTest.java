package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Percentage.withPercentage;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Exponential backoff with full jitter and a floor. */
class BackoffTest {
  private static final long MS = 1_000_000L;
  private final Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));

  @Test
  void theCeilingDoublesUpToTheCap() {
    assertThat(backoff.ceilingNanos(0)).isEqualTo(100 * MS);
    assertThat(backoff.ceilingNanos(1)).isEqualTo(200 * MS);
    assertThat(backoff.ceilingNanos(6)).isEqualTo(6_400 * MS);
    assertThat(backoff.ceilingNanos(7)).isEqualTo(10_000 * MS);
    assertThat(backoff.ceilingNanos(1_000)).as("no overflow").isEqualTo(10_000 * MS);
  }

  @Test
  void delaysAreSpreadUniformlyOverTheWholeInterval() {
    SplittableRandom random = new SplittableRandom(1);
    int draws = 20_000;
    long sum = 0;
    int[] deciles = new int[10];
    for (int i = 0; i < draws; i++) {
      long delay = backoff.delayNanos(2, 0, random);
      assertThat(delay).isBetween(0L, 400 * MS);
      sum += delay;
      deciles[(int) Math.min(9, delay / (40 * MS))]++;
    }
    assertThat((double) sum / draws).as("mean of U[0, 400 ms]").isCloseTo(200.0 * MS, withPercentage(2));
    for (int decile : deciles) {
      assertThat(decile).as("each tenth of the interval gets about a tenth").isBetween(1_800, 2_200);
    }
  }

  @Test
  void aDelayIsNeverShorterThanTheFloor() {
    SplittableRandom random = new SplittableRandom(2);
    long floor = 150 * MS;
    int atFloor = 0;
    for (int i = 0; i < 10_000; i++) {
      long delay = backoff.delayNanos(1, floor, random);
      assertThat(delay).isBetween(floor, 200 * MS);
      if (delay == floor) {
        atFloor++;
      }
    }
    assertThat(atFloor).as("jitter below the floor is raised to it: about 3/4 of draws").isBetween(7_000, 8_000);
    assertThat(backoff.delayNanos(0, 30_000 * MS, random)).as("a floor above the cap wins")
        .isEqualTo(30_000 * MS);
  }

  @Test
  void badArgumentsNameTheParameterTheValueAndTheRange() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessage("base must be in [PT0.000000001S, PT24H] but was PT0S");
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessage("cap must be in [PT2S, PT24H] but was PT1S");
    assertThatThrownBy(() -> backoff.ceilingNanos(-1))
        .hasMessage("retry must be in [0, 2147483647] but was -1");
  }
}
