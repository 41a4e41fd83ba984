package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Ticket;
import io.sluice.breaker.CircuitBreaker;
import io.sluice.docs.DocSnippets;
import io.sluice.limit.FixedLimit;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.rate.RateLimiter;
import io.sluice.testing.ManualClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The code of the docs pages on rate limits, the circuit breaker and the client side: each snippet
 * sits between "README" markers below, compiles, and runs here. The first test checks that every
 * Java block of those pages appears in this file, so the docs cannot drift.
 */
class ReadmeSnippetsTest {
  private static final List<String> PAGES = List.of("docs/04-rate-limits-and-quotas.md",
      "docs/05-circuit-breaker.md", "docs/06-client-side.md");

  private final ManualClock clock = new ManualClock();
  private final FakeHttp http = new FakeHttp();
  private final HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost/")).build();

  @Test
  void everyJavaBlockOfThesePagesIsCodeInThisFile() throws IOException {
    String source = normalize(Files.readString(
        Path.of("src/test/java/io/sluice/client/ReadmeSnippetsTest.java"), StandardCharsets.UTF_8));
    for (String page : PAGES) {
      List<String> blocks = DocSnippets.blocks(DocSnippets.page(page), "java");
      assertThat(blocks).as("Java blocks in %s", page).isNotEmpty();
      for (String block : blocks) {
        assertThat(source).as("%s block compiled here:%n%s", page, block)
            .contains(normalize(block));
      }
    }
  }

  private static String normalize(String code) {
    return code.replaceAll("\\s+", " ").strip();
  }

  // ---------------------------------------------------------------- Rate limits and quotas

  private static String respond(int status, String retryAfter) {
    return status + (retryAfter == null ? "" : " Retry-After: " + retryAfter);
  }

  private String rateLimited() {
    // README: begin
    RateLimiter limiter = RateLimiter.newBuilder()
        .rate(100, Duration.ofSeconds(1))   // 100 permits per second, exactly
        .burst(20)                          // at most 20 at once after a quiet spell
        .build();

    long ticket = limiter.tryAcquire();
    if (Ticket.isRejection(ticket)) {
      // RATE_LIMITED, and the exact time until a token exists
      return respond(429, RetryAfter.format(Ticket.retryAfterNanos(ticket)));
    }
    // README: end
    return respond(200, null);
  }

  @Test
  void theRateLimiterSnippetAdmits() {
    assertThat(rateLimited()).isEqualTo("200");
  }

  private final KeyedRateLimiter<String> quotas = KeyedRateLimiter.newBuilder()
      .rate(10, Duration.ofSeconds(1)).burst(10).maxKeys(100_000).clock(clock).build();
  private final Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
      .build();

  private String handle(String apiKey) {
    // README: begin
    long quota = quotas.tryAcquire(apiKey);          // this client's quota
    if (Ticket.isRejection(quota)) {
      return respond(429, RetryAfter.format(Ticket.retryAfterNanos(quota)));
    }
    long permit = limiter.tryAcquire();              // the server's adaptive concurrency limit
    if (Ticket.isRejection(permit)) {
      return respond(503, RetryAfter.format(Ticket.retryAfterNanos(permit)));
    }
    // README: end
    return respond(200, null);
  }

  @Test
  void theQuotaSnippetAnswers429ForAQuotaAnd503ForCapacity() {
    for (int i = 0; i < 10; i++) {
      assertThat(quotas.tryAcquire("greedy")).isNotNegative();
    }
    assertThat(handle("greedy")).isEqualTo("429 Retry-After: 1");
    assertThat(handle("polite")).isEqualTo("200");
    assertThat(handle("another")).as("the limit of 1 is held").startsWith("503 Retry-After: ");
  }

  // ---------------------------------------------------------------- Circuit breaker

  private String callThroughBreaker() throws IOException, InterruptedException {
    // README: begin
    CircuitBreaker breaker = CircuitBreaker.newBuilder()
        .countWindow(100)                        // the last 100 calls
        .minimumCalls(20)
        .failureRateThreshold(50)                // open at 50% failures
        .slowCalls(Duration.ofSeconds(2), 80)    // or at 80% of calls taking 2 s or more
        .waitInOpen(Duration.ofSeconds(30))
        .probes(5)
        .build();

    long permit = breaker.tryAcquire();
    if (Ticket.isRejection(permit)) {
      throw Ticket.toException(permit);          // CIRCUIT_OPEN, Retry-After = remaining open time
    }
    HttpResponse<String> response = http.send(request, BodyHandlers.ofString());
    int status = response.statusCode();
    if (status == 503 || status == 429) {        // refused: open for at least its Retry-After
      String retryAfter = response.headers().firstValue("Retry-After").orElse(null);
      breaker.onRefused(permit, RetryAfter.parseNanos(retryAfter, Clock.systemUTC()));
    } else if (status >= 500) {
      breaker.onFailure(permit);
    } else {
      breaker.onSuccess(permit);
    }
    // README: end
    assertThat(breaker.state()).isEqualTo(status == 503 ? CircuitBreaker.State.OPEN
        : CircuitBreaker.State.CLOSED);
    return response.body();
  }

  @Test
  void theBreakerSnippetOpensOnARefusalWithRetryAfter() throws Exception {
    http.answer(200, null).answer(503, "30");
    assertThat(callThroughBreaker()).isEqualTo("ok");
    assertThat(callThroughBreaker()).isEqualTo("busy");
  }

  // ---------------------------------------------------------------- Client side

  private HttpResponse<String> fetch() throws IOException, InterruptedException {
    // README: begin
    RetryPolicy policy = RetryPolicy.newBuilder()
        .maxAttempts(3)
        .backoff(Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10)))
        .budget(RetryBudget.of(0.1, 10))                 // retries under 10% of requests
        .throttle(AdaptiveThrottle.newBuilder().build())
        .breaker(CircuitBreaker.newBuilder().build())
        .build();

    RetryCall call = policy.newCall();
    for (;;) {
      long permit = call.tryAttempt();                   // the breaker and the throttle decide
      if (Ticket.isPermit(permit)) {
        HttpResponse<String> response = http.send(request, BodyHandlers.ofString());
        int status = response.statusCode();
        if (status == 503 || status == 429) {
          String retryAfter = response.headers().firstValue("Retry-After").orElse(null);
          call.onRefused(permit, RetryAfter.parseNanos(retryAfter, Clock.systemUTC()));
        } else if (status >= 500) {
          call.onFailure(permit);
        } else {
          call.onSuccess(permit);
          return response;
        }
      }
      long delay = call.nextDelayNanos();                // never sooner than any Retry-After
      if (delay == RetryCall.GIVE_UP) {
        throw new IOException("gave up after " + call.attempts() + " attempts");
      }
      TimeUnit.NANOSECONDS.sleep(delay);
    }
    // README: end
  }

  /**
   * Runs the loop once, answered at the first attempt, so the test never sleeps; the retry path
   * of the same loop runs against a manual clock in {@link RetryPolicyTest}.
   */
  @Test
  void theRetryLoopSnippetRuns() throws Exception {
    http.answer(200, null);
    assertThat(fetch().body()).isEqualTo("ok");
    assertThat(http.sent).isEqualTo(1);
  }
}
