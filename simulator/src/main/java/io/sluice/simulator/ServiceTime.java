package io.sluice.simulator;

import java.time.Duration;
import java.util.SplittableRandom;

/**
 * A distribution of backend service times for the {@link Simulation}. Implementations draw from the
 * generator they are given, so a seeded simulation is reproducible.
 */
public interface ServiceTime {

  /** Draws one service time in nanoseconds (positive). */
  long sampleNanos(SplittableRandom random);

  /** Returns the mean service time in nanoseconds: capacity is workers / mean. */
  double meanNanos();

  /** Every request takes exactly {@code duration}. */
  static ServiceTime constant(Duration duration) {
    long nanos = Checks.nanosInRange("duration", duration, Duration.ofNanos(1), Duration.ofDays(1));
    return new ServiceTime() {
      @Override
      public long sampleNanos(SplittableRandom random) {
        return nanos;
      }

      @Override
      public double meanNanos() {
        return nanos;
      }

      @Override
      public String toString() {
        return "constant(" + duration + ")";
      }
    };
  }

  /** Exponentially distributed service times with the given mean (memoryless, p99 = 4.6 x mean). */
  static ServiceTime exponential(Duration mean) {
    double meanNanos = Checks.nanosInRange("mean", mean, Duration.ofNanos(1), Duration.ofDays(1));
    return new ServiceTime() {
      @Override
      public long sampleNanos(SplittableRandom random) {
        return Math.max(1L, (long) (-meanNanos * Math.log(1.0 - random.nextDouble())));
      }

      @Override
      public double meanNanos() {
        return meanNanos;
      }

      @Override
      public String toString() {
        return "exponential(" + mean + ")";
      }
    };
  }

  /**
   * Log-normally distributed service times with the given mean and shape {@code sigma} (the
   * standard deviation of the log): the long right tail of real services. With sigma 0.5 the p99 is
   * about 2.8 x the mean.
   *
   * @param sigma in (0, 3]
   */
  static ServiceTime logNormal(Duration mean, double sigma) {
    double meanNanos = Checks.nanosInRange("mean", mean, Duration.ofNanos(1), Duration.ofDays(1));
    Checks.inOpenClosed("sigma", sigma, 0.0, 3.0);
    double mu = Math.log(meanNanos) - sigma * sigma / 2;
    return new ServiceTime() {
      @Override
      public long sampleNanos(SplittableRandom random) {
        return Math.max(1L, (long) Math.exp(mu + sigma * gaussian(random)));
      }

      @Override
      public double meanNanos() {
        return meanNanos;
      }

      @Override
      public String toString() {
        return "logNormal(" + mean + ", " + sigma + ")";
      }
    };
  }

  /**
   * Pareto-distributed service times with the given mean and tail index {@code alpha}: a power-law
   * tail, heavier the smaller alpha is (at 1.5 the variance is infinite; the p99 is about 7 x the
   * mean, the p99.9 about 33 x). Scale {@code mean * (alpha - 1) / alpha}, the shortest time drawn.
   *
   * @param alpha in (1, 10]
   */
  static ServiceTime pareto(Duration mean, double alpha) {
    double meanNanos = Checks.nanosInRange("mean", mean, Duration.ofNanos(1), Duration.ofDays(1));
    Checks.inOpenClosed("alpha", alpha, 1.0, 10.0);
    double scale = meanNanos * (alpha - 1) / alpha;
    double inverseAlpha = 1.0 / alpha;
    return new ServiceTime() {
      @Override
      public long sampleNanos(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        return Math.max(1L, (long) Math.min(1e15, scale / Math.pow(u, inverseAlpha)));
      }

      @Override
      public double meanNanos() {
        return meanNanos;
      }

      @Override
      public String toString() {
        return "pareto(" + mean + ", " + alpha + ")";
      }
    };
  }

  /**
   * A mix of two distributions: with probability {@code longFraction} a request draws from
   * {@code longTail}, otherwise from {@code common}. Models long-tail work (a few requests 100x
   * longer than the rest).
   *
   * @param longFraction in [0, 1]
   */
  static ServiceTime mixture(ServiceTime common, ServiceTime longTail, double longFraction) {
    Checks.notNull("common", common);
    Checks.notNull("longTail", longTail);
    Checks.inRange("longFraction", longFraction, 0.0, 1.0);
    double mean = (1 - longFraction) * common.meanNanos() + longFraction * longTail.meanNanos();
    return new ServiceTime() {
      @Override
      public long sampleNanos(SplittableRandom random) {
        return random.nextDouble() < longFraction
            ? longTail.sampleNanos(random)
            : common.sampleNanos(random);
      }

      @Override
      public double meanNanos() {
        return mean;
      }

      @Override
      public String toString() {
        return "mixture(" + common + ", " + longTail + ", " + longFraction + ")";
      }
    };
  }

  /** Draws a standard normal value (Box-Muller; one of the pair is discarded for simplicity). */
  private static double gaussian(SplittableRandom random) {
    double u = 1.0 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
  }
}
