package io.sluice.examples.llm;

import io.sluice.client.RetryAfter;
import io.sluice.examples.http.Checks;
import io.sluice.examples.http.DaemonThreads;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open-loop load generator of streamed chat completions with many API keys: requests arrive
 * at random (Poisson) times at a given rate, whatever became of the earlier ones, each from a
 * tenant drawn by its share of the load, each a {@link Workload} request sent with
 * {@code stream: true} and {@code stream_options.include_usage}. Every request's fate is a
 * {@link Sample}: when it was due, sent, answered, its first token and its end, its tokens, and how
 * it ended.
 *
 * <p>A client abandons a request whose first token has not come within the
 * {@link Builder#ttftTimeout} of when it was due (a user who gives up): it closes the connection,
 * and the gateway sees the next write fail. Latencies count from the time a request was due, not
 * sent, so a late send counts against the latency it causes. At most
 * {@link Builder#maxOutstanding} requests are in flight: a request due beyond that is not sent.
 * The schedule and every request are drawn from the run's seed before the run starts: the same
 * seed offers the same load to every gateway.
 *
 * <p>Thread-safe; runs may overlap (they share the outstanding bound).
 */
public final class LlmLoadGenerator implements AutoCloseable {
  /** How a request ended. */
  public enum Kind {
    /** 200, and the stream ended with a finish reason, usage and {@code [DONE]}. */
    COMPLETED,
    /** 200, and the stream ended (or broke) without its proper end: cut off. */
    CUT_OFF,
    /** No first token within the TTFT timeout: the client gave up and closed the connection. */
    ABANDONED,
    /** Refused: 429 or 503 (see the status and the error type). */
    REFUSED,
    /** Another status, or no HTTP answer at all. */
    FAILED,
    /** Not sent: the generator's outstanding bound was reached. */
    NOT_SENT
  }

  /**
   * One tenant of the load.
   *
   * @param apiKey the key its requests carry
   * @param weight its share of the arrivals, relative to the other tenants'
   */
  public record TenantLoad(String apiKey, double weight) {
    /** Checks the components. */
    public TenantLoad {
      Checks.notNull("apiKey", apiKey);
      Checks.inRange("weight", weight, 0, 1e9);
    }
  }

  /**
   * One request of a run; times are readings of {@link System#nanoTime()}, 0 if it did not happen.
   *
   * @param tenant the index of its tenant in the run's list
   * @param dueNanos when it was due
   * @param sentNanos when its last attempt was sent
   * @param firstTokenNanos when its first token arrived
   * @param endNanos when it ended (last byte, refusal, abandonment, failure)
   * @param kind how it ended
   * @param status the HTTP status of its last attempt, 0 without one
   * @param tokens the content tokens received
   * @param plannedTokens the answer's length the model would give it (capped by max_tokens)
   * @param promptTokens the prompt's true token count
   * @param maxTokens the request's max_tokens
   * @param attempts the attempts sent (1 plus the retries)
   * @param refusals how many attempts were refused for capacity (503) or fair share (429)
   * @param firstRefusalNanos how long the first refused attempt took, from sending to the
   *     answer; 0 if none was refused
   * @param retryAfterNanos the Retry-After of the last refusal, {@link RetryAfter#ABSENT} if none
   * @param errorType the last refusal's error type or the problem's {@code reason}, or null
   */
  public record Sample(int tenant, long dueNanos, long sentNanos, long firstTokenNanos,
      long endNanos, Kind kind, int status, int tokens, int plannedTokens, int promptTokens,
      int maxTokens, int attempts, int refusals, long firstRefusalNanos, long retryAfterNanos,
      String errorType) {

    /** Returns the time to first token from when the request was due; -1 without a token. */
    public long ttftNanos() {
      return firstTokenNanos == 0 ? -1 : firstTokenNanos - dueNanos;
    }

    /**
     * Returns the time to first token from when the admitted attempt was sent (what the gateway
     * is answerable for: retries' waits left out); -1 without a token.
     */
    public long admittedTtftNanos() {
      return firstTokenNanos == 0 ? -1 : firstTokenNanos - sentNanos;
    }

    /** Returns whether the gateway admitted it (a 200). */
    public boolean admitted() {
      return status == 200;
    }
  }

  /** The longest provider wait a client honours; beyond it, it backs off on its own. */
  private static final long MAX_RETRY_AFTER_NANOS = 60_000_000_000L;

  /** One planned arrival: when (from the run's start), whose, and what. */
  private record Arrival(long offsetNanos, int tenant, String body, int plannedTokens,
      int promptTokens, int maxTokens) {}

  private final HttpClient client;
  private final URI uri;
  private final String model;
  private final long ttftTimeoutNanos;
  private final long maxStreamNanos;
  private final int maxOutstanding;
  private final int maxAttempts;
  private final Workload workload;
  private final ModelConfig answers;
  private final ScheduledThreadPoolExecutor timer;
  private final AtomicInteger outstanding = new AtomicInteger();
  /** From sending a refused attempt to its response's headers, at the client. */
  private final Histogram refusalHeaders = new Histogram();

  private LlmLoadGenerator(Builder b) {
    this.uri = b.uri;
    this.model = b.model;
    this.ttftTimeoutNanos = b.ttftTimeout.toNanos();
    this.maxStreamNanos = b.maxStream.toNanos();
    this.maxOutstanding = b.maxOutstanding;
    this.maxAttempts = b.maxAttempts;
    this.workload = b.workload;
    this.answers = b.answers;
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    this.timer = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("llm-load-"));
    timer.setRemoveOnCancelPolicy(true);
  }

  /**
   * Returns a builder of a generator that calls {@code uri} for {@code model}, with requests of
   * {@code workload} whose answer lengths {@code answers} decides (to know each request's planned
   * answer, as the demand to compare with what was served).
   */
  public static Builder newBuilder(URI uri, Workload workload, ModelConfig answers) {
    return new Builder(uri, workload, answers);
  }

  /**
   * Starts a run: requests at {@code ratePerSecond} on average (Poisson) for {@code seconds},
   * spread over {@code tenants} by weight; returns a future completed with one sample per
   * request, in order of arrival, once every request has ended.
   *
   * @param ratePerSecond in [0.01, 100000]
   * @param seconds in [0.01, 3600]
   */
  public CompletableFuture<List<Sample>> run(double ratePerSecond, double seconds,
      List<TenantLoad> tenants, long seed) {
    Checks.inRange("ratePerSecond", ratePerSecond, 0.01, 100_000);
    Checks.inRange("seconds", seconds, 0.01, 3600);
    List<Arrival> plan = plan(ratePerSecond, seconds, tenants, seed);
    Run run = new Run(plan, tenants);
    if (plan.isEmpty()) {
      run.done.complete(List.of());
      return run.done;
    }
    run.start();
    return run.done;
  }

  /**
   * Returns quantile {@code q} of the time from sending a refused attempt to its response's
   * headers, in nanoseconds, since the last {@link #resetRefusalHeaders()}.
   */
  long refusalHeadersNanos(double q) {
    return refusalHeaders.quantileNanos(q);
  }

  /** Forgets the times of {@link #refusalHeadersNanos}. */
  void resetRefusalHeaders() {
    refusalHeaders.reset();
  }

  /** Returns the requests in flight, over all runs. */
  public int outstanding() {
    return outstanding.get();
  }

  /** Stops the timer: runs in progress stop sending, and their futures may never complete. */
  @Override
  public void close() {
    timer.shutdownNow();
  }

  private List<Arrival> plan(double rate, double seconds, List<TenantLoad> tenants, long seed) {
    double total = 0;
    for (TenantLoad t : tenants) {
      total += t.weight();
    }
    if (tenants.isEmpty() || !(total > 0)) {
      throw new IllegalArgumentException("tenants must have a positive total weight");
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<Arrival> plan = new ArrayList<>();
    double at = 0;
    for (int i = 0; ; i++) {
      at += -Math.log(1.0 - random.nextDouble()) / rate;
      if (at >= seconds) {
        return plan;
      }
      double pick = random.nextDouble() * total;
      int tenant = 0;
      while (tenant < tenants.size() - 1 && pick >= tenants.get(tenant).weight()) {
        pick -= tenants.get(tenant++).weight();
      }
      Workload.Request request = workload.next(random,
          "request " + seed + "-" + i + " of tenant " + tenant);
      int planned = Math.min(request.maxTokens(),
          answers.answerTokens(Message.promptHash(request.messages())));
      plan.add(new Arrival((long) (at * 1e9), tenant, body(request), planned,
          request.promptTokens(), request.maxTokens()));
    }
  }

  private String body(Workload.Request request) {
    StringBuilder out = new StringBuilder(256).append("{\"model\":");
    Json.appendString(out, model).append(",\"messages\":[");
    for (int i = 0; i < request.messages().size(); i++) {
      Message m = request.messages().get(i);
      out.append(i == 0 ? "" : ",").append("{\"role\":");
      Json.appendString(out, m.role()).append(",\"content\":");
      Json.appendString(out, m.content()).append('}');
    }
    return out.append("],\"max_tokens\":").append(request.maxTokens())
        .append(",\"stream\":true,\"stream_options\":{\"include_usage\":true}}").toString();
  }

  /** One run: its plan, its samples, and the count of requests not yet ended. */
  private final class Run {
    private final List<Arrival> plan;
    private final List<TenantLoad> tenants;
    private final Sample[] samples;
    private final AtomicInteger pending;
    private final CompletableFuture<List<Sample>> done = new CompletableFuture<>();
    private long start;
    private int next;
    private ScheduledFuture<?> ticks;

    Run(List<Arrival> plan, List<TenantLoad> tenants) {
      this.plan = plan;
      this.tenants = List.copyOf(tenants);
      this.samples = new Sample[plan.size()];
      this.pending = new AtomicInteger(plan.size());
    }

    void start() {
      start = System.nanoTime();
      ticks = timer.scheduleAtFixedRate(this::tick, 0, 1, TimeUnit.MILLISECONDS);
    }

    /** Sends every request that has come due; never waits for answers. */
    private void tick() {
      long now = System.nanoTime();
      while (next < plan.size()) {
        Arrival a = plan.get(next);
        long due = start + a.offsetNanos();
        if (due > now) {
          return;
        }
        send(next++, a, due);
      }
      ticks.cancel(false);
    }

    private void send(int index, Arrival a, long due) {
      if (outstanding.get() >= maxOutstanding) {
        end(index, new Sample(a.tenant(), due, 0, 0, System.nanoTime(), Kind.NOT_SENT, 0, 0,
            a.plannedTokens(), a.promptTokens(), a.maxTokens(), 0, 0, 0, RetryAfter.ABSENT,
            null));
        return;
      }
      outstanding.incrementAndGet();
      new Exchange(this, index, a, due).send(tenants.get(a.tenant()).apiKey());
    }

    void end(int index, Sample sample) {
      samples[index] = sample;
      if (pending.decrementAndGet() == 0) {
        done.complete(Arrays.asList(samples));
      }
    }
  }

  /**
   * One request on the wire, attempt after attempt: the stream's reader, the abandonment timer,
   * the retries of refusals, and the one ending.
   */
  private final class Exchange implements Flow.Subscriber<String> {
    private final Run run;
    private final int index;
    private final Arrival arrival;
    private final long due;
    private final Sse.StreamReader reader = new Sse.StreamReader();
    private final AtomicBoolean ended = new AtomicBoolean();
    private String apiKey;
    private volatile int attempts;
    private volatile int refusals;
    private volatile long firstRefusal;
    private volatile long sent;
    private volatile long firstToken;
    private volatile int status;
    private volatile Flow.Subscription subscription;
    private volatile CompletableFuture<HttpResponse<String>> response;
    private volatile ScheduledFuture<?> watchdog;
    private volatile long lastRetryAfter = RetryAfter.ABSENT;
    private volatile String lastType;

    Exchange(Run run, int index, Arrival arrival, long due) {
      this.run = run;
      this.index = index;
      this.arrival = arrival;
      this.due = due;
    }

    void send(String key) {
      this.apiKey = key;
      watchdog = timer.schedule(this::watch, due + ttftTimeoutNanos - System.nanoTime(),
          TimeUnit.NANOSECONDS);
      attempt();
    }

    private void attempt() {
      if (ended.get()) {
        return;
      }
      long attemptSent = System.nanoTime();
      HttpRequest request = HttpRequest.newBuilder(uri)
          .header("Content-Type", "application/json")
          .header("Authorization", "Bearer " + apiKey)
          // The client and the gateway share a JVM, so the gateway can time the way in.
          .header(LlmGateway.SENT_NANOS, Long.toString(attemptSent))
          .POST(HttpRequest.BodyPublishers.ofString(arrival.body()))
          .build();
      attempts++;
      sent = attemptSent;
      status = 0;
      CompletableFuture<HttpResponse<String>> future;
      try {
        future = client.sendAsync(request, info -> {
          status = info.statusCode();
          if (status == 503 || status == 429) {
            refusalHeaders.record(System.nanoTime() - attemptSent);
          }
          if (status == 200) {
            return BodySubscribers.mapping(BodySubscribers.fromLineSubscriber(this),
                ignored -> (String) null);
          }
          return BodySubscribers.ofString(StandardCharsets.UTF_8);
        });
      } catch (RuntimeException e) {
        future = CompletableFuture.failedFuture(e);
      }
      response = future;
      future.whenComplete((r, failure) -> {
        if (failure != null) {
          finish(firstToken != 0 || status == 200 ? Kind.CUT_OFF : Kind.FAILED, null,
              RetryAfter.ABSENT);
        } else if (status != 200) {
          refused(r, System.nanoTime() - attemptSent);
        }
        // A 200 ends through onComplete or onError.
      });
    }

    /** A refusal or an error answer: retried as OpenAI's clients do, or the end. */
    private void refused(HttpResponse<String> r, long tookNanos) {
      String type = errorType(r.body());
      long wait = RetryAfter.parseMillisNanos(r.headers().firstValue("retry-after-ms")
          .orElse(null));
      if (wait == RetryAfter.ABSENT) {
        wait = RetryAfter.parseNanos(r.headers().firstValue("Retry-After").orElse(null),
            Clock.systemUTC());
      }
      boolean capacity = status == 503 || (status == 429 && !"insufficient_quota".equals(type));
      if (!capacity) {
        finish(status == 429 ? Kind.REFUSED : Kind.FAILED, type, wait);
        return;
      }
      if (refusals++ == 0) {
        firstRefusal = tookNanos;
      }
      if (wait == RetryAfter.ABSENT || wait > MAX_RETRY_AFTER_NANOS) {
        // No usable hint: exponential backoff from half a second, with jitter.
        wait = (long) (500_000_000L * (1L << Math.min(4, attempts - 1))
            * (0.75 + 0.25 * ThreadLocalRandom.current().nextDouble()));
      }
      long retryAt = System.nanoTime() + wait;
      if (attempts >= maxAttempts || retryAt - (due + ttftTimeoutNanos) >= 0) {
        finish(Kind.REFUSED, type, wait);
        return;
      }
      lastRetryAfter = wait;
      lastType = type;
      timer.schedule(this::attempt, wait, TimeUnit.NANOSECONDS);
    }

    /**
     * Runs when the TTFT timeout expires (abandons a request without a first token) and, for a
     * stream that had one, when the longest stream expires (a stall: cut off).
     */
    private void watch() {
      if (ended.get()) {
        return;
      }
      if (firstToken == 0) {
        cancel();
        finish(Kind.ABANDONED, lastType, lastRetryAfter);
        return;
      }
      long left = due + maxStreamNanos - System.nanoTime();
      if (left > 0) {
        watchdog = timer.schedule(this::watch, left, TimeUnit.NANOSECONDS);
        return;
      }
      cancel();
      finish(Kind.CUT_OFF, "stalled", RetryAfter.ABSENT);
    }

    /** Closes the request: the body subscription if the answer has begun, else the exchange. */
    private void cancel() {
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
      CompletableFuture<HttpResponse<String>> f = response;
      if (f != null) {
        f.cancel(true);
      }
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
      if (reader.line(line) && firstToken == 0) {
        firstToken = System.nanoTime();
      }
    }

    @Override
    public void onError(Throwable failure) {
      finish(Kind.CUT_OFF, null, RetryAfter.ABSENT);
    }

    @Override
    public void onComplete() {
      boolean whole = reader.complete() && reader.completionTokens() == reader.tokens();
      finish(whole ? Kind.COMPLETED : Kind.CUT_OFF, whole ? null : reader.error(),
          RetryAfter.ABSENT);
    }

    void finish(Kind kind, String errorType, long retryAfter) {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      ScheduledFuture<?> w = watchdog;
      if (w != null) {
        w.cancel(false);
      }
      outstanding.decrementAndGet();
      run.end(index, new Sample(arrival.tenant(), due, sent, firstToken, System.nanoTime(), kind,
          status, reader.tokens(), arrival.plannedTokens(), arrival.promptTokens(),
          arrival.maxTokens(), attempts, refusals, firstRefusal, retryAfter, errorType));
    }
  }

  /** Returns the error type of a refusal's body: the OpenAI error's type or the problem's reason. */
  static String errorType(String body) {
    try {
      Object document = Json.parse(body);
      if (document instanceof Map) {
        Map<?, ?> fields = (Map<?, ?>) document;
        if (fields.get("error") instanceof Map) {
          Object type = ((Map<?, ?>) fields.get("error")).get("type");
          return type instanceof String ? (String) type : null;
        }
        Object reason = fields.get("reason");
        return reason instanceof String ? (String) reason : null;
      }
    } catch (Json.JsonException e) {
      return null;
    }
    return null;
  }

  /**
   * Configures an {@link LlmLoadGenerator}. Every setter checks its argument. Not thread-safe.
   */
  public static final class Builder {
    private final URI uri;
    private final Workload workload;
    private final ModelConfig answers;
    private String model = LlmGateway.DEFAULT_MODEL;
    private Duration ttftTimeout = Duration.ofSeconds(10);
    private Duration maxStream = Duration.ofMinutes(2);
    private int maxOutstanding = 2048;
    private int maxAttempts = 3;

    private Builder(URI uri, Workload workload, ModelConfig answers) {
      this.uri = Checks.notNull("uri", uri);
      this.workload = Checks.notNull("workload", workload);
      this.answers = Checks.notNull("answers", answers);
    }

    /** Sets the model name the requests give. */
    public Builder model(String model) {
      this.model = Checks.notNull("model", model);
      return this;
    }

    /**
     * Sets how long a client waits for the first token before it gives up; default 10 s.
     *
     * @param timeout in [1 ms, 10 min]
     */
    public Builder ttftTimeout(Duration timeout) {
      Checks.inRange("ttftTimeout", timeout, Duration.ofMillis(1), Duration.ofMinutes(10));
      this.ttftTimeout = timeout;
      return this;
    }

    /**
     * Sets the longest a stream may take in all before the client gives up on it (a stall);
     * default 2 min.
     *
     * @param max in [1 ms, 1 h]
     */
    public Builder maxStream(Duration max) {
      Checks.inRange("maxStream", max, Duration.ofMillis(1), Duration.ofHours(1));
      this.maxStream = max;
      return this;
    }

    /**
     * Sets the most requests in flight at once; default 2048.
     *
     * @param max in [1, 100000]
     */
    public Builder maxOutstanding(int max) {
      this.maxOutstanding = Checks.inRange("maxOutstanding", max, 1, 100_000);
      return this;
    }

    /**
     * Sets the attempts per request: a refusal for capacity (503) or a fair share or rate limit
     * (429, but never {@code insufficient_quota}) is retried after {@code retry-after-ms}, or
     * {@code Retry-After}, or half a second doubling, as OpenAI's client libraries do; default 3
     * (two retries), 1 never retries.
     *
     * @param attempts in [1, 100]
     */
    public Builder maxAttempts(int attempts) {
      this.maxAttempts = Checks.inRange("maxAttempts", attempts, 1, 100);
      return this;
    }

    /** Builds the generator. */
    public LlmLoadGenerator build() {
      return new LlmLoadGenerator(this);
    }
  }
}
