package io.sluice.examples.http;

import io.sluice.Priority;
import io.sluice.client.RetryAfter;
import io.sluice.http.PriorityHeader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An open-loop HTTP load generator on the JDK's {@link HttpClient}: request {@code i} of a run is
 * due at {@code start + i / rate}, whatever happened to the earlier ones, the way independent users
 * arrive at a real service. (A closed loop, where each client waits for its answer before sending
 * again, slows down as the server does and hides the overload it is meant to show.)
 *
 * <p>A scheduler thread ticks every millisecond and sends every request that has come due, with
 * {@link HttpClient#sendAsync}; it never waits for responses. Latency is measured from the time a
 * request was due, not from when it was sent, so a late send counts against the latency it causes
 * (no coordinated omission). To keep the generator itself from melting under a server that does
 * not answer, at most {@code maxOutstanding} requests are in flight: a request due while that many
 * are outstanding is not sent and is recorded as {@link Kind#NOT_SENT}. Requests unanswered after
 * {@code timeout} are abandoned ({@link Kind#TIMEOUT}). Every tenth request (by default) carries
 * {@code X-Priority: critical}, the others {@code X-Priority: sheddable}.
 *
 * <p>Thread-safe; one run at a time is the intended use, but runs may overlap (they share the
 * outstanding bound).
 */
public final class LoadGenerator implements AutoCloseable {
  /** How a request ended. */
  public enum Kind {
    /** The server answered; see the status. */
    RESPONSE,
    /** No answer within the timeout; the request was abandoned. */
    TIMEOUT,
    /** The connection failed or was reset: no HTTP answer at all. */
    ERROR,
    /** Not sent, because {@code maxOutstanding} requests were already in flight. */
    NOT_SENT
  }

  /**
   * One request of a run: when it was due, sent and done (readings of {@link System#nanoTime()}),
   * how it ended, its status (0 without a response), the Retry-After it was given in nanoseconds
   * ({@link RetryAfter#ABSENT} if none) and whether it was sent as critical.
   */
  public record Sample(long dueNanos, long sentNanos, long doneNanos, Kind kind, int status,
      long retryAfterNanos, boolean critical) {

    /** Returns the time from when the request was due to its end. */
    public long latencyNanos() {
      return doneNanos - dueNanos;
    }

    /** Returns whether the server answered with {@code status}. */
    public boolean answered(int status) {
      return kind == Kind.RESPONSE && this.status == status;
    }
  }

  private final HttpClient client;
  private final HttpRequest critical;
  private final HttpRequest sheddable;
  private final int criticalEvery;
  private final int maxOutstanding;
  private final Consumer<HttpResponse<String>> listener;
  /** Reads bodies only for a listener; otherwise discards them (the generator needs headers). */
  private final HttpResponse.BodyHandler<String> bodyHandler;
  private final ScheduledExecutorService ticker;
  private final AtomicInteger outstanding = new AtomicInteger();

  private LoadGenerator(Builder b) {
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(b.timeout)
        .build();
    this.critical = request(b.uri, b.timeout, Priority.CRITICAL);
    this.sheddable = request(b.uri, b.timeout, Priority.SHEDDABLE);
    this.criticalEvery = b.criticalEvery;
    this.maxOutstanding = b.maxOutstanding;
    this.listener = b.listener;
    this.bodyHandler = b.listener == null ? BodyHandlers.replacing("") : BodyHandlers.ofString();
    this.ticker = Executors.newSingleThreadScheduledExecutor(
        DaemonThreads.named("load-generator-"));
  }

  /** Returns a builder of a generator that calls {@code uri}. */
  public static Builder newBuilder(URI uri) {
    return new Builder(uri);
  }

  /**
   * Starts a run of {@code count} requests at {@code ratePerSecond}; returns a future completed
   * with one sample per request, in order, once every request has ended (answered, timed out,
   * failed or not sent). The run lasts {@code count / ratePerSecond} plus the time the last answers
   * take, at most the timeout.
   *
   * @param ratePerSecond in [0.1, 1000000]
   * @param count in [1, 10000000]
   */
  public CompletableFuture<List<Sample>> run(double ratePerSecond, int count) {
    Checks.inRange("ratePerSecond", ratePerSecond, 0.1, 1_000_000);
    Checks.inRange("count", count, 1, 10_000_000);
    Run run = new Run(count);
    OpenLoop.start(ticker, ratePerSecond, count, run::send);
    return run.done;
  }

  /** Returns the requests sent and not yet ended, over all runs. */
  public int outstanding() {
    return outstanding.get();
  }

  /** Stops the scheduler; runs in progress stop sending (their futures never complete). */
  @Override
  public void close() {
    ticker.shutdownNow();
  }

  @Override
  public String toString() {
    return "LoadGenerator[outstanding " + outstanding.get() + " of " + maxOutstanding + "]";
  }

  private static HttpRequest request(URI uri, Duration timeout, Priority priority) {
    return HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header(PriorityHeader.DEFAULT_NAME, PriorityHeader.format(priority))
        .GET()
        .build();
  }

  /** One run: its samples, and the count of requests not yet ended. */
  private final class Run {
    private final Sample[] samples;
    private final CompletableFuture<List<Sample>> done = new CompletableFuture<>();
    /** Requests not yet ended: the run ends when it reaches zero. */
    private final AtomicInteger pending;

    Run(int count) {
      this.samples = new Sample[count];
      this.pending = new AtomicInteger(count);
    }

    private void send(int index, long due) {
      boolean isCritical = criticalEvery > 0 && index % criticalEvery == 0;
      if (outstanding.get() >= maxOutstanding) {
        end(index, new Sample(due, 0, System.nanoTime(), Kind.NOT_SENT, 0, RetryAfter.ABSENT,
            isCritical));
        return;
      }
      outstanding.incrementAndGet();
      long sent = System.nanoTime();
      CompletableFuture<HttpResponse<String>> response;
      try {
        response = client.sendAsync(isCritical ? critical : sheddable, bodyHandler);
      } catch (RuntimeException e) {
        response = CompletableFuture.failedFuture(e);
      }
      response.whenComplete((r, failure) -> {
        long now = System.nanoTime();
        outstanding.decrementAndGet();
        if (failure != null) {
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause() : failure;
          Kind kind = cause instanceof HttpTimeoutException ? Kind.TIMEOUT : Kind.ERROR;
          end(index, new Sample(due, sent, now, kind, 0, RetryAfter.ABSENT, isCritical));
          return;
        }
        if (listener != null) {
          listener.accept(r);
        }
        long retryAfter = RetryAfter.parseNanos(
            r.headers().firstValue("Retry-After").orElse(null), Clock.systemUTC());
        end(index, new Sample(due, sent, now, Kind.RESPONSE, r.statusCode(), retryAfter,
            isCritical));
      });
    }

    private void end(int index, Sample sample) {
      samples[index] = sample;
      if (pending.decrementAndGet() == 0) {
        done.complete(Arrays.asList(samples));
      }
    }
  }

  /**
   * Configures a {@link LoadGenerator}. Every setter checks its argument and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and the allowed range. Not
   * thread-safe.
   */
  public static final class Builder {
    private final URI uri;
    private Duration timeout = Duration.ofSeconds(2);
    private int maxOutstanding = 512;
    private int criticalEvery = 10;
    private Consumer<HttpResponse<String>> listener;

    private Builder(URI uri) {
      this.uri = Checks.notNull("uri", uri);
    }

    /**
     * Sets how long a request may wait for its answer before it is abandoned; default 2 s.
     *
     * @param timeout in [1 ms, 10 min]
     */
    public Builder timeout(Duration timeout) {
      Checks.inRange("timeout", timeout, Duration.ofMillis(1), Duration.ofMinutes(10));
      this.timeout = timeout;
      return this;
    }

    /**
     * Sets the most requests in flight at once; default 512.
     *
     * @param max in [1, 100000]
     */
    public Builder maxOutstanding(int max) {
      this.maxOutstanding = Checks.inRange("maxOutstanding", max, 1, 100_000);
      return this;
    }

    /**
     * Sends every {@code n}-th request as critical and the others as sheddable; 0 sends all as
     * sheddable, 1 all as critical. Default 10.
     *
     * @param n in [0, 1000000]
     */
    public Builder criticalEvery(int n) {
      this.criticalEvery = Checks.inRange("criticalEvery", n, 0, 1_000_000);
      return this;
    }

    /** Sets a listener told of every response (on an HttpClient thread), e.g. to check it. */
    public Builder onResponse(Consumer<HttpResponse<String>> listener) {
      this.listener = Checks.notNull("listener", listener);
      return this;
    }

    /** Builds the generator. */
    public LoadGenerator build() {
      return new LoadGenerator(this);
    }
  }
}
