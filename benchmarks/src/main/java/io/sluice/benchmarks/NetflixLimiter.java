package io.sluice.benchmarks;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.WindowedLimit;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import io.sluice.LimitListener;
import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.limit.WindowStats;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.simulator.LimiterFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Netflix concurrency-limits' {@code SimpleLimiter} seen through Sluice's {@link Limiter}, so that
 * the simulator can drive it exactly as it drives Sluice: on the simulation's virtual clock (passed
 * to Netflix as its nano clock), with every permit a ticket that maps to Netflix's listener, and
 * outcomes mapped one to one ({@code SUCCESS} to {@code onSuccess}, {@code DROPPED} to
 * {@code onDropped}, {@code IGNORED} to {@code onIgnore}).
 *
 * <p>The limit is reported to the simulation's {@link LimitListener} after every run of the Netflix
 * algorithm, whether or not the limit changed (polling per run rather than Netflix's {@code
 * notifyOnChange}, which reports changes only): a decorator between the limiter and the algorithm
 * counts the runs ({@link LimiterSnapshot#windowsClosed()}) and reports the limit after each. A
 * bare algorithm runs on every sample; one wrapped in Netflix's {@code WindowedLimit} runs once per
 * window that holds enough samples. The {@link WindowStats} handed to the listener describes the
 * sample Netflix passed to its algorithm (one aggregated RTT, the in-flight count, the drop flag).
 *
 * <p>Rejections carry {@link RejectReason#LIMIT_REACHED} and a Retry-After of zero: Netflix has no
 * Retry-After. Work weighs one unit; Netflix has no cost. For the single-threaded simulator only:
 * not thread-safe, and it allocates (a map entry per permit, Netflix's own listener objects).
 */
final class NetflixLimiter implements Limiter {
  private final SimpleLimiter<Void> limiter;
  private final CountingLimit algorithm;
  private final Map<Long, com.netflix.concurrency.limits.Limiter.Listener> permits = new HashMap<>();
  private long nextPermit;
  private long rejections;
  private long invalidReleases;

  private NetflixLimiter(Limit algorithm, boolean windowed, NanoClock clock, LimitListener listener) {
    this.algorithm = new CountingLimit(algorithm, listener);
    Limit limit = windowed ? WindowedLimit.newBuilder().build(this.algorithm) : this.algorithm;
    this.limiter = SimpleLimiter.newBuilder().limit(limit).nanoClock(clock::nanoTime).build();
  }

  /**
   * Returns a factory of limiters around a fresh Netflix algorithm from {@code algorithm}, bare or
   * wrapped in a {@code WindowedLimit} with its defaults.
   */
  static LimiterFactory factory(Supplier<? extends Limit> algorithm, boolean windowed) {
    return (clock, listener) -> new NetflixLimiter(algorithm.get(), windowed, clock, listener);
  }

  @Override
  public long tryAcquire() {
    Optional<com.netflix.concurrency.limits.Limiter.Listener> listener = limiter.acquire(null);
    if (listener.isEmpty()) {
      rejections++;
      return Ticket.rejection(RejectReason.LIMIT_REACHED, 0);
    }
    long permit = nextPermit++;
    permits.put(permit, listener.get());
    return permit;
  }

  @Override
  public long tryAcquire(int cost) {
    if (cost != 1) {
      throw new IllegalArgumentException("cost must be 1 (Netflix limiters have no cost) but was "
          + cost);
    }
    return tryAcquire();
  }

  @Override
  public boolean release(long permit, Outcome outcome) {
    if (outcome == null) {
      throw new IllegalArgumentException("outcome must not be null");
    }
    com.netflix.concurrency.limits.Limiter.Listener listener = permits.remove(permit);
    if (listener == null) {
      invalidReleases++;
      return false;
    }
    switch (outcome) {
      case SUCCESS -> listener.onSuccess();
      case DROPPED -> listener.onDropped();
      default -> listener.onIgnore();
    }
    return true;
  }

  @Override
  public int limit() {
    return limiter.getLimit();
  }

  @Override
  public int inFlight() {
    return limiter.getInflight();
  }

  @Override
  public long retryAfterNanos() {
    return 0;
  }

  /**
   * Returns the limit, the units in flight, the refusals (all {@code LIMIT_REACHED} of {@code
   * CRITICAL}: Netflix limiters have no levels), the ignored releases and how many times the
   * Netflix algorithm has run (as windows closed).
   */
  @Override
  public LimiterSnapshot snapshot() {
    return LimiterSnapshot.newBuilder()
        .limit(Math.max(0, limit()))
        .inFlight(Math.max(0, inFlight()))
        .rejected(RejectReason.LIMIT_REACHED, Priority.CRITICAL, rejections)
        .invalidReleases(invalidReleases)
        .windowsClosed(algorithm.runs)
        .build();
  }

  @Override
  public String toString() {
    return "NetflixLimiter[limit=" + limit() + ", inFlight=" + inFlight() + "]";
  }

  /** Sits in front of the Netflix algorithm: counts its runs and reports the limit after each. */
  private static final class CountingLimit implements Limit {
    private final Limit delegate;
    private final LimitListener listener;
    private final Sample sample = new Sample();
    long runs;

    CountingLimit(Limit delegate, LimitListener listener) {
      this.delegate = delegate;
      this.listener = listener;
    }

    @Override
    public int getLimit() {
      return delegate.getLimit();
    }

    @Override
    public void notifyOnChange(Consumer<Integer> consumer) {
      delegate.notifyOnChange(consumer);
    }

    @Override
    public void onSample(long startTime, long rtt, int inflight, boolean didDrop) {
      int before = delegate.getLimit();
      delegate.onSample(startTime, rtt, inflight, didDrop);
      runs++;
      sample.set(rtt, inflight, didDrop, before);
      listener.onWindowClosed(sample, delegate.getLimit());
    }
  }

  /** The one sample a Netflix algorithm run sees, as window statistics. */
  private static final class Sample implements WindowStats {
    private long rttNanos;
    private int inFlight;
    private boolean dropped;
    private int limit;

    void set(long rttNanos, int inFlight, boolean dropped, int limit) {
      this.rttNanos = Math.max(1, rttNanos);
      this.inFlight = inFlight;
      this.dropped = dropped;
      this.limit = limit;
    }

    @Override
    public long durationNanos() {
      return rttNanos;
    }

    @Override
    public long completions() {
      return 1;
    }

    @Override
    public long drops() {
      return dropped ? 1 : 0;
    }

    @Override
    public long rejections() {
      return 0;
    }

    @Override
    public long sampleCount() {
      return dropped ? 0 : 1;
    }

    @Override
    public long rttNanos(double q) {
      return dropped ? 0 : rttNanos;
    }

    @Override
    public long samplesAbove(long nanos) {
      return !dropped && rttNanos > nanos ? 1 : 0;
    }

    @Override
    public long meanRttNanos() {
      return dropped ? 0 : rttNanos;
    }

    @Override
    public int maxInFlight() {
      return inFlight;
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
}
