package io.sluice.limit;

/*
 * Consecutive windows pooled into one, so that an algorithm judges latency on enough samples.
 *
 * A limiter closes a window after its minimum length once it holds minSamples samples, or at its
 * maximum length with whatever it holds: a slow resource (a second per request) or low traffic
 * gives windows of a handful of samples, whose median is too noisy to steer a limit by (about 25%
 * relative standard error with 8 log-normal samples of sigma 0.5). The algorithm holds the limit
 * and pools windows until the pool has DECIDE_SAMPLES samples (or MAX_WINDOWS windows, so that at
 * low traffic a decision still comes every few seconds), then decides once on the pool. The
 * limit does not change while a pool fills, so every pooled window saw the same limit.
 *
 * Counts, durations and sample counts add up; the peak in-flight is the maximum, the in-flight
 * and the limit those of the last window. The pooled quartiles are the sample-weighted geometric
 * means of the windows' quartiles (exact for windows drawn from one log-normal distribution, a
 * close estimate otherwise), the mean the sample-weighted mean. A single window with enough samples
 * is passed through as it is.
 *
 * Single-writer, like the algorithm that owns it; valid until the next add().
 */
final class PooledWindow implements WindowStats {
  static final int DECIDE_SAMPLES = 40;
  /** At most this many windows are pooled, so that a small limit at low traffic still moves. */
  static final int MAX_WINDOWS = 4;

  private int windows;
  private long durationNanos;
  private long completions;
  private long drops;
  private long rejections;
  private long samples;
  private double logQ25;
  private double logQ50;
  private double logQ75;
  private double rttSum;
  private int maxInFlight;
  private int inFlight;
  private int limit;

  /**
   * Adds a window; returns this pool (or the window itself, when it alone has enough samples and
   * nothing is pooled yet) once it holds DECIDE_SAMPLES samples or MAX_WINDOWS windows, or null
   * while it fills.
   */
  WindowStats add(WindowStats w) {
    if (windows == 0 && w.sampleCount() >= DECIDE_SAMPLES) {
      return w;
    }
    windows++;
    long n = w.sampleCount();
    durationNanos += w.durationNanos();
    completions += w.completions();
    drops += w.drops();
    rejections += w.rejections();
    samples += n;
    if (n > 0) {
      logQ25 += n * Math.log(Math.max(1L, w.rttNanos(0.25)));
      logQ50 += n * Math.log(Math.max(1L, w.rttNanos(0.5)));
      logQ75 += n * Math.log(Math.max(1L, w.rttNanos(0.75)));
      rttSum += (double) n * w.meanRttNanos();
    }
    maxInFlight = Math.max(maxInFlight, w.maxInFlight());
    inFlight = w.inFlight();
    limit = w.limit();
    return samples >= DECIDE_SAMPLES || windows >= MAX_WINDOWS ? this : null;
  }

  /** Empties the pool; call after deciding on it, and whenever the limit changes otherwise. */
  void clear() {
    windows = 0;
    durationNanos = 0;
    completions = 0;
    drops = 0;
    rejections = 0;
    samples = 0;
    logQ25 = 0;
    logQ50 = 0;
    logQ75 = 0;
    rttSum = 0;
    maxInFlight = 0;
    inFlight = 0;
    limit = 0;
  }

  @Override
  public long durationNanos() {
    return durationNanos;
  }

  @Override
  public long completions() {
    return completions;
  }

  @Override
  public long drops() {
    return drops;
  }

  @Override
  public long rejections() {
    return rejections;
  }

  @Override
  public long sampleCount() {
    return samples;
  }

  /** Quartiles and median as pooled; other quantiles interpolated in log terms between them. */
  @Override
  public long rttNanos(double q) {
    if (samples == 0) {
      return 0;
    }
    double l25 = logQ25 / samples;
    double l50 = logQ50 / samples;
    double l75 = logQ75 / samples;
    double log = q <= 0.5
        ? l50 + (l50 - l25) * (q - 0.5) / 0.25
        : l50 + (l75 - l50) * (q - 0.5) / 0.25;
    return Math.max(1L, Math.round(Math.exp(log)));
  }

  /** Not pooled: an estimate from the pooled quartiles would be too rough to count by. */
  @Override
  public long samplesAbove(long rttNanos) {
    throw new UnsupportedOperationException("samplesAbove of pooled windows");
  }

  @Override
  public long meanRttNanos() {
    return samples == 0 ? 0 : Math.round(rttSum / samples);
  }

  @Override
  public int maxInFlight() {
    return maxInFlight;
  }

  @Override
  public int inFlight() {
    return inFlight;
  }

  @Override
  public int limit() {
    return limit;
  }
}
