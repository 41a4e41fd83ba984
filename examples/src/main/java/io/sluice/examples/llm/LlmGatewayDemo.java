package io.sluice.examples.llm;

import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.examples.http.Checks;
import io.sluice.examples.http.DaemonThreads;
import io.sluice.examples.llm.LlmGateway.Protection;
import io.sluice.examples.llm.LlmLoadGenerator.Sample;
import io.sluice.examples.llm.LlmLoadGenerator.TenantLoad;
import io.sluice.limit.AimdLimit;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The LLM gateway demo: the same OpenAI-compatible gateway in front of the same simulated model,
 * first {@linkplain Protection#NONE unprotected}, then with a {@linkplain Protection#REQUEST_LIMIT
 * plain limit on requests in flight}, then {@linkplain Protection#SLUICE protected by Sluice}
 * (token-weighted admission, the latency sample at the first token, fair shares per API key),
 * each driven open-loop at 0.5x, 1x, 3x and 10x the model's capacity by many API keys, one of
 * which floods. It prints the model's capacity sweep, the time to first token without load, one
 * table per gateway and whether Sluice met its targets, and writes a chart
 * ({@code sluice-llm-demo.html} beside the jar). About two minutes on two cores.
 *
 * <pre>
 * java -cp examples/target/sluice-demo.jar io.sluice.examples.llm.LlmGatewayDemo
 * </pre>
 *
 * <p>Options (all optional): {@code --level-seconds S} (default 5), {@code --objective-ms MS}
 * (the TTFT objective of goodput, 1000), {@code --light-keys N} (9), {@code --seed N},
 * {@code --chart FILE}, {@code --gateways LIST} (which gateways run, comma-separated of {@code
 * none}, {@code request-limit}, {@code sluice}; all by default: one alone runs in a third of the
 * time, for iterating).
 */
public final class LlmGatewayDemo {
  private static final double[] LOADS = {0.5, 1, 3, 10};
  /** The share of the model's capacity the light keys ask for together, from 1x on. */
  static final double LIGHT_SHARE = 0.6;
  private static final Duration CLIENT_TTFT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration MAX_DRAIN = Duration.ofSeconds(10);
  private static final long BUCKET_NANOS = 1_000_000_000L;
  /** Enough for a p99 that is not the maximum of a few requests (one scheduling hiccup). */
  private static final int NO_LOAD_REQUESTS = 200;
  /** Virtual seconds per point of the capacity sweep. */
  private static final int SWEEP_SECONDS = 120;

  /**
   * The demo's settings.
   *
   * @param levelSeconds how long each load level lasts
   * @param objective the TTFT within which a stream's tokens count as goodput
   * @param lightKeys the number of well-behaved API keys (one more floods)
   * @param seed the seed of the requests (the same for every gateway)
   * @param chart where the HTML chart is written
   * @param gateways the gateways that run, in the order of {@link Protection}
   */
  public record Settings(double levelSeconds, Duration objective, int lightKeys, long seed,
      Path chart, Set<Protection> gateways) {
    /** Checks the ranges. */
    public Settings {
      Checks.inRange("levelSeconds", levelSeconds, 0.5, 600);
      Checks.inRange("objective", objective, Duration.ofMillis(10), Duration.ofMinutes(1));
      Checks.inRange("lightKeys", lightKeys, 1, 1000);
      Checks.notNull("chart", chart);
      if (Checks.notNull("gateways", gateways).isEmpty()) {
        throw new IllegalArgumentException("gateways must name at least one gateway");
      }
      gateways = Collections.unmodifiableSet(EnumSet.copyOf(gateways));
    }

    /** Parses command-line options over the defaults. */
    public static Settings parse(String... args) {
      double levelSeconds = 5;
      long objectiveMillis = 1000;
      int lightKeys = 9;
      long seed = 42;
      Path chart = defaultChart();
      Set<Protection> gateways = EnumSet.allOf(Protection.class);
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + option + " needs a value");
        }
        String value = args[++i];
        switch (option) {
          case "--level-seconds":
            levelSeconds = Double.parseDouble(value);
            break;
          case "--objective-ms":
            objectiveMillis = Long.parseLong(value);
            break;
          case "--light-keys":
            lightKeys = Integer.parseInt(value);
            break;
          case "--seed":
            seed = Long.parseLong(value);
            break;
          case "--chart":
            chart = Path.of(value);
            break;
          case "--gateways":
            gateways = EnumSet.noneOf(Protection.class);
            for (String name : value.split(",", -1)) {
              gateways.add(Protection.valueOf(name.trim().replace('-', '_')
                  .toUpperCase(Locale.ROOT)));
            }
            break;
          default:
            throw new IllegalArgumentException("unknown option " + option + "; known: "
                + "--level-seconds, --objective-ms, --light-keys, --seed, --chart, --gateways");
        }
      }
      return new Settings(levelSeconds, Duration.ofMillis(objectiveMillis), lightKeys, seed,
          chart, gateways);
    }

    private static Path defaultChart() {
      Path fallback = Path.of("sluice-llm-demo.html");
      CodeSource source = LlmGatewayDemo.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return fallback;
      }
      try {
        Path dir = Path.of(source.getLocation().toURI()).getParent();
        return dir == null ? fallback : dir.resolve(fallback);
      } catch (URISyntaxException | IllegalArgumentException e) {
        return fallback;
      }
    }
  }

  /**
   * What the demo measured.
   *
   * @param capacity the model's capacity, answer tokens per second (the sweep's best)
   * @param requestLimit the plain request limit used: the sweep's smallest concurrency within 5%
   *     of capacity
   * @param noLoadTtftP50Millis the median TTFT of requests sent one at a time over HTTP
   * @param noLoadTtftP99Millis the 99th percentile of the same
   * @param levels one report per level, by protection
   * @param targets the Sluice targets, each with its verdict
   * @param chart the chart written
   */
  public record Result(double capacity, int requestLimit, double noLoadTtftP50Millis,
      double noLoadTtftP99Millis, Map<Protection, List<LlmLevelReport>> levels,
      List<String> targets, Path chart) {}

  private final Settings settings;
  private final PrintStream out;
  private final ModelConfig modelConfig = ModelConfig.standard();
  private final Workload workload = Workload.standard();
  /** The gateway's own p99 refusal time (ms) by protection and level, from its phases. */
  private final Map<String, Double> serverRefusals = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("llm-demo-sampler-"));

  private LlmGatewayDemo(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Runs the demo with the given options; prints to standard output. */
  public static void main(String[] args) throws Exception {
    if (System.getProperty("jdk.httpclient.connectionPoolSize") == null) {
      System.setProperty("jdk.httpclient.connectionPoolSize", "64");
    }
    run(Settings.parse(args), System.out);
  }

  /** Runs the demo and prints its report to {@code out}; returns what it measured. */
  public static Result run(Settings settings, PrintStream out)
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    LlmGatewayDemo demo = new LlmGatewayDemo(settings, out);
    try {
      return demo.run();
    } finally {
      demo.sampler.shutdownNow();
    }
  }

  private Result run()
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    long start = System.nanoTime();
    out.printf(Locale.ROOT, "Sluice LLM gateway demo: an OpenAI-compatible gateway over a "
        + "simulated model, unprotected, with a request limit, then protected by Sluice.%n");
    out.printf(Locale.ROOT, "Machine: %d cores, Java %s, load average %.2f at start.%n",
        Runtime.getRuntime().availableProcessors(), Runtime.version(), loadAverage());
    out.printf(Locale.ROOT, "Model: continuous batching, steps of %d ms + %.1f ms per sequence, "
        + "prefill %d us per prompt token, KV cache %d tokens;%n       answers log-normal, "
        + "median %.0f tokens (sigma %.1f); prompts log-normal, median %.0f tokens (sigma %.1f), "
        + "%.0f%% code; max_tokens 128/256/512.%n",
        modelConfig.stepBase().toMillis(), modelConfig.stepPerSequence().toNanos() / 1e6,
        modelConfig.prefillPerToken().toNanos() / 1000, modelConfig.kvCacheTokens(),
        modelConfig.outputMedian(), modelConfig.outputSigma(), workload.promptMedian(),
        workload.promptSigma(), 100 * workload.codeShare());

    List<CapacitySweep.Point> sweep = CapacitySweep.run(modelConfig, workload,
        new int[] {1, 16, 32, 40, 48, 64, 128}, Duration.ofSeconds(20),
        Duration.ofSeconds(SWEEP_SECONDS), settings.seed());
    double capacity = CapacitySweep.best(sweep).tokensPerSecond();
    int requestLimit = sweep.stream().filter(p -> p.tokensPerSecond() >= 0.95 * capacity)
        .mapToInt(CapacitySweep.Point::concurrency).min().orElse(32);
    out.printf("%nCapacity sweep (virtual time, closed loop, %d s per point):%n%s", SWEEP_SECONDS,
        sweepTable(sweep));
    double meanAnswer = meanAnswerTokens();
    out.printf(Locale.ROOT, "Capacity: %.0f answer tokens/s; mean answer %.1f tokens, so 1x is "
        + "%.1f requests/s.%n", capacity, meanAnswer, capacity / meanAnswer);

    warmUpJit(capacity / meanAnswer);
    double[] noLoad = noLoadTtftMillis();
    // The limit holds TTFT at its p95 under 1.5x the no-load p99, so that the p99 stays within
    // the 2x target: the no-load p99 is the model's own prefill (the model alone has the same
    // p99), and what the limit adds beyond it is time queued in the model.
    Duration limiterTarget = Duration.ofNanos((long) (1.5 * noLoad[1] * 1e6));
    out.printf(Locale.ROOT, "Time to first token without load (%d requests one at a time over "
        + "HTTP, max_tokens 1): p50 %.1f ms, p99 %.1f ms (the model alone: p99 %.1f ms).%n",
        NO_LOAD_REQUESTS, noLoad[0], noLoad[1], CapacitySweep.noLoadTtftMillis(modelConfig,
            workload, 10_000, 0.99, settings.seed()));
    out.printf(Locale.ROOT, "Load: open loop (Poisson), %.0f s per level; %d light API keys ask "
        + "for %.0f%% of capacity together (half that at 0.5x), one key floods with the rest;%n"
        + "      clients stream, give up after %d s without a first token; good: first token "
        + "within %d ms.%n%n", settings.levelSeconds(), settings.lightKeys(),
        100 * LIGHT_SHARE, CLIENT_TTFT_TIMEOUT.toSeconds(), settings.objective().toMillis());

    Map<Protection, List<LlmLevelReport>> levels = new EnumMap<>(Protection.class);
    Map<Protection, LlmTimeline> timelines = new EnumMap<>(Protection.class);
    for (Protection protection : settings.gateways()) {
      out.println(describe(protection, requestLimit, limiterTarget));
      LlmTimeline timeline = new LlmTimeline(protection.name(), settings.lightKeys());
      levels.put(protection, drive(protection, requestLimit, limiterTarget, capacity,
          meanAnswer, timeline));
      timelines.put(protection, timeline);
      out.println();
    }

    Map<String, Double> sluiceRefusals = new HashMap<>();
    for (double load : LOADS) {
      sluiceRefusals.put(label(load), serverRefusals.get(Protection.SLUICE.name() + load));
    }
    List<String> targets = LlmTargets.of(levels.getOrDefault(Protection.SLUICE, List.of()),
        noLoad[1], sluiceRefusals);
    String notes = legend();
    out.printf("Sluice's targets at 3x and 10x:%n");
    targets.forEach(t -> out.println("  " + t));
    out.printf("%n%s", notes);
    StringBuilder tables = new StringBuilder();
    for (Protection p : settings.gateways()) {
      tables.append(describe(p, requestLimit, limiterTarget)).append('\n')
          .append(LlmLevelReport.table(levels.get(p))).append('\n');
    }
    tables.append("Sluice's targets at 3x and 10x:\n");
    targets.forEach(t -> tables.append("  ").append(t).append('\n'));
    tables.append('\n').append(notes);
    List<LlmChart.Column> columns = new ArrayList<>();
    for (Protection p : settings.gateways()) {
      LlmTimeline t = timelines.get(p);
      columns.add(new LlmChart.Column(title(p), t.points(BUCKET_NANOS,
          settings.objective().toNanos()), t.bands(), t.lengthSeconds()));
    }
    LlmChart.write(settings.chart(), "Sluice LLM gateway demo", String.format(Locale.ROOT,
        "Simulated model: %.0f answer tokens/s, KV cache %d tokens; open-loop streaming load at "
        + "0.5x, 1x, 3x, 10x for %.0f s each; %d light keys and one flooding key; good = first "
        + "token within %d ms.", capacity, modelConfig.kvCacheTokens(), settings.levelSeconds(),
        settings.lightKeys(), settings.objective().toMillis()), columns, capacity,
        modelConfig.kvCacheTokens(), settings.objective().toMillis(), noLoad[1],
        tables.toString());
    out.printf(Locale.ROOT, "%nChart: %s%nTook %.0f s; load average %.2f at the end.%n",
        settings.chart().toAbsolutePath(), (System.nanoTime() - start) / 1e9, loadAverage());
    return new Result(capacity, requestLimit, noLoad[0], noLoad[1], levels, targets,
        settings.chart());
  }

  private static String title(Protection p) {
    switch (p) {
      case NONE:
        return "Unprotected";
      case REQUEST_LIMIT:
        return "Plain request limit";
      default:
        return "Sluice: tokens, TTFT, fair shares";
    }
  }

  private String describe(Protection p, int requestLimit, Duration target) {
    switch (p) {
      case NONE:
        return "Unprotected: every request goes to the model, which queues what its KV cache "
            + "cannot hold.";
      case REQUEST_LIMIT:
        return "Plain request limit: at most " + requestLimit + " requests in flight (the "
            + "sweep's smallest concurrency within 5% of capacity), 503 beyond.";
      default:
        return String.format(Locale.ROOT, "Sluice: cost = estimated prompt + max_tokens in units "
            + "of 16 tokens; AIMD held at TTFT p95 <= %.0f ms (1.5x the no-load p99), sampled at "
            + "the first token; FairShare per API key, reserve 0.2.", target.toNanos() / 1e6);
    }
  }

  /**
   * Drives one gateway through every level, back to back (a level starts when the previous one's
   * arrivals stop, while its streams still run); returns one report per level.
   */
  private List<LlmLevelReport> drive(Protection protection, int requestLimit,
      Duration limiterTarget, double capacity, double meanAnswer, LlmTimeline timeline)
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    List<LlmLevelReport> reports = new ArrayList<>();
    try (SimulatedModel model = SimulatedModel.start(modelConfig);
        LlmGateway gateway = gateway(model, protection, requestLimit, limiterTarget);
        LlmLoadGenerator load = generator(gateway)) {
      Limiter limiter = gateway.limiter();
      int unit = protection == Protection.SLUICE ? gateway.tokensPerUnit() : -1;
      ScheduledFuture<?> sampling = sampler.scheduleAtFixedRate(() -> timeline.gauge(
          model.kvUsed(), model.waiting(), unit < 0 || limiter == null ? -1
              : (long) limiter.limit() * unit), 0, 250, TimeUnit.MILLISECONDS);
      long levelNanos = (long) (settings.levelSeconds() * 1e9);
      long[] starts = new long[LOADS.length + 1];
      String[] phases = new String[LOADS.length];
      List<CompletableFuture<List<Sample>>> runs = new ArrayList<>();
      try {
        long origin = System.nanoTime();
        for (int i = 0; i < LOADS.length; i++) {
          starts[i] = origin + i * levelNanos;
          long wait = starts[i] - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          starts[i] = System.nanoTime();
          if (i > 0) {
            phases[i - 1] = describe(gateway, load);
            serverRefusals.put(protection.name() + LOADS[i - 1],
                gateway.phases().refusal.quantileNanos(0.99) / 1e6);
          }
          gateway.phases().reset();
          load.resetRefusalHeaders();
          runs.add(load.run(LOADS[i] * capacity / meanAnswer, settings.levelSeconds(),
              tenants(LOADS[i]), settings.seed() + i));
        }
        starts[LOADS.length] = starts[LOADS.length - 1] + levelNanos;
        long lastWait = starts[LOADS.length] - System.nanoTime();
        if (lastWait > 0) {
          TimeUnit.NANOSECONDS.sleep(lastWait);
        }
        phases[LOADS.length - 1] = describe(gateway, load);
        serverRefusals.put(protection.name() + LOADS[LOADS.length - 1],
            gateway.phases().refusal.quantileNanos(0.99) / 1e6);
        List<List<Sample>> levels = new ArrayList<>();
        List<Sample> all = new ArrayList<>();
        for (CompletableFuture<List<Sample>> run : runs) {
          List<Sample> samples = await(run);
          levels.add(samples);
          all.addAll(samples);
        }
        out.print(LlmLevelReport.table(List.of()));
        for (int i = 0; i < LOADS.length; i++) {
          String label = label(LOADS[i]);
          timeline.addLevel(label, starts[i], starts[i + 1], levels.get(i));
          LlmLevelReport report = LlmLevelReport.of(label, starts[i], starts[i + 1],
              settings.objective(), levels.get(i), all, settings.lightKeys() + 1,
              settings.lightKeys(), capacity);
          reports.add(report);
          out.print(LlmLevelReport.table(List.of(report)).lines().skip(1).findFirst().orElse("")
              + System.lineSeparator());
        }
        for (int i = 0; i < LOADS.length; i++) {
          out.printf(Locale.ROOT, "  %4s server p50/p99 ms: %s%n       light keys: %s%n",
              label(LOADS[i]), phases[i], LightKeyFates.describe(levels.get(i),
                  settings.lightKeys(), settings.objective()));
        }
        awaitQuiet(gateway, model);
      } finally {
        sampling.cancel(false);
      }
      out.printf(Locale.ROOT, "  (gateway: %d admitted, %d completed, %d clients gone; %d 503, "
          + "%d 429 fair share; %d cost corrections; refusals decided in p50 %.2f ms, p99 %.2f "
          + "ms; model: %d preemptions, %.0f ms lost to the machine)%n", gateway.admitted(),
          gateway.completed(), gateway.clientGone(), gateway.refusedOverload(),
          gateway.refusedFairShare(), gateway.costCorrections(), gateway.refusalNanos(0.5) / 1e6,
          gateway.refusalNanos(0.99) / 1e6, model.preemptions(), model.lostNanos() / 1e6);
    }
    return reports;
  }

  private static String describe(LlmGateway gateway, LlmLoadGenerator load) {
    return gateway.phases().describe() + String.format(Locale.ROOT, "; client send to refusal "
        + "headers %.1f/%.1f", load.refusalHeadersNanos(0.5) / 1e6,
        load.refusalHeadersNanos(0.99) / 1e6);
  }

  private static String label(double multiple) {
    return (multiple < 1 ? String.valueOf(multiple) : String.valueOf((int) multiple)) + "x";
  }

  private LlmGateway gateway(SimulatedModel model, Protection protection, int requestLimit,
      Duration limiterTarget) throws IOException {
    LlmGateway.Builder builder = LlmGateway.newBuilder(model, keys())
        .protection(protection)
        .requestLimit(requestLimit)
        .reserve(0.2);
    if (protection == Protection.SLUICE) {
      builder.limiter(sluiceLimiter(limiterTarget));
    }
    return builder.start();
  }

  /**
   * Returns Sluice's limiter: AIMD against a TTFT target at its 95th percentile, in units of 16
   * tokens, from the largest request (a context window) up; it starts at the KV cache's size.
   */
  Limiter sluiceLimiter(Duration target) {
    int oneRequest = LlmGateway.units(modelConfig.contextTokens(), 16);
    return Limiter.newBuilder()
        .algorithm(AimdLimit.newBuilder()
            .minLimit(oneRequest)
            .initialLimit(LlmGateway.units(modelConfig.kvCacheTokens(), 16))
            .maxLimit(LlmGateway.units(16L * modelConfig.kvCacheTokens(), 16))
            .timeout(target)
            .latencyQuantile(0.95))
        .build();
  }

  /** Returns the demo's keys: light keys and one flooding key, all in one generous tier. */
  private ApiKeys keys() {
    // Quotas far above what any key sends here: the demo is about capacity, not quotas (the
    // tests exercise the quotas).
    ApiKeys.Tier tier = new ApiKeys.Tier("enterprise", 1_000_000, 100_000_000);
    ApiKeys.Builder keys = ApiKeys.newBuilder(NanoClock.system());
    for (int i = 0; i <= settings.lightKeys(); i++) {
      keys.key(apiKey(i), i == settings.lightKeys() ? "flood" : "tenant-" + i, tier);
    }
    return keys.build();
  }

  private String apiKey(int tenant) {
    return tenant == settings.lightKeys() ? "sk-flood" : "sk-light-" + tenant;
  }

  /** Returns the tenants of a level: the light keys' share, and the flood with the rest. */
  private List<TenantLoad> tenants(double multiple) {
    double light = LIGHT_SHARE * Math.min(1, multiple);
    List<TenantLoad> tenants = new ArrayList<>();
    for (int i = 0; i < settings.lightKeys(); i++) {
      tenants.add(new TenantLoad(apiKey(i), light / settings.lightKeys()));
    }
    tenants.add(new TenantLoad(apiKey(settings.lightKeys()), multiple - light));
    return tenants;
  }

  private LlmLoadGenerator generator(LlmGateway gateway) {
    return LlmLoadGenerator.newBuilder(gateway.uri(), workload, modelConfig)
        .ttftTimeout(CLIENT_TTFT_TIMEOUT)
        .build();
  }

  /** Returns the mean answer of the workload: max_tokens-capped answer lengths. */
  private double meanAnswerTokens() {
    SplittableRandom random = new SplittableRandom(settings.seed());
    long sum = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      Workload.Request r = workload.next(random, "mean " + i);
      sum += Math.min(r.maxTokens(), modelConfig.answerTokens(Message.promptHash(r.messages())));
    }
    return (double) sum / n;
  }

  /**
   * Runs a Sluice gateway briefly at 2x so that the JIT has compiled the client, server
   * and model paths before anything is measured.
   */
  private void warmUpJit(double requestsPerSecond)
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    try (SimulatedModel model = SimulatedModel.start(modelConfig);
        LlmGateway gateway = gateway(model, Protection.SLUICE, 32,
            Duration.ofMillis(200));
        LlmLoadGenerator load = generator(gateway)) {
      await(load.run(2 * requestsPerSecond, Math.min(3, settings.levelSeconds() / 2),
          tenants(2), settings.seed() - 1));
      awaitQuiet(gateway, model);
    }
  }

  private static String sweepTable(List<CapacitySweep.Point> sweep) {
    StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
        "  %11s %9s %10s %13s %13s %12s%n", "concurrency", "tokens/s", "mean batch",
        "TTFT p50 ms", "TTFT p99 ms", "preempt/s"));
    for (CapacitySweep.Point p : sweep) {
      table.append(String.format(Locale.ROOT, "  %11d %9.0f %10.1f %13.0f %13.0f %12.2f%n",
          p.concurrency(), p.tokensPerSecond(), p.meanBatch(), p.ttftP50Millis(),
          p.ttftP99Millis(), p.preemptionsPerSecond()));
    }
    return table.toString();
  }

  /** Returns the no-load TTFT p50 and p99 (milliseconds), over an idle unprotected gateway. */
  private double[] noLoadTtftMillis() throws IOException, InterruptedException {
    try (SimulatedModel model = SimulatedModel.start(modelConfig);
        LlmGateway gateway = gateway(model, Protection.NONE, 1, Duration.ofMillis(200))) {
      return NoLoadTtft.millis(gateway.uri(), apiKey(0), workload, NO_LOAD_REQUESTS,
          settings.seed() + 100);
    }
  }

  /** Waits until the gateway holds nothing and the model is idle, for at most MAX_DRAIN. */
  private static void awaitQuiet(LlmGateway gateway, SimulatedModel model)
      throws InterruptedException {
    long end = System.nanoTime() + MAX_DRAIN.toNanos();
    while ((gateway.active() > 0 || model.running() > 0 || model.waiting() > 0)
        && System.nanoTime() < end) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  private <T> T await(CompletableFuture<T> future)
      throws InterruptedException, ExecutionException, TimeoutException {
    return future.get((long) (settings.levelSeconds() + 180), TimeUnit.SECONDS);
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private String legend() {
    return String.format(Locale.ROOT, "Columns: offer t/s: answer tokens asked for per second; "
        + "req/s: requests sent; deliv t/s: answer tokens received;%n"
        + "good t/s: tokens of streams whose first token came within %d ms; good/C: good t/s / "
        + "capacity; TTFT p50/p99: admitted streams, from the admitted attempt; due p99: from "
        + "when the request was due (retries included);%n"
        + "done: streams complete; cut: admitted streams that ended without [DONE] and usage; "
        + "aband: no first token within %d s, the client gave up;%n"
        + "refused: attempts answered 503 or 429 (clients retry after Retry-After); gaveup: "
        + "requests whose last attempt was refused; ref p50/p99: time to a refusal at the client;"
        + "%nlight, worst, flood: answer tokens served with a first token in time, of those asked "
        + "for: the light keys together, the worst light key, the flooding key.%n",
        settings.objective().toMillis(), CLIENT_TTFT_TIMEOUT.toSeconds());
  }
}
