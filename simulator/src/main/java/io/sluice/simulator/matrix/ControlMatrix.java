package io.sluice.simulator.matrix;

import io.sluice.simulator.SimulationResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Runs the control matrix: every cell of the grid swept by fixed limits to find its oracle, then
 * guarded by each named limit algorithm with its defaults, each judged against the oracle; writes
 * the report as Markdown (one table per algorithm, worst cells first). Deterministic: every
 * simulation runs single-threaded in virtual time from seed 1, so the report depends on the code
 * alone, whatever the machine and the number of threads.
 *
 * <pre>{@code
 * mvn -B -q -pl simulator -am package -DskipTests -Pcontrol-matrix
 * java -cp ... io.sluice.simulator.matrix.ControlMatrix docs/control-matrix.md --threads 2
 * }</pre>
 *
 * <p>Arguments: the output file (default {@code docs/control-matrix.md}), {@code --threads N}
 * (cells simulated in parallel, default 1), {@code --reduced} (the CI grid only).
 *
 * <p>Not instantiable; {@link #main} is the only entry point.
 */
public final class ControlMatrix {
  static final long SEED = 1;

  private ControlMatrix() {}

  /** One cell's oracle and the verdict of each contender. */
  record CellResult(Cell cell, Oracle oracle, Map<Contender, Verdict> verdicts) {}

  /** Runs the grid and writes the report; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException {
    Path out = Path.of("docs", "control-matrix.md");
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
    List<Cell> cells = reduced ? Grid.reduced() : Grid.full();
    List<CellResult> results = evaluate(cells, List.of(Contender.values()), true, threads,
        r -> System.out.printf(Locale.ROOT, "%-60s oracle %7d  %s%n", r.cell().name(),
            r.oracle().limit, summary(r)));
    String report = markdown(results, reduced);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report, StandardCharsets.UTF_8);
    System.out.printf(Locale.ROOT, "%d cells in %.0f s; report written to %s%n", cells.size(),
        (System.nanoTime() - start) / 1e9, out);
  }

  private static String summary(CellResult r) {
    StringBuilder sb = new StringBuilder();
    r.verdicts().forEach((c, v) -> sb.append(String.format(Locale.ROOT, "%s %s %.2f  ",
        c, v.passed() ? "ok" : "FAIL", v.margin())));
    return sb.toString();
  }

  /**
   * Sweeps and judges every cell, {@code threads} cells at a time, and returns the results in the
   * grid's order; {@code progress} is told of each cell as it completes.
   */
  static List<CellResult> evaluate(List<Cell> cells, List<Contender> contenders, boolean refine,
      int threads, Consumer<CellResult> progress) {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
    try {
      List<Future<CellResult>> futures = new ArrayList<>();
      for (Cell cell : cells) {
        futures.add(pool.submit(() -> {
          CellResult r = evaluate(cell, contenders, refine);
          synchronized (progress) {
            progress.accept(r);
          }
          return r;
        }));
      }
      List<CellResult> results = new ArrayList<>();
      for (Future<CellResult> f : futures) {
        results.add(f.get());
      }
      return results;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** Sweeps one cell and judges each contender on it. */
  static CellResult evaluate(Cell cell, List<Contender> contenders, boolean refine) {
    Oracle oracle = Oracle.sweep(cell, SEED, refine);
    Map<Contender, Verdict> verdicts = new EnumMap<>(Contender.class);
    for (Contender c : contenders) {
      SimulationResult run = cell.simulation(c.factory(), SEED).run();
      verdicts.put(c, Verdict.judge(cell, c, run, oracle));
    }
    return new CellResult(cell, oracle, verdicts);
  }

  /** Returns the report of {@code results} as Markdown. */
  static String markdown(List<CellResult> results, boolean reduced) {
    Contender standard = Contender.ofDefaultLimiter();
    StringBuilder md = new StringBuilder();
    md.append("# Control matrix\n\n");
    md.append("<!-- Generated by io.sluice.simulator.matrix.ControlMatrix; do not edit by hand. "
        + "-->\n\n");
    md.append("Regenerate (about 5 minutes on one core, under 3 with `-Dmatrix.threads=2`):"
        + "\n\n```\n"
        + "mvn -B -q -pl simulator -am package -DskipTests -Pcontrol-matrix "
        + "-Dmatrix.threads=2\n```\n\n");
    md.append(String.format(Locale.ROOT, "%s grid: %d cells, each swept by fixed limits to find "
            + "its oracle (%d simulations in all), then guarded by each algorithm with its "
            + "defaults. Seed %d; every figure is reproducible but the Retry-After hints' (see "
            + "there). How the grid is built, the targets and how to read the tables: [Choosing "
            + "a limit algorithm](algorithms.md#the-control-"
            + "matrix).\n\n", reduced ? "Reduced" : "Full", results.size(),
        results.stream().mapToInt(r -> r.oracle().size() + r.verdicts().size()).sum(), SEED));
    md.append("## Summary\n\n");
    md.append("A cell is served when the algorithm's Javadoc does not rule it out; the targets are "
        + "asserted there. The margin is how far the worst figure lies from its target (above 1: "
        + "met with room).\n\n");
    md.append("| algorithm | cells served | targets met | missed | worst served cell | its worst "
        + "figure | margin | cells not served | of which missed |\n");
    md.append("|---|---:|---:|---:|---|---|---:|---:|---:|\n");
    for (Contender c : Contender.values()) {
      List<Verdict> served = verdicts(results, c, true);
      List<Verdict> all = verdicts(results, c, false);
      if (served.isEmpty()) {
        continue;
      }
      long passed = served.stream().filter(Verdict::passed).count();
      long outside = all.size() - served.size();
      long outsideMissed = all.stream().filter(v -> !c.serves(v.cell) && !v.passed()).count();
      Verdict worst = served.get(0);
      md.append(String.format(Locale.ROOT, "| %s%s | %d | %d | %d | %s | %s | %.2f | %d | %d |\n",
          c.label, c == standard ? " (default)" : "", served.size(), passed,
          served.size() - passed, worst.cell.name(), worst.worst(), worst.margin(), outside,
          outsideMissed));
    }
    md.append("\n");
    retryAfter(md, results, standard);
    for (Contender c : Contender.values()) {
      algorithm(md, results, c, c == standard);
    }
    oracles(md, results);
    return md.toString();
  }

  /** The contender's verdicts, worst first; only the cells it serves when {@code served}. */
  private static List<Verdict> verdicts(List<CellResult> results, Contender c, boolean served) {
    return results.stream().map(r -> r.verdicts().get(c))
        .filter(v -> v != null && (!served || c.serves(v.cell)))
        .sorted(Comparator.comparingDouble(Verdict::margin))
        .toList();
  }

  private static void algorithm(StringBuilder md, List<CellResult> results, Contender c,
      boolean standard) {
    List<Verdict> all = verdicts(results, c, false);
    if (all.isEmpty()) {
      return;
    }
    md.append("## ").append(c.label).append(standard ? " (the default limiter)" : "")
        .append("\n\n");
    md.append("| cell | verdict | goodput / oracle | p99 / oracle | rejected | mean limit "
        + "(oracle) | worst figure |\n");
    md.append("|---|---|---:|---:|---:|---:|---|\n");
    for (Verdict v : all) {
      String verdict = !c.serves(v.cell) ? "not served" : v.passed() ? "met" : "**missed**";
      md.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.2f | %.2f%% | %.1f (%s) | %s |\n",
          v.cell.name(), verdict, v.goodputRatio(), v.p99Ratio(), 100 * v.run.rejectionRatio(),
          v.meanLimit(), limit(v.oracle.limit), v.worst()));
    }
    md.append("\n");
  }

  private static void retryAfter(StringBuilder md, List<CellResult> results, Contender c) {
    md.append("## Retry-After: the hint against the measured truth\n\n");
    md.append("For each refusal by the default limiter (").append(c.label).append("), the truth "
        + "is the time until a request arriving then would have been admitted (the limiter's "
        + "in-flight work below its limit), and the reference is the largest of the truth, the "
        + "median round-trip time of the last second and the limiter's minimum hint ("
        + RetryAfterVerdict.FLOOR.toMillis() + " ms by default): a refused client should come "
        + "back no sooner than the server turns its work in flight over once, and no later than "
        + "needed. The hint is the value a refused client receives, on its refusal's ticket, from "
        + "limiters built without jitter (retryAfterJitter(0); the default jitter of 0.5 would "
        + "multiply it by 1 to 1.5, at random): the value before jitter. These figures alone "
        + "may differ a little from run to run: where refusals come faster than one a "
        + "millisecond or so, the limiter picks the refusals that read the clock by a "
        + "thread-local random draw. Ratios are taken per refusal: 1 is exact, 2 tells clients "
        + "to wait twice as long as needed. Targets, in "
        + "steady overload (constant load of 2x to 10x): hint / reference within "
        + fmt(RetryAfterVerdict.LOW) + " to " + fmt(RetryAfterVerdict.HIGH) + " at the median, "
        + "and hint / truth at the 10th percentile no lower than the jitter reaches (1 / (1 + "
        + fmt(RetryAfterVerdict.JITTER) + ")). Other cells are reported, not judged: an event "
        + "makes the truth jump in a way no estimate made before it can know. Hint / median RTT "
        + "(of the last second, raised to the minimum) below 1 tells clients to come back before "
        + "the work they wait for takes; the median RTT column is that of all admitted work over "
        + "the run. Cells without refusals are left out.\n\n");
    List<RetryAfterVerdict> verdicts = results.stream()
        .map(r -> new RetryAfterVerdict(r.cell(), r.verdicts().get(c).run))
        .filter(v -> v.run().retryAfterSamples() > 0).toList();
    long judged = verdicts.stream().filter(RetryAfterVerdict::judged).count();
    long met = verdicts.stream().filter(v -> v.judged() && v.passed()).count();
    md.append(String.format(Locale.ROOT, "Steady-overload cells: %d; targets met on %d.\n\n",
        judged, met));
    md.append("| cell | refusals | hint p50 | truth p50 | truth p90 | median RTT | hint / "
        + "reference p50 | hint / truth p10 | hint / median RTT p10 | target |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (RetryAfterVerdict v : verdicts) {
      SimulationResult run = v.run();
      String target = !v.judged() ? "not judged" : v.passed() ? "met" : "**missed**: " + v.missed();
      md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n",
          v.cell().name(), run.retryAfterSamples(), millis(run.retryAfterNanos(0.5)),
          millis(run.retryAfterTruthNanos(0.5)), millis(run.retryAfterTruthNanos(0.9)),
          millis(run.latencyNanos(0.5)), ratio(run.retryAfterReferenceRatio(0.5)),
          ratio(run.retryAfterRatio(0.1)), ratio(run.retryAfterMedianRatio(0.1)), target));
    }
    md.append("\n");
  }

  private static String fmt(double x) {
    return x == Math.rint(x) ? String.valueOf((long) x) : String.valueOf(x);
  }

  private static void oracles(StringBuilder md, List<CellResult> results) {
    md.append("## Oracles\n\n");
    md.append("| cell | capacity/s | oracle limit | goodput / capacity | p99 | unprotected "
        + "goodput / capacity | unprotected p99 | limits swept |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (CellResult r : results) {
      Oracle o = r.oracle();
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %.3f | %s | %.3f | %s | %d |\n",
          r.cell().name(), r.cell().capacity(), limit(o.limit), o.best.goodputRatio(),
          millis(r.cell().tail(o.best)), o.unprotected.goodputRatio(),
          millis(r.cell().tail(o.unprotected)), o.size()));
    }
    md.append("\n");
  }

  private static String limit(int limit) {
    return limit == Oracle.UNLIMITED ? "none" : String.valueOf(limit);
  }

  private static String millis(long nanos) {
    double ms = nanos / 1e6;
    return ms >= 100 ? String.format(Locale.ROOT, "%.0f ms", ms)
        : ms >= 1 ? String.format(Locale.ROOT, "%.1f ms", ms)
        : String.format(Locale.ROOT, "%.2f ms", ms);
  }

  private static String ratio(double r) {
    return Double.isNaN(r) ? "-" : r >= 100 ? String.format(Locale.ROOT, "%.0f", r)
        : r >= 10 ? String.format(Locale.ROOT, "%.1f", r)
        : String.format(Locale.ROOT, "%.2f", r);
  }
}
