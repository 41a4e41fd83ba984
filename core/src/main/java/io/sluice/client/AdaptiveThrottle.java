package io.sluice.client;

import io.sluice.NanoClock;
import io.sluice.internal.Args;
import io.sluice.internal.PackedWindow;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Adaptive client-side throttling (Google SRE book, "Handling Overload"): when the backend has
 * been refusing much of what this client sends, the client refuses part of its own requests
 * locally, before they cost the backend anything.
 *
 * <p>Over a sliding window (two minutes by default) the client counts {@code requests} (every
 * request it wanted to send, including those it then refused itself) and {@code accepts} (those
 * the backend accepted, i.e. did not refuse for overload). Each new request is refused locally
 * with probability
 * <pre>    P = max(0, (requests - K * accepts) / (requests + 1))</pre>
 * With {@code K = 2} (the default) the client sends up to about twice what the backend accepts:
 * enough to notice recovery quickly, little enough that refusals stay cheap for the backend. A
 * smaller K throttles sooner; a larger one later.
 *
 * <pre>{@code
 * if (!throttle.tryRequest()) {
 *   return failLocally();                 // counted as a request, never sent
 * }
 * HttpResponse<String> r = http.send(request, BodyHandlers.ofString());
 * if (r.statusCode() != 503 && r.statusCode() != 429) {
 *   throttle.onAccepted();
 * }
 * }</pre>
 *
 * <p>Thread-safe: the window is a ring of packed counters updated by compare-and-set (lock-free,
 * allocation-free); each call reads the clock once. The window keeps counts in 10 buckets; see
 * {@link PackedWindow} for how a bucket caps its counts (the ratio is kept).
 */
public final class AdaptiveThrottle {
  private static final int BUCKETS = 10;

  private final NanoClock clock;
  private final long origin;
  private final long nanosPerBucket;
  private final double k;
  private final PackedWindow window = new PackedWindow(BUCKETS);

  private AdaptiveThrottle(NanoClock clock, double k, long windowNanos) {
    this.clock = clock;
    this.origin = clock.nanoTime();
    this.k = k;
    this.nanosPerBucket = windowNanos / BUCKETS;
  }

  /**
   * Returns a builder of a throttle with the SRE book's values: K = 2 over a two-minute window, on
   * the system clock.
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Counts a request and decides whether to send it: returns false (refuse locally) with
   * probability {@link #rejectionProbability()}, using {@link ThreadLocalRandom}.
   */
  public boolean tryRequest() {
    return tryRequest(ThreadLocalRandom.current());
  }

  /** As {@link #tryRequest()}, drawing from {@code random}. */
  public boolean tryRequest(RandomGenerator random) {
    long generation = generation();
    double p = probability(window.sum(0, generation));
    window.add(0, generation, 1, 0, 0);
    return p <= 0.0 || random.nextDouble() >= p;
  }

  /** Counts a request that the backend accepted (anything but a refusal for overload or quota). */
  public void onAccepted() {
    window.add(0, generation(), 0, 1, 0);
  }

  /** Returns the probability that the next request is refused locally. */
  public double rejectionProbability() {
    return probability(window.sum(0, generation()));
  }

  /** Returns the requests counted in the window. */
  public int requests() {
    return PackedWindow.sum0(window.sum(0, generation()));
  }

  /** Returns the accepts counted in the window. */
  public int accepts() {
    return PackedWindow.sum1(window.sum(0, generation()));
  }

  private double probability(long sums) {
    int requests = PackedWindow.sum0(sums);
    int accepts = PackedWindow.sum1(sums);
    return Math.max(0.0, (requests - k * accepts) / (requests + 1));
  }

  private long generation() {
    return Math.max(0L, clock.nanoTime() - origin) / nanosPerBucket;
  }

  @Override
  public String toString() {
    return "AdaptiveThrottle[k=" + k + ", requests=" + requests() + ", accepts=" + accepts() + "]";
  }

  /**
   * Configures and builds an {@link AdaptiveThrottle}; each setter checks its argument at once
   * with an {@link IllegalArgumentException} naming the setting, the value and the range. A builder
   * may build several throttles, each with a window of its own. Not thread-safe.
   */
  public static final class Builder {
    private double k = 2.0;
    private long windowNanos = Duration.ofMinutes(2).toNanos();
    private NanoClock clock = NanoClock.system();

    private Builder() {}

    /** Sets the multiplier of accepts, in [1, 100]; 2 (the default) is the usual choice. */
    public Builder k(double k) {
      this.k = Args.inRange("k", k, 1.0, 100.0);
      return this;
    }

    /** Sets how far back requests and accepts are counted, in [1 s, 1 h]; 2 minutes by default. */
    public Builder window(Duration window) {
      this.windowNanos = Args.nanosInRange("window", window, Duration.ofSeconds(1),
          Duration.ofHours(1));
      return this;
    }

    /** Sets the clock; tests pass sluice-testing's {@code ManualClock}. */
    public Builder clock(NanoClock clock) {
      this.clock = Args.notNull("clock", clock);
      return this;
    }

    /** Builds a throttle whose window starts now. */
    public AdaptiveThrottle build() {
      return new AdaptiveThrottle(clock, k, windowNanos);
    }
  }
}
