package io.sluice.limit;

import java.util.SplittableRandom;

/*
 * The no-load round-trip time estimate of Vegas, Gradient and AIMD without a timeout, built to
 * survive the failure modes of a plain minimum (Vegas's "fastest sample" collapse, a baseline
 * creeping up through a long overload, a minimum of noisy medians far below the truth):
 *
 * - It follows window medians, never single samples: one unusually fast request cannot move it.
 * - A window's median is noisy: its relative standard error is about 1.25 * s / sqrt(n) for a
 *   log-spread s, measured from the window's interquartile range (relativeNoise), and the minimum
 *   of many noisy medians lies far below the truth (30-50% with heavy tails and a few dozen samples
 *   per window). So a window lowers the estimate only through the upper confidence bound of its
 *   median, median * exp(2 * noise), only with TRACK_SAMPLES samples or more, and by at most
 *   FALL_PER_WINDOW (10%) per window.
 * - The first estimate pools windows (their log-medians weighted by sample count) until the pooled
 *   median's noise is under 10%, so few-sample windows at low traffic do not set it.
 * - An estimate that only falls must be re-measured ("probe"): every `interval`, jittered by
 *   +-`jitter` from a seeded generator (a fleet does not probe in step; runs are reproducible), and
 *   no more often than one probe per 100 windows (NANOS_PER_PROBE_WINDOW), so that a probe costs
 *   under 1% of the time even where windows are long. The first probes come sooner (2 s, then x4).
 * - A probe must see no queue. If the window before it refused nothing, or its median shows no
 *   queue, the limit is held while windows are pooled. Otherwise the limit drops to 3/4 of the work
 *   the resource serves without queueing (served(): throughput x mean service time, Little's law;
 *   at most 3/4 of the limit) for one draining window, then windows are pooled (skipping those that
 *   began above the level) until the median's noise is under 10% or three windows have passed.
 *   Halving the limit, the usual probe, fails where the limit holds a queue as large as the
 *   resource's concurrency (4 workers, limit 12: half is 6, still 2 queued): the estimate then
 *   holds that queue, the limit grows on it, and each probe ratchets it up. A level computed from
 *   the work served shrinks with the estimate's error instead.
 * - A probe's result replaces the estimate only when it differs by more than three standard errors
 *   of its own noise, and when higher, only when the probe before found it higher too: a slower
 *   resource is followed within two probes, a single unlucky measurement never lets the estimate,
 *   and with it the queue, creep up. For Vegas, a result within three standard errors is averaged
 *   into the estimate, their logs weighted by precision (one over the relative variance; the
 *   estimate's weight capped at POOLED_MEASUREMENTS results', so that it still follows a drift):
 *   otherwise one measurement's error stays until a probe happens to differ by three standard
 *   errors (with 4 workers of 50 ms a first estimate 20% low held the limit a request too low for
 *   nine minutes while twenty re-measurements, each within its noise, said so). Vegas's band is a
 *   few requests wide; Gradient and AIMD judge latency by a ratio and keep the result out. If the
 *   result is lower and so would be the probe level, the level still held part of a queue: the
 *   probe goes on at half that level ("chained").
 * - At start-up the first estimate may hold a queue many times the resource's concurrency (initial
 *   limit 20 over one worker). The first draining probe therefore halves its level while each quick
 *   10-sample measurement falls by more than three standard errors and the level is not yet well
 *   below the work served, then measures the final level precisely ("settling") and replaces the
 *   estimate unconditionally. A probe whose estimate fell to under half resumes at most at twice
 *   the work served without queueing, not at the saved limit, which would refill the queue.
 *
 * Single-writer: used only from LimitAlgorithm.update.
 */
final class RttBaseline {
  static final int MIN_SAMPLES = 3;
  static final int TRACK_SAMPLES = 10;
  static final int MEASURE_SAMPLES = 20;
  static final double FALL_PER_WINDOW = 0.10;
  /** Standard errors between a window's median and a bound that noise rarely crosses. */
  static final double CONFIDENCE = 2.0;
  /** Standard errors by which a re-measurement must differ to replace the estimate. */
  private static final double REPLACE_CONFIDENCE = 3.0;
  private static final long FIRST_PROBE_NANOS = 2_000_000_000L;
  /** The relative standard error a (re)measurement pools windows for. */
  private static final double MEASURE_NOISE = 0.1;
  private static final int MAX_MEASURE_WINDOWS = 3;
  private static final int MAX_HELD_WINDOWS = 30;
  private static final int MAX_SETTLING_WINDOWS = 4;
  private static final int MAX_FIRST_SAMPLES = 1000;
  private static final int MAX_CHAINED = 6;
  private static final double FELL_BY_HALF = 0.5;
  private static final double THROUGHPUT_WEIGHT = 0.2;
  /**
   * A re-measurement holds the limit lower for a few windows: it is due after the interval and
   * also after one window per 300 ms of it (100 windows for 30 s), so that where windows are long
   * (a slow resource closes them at their maximum of a second) it still costs under 1% of the time.
   */
  private static final long NANOS_PER_PROBE_WINDOW = 300_000_000L;
  private static final double PROBE_FRACTION = 0.75;
  /**
   * A limit counts as full when the work in flight averages at least this share of it: a standing
   * queue keeps it at 0.8 to 1 (less while the limit grows), work that arrives in bursts and
   * leaves the limit empty between them well below (0.3 for a burst of 40 over a pool guard).
   */
  private static final double FULL_SHARE = 0.6;
  /** A window holding fewer samples than this was not sampled: it timed every success. */
  private static final long FEWER_THAN_SAMPLED = 512;
  private static final double CHAINED_FRACTION = 0.5;
  /** The most measurements' worth of precision the estimate keeps: it must still follow drift. */
  private static final double POOLED_MEASUREMENTS = 4;
  /** The relative precision of the limiter's window percentiles: 1/32 of the value. */
  private static final double RESOLUTION = 1.0 / 32;

  enum Phase { TRACKING, DRAINING, MEASURING }

  private final long intervalNanos;
  private final double jitter;
  private final SplittableRandom random;
  /** Whether consistent re-measurements are averaged into the estimate (Vegas) or left out. */
  private final boolean averaging;

  private long baselineNanos;
  /** The estimate's precision: one over its relative variance. */
  private double baselineWeight;
  private Phase phase = Phase.TRACKING;
  private long sinceProbeNanos;
  private long windowsSinceProbe;
  private long nextProbeNanos;
  private long currentIntervalNanos;
  private int measureWindows;
  private int savedLimit;
  private int chained;
  /** Before the probe, in the terms served() needs: throughput, mean and median RTT, smoothed. */
  private double savedThroughput;
  private double savedMeanRtt;
  private double savedMedianRtt;
  private long probeStartBaseline;
  private int probeLimit;
  /** Completions per nanosecond, mean and median RTT, smoothed over tracking windows. */
  private double throughput;
  private double meanRtt;
  private double medianRtt;
  private double pooledLogSum;
  private double pooledSpreadSum;
  private long pooledSamples;
  private boolean probeDrained;
  /** Whether the estimate still comes from start-up windows only; see remeasured(). */
  private boolean provisional = true;
  /** Whether the start-up chain has found its level and is measuring it precisely. */
  private boolean settling;
  /** Whether the last re-measurement found the estimate significantly too low. */
  private boolean higherBefore;

  RttBaseline(long intervalNanos, double jitter, long seed, boolean averaging) {
    this.averaging = averaging;
    this.intervalNanos = intervalNanos;
    this.jitter = jitter;
    this.random = new SplittableRandom(seed);
    this.currentIntervalNanos = Math.min(FIRST_PROBE_NANOS, intervalNanos);
    this.nextProbeNanos = jittered(currentIntervalNanos);
  }

  /** Returns the estimate in nanoseconds; 0 until enough samples have been seen. */
  long nanos() {
    return baselineNanos;
  }

  Phase phase() {
    return phase;
  }

  /**
   * Feeds a closed window. Returns the limit to hold while a re-measurement runs (the probe level,
   * or on its last window the limit saved before it), or -1 when the algorithm should decide.
   */
  int observe(WindowStats window, int minLimit) {
    switch (phase) {
      case DRAINING -> {
        phase = Phase.MEASURING;
        measureWindows = 0;
        return probeLimit;
      }
      case MEASURING -> {
        measureWindows++;
        if (!probeDrained || window.maxInFlight() <= probeLimit) {
          // A window that began above the probe level still completes queued work: skip it.
          pool(window);
        }
        // At start-up a step of the chain need only show whether latency fell by a queue's
        // worth; its last step settles the estimate with the precision of any measurement.
        boolean quick = provisional && probeDrained && !settling;
        boolean enough = quick
            ? pooledSamples >= TRACK_SAMPLES
            : pooledSamples >= MEASURE_SAMPLES && pooledNoise() <= MEASURE_NOISE;
        int most = !probeDrained ? MAX_HELD_WINDOWS
            : settling ? MAX_SETTLING_WINDOWS : MAX_MEASURE_WINDOWS;
        return enough || measureWindows >= most ? measured(minLimit) : probeLimit;
      }
      default -> {
        track(window);
        sinceProbeNanos += window.durationNanos();
        windowsSinceProbe++;
        boolean due = sinceProbeNanos >= nextProbeNanos
            && windowsSinceProbe * NANOS_PER_PROBE_WINDOW >= nextProbeNanos;
        if (due && baselineNanos != 0) {
          startProbe(window, minLimit);
          return probeLimit;
        }
        return -1;
      }
    }
  }

  /**
   * Ends a measurement: takes its result, then either probes again, lower, or restores the limit
   * saved before the probe; returns the limit for the next window.
   */
  private int measured(int minLimit) {
    if (!probeDrained) {
      if (pooledSamples >= MIN_SAMPLES) {
        remeasured(pooledMedian(), pooledNoise());
      }
      return finishProbe();
    }
    if (provisional) {
      // Start-up: the estimate may hold a queue as long as the resource's own concurrency (limit
      // 20 over one worker), and the probe level computed from it then holds most of that queue.
      // While a measurement falls significantly below the one before, the level above it still
      // queued: halve it and measure again, until the level lies well below the work the
      // resource served before the probe. The last measurement is the estimate.
      if (settling) {
        if (pooledSamples >= MIN_SAMPLES) {
          baselineNanos = pooledMedian();
          baselineWeight = poolWeight();
        }
        return finishProbe();
      }
      // A fall must be clear of the noise of a quick measurement (three standard errors): a
      // queue's worth of latency is, and a step too low costs throughput while it lasts.
      boolean fell = false;
      if (pooledSamples >= MIN_SAMPLES) {
        long measured = pooledMedian();
        fell = measured < baselineNanos * Math.exp(-REPLACE_CONFIDENCE * pooledNoise());
        baselineNanos = measured;
        baselineWeight = poolWeight();
      }
      boolean belowCapacity = probeLimit <= CHAINED_FRACTION * drainLevelServed();
      if (fell && !belowCapacity && probeLimit > minLimit && chained < MAX_CHAINED) {
        chained++;
        probeLimit = Math.max(minLimit, Math.min(probeLimit / 2, drainLevel(minLimit, true)));
        startDrain();
        return probeLimit;
      }
      // The level is clean: go on measuring at it, keeping the samples, until precise.
      settling = true;
      measureWindows = 0;
      return pooledNoise() <= MEASURE_NOISE && pooledSamples >= MEASURE_SAMPLES
          ? measured(minLimit) : probeLimit;
    }
    boolean fell = false;
    if (pooledSamples >= MIN_SAMPLES) {
      fell = remeasured(pooledMedian(), pooledNoise());
    }
    if (fell && chained < MAX_CHAINED && drainLevel(minLimit, chained > 0) < probeLimit) {
      // The estimate fell, and with it the work the resource serves without queueing: the probe
      // level computed from the old estimate let part of a queue stay. Probe again, lower, from
      // the corrected estimate. Not after a result averaged in: that moves the estimate by
      // noise, not by a queue, and a chained probe at half the level costs throughput.
      chained++;
      probeLimit = drainLevel(minLimit, true);
      startDrain();
      return probeLimit;
    }
    return finishProbe();
  }

  private void track(WindowStats window) {
    if (window.completions() > 0) {
      double x = window.throughputPerSecond() * 1e-9;
      throughput = throughput == 0 ? x : throughput + THROUGHPUT_WEIGHT * (x - throughput);
    }
    if (window.sampleCount() >= MIN_SAMPLES) {
      // Smoothed, because one window holds a long request or none.
      double mean = window.meanRttNanos();
      double median = window.rttNanos(0.5);
      meanRtt = meanRtt == 0 ? mean : meanRtt + THROUGHPUT_WEIGHT * (mean - meanRtt);
      medianRtt = medianRtt == 0 ? median : medianRtt + THROUGHPUT_WEIGHT * (median - medianRtt);
    }
    long n = window.sampleCount();
    if (baselineNanos == 0) {
      if (pool(window) && pooledNoise() <= MEASURE_NOISE || pooledSamples >= MAX_FIRST_SAMPLES) {
        baselineNanos = pooledMedian();
        baselineWeight = poolWeight();
        resetPool();
      }
      return;
    }
    if (n >= TRACK_SAMPLES) {
      double median = window.rttNanos(0.5);
      long bound = (long) (median * Math.exp(CONFIDENCE * relativeNoise(window)));
      long floor = (long) (baselineNanos * (1 - FALL_PER_WINDOW));
      baselineNanos = Math.min(baselineNanos, Math.max(bound, floor));
    }
  }

  private void startProbe(WindowStats window, int minLimit) {
    savedLimit = window.limit();
    chained = 0;
    // At start-up the estimate may itself hold the queue, but only if the limit was kept full: a
    // limit that work reaches only in bursts (many requests at once, then none, or work that
    // waits downstream and is refused there) holds no standing queue, and draining it would
    // refuse the next burst.
    boolean queued = provisional
        ? full(window)
        : window.sampleCount() >= MIN_SAMPLES
            && window.rttNanos(0.5) > baselineNanos * Math.exp(CONFIDENCE * relativeNoise(window));
    if (window.rejections() == 0 || !queued) {
      // Nothing was refused, or nothing shows a queue: the limit holds none, so measure at once
      // and leave it alone.
      probeLimit = savedLimit;
      probeDrained = false;
      resetPool();
      phase = Phase.MEASURING;
      measureWindows = 0;
      return;
    }
    probeStartBaseline = baselineNanos;
    savedThroughput = throughput;
    savedMeanRtt = meanRtt;
    savedMedianRtt = medianRtt;
    probeLimit = drainLevel(minLimit, false);
    startDrain();
  }

  /** Holds the probe level for one draining window, then measures. */
  private void startDrain() {
    probeDrained = true;
    resetPool();
    phase = Phase.DRAINING;
  }

  /** The work served without queueing before the probe, by the current estimate. */
  private double drainLevelServed() {
    return served(savedThroughput, savedMeanRtt, savedMedianRtt, baselineNanos);
  }

  /** The probe level: a fraction of the work served without queueing, by the current estimate. */
  private int drainLevel(int minLimit, boolean chain) {
    double served = drainLevelServed();
    double level = Math.min(savedLimit, served) * (chain ? CHAINED_FRACTION : PROBE_FRACTION);
    return Math.max(minLimit, (int) Math.ceil(level));
  }

  /** Adds a window to the pooled measurement; returns whether the pool has enough samples. */
  private boolean pool(WindowStats window) {
    long n = window.sampleCount();
    if (n >= MIN_SAMPLES) {
      pooledLogSum += n * Math.log(Math.max(1L, window.rttNanos(0.5)));
      pooledSpreadSum += n * logSpread(window);
      pooledSamples += n;
    }
    return pooledSamples >= MEASURE_SAMPLES;
  }

  private long pooledMedian() {
    return Math.max(1L, Math.round(Math.exp(pooledLogSum / pooledSamples)));
  }

  /** The precision of the pooled median: one over its relative variance. */
  private double poolWeight() {
    double noise = pooledNoise();
    return 1 / Math.max(1e-6, noise * noise);
  }

  /** The relative standard error of the pooled median. */
  private double pooledNoise() {
    return pooledSamples == 0 ? 1.0
        : 1.2533 * (pooledSpreadSum / pooledSamples) / Math.sqrt(pooledSamples);
  }

  /**
   * Takes a re-measurement: it replaces the estimate when the two differ by more than the
   * measurement's own noise allows, and otherwise averages the two (weighted by precision) or,
   * for a first significantly higher value, leaves it, so that a re-measurement from a few dozen
   * heavy-tailed samples does not throw away a better estimate. A higher value replaces it
   * only when the re-measurement before found it higher too: the estimate rises only for a real
   * change (a slower resource), never for one unlucky measurement, since a too-high estimate is
   * what lets the queue, and then the estimate, creep up. The first re-measurement
   * always replaces the start-up estimate: the first windows' completions are the requests that
   * finished soonest (the long ones are still running when the window closes), and at start-up
   * under load they also queued. Returns whether a significantly lower value replaced it.
   */
  private boolean remeasured(long measuredNanos, double noise) {
    double distance = Math.log((double) measuredNanos / baselineNanos);
    boolean higher = distance > REPLACE_CONFIDENCE * noise;
    double weight = 1 / Math.max(1e-6, noise * noise);
    boolean fell = false;
    if (provisional || distance < -REPLACE_CONFIDENCE * noise || higher && higherBefore) {
      fell = measuredNanos < baselineNanos;
      baselineNanos = measuredNanos;
      baselineWeight = weight;
    } else if (!higher && averaging) {
      // Consistent with the estimate: average the two, weighted by their precision, so that the
      // estimate sheds the error of any one measurement instead of keeping it until a probe
      // happens to differ by three standard errors.
      double pooled = (baselineWeight * Math.log(baselineNanos) + weight * Math.log(measuredNanos))
          / (baselineWeight + weight);
      baselineNanos = Math.max(1L, Math.round(Math.exp(pooled)));
      baselineWeight = Math.min(baselineWeight + weight, POOLED_MEASUREMENTS * weight);
    }
    higherBefore = higher;
    return fell;
  }

  private void resetPool() {
    pooledLogSum = 0;
    pooledSpreadSum = 0;
    pooledSamples = 0;
  }

  /**
   * Whether the window kept its limit full, by Little's law (successes per nanosecond times the
   * mean round-trip time) to within FULL_SHARE: only then can the limit hold a standing queue.
   */
  static boolean full(WindowStats window) {
    double inFlight = successesPerNano(window) * window.meanRttNanos();
    return inFlight >= FULL_SHARE * Math.min(window.limit(), window.maxInFlight());
  }

  /**
   * Successful completions per nanosecond. A window samples every success until it would hold
   * about a thousand samples (WindowStats), so fewer samples than successful completions, below
   * that, means releases marked IGNORED: work refused downstream (a pool guard's deadline), which
   * the resource did not serve.
   */
  static double successesPerNano(WindowStats window) {
    long released = window.completions() - window.drops();
    long samples = window.sampleCount();
    long successes = samples < released && samples < FEWER_THAN_SAMPLED ? samples : released;
    return window.durationNanos() <= 0 ? 0.0 : (double) successes / window.durationNanos();
  }

  private int finishProbe() {
    settling = false;
    if (probeDrained && baselineNanos < probeStartBaseline * FELL_BY_HALF) {
      // The estimate held a queue as large as the work itself (at start-up under load): the saved
      // limit may be several times what the resource serves, and would refill the queue at once.
      // Resume at most at twice the work served without queueing by the new estimate.
      double resume = Math.ceil(2 * drainLevelServed());
      savedLimit = (int) Math.max(probeLimit, Math.min(savedLimit, resume));
    }
    provisional = false;
    phase = Phase.TRACKING;
    resetPool();
    sinceProbeNanos = 0;
    windowsSinceProbe = 0;
    currentIntervalNanos = Math.min(intervalNanos, currentIntervalNanos * 4);
    nextProbeNanos = jittered(currentIntervalNanos);
    return savedLimit;
  }

  private long jittered(long nanos) {
    return (long) (nanos * (1.0 + jitter * (2.0 * random.nextDouble() - 1.0)));
  }

  /**
   * The relative uncertainty of the window's median: its standard error in log terms (1.25 times
   * a robust standard deviation of log RTT, the log interquartile range over 1.349, over the square
   * root of the sample count), combined with the precision of the window's percentiles.
   */
  static double relativeNoise(WindowStats window) {
    long n = window.sampleCount();
    if (n == 0) {
      return 1.0;
    }
    double standardError = 1.2533 * logSpread(window) / Math.sqrt(n);
    return Math.sqrt(standardError * standardError + RESOLUTION * RESOLUTION);
  }

  /** A robust standard deviation of the window's log round-trip times: its log IQR over 1.349. */
  private static double logSpread(WindowStats window) {
    double q25 = Math.max(1L, window.rttNanos(0.25));
    double q75 = Math.max(q25, window.rttNanos(0.75));
    return Math.log(q75 / q25) / 1.349;
  }

  /**
   * The work in service, without the queue, by Little's law: throughput times the time in service.
   * The window's mean round-trip time counts the queue's wait too, estimated as the median's excess
   * over the baseline; the mean, not the median, because with heavy-tailed service times the mean
   * is several times the median.
   */
  static double served(WindowStats window, long baselineNanos) {
    return served(window.throughputPerSecond() * 1e-9, window.meanRttNanos(), window.rttNanos(0.5),
        baselineNanos);
  }

  private static double served(double perNano, double meanRtt, double medianRtt, long baseline) {
    double wait = Math.max(0.0, medianRtt - baseline);
    return perNano * Math.max(baseline, meanRtt - wait);
  }

  /**
   * Whether the limit was binding in the window: work was refused, or in-flight work reached the
   * limit. Only then can a queue be the limiter's doing; while it is not, latency noise (a heavy
   * tail, slow requests unrelated to load) must not shrink the limit.
   */
  static boolean binding(WindowStats window) {
    return window.rejections() > 0 || window.maxInFlight() >= window.limit();
  }
}
