package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.limit.WindowStats;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Property test of configuration, as a seeded random loop: many random settings, each either
 * accepted (and then the limiter honours its range) or refused at build time with an
 * IllegalArgumentException that names the parameter, the value and the allowed range.
 */
class ConfigurationTest {
  private static final int TRIALS = 20_000;
  private static final double[] SPECIAL = {
      Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.0, -0.0, 0.0, 0.5, 1.0,
      1.5, 10.0, 1e9};
  private static final int[] SPECIAL_INTS = {
      Integer.MIN_VALUE, -1, 0, 1, 2, 20, 1000, 1 << 20, (1 << 20) + 1, Integer.MAX_VALUE};

  private final SplittableRandom random = new SplittableRandom(20261126L);

  private double anyDouble() {
    return random.nextInt(3) == 0 ? SPECIAL[random.nextInt(SPECIAL.length)] : random.nextDouble(-2, 12);
  }

  private int anyInt() {
    return random.nextInt(3) == 0 ? SPECIAL_INTS[random.nextInt(SPECIAL_INTS.length)]
        : random.nextInt(-10, 2000);
  }

  private Duration anyDuration() {
    return switch (random.nextInt(6)) {
      case 0 -> Duration.ZERO;
      case 1 -> Duration.ofNanos(-random.nextLong(1, Long.MAX_VALUE));
      case 2 -> Duration.ofDays(random.nextInt(1, 400));
      default -> Duration.ofNanos(random.nextLong(1, 100_000_000_000L));
    };
  }

  /** Asserts a refusal is an IllegalArgumentException that names the parameter and its range. */
  private static void assertNamed(Throwable thrown, String parameter) {
    assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
    assertThat(thrown.getMessage()).contains(parameter).contains("must");
    if (!thrown.getMessage().contains("null")) {
      assertThat(thrown.getMessage()).containsPattern("[\\[(].*, .*[\\])]").contains("was");
    }
  }

  private static boolean in(double v, double lo, double hi) {
    return v >= lo && v <= hi;
  }

  @Test
  void limitBoundsAreCheckedOneByOneAndTogether() {
    int accepted = 0;
    for (int i = 0; i < TRIALS; i++) {
      int min = anyInt();
      int initial = anyInt();
      int max = anyInt();
      boolean valid = in(min, 1, 1 << 20) && in(initial, 1, 1 << 20) && in(max, 1, 1 << 20)
          && min <= max && min <= initial && initial <= max;
      Throwable thrown = catchThrowable(() -> {
        LimitAlgorithm algorithm = switch (random.nextInt(3)) {
          case 0 -> AimdLimit.newBuilder().minLimit(min).initialLimit(initial).maxLimit(max).build();
          case 1 -> VegasLimit.newBuilder().minLimit(min).initialLimit(initial).maxLimit(max).build();
          default -> GradientLimit.newBuilder().minLimit(min).initialLimit(initial).maxLimit(max).build();
        };
        Limiter limiter =
            Limiter.newBuilder().algorithm(() -> algorithm).clock(new ManualClock()).build();
        assertThat(limiter.limit()).isEqualTo(initial);
      });
      if (valid) {
        assertThat(thrown).as("min %d initial %d max %d", min, initial, max).isNull();
        accepted++;
      } else {
        assertThat(thrown).as("min %d initial %d max %d", min, initial, max).isNotNull();
        assertNamed(thrown, "Limit");
      }
    }
    assertThat(accepted).as("the loop also tried valid settings").isGreaterThan(TRIALS / 20);
  }

  /** A custom algorithm that reports whatever bounds the test gives it. */
  record ReportedBounds(int minLimit, int initialLimit, int maxLimit) implements LimitAlgorithm {
    @Override
    public int update(WindowStats window) {
      return initialLimit;
    }
  }

  @Test
  void whatACustomAlgorithmReportsIsCheckedAtBuildAndRefusedNamingIt() {
    int max = LimitAlgorithm.MAX_SUPPORTED_LIMIT;
    int accepted = 0;
    for (int i = 0; i < TRIALS; i++) {
      int min = anyInt();
      int initial = anyInt();
      int top = anyInt();
      boolean valid = in(top, 1, max) && in(min, 1, top) && in(initial, min, top);
      ReportedBounds algorithm = new ReportedBounds(min, initial, top);
      Throwable thrown = catchThrowable(() -> {
        Limiter limiter =
            Limiter.newBuilder().algorithm(() -> algorithm).clock(new ManualClock()).build();
        assertThat(limiter.limit()).isEqualTo(initial);
      });
      String bounds = "min " + min + " initial " + initial + " max " + top;
      if (valid) {
        assertThat(thrown).as(bounds).isNull();
        accepted++;
      } else {
        assertThat(thrown).as(bounds).isNotNull();
        assertNamed(thrown, "Limit()");
        assertThat(thrown.getMessage()).as(bounds).contains(ReportedBounds.class.getName());
      }
    }
    assertThat(accepted).as("the loop also tried valid settings").isGreaterThan(TRIALS / 50);
  }

  @Test
  void eachReportedBoundIsNamedWithItsValueAndRange() {
    String name = ReportedBounds.class.getName();
    assertThatThrownBy(() -> Limiter.newBuilder()
            .algorithm(() -> new ReportedBounds(1, 100, Integer.MAX_VALUE)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit algorithm " + name + ": maxLimit() must be in [1, 1048576] but was "
            + Integer.MAX_VALUE);
    assertThatThrownBy(
            () -> Limiter.newBuilder().algorithm(() -> new ReportedBounds(0, 10, 100)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit algorithm " + name + ": minLimit() must be in [1, 100] but was 0");
    assertThatThrownBy(
            () -> Limiter.newBuilder().algorithm(() -> new ReportedBounds(50, 10, 40)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit algorithm " + name + ": minLimit() must be in [1, 40] but was 50");
    assertThatThrownBy(
            () -> Limiter.newBuilder().algorithm(() -> new ReportedBounds(5, 200, 100)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit algorithm " + name + ": initialLimit() must be in [5, 100] but was 200");
  }

  @Test
  void ratiosAndThresholdsRefuseNanInfinitiesAndValuesOutOfRange() {
    for (int i = 0; i < TRIALS; i++) {
      double v = anyDouble();
      switch (random.nextInt(7)) {
        case 0 -> check(() -> AimdLimit.newBuilder().backoffRatio(v), v >= 0.5 && v < 1, "backoffRatio");
        case 1 -> check(() -> VegasLimit.newBuilder().dropThreshold(v), v >= 0 && v < 1, "dropThreshold");
        case 2 -> check(() -> AimdLimit.newBuilder().latencyQuantile(v), v > 0 && v <= 1, "latencyQuantile");
        case 3 -> check(() -> GradientLimit.newBuilder().tolerance(v), in(v, 1, 10), "tolerance");
        case 4 -> check(() -> GradientLimit.newBuilder().smoothing(v), v > 0 && v <= 1, "smoothing");
        case 5 -> check(() -> VegasLimit.newBuilder().probeJitter(v), in(v, 0, 0.5), "probeJitter");
        default -> {
          double beta = anyDouble();
          boolean valid = in(v, 0, 1000) && beta > v && beta <= 1000;
          check(() -> VegasLimit.newBuilder().queue(v, beta), valid, valid ? "" : (in(v, 0, 1000) ? "beta" : "alpha"));
        }
      }
    }
  }

  @Test
  void durationsAreCheckedAgainstTheirRanges() {
    for (int i = 0; i < TRIALS; i++) {
      Duration a = anyDuration();
      Duration b = anyDuration();
      int samples = anyInt();
      long an = a.toNanos();
      long bn = b.toNanos();
      long ms = 1_000_000L;
      long hour = 3_600_000 * ms;
      long day = 24 * hour;
      switch (random.nextInt(4)) {
        case 0 -> {
          boolean minOk = in(an, ms, hour);
          boolean maxOk = minOk && bn >= an && bn <= hour;
          boolean samplesOk = in(samples, 1, 1_000_000);
          check(() -> Limiter.newBuilder().window(a, b, samples), minOk && maxOk && samplesOk,
              !minOk ? "window min" : !maxOk ? "window max" : "window minSamples");
        }
        case 1 -> {
          boolean minOk = in(an, 0, day);
          boolean maxOk = minOk && bn >= an && bn <= day;
          check(() -> Limiter.newBuilder().retryAfter(a, b), minOk && maxOk,
              !minOk ? "retryAfter min" : "retryAfter max");
        }
        case 2 -> check(() -> AimdLimit.newBuilder().timeout(a), in(an, 1, hour), "timeout");
        default -> check(() -> GradientLimit.newBuilder().probeInterval(a),
            in(an, 1000 * ms, day), "probeInterval");
      }
    }
  }

  @Test
  void aRetryAfterRangeTooNarrowForItsJitterIsRefusedAtBuild() {
    assertThatThrownBy(() -> Limiter.newBuilder()
            .retryAfter(Duration.ofSeconds(1), Duration.ofMillis(1200))
            .retryAfterJitter(0.5)
            .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retryAfter max must be in [1500000000ns, 86400000000000ns] "
            + "(min * (1 + jitter)) but was 1200000000ns");
  }

  @Test
  void nullsAreRefusedByName() {
    assertThatThrownBy(() -> Limiter.newBuilder().clock(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("clock must not be null");
    assertThatThrownBy(() -> Limiter.newBuilder().algorithm(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("algorithm must not be null");
    assertThatThrownBy(() -> FixedLimit.of(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit must be in [1, 1048576] but was 0");
  }

  private static void check(Runnable setter, boolean valid, String parameter) {
    Throwable thrown = catchThrowable(setter::run);
    if (valid) {
      assertThat(thrown).isNull();
    } else {
      assertNamed(thrown, parameter);
    }
  }
}
