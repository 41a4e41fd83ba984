package io.sluice.simulator.fleet;

import io.sluice.Limiter;
import io.sluice.limit.VegasLimit;
import io.sluice.simulator.LimiterFactory;
import io.sluice.simulator.ServiceTime;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;

/**
 * Runs the fleet study and writes its report, {@code docs/fleet.md}: N replicas behind a load
 * balancer, each with its own Sluice limiter (the default algorithm) in front of its own workers,
 * judged against the best fixed per-replica limits. Sections: equal replicas (do the limits
 * converge without coordination?), one slow replica, unequal replicas, a downstream every replica
 * shares, and the signals an autoscaler could read as offered load goes from 0.25x to 3x.
 * Deterministic: every simulation runs single-threaded in virtual time from seed 1, so the report
 * depends on the code alone, whatever the machine and the number of threads.
 *
 * <pre>{@code
 * mvn -B -q -pl simulator -am package -DskipTests -Pfleet-study -Dfleet.threads=2
 * }</pre>
 *
 * <p>Arguments: the output file (default {@code docs/fleet.md}), {@code --threads N} (runs in
 * parallel, default 1), {@code --reduced} (the plan CI runs).
 *
 * <p>Not instantiable; {@link #main} is the only entry point.
 */
public final class FleetStudy {
  static final long SEED = 1;
  /** The replicas' own work when they call a downstream: log-normal, 5 ms mean, sigma 0.5. */
  static final ServiceTime LOCAL = ServiceTime.logNormal(Duration.ofMillis(5), 0.5);
  /** One downstream call: log-normal, 5 ms mean, sigma 0.5. */
  static final ServiceTime CALL = ServiceTime.logNormal(Duration.ofMillis(5), 0.5);
  /** The unequal fleet: replicas of 4, 8 and 16 workers (small, medium and large instances). */
  static final int[] UNEQUAL = {4, 4, 8, 8, 8, 8, 16, 16};

  private FleetStudy() {}

  /** What each replica's limiter is. */
  enum Variant {
    /** No limiter: every request is admitted and queues for a worker. */
    NONE("none"),
    /** Sluice's default limiter. */
    SLUICE("Sluice"),
    /** Sluice's default limiter; the balancer sends a refused request to one other replica. */
    SLUICE_RETRY("Sluice + retry");

    final String label;

    Variant(String label) {
      this.label = label;
    }

    LimiterFactory factory() {
      return this == NONE ? FleetOracle.fixed(FleetOracle.UNLIMITED) : defaultLimiter();
    }
  }

  /**
   * What to run: the full study, or the reduced plan of the CI test (fewer setups, shorter runs,
   * coarse oracles).
   */
  record Plan(boolean full, int threads) {
    Duration duration() {
      return Duration.ofSeconds(full ? 40 : 20);
    }

    Duration warmup() {
      return Duration.ofSeconds(full ? 10 : 5);
    }
  }

  /**
   * One setup's adaptive run with its oracle (null where the plan sweeps none) and the
   * convergence of its limits over the whole run.
   */
  record Row(Scenario scenario, Variant variant, FleetOracle oracle, FleetResult run,
      Convergence convergence) {

    /** Returns goodput over the oracle's; NaN without an oracle. */
    double goodputRatio() {
      return oracle == null ? Double.NaN
          : run.goodputPerSecond() / oracle.best.goodputPerSecond();
    }

    /** Returns the p99 over the oracle's; NaN without an oracle. */
    double p99Ratio() {
      return oracle == null ? Double.NaN
          : (double) run.latencyNanos(0.99) / oracle.best.latencyNanos(0.99);
    }

    /** Returns goodput as a share of the fleet's capacity. */
    double goodputOfCapacity() {
      return run.goodputPerSecond() / scenario.capacity();
    }
  }

  /**
   * A run through an event, [from, to): the downstream slows down, then recovers; with the sweep
   * of fixed limits (null where none ran) for the best goodput over each phase.
   */
  record EventRow(Scenario scenario, String limiter, FleetOracle sweep, FleetResult run,
      long fromNanos, long toNanos) {}

  /** One load level of the signals section. */
  record SignalRow(Scenario scenario, FleetResult run) {}

  /** Every section's rows. */
  record Study(Plan plan, List<Row> equal, List<Row> slow, List<Row> unequal,
      List<Row> downstream, List<EventRow> downstreamSlows, List<Row> moreReplicas,
      List<SignalRow> signals) {}

  /** Runs the study and writes the report; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException {
    Path out = Path.of("docs", "fleet.md");
    int threads = 1;
    boolean reduced = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--reduced" -> reduced = true;
        default -> out = Path.of(args[i]);
      }
    }
    long start = System.nanoTime();
    Study study = run(new Plan(!reduced, threads));
    String report = FleetReport.markdown(study);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report, StandardCharsets.UTF_8);
    System.out.printf(Locale.ROOT, "fleet study in %.0f s; report written to %s%n",
        (System.nanoTime() - start) / 1e9, out);
  }

  /** Runs every section of {@code plan}, {@code plan.threads()} runs at a time. */
  static Study run(Plan plan) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, plan.threads()));
    try {
      List<Future<Row>> equal = submit(pool, equalFleets(plan));
      List<Future<Row>> slow = submit(pool, slowReplica(plan));
      List<Future<Row>> unequal = submit(pool, unequalReplicas(plan));
      List<Future<Row>> downstream = submit(pool, sharedDownstream(plan));
      List<Future<EventRow>> slows = submit(pool, downstreamSlows(plan));
      List<Future<Row>> more = submit(pool, moreReplicas(plan));
      List<Future<SignalRow>> signals = submit(pool, signals(plan));
      return new Study(plan, get(equal), get(slow), get(unequal), get(downstream), get(slows),
          get(more), get(signals));
    } finally {
      pool.shutdownNow();
    }
  }

  /** Equal replicas at 2x: N of 2, 8, 32 behind each balancer. */
  static List<Callable<Row>> equalFleets(Plan plan) {
    List<Callable<Row>> tasks = new ArrayList<>();
    int[] sizes = plan.full() ? new int[] {2, 8, 32} : new int[] {8};
    List<Balancer> balancers = plan.full() ? List.of(Balancer.values())
        : List.of(Balancer.ROUND_ROBIN, Balancer.LEAST_OUTSTANDING);
    for (int n : sizes) {
      for (Balancer b : balancers) {
        Scenario s = Scenario.steady(n + " equal", Scenario.equal(n), b, 2)
            .timed(plan.duration(), plan.warmup(), UnaryOperator.identity());
        boolean sweep = plan.full() || b == Balancer.ROUND_ROBIN;
        tasks.add(() -> row(s, Variant.SLUICE, sweep, plan.full()));
      }
    }
    return tasks;
  }

  /** Eight replicas, one at half speed, at 0.8x and 2x of the fleet's capacity. */
  static List<Callable<Row>> slowReplica(Plan plan) {
    List<Replica> fleet = Scenario.equal(8);
    fleet.set(0, fleet.get(0).slowedBy(2));
    List<Callable<Row>> tasks = new ArrayList<>();
    double[] loads = plan.full() ? new double[] {0.8, 2} : new double[] {0.8};
    List<Balancer> balancers = plan.full()
        ? List.of(Balancer.ROUND_ROBIN, Balancer.LEAST_OUTSTANDING, Balancer.TWO_CHOICES)
        : List.of(Balancer.ROUND_ROBIN, Balancer.LEAST_OUTSTANDING);
    for (double load : loads) {
      for (Balancer b : balancers) {
        Scenario s = Scenario.steady("one at half speed", fleet, b, load)
            .timed(plan.duration(), plan.warmup(), UnaryOperator.identity());
        tasks.add(() -> row(s, Variant.NONE, false, false));
        tasks.add(() -> row(s, Variant.SLUICE, plan.full(), true));
        if (plan.full() || b == Balancer.ROUND_ROBIN) {
          tasks.add(() -> row(s.withRetries(1), Variant.SLUICE_RETRY, false, false));
        }
      }
    }
    return tasks;
  }

  /**
   * Replicas of 4, 8 and 16 workers, at 0.8x and 2x of the fleet's capacity, behind balancers
   * that do not know their sizes, and behind round robin and least outstanding weighted by them.
   */
  static List<Callable<Row>> unequalReplicas(Plan plan) {
    List<Replica> fleet = new ArrayList<>();
    for (int w : UNEQUAL) {
      fleet.add(Replica.of(w, Scenario.SERVICE));
    }
    List<Callable<Row>> tasks = new ArrayList<>();
    double[] loads = plan.full() ? new double[] {0.8, 2} : new double[] {2};
    for (double load : loads) {
      for (Balancer b : List.of(Balancer.ROUND_ROBIN, Balancer.LEAST_OUTSTANDING,
          Balancer.TWO_CHOICES)) {
        Scenario s = Scenario.steady("4/8/16 workers", fleet, b, load)
            .timed(plan.duration(), plan.warmup(), UnaryOperator.identity());
        tasks.add(() -> row(s, Variant.SLUICE, plan.full(), true));
        if (plan.full()) {
          tasks.add(() -> row(s.withRetries(1), Variant.SLUICE_RETRY, false, false));
        }
        if (b != Balancer.TWO_CHOICES) {
          tasks.add(() -> row(s.weightedByCapacity(), Variant.SLUICE, plan.full(), true));
        }
      }
    }
    return tasks;
  }

  /**
   * N replicas calling one downstream that serves half what they do, at 2x its capacity, behind
   * round robin; long runs, since the shares at the downstream move slowly.
   */
  static List<Callable<Row>> sharedDownstream(Plan plan) {
    List<Callable<Row>> tasks = new ArrayList<>();
    int[] sizes = plan.full() ? new int[] {2, 8, 32} : new int[] {8};
    for (int n : sizes) {
      Scenario s = downstreamFleet(n, new Downstream(2 * n, CALL), 2)
          .timed(Duration.ofSeconds(plan.full() ? 120 : 30),
              Duration.ofSeconds(plan.full() ? 20 : 10), UnaryOperator.identity());
      tasks.add(() -> row(s, Variant.SLUICE, true, plan.full()));
    }
    return tasks;
  }

  /**
   * Eight replicas and a downstream that serves as much as they do, at 0.8x; the downstream runs
   * 4x slower (a quarter of its capacity) for a minute (30 s in the reduced plan), then recovers.
   * Run with the default limiter, and with its baseline re-measured every 5 s instead of 30 s.
   */
  static List<Callable<EventRow>> downstreamSlows(Plan plan) {
    long from = Duration.ofSeconds(plan.full() ? 30 : 20).toNanos();
    long to = Duration.ofSeconds(plan.full() ? 90 : 50).toNanos();
    Scenario s = downstreamFleet(8, new Downstream(32, CALL), 0.8)
        .timed(Duration.ofSeconds(plan.full() ? 120 : 70), Duration.ofSeconds(10),
            b -> b.downstreamSlowdownAt(Duration.ofNanos(from), 4)
                .downstreamSlowdownAt(Duration.ofNanos(to), 1));
    LimiterFactory quickProbe = (clock, listener) -> Limiter.newBuilder().clock(clock)
        .listener(listener)
        .algorithm(VegasLimit.newBuilder().probeInterval(Duration.ofSeconds(5))).build();
    return List.of(
        () -> new EventRow(s, "default",
            plan.full() ? FleetOracle.sweep(s, SEED, false) : null,
            s.simulation(i -> Variant.SLUICE.factory(), SEED).run(), from, to),
        () -> new EventRow(s, "VegasLimit, probeInterval 5 s", null,
            s.simulation(i -> quickProbe, SEED).run(), from, to));
  }

  /**
   * More and more replicas in front of the same downstream, at the same offered load (twice what
   * the downstream serves): what scaling out does when the downstream is the bottleneck.
   */
  static List<Callable<Row>> moreReplicas(Plan plan) {
    List<Callable<Row>> tasks = new ArrayList<>();
    int[] sizes = plan.full() ? new int[] {8, 16, 32} : new int[] {8, 32};
    for (int n : sizes) {
      Scenario s = downstreamFleet(n, new Downstream(16, CALL), 2)
          .timed(Duration.ofSeconds(plan.full() ? 60 : 30), Duration.ofSeconds(10),
              UnaryOperator.identity());
      tasks.add(() -> row(s, Variant.SLUICE, false, false));
    }
    return tasks;
  }

  /** Eight equal replicas from 0.25x to 3x of their capacity, behind each balancer. */
  static List<Callable<SignalRow>> signals(Plan plan) {
    List<Callable<SignalRow>> tasks = new ArrayList<>();
    double[] loads = plan.full()
        ? new double[] {0.25, 0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2, 2.5, 3}
        : new double[] {0.5, 1.25, 2, 3};
    List<Balancer> balancers = plan.full()
        ? List.of(Balancer.ROUND_ROBIN, Balancer.LEAST_OUTSTANDING, Balancer.TWO_CHOICES)
        : List.of(Balancer.ROUND_ROBIN, Balancer.LEAST_OUTSTANDING);
    for (Balancer b : balancers) {
      for (double load : loads) {
        if (!plan.full() && b != Balancer.ROUND_ROBIN && load != 2) {
          continue;
        }
        Scenario s = Scenario.steady("8 equal", Scenario.equal(8), b, load)
            .timed(Duration.ofSeconds(40), Duration.ofSeconds(10), UnaryOperator.identity());
        tasks.add(() -> new SignalRow(s, s.simulation(i -> Variant.SLUICE.factory(), SEED).run()));
      }
    }
    return tasks;
  }

  /** N replicas of 8 workers doing 5 ms of their own work, then one call to {@code d}. */
  static Scenario downstreamFleet(int n, Downstream d, double load) {
    List<Replica> fleet = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fleet.add(Replica.of(Scenario.WORKERS, LOCAL));
    }
    return Scenario.steady(n + " calling one downstream", fleet, Balancer.ROUND_ROBIN, load)
        .with(d);
  }

  /** Runs {@code s} with {@code variant}, after sweeping its oracle when asked. */
  static Row row(Scenario s, Variant variant, boolean sweep, boolean refine) {
    FleetOracle oracle = sweep ? FleetOracle.sweep(s, SEED, refine) : null;
    FleetResult run = s.simulation(i -> variant.factory(), SEED).run();
    Convergence c = Convergence.of(run, 0, s.duration().toNanos());
    return new Row(s, variant, oracle, run, c);
  }

  /** Returns a factory of Sluice's default limiter, as a user builds it. */
  static LimiterFactory defaultLimiter() {
    return (clock, listener) -> Limiter.newBuilder().clock(clock).listener(listener).build();
  }

  /** Returns the name of the default limiter's algorithm, e.g. {@code VegasLimit}. */
  static String defaultAlgorithm() {
    String limiter = Limiter.newBuilder().build().toString();
    int at = limiter.indexOf("algorithm=");
    if (at < 0) {
      return "the default algorithm";
    }
    int end = limiter.indexOf('[', at);
    return limiter.substring(at + "algorithm=".length(), end < 0 ? limiter.length() : end);
  }

  private static <T> List<Future<T>> submit(ExecutorService pool, List<Callable<T>> tasks) {
    List<Future<T>> futures = new ArrayList<>();
    for (Callable<T> t : tasks) {
      futures.add(pool.submit(t));
    }
    return futures;
  }

  private static <T> List<T> get(List<Future<T>> futures) {
    List<T> results = new ArrayList<>();
    try {
      for (Future<T> f : futures) {
        results.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    return results;
  }
}
