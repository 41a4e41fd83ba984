package io.sluice.internal;

import io.sluice.Limiter;
import io.sluice.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/*
 * The Retry-After estimator: one per limiter, read by the limiter's reject path and by the guards
 * built on that limiter (the executor's and the pool guard's own refusals), so that every refusal
 * follows one rule.
 *
 * What it estimates. A refused client should come back no sooner than the server has turned over
 * the work it holds once, and no later than that. Two measurements give the turnover time T:
 *   S  the median round-trip time of the last closed window that had samples, published by the
 *      window closer (0 until the first one): how long admitted work takes;
 *   D  how long nothing has completed, as refusals see it: the time since a refusal first found
 *      the limiter's release count where it still is. A hung backend releases nothing, so no
 *      window closes and S stays where it was; D grows with the hang instead, and is 0 again as
 *      soon as a refusal sees any release. Readers outside the reject path (retryAfterNanos(),
 *      the guards) count D only while every permit is held: one that finds room stops the
 *      stall clock, so polling an idle limiter neither grows the hint nor starts a clock that
 *      the next burst would read as a stall.
 *   T = max(min, S, 3 * D)      (min: the configured minimum hint)
 * D counts three times because a stall's length G is unknown while it lasts, and work that has
 * held every permit for D often holds it much longer: a heavy tail now and then clogs all the
 * permits with long requests (in the control matrix's heaviest tail, 5% of requests 100x longer
 * at 2x load, nothing completes for 200-300 ms at a time while the median round trip is 35 ms).
 * The refusals of a stall fall evenly over it; the one at D waits G - D, and its jittered hint
 * k * D * (1 + jitter) covers that when D >= G / (1 + k * (1 + jitter)). With k = 2 and the
 * default jitter a quarter of a long stall's refusals are told less than their wait over
 * (1 + jitter), more than the tenth the targets allow wherever such stalls hold over two fifths
 * of the refusals (that cell's p10 was 0.64 of the truth); with k = 3, 2/11 of them (p10 0.80;
 * a miss would take stalls holding over 55% of the refusals), while the median hint stays
 * within 1.4 of its reference on every steady cell. The clients of a hang come
 * back after 4 to 5.5 times the time it has lasted: a geometric backoff.
 *
 * A request that would join a guard's queue behind Q queued units waits about Q * T / limit more
 * before it is admitted, so one estimate serves the limiter (Q = 0) and the guards:
 *   estimate   = clamp(T * (1 + Q / limit), min, max / (1 + jitter))
 *   advertised = clamp(estimate * (1 + jitter * U), min, max),  U uniform in [0, 1)
 * Jitter is drawn once, by the code that hands the value to a client, and the value stays within
 * the configured range, jitter included.
 *
 * In steady open-loop overload a request arriving at a refusal would be admitted after about one
 * completion interval (service time / workers), far below S. The estimate does not chase that: a
 * hint of one completion interval to every refused client sends all of them after the next free
 * permit. S is the reference instead, and a floor once it is known.
 *
 * Cold start: until the first window closes S is 0 and T = max(min, 3 * D). The first refusals of
 * a burst on a fresh limiter are told the floor; those that come back while the first requests
 * still run are told three times how long those have been running, until the first window
 * publishes S.
 *
 * After an overload nothing has accumulated, so nothing has to decay: T is max(min, S) as soon as
 * a refusal sees one release (or at once, for a reader that reads the clock), and S follows the
 * next window's median.
 *
 * Memory ordering. S is a volatile with a single writer (the window closer). The stall clock is
 * five fields written racily by refusals: sinceNanos (opaque) is written before sinceProgress
 * (release) and read after it (acquire), so a reader that sees a release count sees the time its
 * stall clock started, or a moment later (two refusals that restart it at once may interleave
 * their writes). readNanos, readGapNanos and leadStallNanos (opaque) are what the last clock
 * reading computed; a delayed thread may overwrite them with older values, of this stall or of
 * the last one, which stand until the next clock reading: an error of the hint,
 * within its range, for at most about 2I or 64 refusals. The release count is a wrapping 32-bit
 * count: progress is missed only if exactly a multiple of 2^32 releases happen between two
 * refusals.
 *
 * Cost. The limiter's reject path reads the clock on the first refusal after a release (to start
 * the stall clock there) and otherwise when the low bits of the jitter draw it makes anyway,
 * masked by samplingMask, are all zero: on about one refusal in samplingMask + 1. The mask
 * follows time, not a count of refusals. On each reading the mask chose, with I an eighth of the
 * minimum hint (within 0.1 to 1 ms): if the previous such reading is less than I ago, the mask
 * doubles (mask + 1), up to 63; if it is more than 2I ago, the mask halves, down to 0 (every
 * refusal reads), once per doubling of that time beyond 2I, so that refusals turning sparse
 * after a flood narrow it in one reading rather than one halving per 64 refusals. Readings
 * after a release neither count nor move the mask: they come anyway, and a mask widened by
 * frequent releases would leave the start of the next stall unread. So the readings the mask
 * chooses come about one per I to 2I whatever the refusal rate: below about 1 / (2I) refusals
 * a second every refusal reads the clock (at most about 500 readings a second with the default
 * 10 ms minimum: cheap), above 64 / I the mask stays at its cap, one reading per 64 refusals,
 * as the fixed mask did. A fixed count could not do both: one refusal in 64 is one reading per
 * 64 refusals whatever their pace, and a short stall (200-300 ms, 40 refusals) was advertised
 * mostly as read at its start. In all, at most one reading per release plus about one per I or
 * per 64 refusals, whichever is more: a refusal stays a few nanoseconds however long the
 * overload. A clock reading is dear next to the rest of a refusal (System.nanoTime() took about
 * 75 ns on the loaded 2-core VM of the benchmarks, where a bulkhead's whole refusal takes 5 to
 * 15 ns): read on one refusal in 16, it was a large share of the reject path. The mask and the
 * time of its last reading (sampledNanos) are opaque fields written only by the readings the
 * mask chose (a racy update loses a step of the mask, no more); any other refusal reads the mask
 * and writes nothing. The mask's first reading after a flood still waits for its draw: up to
 * about 64 refusals. The other readers (Limiter.retryAfterNanos(), the guards' refusals, which
 * allocate an exception anyway) read the clock each time and leave the mask alone.
 *
 * Staleness. A refusal that reads no clock cannot know how long ago the last reading was, and a
 * D taken as of that reading lags the truth by up to the time between two readings: with a
 * factor of 3 that lag alone (3 x the time between two refusals in a short stall) can exceed
 * what the jitter covers. Such a refusal therefore advertises the last reading's D plus the time
 * between the last two readings made at distinct moments (leadStallNanos): the D it would read
 * when readings come at a steady pace, so that its value is about that of a refusal that reads
 * the clock, early or late by the irregularity of the readings rather than always late. The
 * first reading of a stall counts the whole stall so far as that interval. No lock, no
 * allocation, no clock reading more than before.
 */
/**
 * The Retry-After estimate of one limiter, shared by the guards built on it. Internal; the design
 * comment in the source gives the rule. Thread-safe and lock-free: the window closer publishes,
 * any thread reads.
 */
public final class RetryAfterEstimator {

  /** What the estimator reads of its limiter; the limiter built by Limiter.newBuilder(). */
  public interface Source {

    /** Returns the wrapping count of releases: a change means that work completed. */
    int completions();

    /** Returns the limit in force. */
    int limit();

    /** Returns the units in flight. */
    int inFlight();

    /** Returns the limiter's estimator. */
    RetryAfterEstimator retryAfterEstimator();
  }

  /** The range's upper end for a limiter of another kind: the builder's default, 60 s. */
  static final long FOREIGN_MAX_NANOS = Duration.ofSeconds(60).toNanos();
  /** The jitter of a guard without its own over a limiter of another kind: the default, 0.5. */
  static final double FOREIGN_JITTER = 0.5;
  /** The largest sampling mask: in a flood of refusals one in 64 reads the clock. */
  static final int MAX_SAMPLING_MASK = 63;
  /** The bounds of the sampling interval I (see the design comment). */
  static final long MIN_SAMPLING_INTERVAL_NANOS = 100_000L;
  static final long MAX_SAMPLING_INTERVAL_NANOS = 1_000_000L;
  /** T counts D this many times (see the design comment). */
  static final long STALL_FACTOR = 3;

  private static final VarHandle SINCE_NANOS;
  private static final VarHandle SINCE_PROGRESS;
  private static final VarHandle READ_NANOS;
  private static final VarHandle READ_GAP_NANOS;
  private static final VarHandle LEAD_STALL_NANOS;
  private static final VarHandle SAMPLING_MASK;
  private static final VarHandle SAMPLED_NANOS;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      SINCE_NANOS = lookup.findVarHandle(RetryAfterEstimator.class, "sinceNanos", long.class);
      SINCE_PROGRESS = lookup.findVarHandle(RetryAfterEstimator.class, "sinceProgress", int.class);
      READ_NANOS = lookup.findVarHandle(RetryAfterEstimator.class, "readNanos", long.class);
      READ_GAP_NANOS =
          lookup.findVarHandle(RetryAfterEstimator.class, "readGapNanos", long.class);
      LEAD_STALL_NANOS =
          lookup.findVarHandle(RetryAfterEstimator.class, "leadStallNanos", long.class);
      SAMPLING_MASK = lookup.findVarHandle(RetryAfterEstimator.class, "samplingMask", int.class);
      SAMPLED_NANOS = lookup.findVarHandle(RetryAfterEstimator.class, "sampledNanos", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final NanoClock clock;
  private final Source source;
  private final long minNanos;
  private final long maxNanos;
  /** The largest estimate before jitter: max / (1 + jitter), so that jitter stays within max. */
  private final long maxBaseNanos;
  private final double jitter;
  /** The jitter as a fraction of 2^62, for the reject path's integer arithmetic. */
  private final long jitterFraction;
  /** I: the reject path aims at one clock reading per I to 2I (see the design comment). */
  private final long samplingIntervalNanos;

  /** S: the median round-trip time of the last window with samples; 0 until one closes. */
  private volatile long serviceNanos;
  /** When the stall clock of the release count sinceProgress started: a refusal first saw it. */
  private long sinceNanos;
  /** The release count the stall clock belongs to; -1 before the first refusal. */
  private int sinceProgress = -1;
  /** When the last clock reading of this stall was made (the stall clock's start at first). */
  private long readNanos;
  /** The time between the last two clock readings of this stall made at distinct moments. */
  private long readGapNanos;
  /**
   * D as the reject path advertises it between clock readings: the last reading's D plus the
   * time between the last two readings, the staleness a refusal that reads no clock may have.
   */
  private long leadStallNanos;
  /** The reject path reads the clock when these bits of its random draw are all zero. */
  private int samplingMask;
  /** When the reject path last read the clock. */
  private long sampledNanos;

  /**
   * Creates the estimator of {@code source}, which reads time from {@code clock} and advertises
   * values in {@code [minNanos, maxNanos]} with its own refusals jittered by {@code jitter}.
   * The builder has checked that {@code maxNanos >= minNanos * (1 + jitter)}.
   */
  public RetryAfterEstimator(Source source, NanoClock clock, long minNanos, long maxNanos,
      double jitter) {
    this.source = source;
    this.clock = clock;
    this.minNanos = minNanos;
    this.maxNanos = maxNanos;
    this.jitter = jitter;
    this.maxBaseNanos = Math.max(minNanos, (long) (maxNanos / (1.0 + jitter)));
    this.jitterFraction = (long) (jitter * 0x1.0p62);
    this.samplingIntervalNanos = Math.max(MIN_SAMPLING_INTERVAL_NANOS,
        Math.min(MAX_SAMPLING_INTERVAL_NANOS, minNanos / 8));
    this.sampledNanos = clock.nanoTime() - 4 * samplingIntervalNanos;
  }

  /** Publishes the median round-trip time of a closed window that had samples. */
  public void publishService(long medianNanos) {
    serviceNanos = Math.max(0L, medianNanos);
  }

  /** Returns the jitter of the limiter's own refusals. */
  public double jitter() {
    return jitter;
  }

  /** Returns the estimate before jitter for a refusal now, reading the clock. */
  public long estimateNanos() {
    return clampBase(turnover(readStall(clock.nanoTime())));
  }

  /**
   * Returns the value the limiter's reject path advertises, jitter included: {@code progress} is
   * the release count the refusal read, {@code random} a fresh uniform draw (its low bits, under
   * the sampling mask, decide whether a refusal that finds no release since the last one reads
   * the clock; its high bits draw the jitter).
   */
  public long advertise(int progress, long random) {
    long stall;
    int mask = (int) SAMPLING_MASK.getOpaque(this);
    if ((random & mask) == 0) {
      long now = clock.nanoTime();
      adaptSampling(mask, now);
      stall = refresh(progress, now);
    } else if (progress != (int) SINCE_PROGRESS.getAcquire(this)) {
      stall = refresh(progress, clock.nanoTime());
    } else {
      stall = (long) LEAD_STALL_NANOS.getOpaque(this);
    }
    long base = clampBase(turnover(stall));
    long span = Math.multiplyHigh(base, jitterFraction) << 2; // base * jitter, rounded down
    return base + Math.multiplyHigh(random >>> 1, span << 1); // uniform in [0, span)
  }

  /**
   * Adjusts the sampling mask at a reject path's clock reading {@code now}: wider when the last
   * reading is less than I ago, halved once per doubling of that time beyond 2I (see the design
   * comment).
   */
  private void adaptSampling(int mask, long now) {
    long sinceSampled = now - (long) SAMPLED_NANOS.getOpaque(this);
    SAMPLED_NANOS.setOpaque(this, now);
    if (sinceSampled < samplingIntervalNanos) {
      if (mask < MAX_SAMPLING_MASK) {
        SAMPLING_MASK.setOpaque(this, mask << 1 | 1);
      }
    } else if (sinceSampled > 2 * samplingIntervalNanos && mask > 0) {
      int narrowed = mask;
      for (long since = sinceSampled; since > 2 * samplingIntervalNanos && narrowed > 0;
          since >>>= 1) {
        narrowed >>>= 1;
      }
      SAMPLING_MASK.setOpaque(this, narrowed);
    }
  }

  /** Returns the reject path's sampling mask: it reads the clock on one refusal in mask + 1. */
  int samplingMask() {
    return (int) SAMPLING_MASK.getOpaque(this);
  }

  /**
   * Returns the value a guard advertises for a refusal of its own, jitter included: the
   * estimate for a request with {@code queuedUnits} units queued ahead of it, jittered by
   * {@code guardJitter} and kept within the range.
   */
  public long advertise(int queuedUnits, double guardJitter) {
    long turnover = turnover(readStall(clock.nanoTime()));
    return edge(turnover, queuedUnits, source.limit(), minNanos, maxNanos, guardJitter,
        ThreadLocalRandom.current().nextDouble());
  }

  /**
   * Returns the Retry-After for a guard's own refusal over {@code limiter}, with
   * {@code queuedUnits} queued ahead and the guard's {@code guardJitter}. A limiter of another
   * kind (a decorator, a test double) has no estimator to share: its
   * {@link Limiter#retryAfterNanos()} is taken as the turnover time, within 0 to 60 s.
   */
  public static long advertise(Limiter limiter, int queuedUnits, double guardJitter) {
    if (limiter instanceof Source) {
      return ((Source) limiter).retryAfterEstimator().advertise(queuedUnits, guardJitter);
    }
    return edge(limiter.retryAfterNanos(), queuedUnits, limiter.limit(), 0L, FOREIGN_MAX_NANOS,
        guardJitter, ThreadLocalRandom.current().nextDouble());
  }

  /**
   * Returns the Retry-After for a guard's own refusal over {@code limiter}, jittered as the
   * limiter jitters its own (0.5 for a limiter of another kind).
   */
  public static long advertise(Limiter limiter, int queuedUnits) {
    if (limiter instanceof Source) {
      RetryAfterEstimator estimator = ((Source) limiter).retryAfterEstimator();
      return estimator.advertise(queuedUnits, estimator.jitter);
    }
    return advertise(limiter, queuedUnits, FOREIGN_JITTER);
  }

  /**
   * The rule at the edge: the turnover time stretched by the queue ahead, clamped so that the
   * jitter fits below {@code max}, jittered once by the factor {@code 1 + jitter * u}, and kept
   * in {@code [min, max]} (a guard's jitter may exceed the limiter's).
   */
  static long edge(double turnoverNanos, int queuedUnits, int limit, long min, long max,
      double jitter, double u) {
    double queued = Math.max(0, queuedUnits);
    double estimate = turnoverNanos * (1.0 + queued / Math.max(1, limit));
    double base = Math.max(min, Math.min(max / (1.0 + jitter), estimate));
    double jittered = base * (1.0 + jitter * u);
    return (long) Math.max(min, Math.min(max, jittered));
  }

  /**
   * Returns T = max(min, S, 3D), D first capped at the largest estimate so that 3D cannot
   * overflow.
   */
  private long turnover(long stallNanos) {
    long stalled = STALL_FACTOR * Math.min(stallNanos, maxBaseNanos);
    return Math.max(minNanos, Math.max(serviceNanos, stalled));
  }

  private long clampBase(long turnoverNanos) {
    return Math.max(minNanos, Math.min(maxBaseNanos, turnoverNanos));
  }

  /**
   * Returns D at {@code now} for a reader outside the reject path: 0 while the limiter has room,
   * which also stops the stall clock (nothing is stalled while a request would be admitted, and
   * a reader that polls an idle limiter must not leave a clock running that the next burst would
   * read as a stall): the clock is left on the release count just behind the current one, which
   * the limiter's count never takes again short of 2^32 - 1 releases, so the next refusal starts
   * it afresh.
   */
  private long readStall(long now) {
    int progress = source.completions();
    if (source.inFlight() < source.limit()) {
      LEAD_STALL_NANOS.setOpaque(this, 0L);
      SINCE_PROGRESS.setRelease(this, progress - 1);
      return 0L;
    }
    return refresh(progress, now);
  }

  /**
   * Returns D at {@code now} for a refusal that read release count {@code progress}, restarting
   * the stall clock if the count moved since it started.
   */
  private long refresh(int progress, long now) {
    if (progress != (int) SINCE_PROGRESS.getAcquire(this)) {
      restart(progress, now);
      return 0L;
    }
    long stall = Math.max(0L, now - (long) SINCE_NANOS.getOpaque(this));
    long gap = (long) READ_GAP_NANOS.getOpaque(this);
    long sinceRead = now - (long) READ_NANOS.getOpaque(this);
    if (sinceRead > 0) { // readings at one moment (a burst of refusals) tell nothing of the pace
      gap = Math.min(sinceRead, stall);
      READ_GAP_NANOS.setOpaque(this, gap);
      READ_NANOS.setOpaque(this, now);
    }
    LEAD_STALL_NANOS.setOpaque(this, stall + gap);
    return stall;
  }

  /** Starts the stall clock of release count {@code progress} at {@code now}. */
  private void restart(int progress, long now) {
    SINCE_NANOS.setOpaque(this, now);
    READ_NANOS.setOpaque(this, now);
    READ_GAP_NANOS.setOpaque(this, 0L);
    SINCE_PROGRESS.setRelease(this, progress);
    LEAD_STALL_NANOS.setOpaque(this, 0L);
  }

  @Override
  public String toString() {
    return "RetryAfterEstimator[service=" + serviceNanos + "ns, leadStall=" + leadStallNanos
        + "ns, samplingMask=" + samplingMask + ", range=[" + minNanos + ", " + maxNanos
        + "]ns, jitter=" + jitter + "]";
  }
}
