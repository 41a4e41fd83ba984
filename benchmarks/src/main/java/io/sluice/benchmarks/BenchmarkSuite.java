package io.sluice.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The publishable run: every JMH benchmark of {@link #SECTIONS} at 1 and 2 threads (and at as many
 * threads as there are cores, when there are more than two) with the GC profiler, then the
 * {@link MacroBenchmark}; writes the JMH JSON of each thread count, {@code macro.md} and
 * {@code RESULTS.md} (machine, JDK, date, settings and the tables) to the output directory.
 *
 * <p>{@code benchmarks/run.sh} builds the jar and runs this class. Arguments:
 * {@code [--quick] [--out DIR] [--commit ID]}. {@code --quick} runs one fork of two 200 ms
 * iterations after one 200 ms warm-up and shortens the macro benchmark: minutes instead of a
 * quarter of an hour, to check the pipeline, never to publish.
 */
public final class BenchmarkSuite {

  /**
   * A benchmark of the suite, its title in the results and the contender every other one is
   * divided by (none when the figures stand alone). {@code method} names the {@code @Benchmark}
   * method, or is null when the class has only one. The class's mode and unit are in its
   * annotations; its contenders are a {@code @Param contender} (a nested enum {@code Contender})
   * or a {@code @Param implementation} (the shared {@link Implementation}); the smoke test expects a
   * result for every constant.
   */
  record Section(Class<?> benchmark, String method, String title, String ratioTo) {
    Section(Class<?> benchmark, String title, String ratioTo) {
      this(benchmark, null, title, ratioTo);
    }

    /** Whether a measurement belongs to this section. */
    boolean covers(Measurement m) {
      String prefix = benchmark.getSimpleName() + ".";
      return method == null ? m.benchmark().startsWith(prefix) : m.benchmark().equals(prefix + method);
    }

    /** The name of the section's results: the class, or the class and method. */
    String key() {
      return benchmark.getSimpleName() + (method == null ? "" : "." + method);
    }
  }

  /** The suite, in table order. Add a section here and its table appears in the results. */
  static final List<Section> SECTIONS = List.of(
      new Section(AdmitBenchmark.class,
          "Admit round trip (acquire, then complete with SUCCESS)", "FLOOR"),
      new Section(RejectBenchmark.class,
          "Reject path (acquire at the limit; Sluice also reads the reason and Retry-After)", null),
      new Section(ExecutorBenchmark.class, "submitToCompletion",
          "Executor: submit to completion below capacity, one task at a time (throughput; higher"
              + " is better)", "BARE_EXECUTOR"),
      new Section(ExecutorBenchmark.class, "submitBatchToCompletion",
          "Executor: submit to completion below capacity, " + ExecutorBenchmark.BATCH
              + " tasks at a time (throughput per task; higher is better)", "BARE_EXECUTOR"),
      new Section(ExecutorRejectBenchmark.class,
          "Executor: a rejected submit under overload", null),
      new Section(RateLimiterBenchmark.class, "admit",
          "Rate limiter: an admission", "RESILIENCE4J"),
      new Section(RateLimiterBenchmark.class, "reject",
          "Rate limiter: a refusal with its exact Retry-After", "RESILIENCE4J"),
      new Section(RateLimiterBenchmark.class, "admitPerKey",
          "Rate limiter: an admission of one key among many", "RESILIENCE4J"),
      new Section(CircuitBreakerBenchmark.class, "closedRoundTrip",
          "Circuit breaker: a call while closed (acquire, then success)", "RESILIENCE4J"),
      new Section(CircuitBreakerBenchmark.class, "openReject",
          "Circuit breaker: a call refused while open", "RESILIENCE4J"));

  /** One benchmark result: a contender's score at one thread count, with its allocation. */
  record Measurement(String benchmark, String contender, int threads, double score, double error,
      String unit, double bytesPerOp) {}

  private final boolean quick;
  private final Path out;
  private final String commit;

  private BenchmarkSuite(boolean quick, Path out, String commit) {
    this.quick = quick;
    this.out = out;
    this.commit = commit;
  }

  /** Runs the suite; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException, RunnerException {
    boolean quick = false;
    Path out = null;
    String commit = "unknown";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--out" -> out = Path.of(args[++i]);
        case "--commit" -> commit = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + "; usage: BenchmarkSuite [--quick] [--out DIR] [--commit ID]");
      }
    }
    if (out == null) {
      out = quick ? Path.of("benchmarks", "target", "quick-results")
          : Path.of("benchmarks", "results");
    }
    new BenchmarkSuite(quick, out, commit).run();
  }

  private void run() throws IOException, RunnerException {
    Files.createDirectories(out);
    int cores = Runtime.getRuntime().availableProcessors();
    List<Measurement> measurements = new ArrayList<>();
    BenchmarkParams anyParams = null;
    // Two cores or fewer: -t max is the 2-thread run.
    for (int threads : cores > 2 ? List.of(1, 2, cores) : List.of(1, 2)) {
      String name = threads > 2 ? "max" : Integer.toString(threads);
      Collection<RunResult> results = new Runner(options(threads)
          .result(out.resolve("jmh-threads-" + name + ".json").toString())
          .build()).run();
      for (RunResult r : results) {
        measurements.add(measurement(r));
        anyParams = r.getParams();
      }
    }
    String macro = MacroBenchmark.run(quick);
    Files.writeString(out.resolve("macro.md"), macro);

    StringBuilder md = new StringBuilder();
    md.append("# Sluice benchmark results\n\n");
    if (quick) {
      md.append("**QUICK RUN: one short fork per benchmark, to check the pipeline. These figures"
          + " are not results.**\n\n");
    }
    md.append(environment(anyParams, cores));
    for (Section section : SECTIONS) {
      md.append("\n## ").append(section.title()).append("\n\n");
      md.append(table(section, measurements));
    }
    md.append("\n## Macro benchmark (simulated overload)\n\n").append(macro);
    Files.writeString(out.resolve("RESULTS.md"), md.toString());
    System.out.println();
    System.out.println(md);
    System.out.println("Wrote " + out.toAbsolutePath());
  }

  private ChainedOptionsBuilder options(int threads) {
    ChainedOptionsBuilder options = new OptionsBuilder()
        .threads(threads)
        .addProfiler(GCProfiler.class)
        .resultFormat(ResultFormatType.JSON)
        .shouldFailOnError(true);
    for (Section section : SECTIONS) {
      options.include(section.benchmark().getName() + "\\.");
    }
    if (quick) {
      return options.forks(1)
          .warmupIterations(1).warmupTime(TimeValue.milliseconds(200))
          .measurementIterations(2).measurementTime(TimeValue.milliseconds(200));
    }
    return options.forks(2)
        .warmupIterations(3).warmupTime(TimeValue.seconds(1))
        .measurementIterations(5).measurementTime(TimeValue.seconds(1));
  }

  static Measurement measurement(RunResult r) {
    BenchmarkParams p = r.getParams();
    String benchmark = p.getBenchmark();
    String className = benchmark.substring(0, benchmark.lastIndexOf('.'));
    Result<?> primary = r.getPrimaryResult();
    Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
    String contender = p.getParam("contender") != null ? p.getParam("contender")
        : p.getParam("implementation");
    return new Measurement(benchmark.substring(className.lastIndexOf('.') + 1),
        contender, p.getThreads(), primary.getScore(), primary.getScoreError(),
        primary.getScoreUnit(), alloc == null ? Double.NaN : alloc.getScore());
  }

  /**
   * Renders one section as a markdown table: a row per contender (in the order measured), and for
   * each thread count the score with its 99.9% confidence half-width, the ratio to the section's
   * reference contender at the same thread count, and bytes allocated per operation.
   */
  static String table(Section section, List<Measurement> all) {
    List<Measurement> mine = all.stream().filter(section::covers).toList();
    if (mine.isEmpty()) {
      return "(not run)\n";
    }
    TreeSet<Integer> threadCounts = new TreeSet<>();
    List<String> contenders = new ArrayList<>();
    for (Measurement m : mine) {
      threadCounts.add(m.threads());
      if (!contenders.contains(m.contender())) {
        contenders.add(m.contender());
      }
    }
    String unit = mine.get(0).unit();
    StringBuilder header = new StringBuilder("| contender |");
    StringBuilder rule = new StringBuilder("|---|");
    for (int threads : threadCounts) {
      String t = threads == 1 ? "1 thread" : threads + " threads";
      header.append(' ').append(t).append(", ").append(unit).append(" |");
      rule.append("---:|");
      if (section.ratioTo() != null) {
        header.append(" x ").append(section.ratioTo().toLowerCase(Locale.ROOT)).append(" |");
        rule.append("---:|");
      }
      header.append(" B/op |");
      rule.append("---:|");
    }
    StringBuilder md = new StringBuilder().append(header).append('\n').append(rule).append('\n');
    for (String contender : contenders) {
      md.append("| ").append(contender).append(" |");
      for (int threads : threadCounts) {
        Optional<Measurement> m = find(mine, contender, threads);
        Optional<Measurement> ref = section.ratioTo() == null ? Optional.empty()
            : find(mine, section.ratioTo(), threads);
        md.append(' ').append(m.map(BenchmarkSuite::score).orElse("-")).append(" |");
        if (section.ratioTo() != null) {
          md.append(' ').append(m.isPresent() && ref.isPresent()
              ? String.format(Locale.ROOT, "%.2f", m.get().score() / ref.get().score())
              : "-").append(" |");
        }
        md.append(' ').append(m.map(BenchmarkSuite::bytes).orElse("-")).append(" |");
      }
      md.append('\n');
    }
    return md.toString();
  }

  private static Optional<Measurement> find(List<Measurement> in, String contender, int threads) {
    return in.stream()
        .filter(m -> m.contender().equals(contender) && m.threads() == threads)
        .findFirst();
  }

  private static String score(Measurement m) {
    return Double.isNaN(m.error())
        ? String.format(Locale.ROOT, "%.1f", m.score())
        : String.format(Locale.ROOT, "%.1f ± %.1f", m.score(), m.error());
  }

  /** Bytes per operation to the nearest byte; the GC profiler reports ~1e-4 for none at all. */
  private static String bytes(Measurement m) {
    return Double.isNaN(m.bytesPerOp()) ? "-" : String.format(Locale.ROOT, "%.0f", m.bytesPerOp());
  }

  private String environment(BenchmarkParams params, int cores) {
    String jdk = params == null ? System.getProperty("java.runtime.version")
        : params.getVmName() + " " + params.getVmVersion() + " (JDK " + params.getJdkVersion() + ")";
    String settings = quick
        ? "1 fork, 1 warm-up iteration of 200 ms, 2 measured iterations of 200 ms"
        : "2 forks, 3 warm-up iterations of 1 s, 5 measured iterations of 1 s";
    return String.format(Locale.ROOT, """
        | | |
        |---|---|
        | date | %s |
        | commit | %s |
        | machine | %d cores, %s, %s %s |
        | JDK | %s |
        | JMH | %s; each benchmark in the mode its class declares (average time: per operation, per thread); %s; `-prof gc` |
        | command | `benchmarks/run.sh%s` |
        """,
        ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
        commit, cores, cpuModel(), System.getProperty("os.name"), System.getProperty("os.arch"),
        jdk, params == null ? "1.37" : params.getJmhVersion(), settings, quick ? " --quick" : "");
  }

  /** Returns the CPU model from /proc/cpuinfo, or "CPU model unknown" where there is none. */
  static String cpuModel() {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (!Files.isReadable(cpuinfo)) {
      return "CPU model unknown";
    }
    try (Stream<String> lines = Files.lines(cpuinfo)) {
      return lines.filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst().orElse("CPU model unknown");
    } catch (IOException e) {
      return "CPU model unknown";
    }
  }
}
