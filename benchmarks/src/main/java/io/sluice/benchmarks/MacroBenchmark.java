package io.sluice.benchmarks;

import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import io.sluice.Limiter;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.simulator.LimiterFactory;
import io.sluice.simulator.ServiceTime;
import io.sluice.simulator.Simulation;
import io.sluice.simulator.SimulationResult;
import io.sluice.simulator.SimulationResult.LimitPoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The macro benchmark: Sluice's algorithms and Netflix's Vegas, Gradient2 and AIMD (bare, and
 * wrapped in Netflix's {@code WindowedLimit}) guarding the same simulated backend in the same
 * overload scenarios, in virtual time. Prints one markdown table and writes it to
 * {@code macro.md} in the output directory.
 *
 * <p>The backend is the one the core's simulation tests use: 32 workers, log-normal service times
 * (10 ms mean, sigma 0.5), a 50 ms latency objective and a 100 ms client timeout (a request that
 * completes later is released as {@code DROPPED}). Scenarios:
 * <ul>
 *   <li>2x and 10x load: Poisson arrivals at twice and ten times capacity;
 *   <li>capacity halved: 2x load; 16 of the 32 workers vanish at one third of the run and return
 *       at two thirds;
 *   <li>low traffic: 5 requests per second on a slow backend (400 ms mean, sigma 0.3; 2 s
 *       objective and timeout), every limit starting at 1: does it rise to the demand?
 *   <li>fast backend (Sluice only): the 2x scenario with every duration 100 times shorter, so that
 *       a 100 ms window holds about 32,000 completions and Sluice times only one request in 16.
 *       Time-scaled, the scenario is otherwise identical: equal figures to the 2x row show that
 *       sampling costs no accuracy.
 * </ul>
 *
 * <p>Every contender uses its library's defaults, except: Sluice's AIMD is told the latency it
 * holds its p90 at (18 ms; 1 s at low traffic; scaled with the fast backend), as the core's tests
 * do; in the low-traffic scenario every initial limit (and Netflix's minimum limits, which default
 * to 20 for Gradient2 and AIMD) is 1. Netflix's AIMD keeps its 5 s timeout, so only drops make it
 * back off. Sluice's fixed limit is the optimum found by a sweep, an oracle no real deployment has
 * (left out at low traffic, where any limit above the demand is optimal).
 *
 * <p>Columns: goodput is completions within the objective as a fraction of capacity (of the
 * offered load at low traffic, which is far below capacity); p99 is that of admitted work over the
 * backend's own p99 at no load; "settle" is the simulated time, from the start of the run or from
 * the change of capacity, until the limit entered the band of +-25% around the optimum fixed limit
 * and stayed in it for at least 90% of the rest of the phase, with the limit read every 100 ms of
 * simulated time (the shortest Sluice window; Netflix's windows last 1 s, and its bare algorithms
 * change the limit on every sample, so time is the only common unit); "rejected" is the share of
 * arrivals rejected; "limit" is the mean of the same 100 ms readings over the measured period
 * (per phase when capacity changes; the full-capacity phase from its second half on).
 *
 * <p>Every run uses seed 1. Runs are deterministic except Netflix's Vegas, which draws its probe
 * jitter from {@code ThreadLocalRandom}: its rows vary a little from run to run.
 */
public final class MacroBenchmark {
  private static final long SECOND = 1_000_000_000L;
  private static final long TICK = 100_000_000L;
  private static final long SEED = 1;

  private static final Backend STANDARD = new Backend(32,
      ServiceTime.logNormal(Duration.ofMillis(10), 0.5), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(18));
  private static final Backend FAST = new Backend(32,
      ServiceTime.logNormal(Duration.ofNanos(100_000), 0.5), Duration.ofNanos(500_000),
      Duration.ofMillis(1), Duration.ofNanos(180_000));
  private static final Backend SLOW = new Backend(32,
      ServiceTime.logNormal(Duration.ofMillis(400), 0.3), Duration.ofSeconds(2),
      Duration.ofSeconds(2), Duration.ofSeconds(1));

  private final boolean quick;

  private MacroBenchmark(boolean quick) {
    this.quick = quick;
  }

  /**
   * Runs every scenario for every contender, prints the table and writes it to
   * {@code <dir>/macro.md}. Arguments: {@code [--quick] [--out DIR]}; {@code --quick} shortens
   * every run (a smoke test, not a result); the default directory is {@code benchmarks/results}.
   */
  public static void main(String[] args) throws IOException {
    boolean quick = false;
    Path out = Path.of("benchmarks", "results");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--out" -> out = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + "; usage: MacroBenchmark [--quick] [--out DIR]");
      }
    }
    String table = run(quick);
    System.out.println(table);
    Files.createDirectories(out);
    Files.writeString(out.resolve("macro.md"), table);
  }

  /** Runs the whole macro benchmark and returns its markdown: a short preamble and the table. */
  static String run(boolean quick) {
    return new MacroBenchmark(quick).table();
  }

  private String table() {
    long started = System.nanoTime();
    long phase = (quick ? 10 : 20) * SECOND;
    long standardNoLoadP99 = STANDARD.noLoadP99();
    long fastNoLoadP99 = FAST.noLoadP99();
    long slowNoLoadP99 = SLOW.noLoadP99();
    Duration sweepRun = Duration.ofSeconds(quick ? 10 : 30);
    int optimumFull = STANDARD.optimumFixedLimit(STANDARD.workers, sweepRun, standardNoLoadP99);
    int optimumHalf = STANDARD.optimumFixedLimit(STANDARD.workers / 2, sweepRun, standardNoLoadP99);

    List<String> rows = new ArrayList<>();
    for (Contender c : Contender.values()) {
      rows.add(overload(c, "2x load", 2, optimumFull, standardNoLoadP99));
    }
    for (Contender c : Contender.values()) {
      rows.add(overload(c, "10x load", 10, optimumFull, standardNoLoadP99));
    }
    for (Contender c : Contender.values()) {
      rows.add(capacityHalved(c, phase, optimumFull, optimumHalf, standardNoLoadP99));
    }
    for (Contender c : Contender.values()) {
      if (c != Contender.SLUICE_FIXED) {
        rows.add(lowTraffic(c, slowNoLoadP99));
      }
    }
    for (Contender c : Contender.values()) {
      if (c.sluice) {
        rows.add(fastBackend(c, optimumFull, fastNoLoadP99));
      }
    }

    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Backend: %d workers, log-normal service times (mean "
            + "10 ms, sigma 0.5; capacity %.0f/s; no-load p99 %.1f ms), 50 ms objective, 100 ms "
            + "client timeout. Optimum fixed limit %d with 32 workers, %d with 16. Seed %d.%s%n%n",
        STANDARD.workers, STANDARD.capacity(), standardNoLoadP99 / 1e6, optimumFull, optimumHalf,
        SEED, quick ? " QUICK MODE: shortened runs, a smoke test, not a result." : ""));
    md.append("| scenario | limiter | goodput | p99 / no-load p99 | settle (s) | rejected | limit |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|\n");
    for (String row : rows) {
      md.append(row).append('\n');
    }
    md.append(String.format(Locale.ROOT, """

        - goodput: completions within the objective, as a share of capacity (at low traffic, of
          arrivals). p99 / no-load p99: p99 of admitted work over the backend's own p99 at 10%% load.
        - settle: simulated seconds, from the start (or from the change of capacity: halved /
          restored), until the limit lies within +-25%% of the optimum fixed limit for at least 90%%
          of the rest of the phase; the limit is read every 100 ms of simulated time. limit: the
          mean of those readings over the measured period (per phase: full / halved / restored).
        - capacity halved: 2x load; 16 of 32 workers leave at %d s and return at %d s.
        - low traffic: 5 requests/s, log-normal service (mean 400 ms, sigma 0.3), 2 s objective and
          timeout, no-load p99 %.0f ms; every limit starts at 1.
        - fast backend: the 2x scenario 100 times faster (mean 0.1 ms; no-load p99 %.3f ms), so a
          100 ms window holds about 32,000 completions and Sluice times about one request in 16.
        - Netflix: defaults (Vegas: initial 20, max 1000; Gradient2: initial 20, min 20, max 200;
          AIMD: initial 20, min 20, max 200, timeout 5 s); "windowed" wraps the algorithm in
          WindowedLimit with its defaults (1 s windows, at least 10 samples). Sluice AIMD holds its
          p90 at 18 ms (1 s at low traffic, 0.18 ms on the fast backend).

        Simulated in %.0f s of wall-clock time.
        """, phase / SECOND, 2 * phase / SECOND, slowNoLoadP99 / 1e6, fastNoLoadP99 / 1e6,
        (System.nanoTime() - started) / 1e9));
    return md.toString();
  }

  private String overload(Contender c, String label, double load, int optimum, long noLoadP99) {
    long duration = (quick ? 10 : 40) * SECOND;
    long warmup = (quick ? 2 : 5) * SECOND;
    Capture capture = new Capture(c.factory(STANDARD, false, optimum));
    SimulationResult r = STANDARD.simulation(capture, STANDARD.capacity() * load)
        .duration(Duration.ofNanos(duration))
        .warmup(Duration.ofNanos(warmup))
        .build().run();
    int[] ticks = capture.ticks(r, 0, duration);
    return row(label, c, r.goodputRatio(), r, noLoadP99, settle(ticks, optimum),
        format(mean(ticks, (int) (warmup / TICK), ticks.length)));
  }

  private String capacityHalved(Contender c, long phase, int optimumFull, int optimumHalf,
      long noLoadP99) {
    Capture capture = new Capture(c.factory(STANDARD, false, optimumFull));
    SimulationResult r = STANDARD.simulation(capture, STANDARD.capacity() * 2)
        .duration(Duration.ofNanos(3 * phase))
        .warmup(Duration.ofSeconds(quick ? 2 : 5))
        .workersAt(Duration.ofNanos(phase), STANDARD.workers / 2)
        .workersAt(Duration.ofNanos(2 * phase), STANDARD.workers)
        .build().run();
    int[] full = capture.ticks(r, 0, phase);
    int[] half = capture.ticks(r, phase, 2 * phase);
    int[] restored = capture.ticks(r, 2 * phase, 3 * phase);
    String settle = settle(half, optimumHalf) + " / " + settle(restored, optimumFull);
    String limits = format(mean(full, full.length / 2, full.length)) + " / "
        + format(mean(half, 0, half.length)) + " / " + format(mean(restored, 0, restored.length));
    return row("capacity halved, restored", c, r.goodputRatio(), r, noLoadP99, settle, limits);
  }

  private String lowTraffic(Contender c, long noLoadP99) {
    long duration = (quick ? 60 : 120) * SECOND;
    Capture capture = new Capture(c.factory(SLOW, true, 0));
    SimulationResult r = SLOW.simulation(capture, 5)
        .duration(Duration.ofNanos(duration))
        .warmup(Duration.ZERO)
        .build().run();
    int[] ticks = capture.ticks(r, 0, duration);
    double goodput = r.arrivals() == 0 ? 0 : (double) r.good() / r.arrivals();
    int highest = 0;
    for (int limit : ticks) {
      highest = Math.max(highest, limit);
    }
    return row("low traffic, 5/s", c, goodput, r, noLoadP99, "-",
        format(mean(ticks, 0, ticks.length)) + " (max " + highest + ")");
  }

  private String fastBackend(Contender c, int optimum, long noLoadP99) {
    long duration = (quick ? 3 : 10) * SECOND;
    long warmup = (quick ? 1 : 2) * SECOND;
    Capture capture = new Capture(c.factory(FAST, false, optimum));
    SimulationResult r = FAST.simulation(capture, FAST.capacity() * 2)
        .duration(Duration.ofNanos(duration))
        .warmup(Duration.ofNanos(warmup))
        .build().run();
    int[] ticks = capture.ticks(r, 0, duration);
    return row("2x load, 100x faster backend", c, r.goodputRatio(), r, noLoadP99,
        settle(ticks, optimum), format(mean(ticks, (int) (warmup / TICK), ticks.length)));
  }

  private static String row(String scenario, Contender c, double goodput, SimulationResult r,
      long noLoadP99, String settle, String limit) {
    double rejected = r.arrivals() == 0 ? 0 : (double) r.rejected() / r.arrivals();
    return String.format(Locale.ROOT, "| %s | %s | %.1f%% | %.2f | %s | %.1f%% | %s |", scenario,
        c.label, 100 * goodput, (double) r.latencyNanos(0.99) / noLoadP99, settle, 100 * rejected,
        limit);
  }

  /**
   * Returns the simulated seconds until the limit entered the band of +-25% around
   * {@code optimum} for good: the first tick that lies in the band and from which at least 90% of
   * the remaining ticks lie in it too. "never" if no such tick exists.
   */
  static String settle(int[] ticks, int optimum) {
    double low = 0.75 * optimum;
    double high = 1.25 * optimum;
    int inBandFromHere = 0;
    int settledAt = -1;
    for (int i = ticks.length - 1; i >= 0; i--) {
      boolean inBand = ticks[i] >= low && ticks[i] <= high;
      if (inBand) {
        inBandFromHere++;
      }
      if (inBand && inBandFromHere >= 0.9 * (ticks.length - i)) {
        settledAt = i;
      }
    }
    return settledAt < 0 ? "never" : String.format(Locale.ROOT, "%.1f", (settledAt + 1) * 0.1);
  }

  private static double mean(int[] values, int from, int to) {
    double sum = 0;
    for (int i = from; i < to; i++) {
      sum += values[i];
    }
    return to > from ? sum / (to - from) : Double.NaN;
  }

  private static String format(double limit) {
    return String.format(Locale.ROOT, "%.0f", limit);
  }

  /** A simulated backend and the client's expectations of it. */
  private record Backend(int workers, ServiceTime service, Duration objective, Duration timeout,
      Duration aimdObjective) {

    double capacity() {
      return workers * 1e9 / service.meanNanos();
    }

    Simulation.Builder simulation(LimiterFactory factory, double arrivalRate) {
      return Simulation.newBuilder()
          .workers(workers)
          .serviceTime(service)
          .arrivalRate(arrivalRate)
          .latencyObjective(objective)
          .timeout(timeout)
          .seed(SEED)
          .limiter(factory);
    }

    /** The backend's own p99 at no load: 10% load (of capacity), no effective limit. */
    long noLoadP99() {
      LimiterFactory unlimited = sluice(() -> FixedLimit.of(LimitAlgorithm.MAX_SUPPORTED_LIMIT));
      return simulation(unlimited, Math.min(capacity() * 0.1, 1000))
          .duration(Duration.ofSeconds(60)).build().run().latencyNanos(0.99);
    }

    /**
     * The optimum fixed limit for {@code workers} at twice the full backend's capacity: the middle
     * of the range of fixed limits whose goodput is within 0.2% of capacity of the best and whose
     * p99 is within 1.25x the no-load p99 (the definition the core's simulation tests use).
     */
    int optimumFixedLimit(int workers, Duration runLength, long noLoadP99) {
      int from = workers / 2;
      double[] goodput = new double[3 * workers];
      long[] p99 = new long[3 * workers];
      double best = 0;
      for (int limit = from; limit < goodput.length; limit++) {
        int fixed = limit;
        SimulationResult r = simulation(sluice(() -> FixedLimit.of(fixed)), capacity() * 2)
            .workers(workers).duration(runLength).build().run();
        goodput[limit] = r.goodputRatio();
        p99[limit] = r.latencyNanos(0.99);
        best = Math.max(best, goodput[limit]);
      }
      int low = -1;
      int high = -1;
      for (int limit = from; limit < goodput.length; limit++) {
        if (goodput[limit] >= best - 0.002 && p99[limit] <= 1.25 * noLoadP99) {
          low = low < 0 ? limit : low;
          high = limit;
        }
      }
      if (low < 0) {
        throw new IllegalStateException("no fixed limit is good for " + workers + " workers");
      }
      return (low + high) / 2;
    }
  }

  private static LimiterFactory sluice(Supplier<? extends LimitAlgorithm> algorithm) {
    return (clock, listener) ->
        Limiter.newBuilder().clock(clock).listener(listener).algorithm(algorithm).build();
  }

  /** The limiters compared, in table order. */
  enum Contender {
    SLUICE_FIXED("Sluice Fixed (oracle)", true),
    SLUICE_AIMD("Sluice AIMD", true),
    SLUICE_VEGAS("Sluice Vegas", true),
    SLUICE_GRADIENT("Sluice Gradient", true),
    NETFLIX_AIMD("Netflix AIMD", false),
    NETFLIX_AIMD_WINDOWED("Netflix AIMD, windowed", false),
    NETFLIX_VEGAS("Netflix Vegas", false),
    NETFLIX_VEGAS_WINDOWED("Netflix Vegas, windowed", false),
    NETFLIX_GRADIENT2("Netflix Gradient2", false),
    NETFLIX_GRADIENT2_WINDOWED("Netflix Gradient2, windowed", false);

    final String label;
    final boolean sluice;

    Contender(String label, boolean sluice) {
      this.label = label;
      this.sluice = sluice;
    }

    /**
     * Returns a factory of this contender for {@code backend}; {@code startAtOne} sets the
     * initial limit (and Netflix's minimum) to 1; {@code optimum} is the oracle's fixed limit.
     */
    LimiterFactory factory(Backend backend, boolean startAtOne, int optimum) {
      int initial = startAtOne ? 1 : -1;
      return switch (this) {
        case SLUICE_FIXED -> sluice(() -> FixedLimit.of(optimum));
        case SLUICE_AIMD -> sluice(() -> {
          AimdLimit.Builder b = AimdLimit.newBuilder().timeout(backend.aimdObjective);
          return startAtOne ? b.initialLimit(initial).build() : b.build();
        });
        case SLUICE_VEGAS -> sluice(() -> startAtOne
            ? VegasLimit.newBuilder().initialLimit(initial).build()
            : VegasLimit.newBuilder().build());
        case SLUICE_GRADIENT -> sluice(() -> startAtOne
            ? GradientLimit.newBuilder().initialLimit(initial).build()
            : GradientLimit.newBuilder().build());
        case NETFLIX_AIMD, NETFLIX_AIMD_WINDOWED -> NetflixLimiter.factory(() -> startAtOne
            ? AIMDLimit.newBuilder().initialLimit(initial).minLimit(initial).build()
            : AIMDLimit.newBuilder().build(), this == NETFLIX_AIMD_WINDOWED);
        case NETFLIX_VEGAS, NETFLIX_VEGAS_WINDOWED -> NetflixLimiter.factory(() -> startAtOne
            ? com.netflix.concurrency.limits.limit.VegasLimit.newBuilder()
                .initialLimit(initial).build()
            : com.netflix.concurrency.limits.limit.VegasLimit.newDefault(),
            this == NETFLIX_VEGAS_WINDOWED);
        case NETFLIX_GRADIENT2, NETFLIX_GRADIENT2_WINDOWED -> NetflixLimiter.factory(() -> startAtOne
            ? Gradient2Limit.newBuilder().initialLimit(initial).minLimit(initial).build()
            : Gradient2Limit.newDefault(), this == NETFLIX_GRADIENT2_WINDOWED);
      };
    }
  }

  /**
   * Wraps a factory to remember the limit the limiter starts with, so that the limit can be read
   * at any simulated time: the last limit reported at or before it, or the initial one.
   */
  private static final class Capture implements LimiterFactory {
    private final LimiterFactory delegate;
    private int initialLimit;

    Capture(LimiterFactory delegate) {
      this.delegate = delegate;
    }

    @Override
    public Limiter create(io.sluice.NanoClock clock, io.sluice.LimitListener listener) {
      Limiter limiter = delegate.create(clock, listener);
      initialLimit = limiter.limit();
      return limiter;
    }

    /** Returns the limit in force at every 100 ms tick in {@code (from, to]}. */
    int[] ticks(SimulationResult r, long from, long to) {
      List<LimitPoint> points = r.limits();
      int[] ticks = new int[(int) ((to - from) / TICK)];
      int next = 0;
      int limit = initialLimit;
      for (int i = 0; i < ticks.length; i++) {
        long at = from + (i + 1) * TICK;
        while (next < points.size() && points.get(next).nanos() <= at) {
          limit = points.get(next++).limit();
        }
        ticks[i] = limit;
      }
      return ticks;
    }
  }
}
