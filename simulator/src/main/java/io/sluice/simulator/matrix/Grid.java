package io.sluice.simulator.matrix;

import io.sluice.simulator.ServiceTime;
import io.sluice.simulator.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The cells of the control matrix. A full cross product of its axes (13 service-time shapes x 5
 * worker counts x 4 means x 6 loads x 8 arrival patterns and events) would be about 75,000 cells,
 * each swept by a dozen fixed limits: far too many. The grid instead starts from one base cell and
 * varies it along one axis at a time (and the service shape together with the load), then adds each
 * event to the base cell and to the cells where it is known to hurt.
 *
 * <p>The base cell: 8 workers, log-normal service times with a 10 ms mean and sigma 0.5, Poisson
 * open-loop arrivals at 2x capacity, a latency objective of 15 mean service times (150 ms) and a
 * client timeout of 100 (1 s). Objective and timeout scale with the mean everywhere.
 */
final class Grid {
  private static final Duration MS10 = Duration.ofMillis(10);
  private static final ServiceTime BASE_SERVICE = ServiceTime.logNormal(MS10, 0.5);
  private static final int BASE_WORKERS = 8;

  private Grid() {}

  /** Returns every cell of the full grid, the order in which the report lists them. */
  static List<Cell> full() {
    List<Cell> cells = new ArrayList<>();
    for (double load : new double[] {0.25, 0.5, 1, 2, 5, 10}) {
      cells.add(steady("base", "load", BASE_WORKERS, BASE_SERVICE, load));
    }
    for (double sigma : new double[] {0.25, 1.0, 1.5, 2.0}) {
      for (double load : new double[] {0.5, 2, 10}) {
        cells.add(steady("lognormal " + sigma, "service", BASE_WORKERS,
            ServiceTime.logNormal(MS10, sigma), load));
      }
    }
    for (double fraction : new double[] {0.01, 0.02, 0.05}) {
      for (int factor : new int[] {10, 20, 100}) {
        boolean diagonal = fraction == 0.01 && factor == 10 || fraction == 0.02 && factor == 20
            || fraction == 0.05 && factor == 100;
        for (double load : diagonal ? new double[] {0.5, 2, 10} : new double[] {2}) {
          Cell cell = steady(bimodalName(fraction, factor), "service", BASE_WORKERS,
              bimodal(MS10, fraction, factor), load);
          cells.add(fraction <= 0.01 ? cell.withTail(0.98) : cell);
        }
      }
    }
    for (double alpha : new double[] {1.5, 2.5}) {
      for (double load : new double[] {0.5, 2, 10}) {
        cells.add(steady("pareto " + alpha, "service", BASE_WORKERS,
            ServiceTime.pareto(MS10, alpha), load));
      }
    }
    for (int workers : new int[] {1, 4, 32, 256}) {
      for (double load : new double[] {0.5, 2, 10}) {
        cells.add(steady(workers + " workers", "workers", workers, BASE_SERVICE, load));
      }
    }
    for (Duration mean : new Duration[] {Duration.ofMillis(1), Duration.ofMillis(100),
        Duration.ofSeconds(1)}) {
      for (double load : new double[] {0.5, 2, 10}) {
        cells.add(steady("mean " + label(mean), "mean", BASE_WORKERS,
            ServiceTime.logNormal(mean, 0.5), load));
      }
    }
    ServiceTime slow = ServiceTime.logNormal(Duration.ofMillis(50), 0.5);
    for (double load : new double[] {0.5, 2, 10}) {
      cells.add(steady("4 workers of 50 ms", "few slow workers", 4, slow, load));
    }
    for (double load : new double[] {2, 10}) {
      cells.add(tightObjective(steady("4 workers of 50 ms", "few slow workers", 4, slow, load)));
    }
    cells.addAll(events(true));
    return cells;
  }

  /**
   * Returns the reduced grid the CI test runs: the base cell at 0.5x, 2x and 10x, the heavy tail
   * and few slow workers at 0.5x and 2x, a bimodal cell, and one cell of each event but the
   * 30-minute overload on the base backend (kept for the slow-worker backend, which runs faster).
   */
  static List<Cell> reduced() {
    List<Cell> cells = new ArrayList<>();
    for (double load : new double[] {0.5, 2, 10}) {
      cells.add(steady("base", "load", BASE_WORKERS, BASE_SERVICE, load));
    }
    for (double load : new double[] {0.5, 2}) {
      cells.add(steady("lognormal 1.5", "service", BASE_WORKERS,
          ServiceTime.logNormal(MS10, 1.5), load));
    }
    cells.add(steady(bimodalName(0.01, 20), "service", BASE_WORKERS, bimodal(MS10, 0.01, 20), 2)
        .withTail(0.98));
    ServiceTime slow = ServiceTime.logNormal(Duration.ofMillis(50), 0.5);
    cells.add(steady("4 workers of 50 ms", "few slow workers", 4, slow, 0.5));
    cells.add(tightObjective(steady("4 workers of 50 ms", "few slow workers", 4, slow, 2)));
    cells.addAll(events(false));
    return cells;
  }

  /** The event cells; {@code full} adds the variants that the reduced grid leaves out. */
  private static List<Cell> events(boolean full) {
    List<Cell> cells = new ArrayList<>();
    Duration minute = Duration.ofSeconds(60);
    // Capacity halves at 20 s and returns at 40 s, under 2x load.
    UnaryOperator<Simulation.Builder> halves = b -> b
        .workersAt(Duration.ofSeconds(20), BASE_WORKERS / 2)
        .workersAt(Duration.ofSeconds(40), BASE_WORKERS);
    List<Check> recovery = List.of(Check.between(Check.Kind.RECOVERS, 23, 40),
        Check.between(Check.Kind.RECOVERS, 43, 60), Check.of(Check.Kind.NO_COLLAPSE));
    cells.add(new Cell("capacity halves, returns", "event", BASE_WORKERS, BASE_SERVICE, 2,
        minute, Duration.ofSeconds(5), halves, recovery));
    if (full) {
      cells.add(new Cell("capacity halves, returns; lognormal 1.5", "event", BASE_WORKERS,
          ServiceTime.logNormal(MS10, 1.5), 2, minute, Duration.ofSeconds(5), halves, recovery));
    }
    // Few slow workers, 1% of requests 20x longer, capacity halved under 1.5x load.
    Duration slowRun = Duration.ofSeconds(120);
    cells.add(new Cell("capacity halves, returns; 4 workers of 50 ms, 1% 20x", "event", 4,
        bimodal(Duration.ofMillis(50), 0.01, 20), 1.5, slowRun, Duration.ofSeconds(10),
        b -> b.workersAt(Duration.ofSeconds(40), 2).workersAt(Duration.ofSeconds(80), 4),
        List.of(Check.between(Check.Kind.RECOVERS, 43, 80),
            Check.between(Check.Kind.RECOVERS, 83, 120), Check.of(Check.Kind.NO_COLLAPSE)))
        .withTail(0.98));
    // A 1.4x spike for 10 s from 0.7x.
    double base = 0.7;
    cells.add(new Cell("1.4x spike for 10 s", "event", BASE_WORKERS, BASE_SERVICE, base, minute,
        Duration.ofSeconds(5), b -> b.rateAt(Duration.ofSeconds(20), rate(1.4))
            .rateAt(Duration.ofSeconds(30), rate(base)),
        List.of(Check.between(Check.Kind.SETTLES, 21, 30), Check.of(Check.Kind.NO_COLLAPSE))));
    // A 2 s stall at 20 s.
    for (double load : full ? new double[] {0.8, 2} : new double[] {2}) {
      cells.add(new Cell("2 s stall at " + fmt(load) + "x", "event", BASE_WORKERS, BASE_SERVICE,
          load, minute, Duration.ofSeconds(5),
          b -> b.stallAt(Duration.ofSeconds(20), Duration.ofSeconds(2)),
          List.of(Check.between(Check.Kind.RECOVERS, 25, 40), Check.of(Check.Kind.NO_COLLAPSE))));
    }
    // 30 minutes of 2x overload.
    List<Check> longOverload = List.of(Check.of(Check.Kind.OVERLOAD),
        Check.between(Check.Kind.STEADY_LIMIT, 60, 1860), Check.of(Check.Kind.NO_COLLAPSE));
    if (full) {
      cells.add(new Cell("30 min at 2x", "event", BASE_WORKERS, BASE_SERVICE, 2,
          Duration.ofSeconds(1860), Duration.ofSeconds(60), UnaryOperator.identity(),
          longOverload));
    }
    cells.add(new Cell("30 min at 2x; 4 workers of 50 ms", "event", 4,
        ServiceTime.logNormal(Duration.ofMillis(50), 0.5), 2, Duration.ofSeconds(1860),
        Duration.ofSeconds(60), UnaryOperator.identity(), longOverload));
    // 3% of requests 20x slower for reasons unrelated to load.
    for (double load : full ? new double[] {0.5, 2} : new double[] {0.5}) {
      List<Check> checks = load <= 0.5
          ? List.of(Check.of(Check.Kind.FEW_SLOW), Check.of(Check.Kind.NO_COLLAPSE))
          : List.of(Check.of(Check.Kind.OVERLOAD), Check.of(Check.Kind.NO_COLLAPSE));
      cells.add(new Cell("3% slow (20x), " + fmt(load) + "x", "event", BASE_WORKERS,
          ServiceTime.mixture(BASE_SERVICE, ServiceTime.logNormal(Duration.ofMillis(200), 0.5),
              0.03), load, Duration.ofSeconds(35), Duration.ofSeconds(5),
          UnaryOperator.identity(), checks));
    }
    // Low traffic: at most 5 requests per second.
    cells.add(new Cell("low traffic, 5/s", "event", BASE_WORKERS, BASE_SERVICE,
        5 / capacity(BASE_WORKERS, BASE_SERVICE), Duration.ofSeconds(120), Duration.ofSeconds(10),
        UnaryOperator.identity(), List.of(Check.of(Check.Kind.NO_HARM),
            Check.of(Check.Kind.NO_COLLAPSE))));
    if (full) {
      ServiceTime slow400 = ServiceTime.logNormal(Duration.ofMillis(400), 0.3);
      cells.add(new Cell("low traffic, 5/s; 32 workers of 400 ms", "event", 32, slow400,
          5 / capacity(32, slow400), Duration.ofSeconds(180), Duration.ofSeconds(10),
          UnaryOperator.identity(), List.of(Check.of(Check.Kind.NO_HARM),
              Check.of(Check.Kind.NO_COLLAPSE))));
    }
    // A quiet minute at 2 requests/s, then 2x load.
    double quiet = 2 / capacity(BASE_WORKERS, BASE_SERVICE);
    cells.add(new Cell("quiet minute, then 2x", "event", BASE_WORKERS, BASE_SERVICE, quiet,
        Duration.ofSeconds(90), Duration.ofSeconds(5),
        b -> b.rateAt(Duration.ofSeconds(60), rate(2)),
        List.of(Check.between(Check.Kind.RECOVERS, 63, 90), Check.of(Check.Kind.NO_COLLAPSE))));
    // Clients that retry refusals (at most 3 times) and time out, with and without Retry-After.
    for (boolean honour : full ? new boolean[] {true, false} : new boolean[] {false}) {
      String how = honour ? "honouring Retry-After" : "retrying after 10 ms";
      cells.add(new Cell("retrying clients, " + how + ", 2x", "event", BASE_WORKERS,
          BASE_SERVICE, 2, Duration.ofSeconds(35), Duration.ofSeconds(5),
          b -> b.retries(3, MS10, honour),
          List.of(Check.of(Check.Kind.OVERLOAD), Check.of(Check.Kind.NO_COLLAPSE))));
      if (full) {
        cells.add(new Cell("retrying clients, " + how + ", 2 s stall at 1x", "event",
            BASE_WORKERS, BASE_SERVICE, 1, minute, Duration.ofSeconds(5),
            b -> b.retries(3, MS10, honour).stallAt(Duration.ofSeconds(20), Duration.ofSeconds(2)),
            List.of(Check.between(Check.Kind.RECOVERS, 25, 40),
                Check.of(Check.Kind.NO_COLLAPSE))));
      }
    }
    if (full) {
      // Bursty ON/OFF arrivals: 1 s at 3x, 2 s at 0.25x (1.17x on average).
      cells.add(new Cell("bursty on/off (1 s at 3x, 2 s at 0.25x)", "arrivals", BASE_WORKERS,
          BASE_SERVICE, 3, minute, Duration.ofSeconds(5), b -> {
            for (int s = 0; s < 60; s += 3) {
              b.rateAt(Duration.ofSeconds(s + 1), rate(0.25)).rateAt(Duration.ofSeconds(s + 3),
                  rate(3));
            }
            return b;
          }, List.of(Check.of(Check.Kind.NO_COLLAPSE))));
      // A slow ramp from 0.25x to 4x over two minutes.
      cells.add(new Cell("slow ramp 0.25x to 4x over 120 s", "arrivals", BASE_WORKERS,
          BASE_SERVICE, 0.25, Duration.ofSeconds(125), Duration.ofSeconds(5), b -> {
            for (int s = 1; s <= 120; s++) {
              b.rateAt(Duration.ofSeconds(s), rate(0.25 + 3.75 * s / 120.0));
            }
            return b;
          }, List.of(Check.of(Check.Kind.NO_COLLAPSE))));
    }
    return cells;
  }

  /** A cell of steady Poisson load; its checks follow from the load. */
  private static Cell steady(String shape, String group, int workers, ServiceTime service,
      double load) {
    double mean = service.meanNanos();
    // Long enough for a few hundred windows' worth of completions at slow backends.
    double seconds = Math.max(35, 400 * mean * 8 / workers / 1e9);
    double warmup = Math.max(5, seconds / 7);
    List<Check> checks = new ArrayList<>();
    if (load <= 0.5) {
      checks.add(Check.of(Check.Kind.NO_HARM));
    } else if (load >= 2) {
      checks.add(Check.of(Check.Kind.OVERLOAD));
    }
    checks.add(Check.of(Check.Kind.NO_COLLAPSE));
    return new Cell(shape + ", " + fmt(load) + "x", group, workers, service, load,
        Duration.ofMillis((long) (seconds * 1000)), Duration.ofMillis((long) (warmup * 1000)),
        UnaryOperator.identity(), checks);
  }

  /**
   * The cell with a 150 ms objective, 3 mean service times of the slow backend (its own p99 at no
   * load is 2.8): a queue of one request per worker already costs goodput.
   */
  private static Cell tightObjective(Cell cell) {
    return cell.withObjective(cell.name() + ", 150 ms objective", Duration.ofMillis(150));
  }

  /** Per-second rate of the base backend at {@code load} times its capacity. */
  private static double rate(double load) {
    return load * capacity(BASE_WORKERS, BASE_SERVICE);
  }

  private static double capacity(int workers, ServiceTime service) {
    return workers * 1e9 / service.meanNanos();
  }

  /** A fraction of requests {@code factor} times longer than the rest (log-normal, sigma 0.5). */
  static ServiceTime bimodal(Duration common, double fraction, int factor) {
    return ServiceTime.mixture(ServiceTime.logNormal(common, 0.5),
        ServiceTime.logNormal(common.multipliedBy(factor), 0.5), fraction);
  }

  private static String bimodalName(double fraction, int factor) {
    return String.format(Locale.ROOT, "bimodal %.0f%% %dx", 100 * fraction, factor);
  }

  private static String label(Duration d) {
    return d.toMillis() >= 1000 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  static String fmt(double x) {
    return x == Math.rint(x) ? String.valueOf((long) x) : String.valueOf(x);
  }
}
