package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.docs.DocSnippets;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The code of docs/16-llm-calling-side.md: each snippet sits between "docs" markers below,
 * compiles, and runs here against a scripted provider. The first test checks that every Java block
 * of the page appears in this file, so the page cannot drift. The loop runs only where it sends
 * once (answered, or refused for good), so the test never sleeps; its retries run on a manual
 * clock in {@link ProviderRetryTest}.
 */
class LlmCallingSideDocTest {
  private static final String PAGE = "docs/16-llm-calling-side.md";
  private static final Pattern TOTAL_TOKENS = Pattern.compile("\"total_tokens\":\\s*(\\d+)");

  private final ManualClock clock = new ManualClock();
  private final FakeHttp http = new FakeHttp();
  private final HttpRequest request =
      HttpRequest.newBuilder(URI.create("http://provider/v1/chat/completions")).build();
  private final TokenPacer pacer = TokenPacer.perMinute(90_000, 20_000, clock);
  private final Limiter outbound = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
      .build();
  private final RetryPolicy policy = RetryPolicy.newBuilder().maxAttempts(4).build();
  private final int estimatedTokens = 1500;

  @Test
  void everyJavaBlockOfThePageIsCodeInThisFile() throws IOException {
    String source = normalize(Files.readString(
        Path.of("src/test/java/io/sluice/client/LlmCallingSideDocTest.java"),
        StandardCharsets.UTF_8));
    List<String> blocks = DocSnippets.blocks(DocSnippets.page(PAGE), "java");
    assertThat(blocks).hasSize(3);
    for (String block : blocks) {
      assertThat(source).as("block compiled here:%n%s", block).contains(normalize(block));
    }
  }

  private static String normalize(String code) {
    return code.replaceAll("\\s+", " ").strip();
  }

  /** The tokens the provider counted, from the answer's usage. */
  private static int usedTokens(HttpResponse<String> response) {
    Matcher m = TOTAL_TOKENS.matcher(response.body());
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  @Test
  void theThreePieces() {
    // docs: begin
    Limiter outbound = Limiter.newBuilder()
        .algorithm(AimdLimit.newBuilder()
            .initialLimit(50)
            .maxLimit(50)                           // the account's concurrency limit: the ceiling
            .timeout(Duration.ofMinutes(5)))        // long generations are not congestion
        .build();

    TokenPacer pacer = TokenPacer.perMinute(
        450_000,                                    // the account's tokens per minute
        60_000,                                     // the largest request; smaller spreads them out
        NanoClock.system());

    RetryPolicy policy = RetryPolicy.newBuilder()
        .maxAttempts(4)
        .maxRetryAfter(Duration.ofMinutes(2))       // a longer wait gives up instead
        .budget(RetryBudget.of(0.1, 10))            // retries under 10% of requests
        .classifier(RefusalClassifier.standard())   // OpenAI-compatible and Anthropic-style answers
        .build();
    // docs: end

    assertThat(outbound.limit()).isEqualTo(50);
    assertThat(pacer.burst()).isEqualTo(60_000);
    assertThat(pacer.availableTokens()).isEqualTo(60_000);
    assertThat(policy.maxAttempts()).isEqualTo(4);
  }

  private HttpResponse<String> complete() throws IOException, InterruptedException {
    // docs: begin
    RetryCall call = policy.newCall();
    for (;;) {
      long reservation = pacer.tryAcquire(estimatedTokens);          // prompt + max_tokens
      if (Ticket.isRejection(reservation)) {
        TimeUnit.NANOSECONDS.sleep(Ticket.retryAfterNanos(reservation));   // exact; or fail fast
        continue;
      }
      long slot = outbound.tryAcquire();                             // the account's concurrency
      if (Ticket.isRejection(slot)) {
        pacer.reconcile(reservation, 0);
        throw Ticket.toException(slot);                              // busy here, never sent
      }
      long permit = call.tryAttempt();                               // a breaker, a throttle
      HttpResponse<String> response = null;
      ProviderAnswer answer = null;
      if (Ticket.isPermit(permit)) {
        response = http.send(request, BodyHandlers.ofString());
        HttpResponse<String> received = response;
        ResponseHeaders headers = name -> received.headers().firstValue(name).orElse(null);
        answer = call.onResponse(permit, response.statusCode(), headers, response.body());
        pacer.onResponse(headers);
      }
      boolean accepted = answer != null && answer.kind() == ProviderAnswer.Kind.ACCEPTED;
      outbound.release(slot, answer == null ? Outcome.IGNORED : answer.outcome());
      pacer.reconcile(reservation, accepted ? usedTokens(response) : 0);
      if (accepted) {
        return response;
      }
      long delay = call.nextDelayNanos();                            // never sooner than its wait
      if (delay == RetryCall.GIVE_UP) {
        throw new IOException("gave up after " + call.attempts() + " attempts: " + answer);
      }
      TimeUnit.NANOSECONDS.sleep(delay);
    }
    // docs: end
  }

  @Test
  void oneCallAnsweredChargesWhatTheProviderCountedAndFollowsItsRemainingTokens() throws Exception {
    http.answer(200, Map.of("x-ratelimit-limit-tokens", "90000",
        "x-ratelimit-remaining-tokens", "60000"), "{\"usage\": {\"total_tokens\": 700}}");

    assertThat(usedTokens(complete())).isEqualTo(700);

    assertThat(pacer.availableTokens())
        .as("lowered to 20,000 x 60,000 / 90,000 when the headers came, then 800 refunded")
        .isEqualTo(13_333 + 800);
    assertThat(pacer.pending()).isZero();
    assertThat(outbound.inFlight()).isZero();
  }

  @Test
  void oneCallRefusedForAnExhaustedQuotaGivesUpAtOnceAndGivesTheTokensBack() {
    http.answer(429, Map.of(), "{\"error\":{\"type\":\"insufficient_quota\"}}")
        .answer(200, Map.of(), "never sent");

    assertThatThrownBy(this::complete).isInstanceOf(IOException.class)
        .hasMessageContaining("gave up after 1 attempts").hasMessageContaining("QUOTA_EXHAUSTED");

    assertThat(http.sent).isEqualTo(1);
    assertThat(pacer.availableTokens()).isEqualTo(20_000);
    assertThat(outbound.inFlight()).isZero();
  }

  @Test
  void aCallerBeyondTheAccountsConcurrencyIsRefusedLocallyAndNeverSent() {
    long held = outbound.tryAcquire();

    assertThatThrownBy(this::complete).isInstanceOf(AdmissionRejectedException.class)
        .satisfies(e -> assertThat(((AdmissionRejectedException) e).reason())
            .isEqualTo(RejectReason.LIMIT_REACHED));

    assertThat(http.sent).isZero();
    assertThat(pacer.availableTokens()).isEqualTo(20_000);
    outbound.release(held, Outcome.IGNORED);
  }

  @Test
  void aClassifierOfYourOwn() {
    // docs: begin
    RefusalClassifier classifier = (status, headers, body) ->
        status == 400 && body != null && body.contains("credit balance is too low")
            ? ProviderAnswer.quotaExhausted()
            : RefusalClassifier.standard().classify(status, headers, body);
    // docs: end

    assertThat(classifier.classify(400, ResponseHeaders.NONE, "Your credit balance is too low"))
        .isEqualTo(ProviderAnswer.quotaExhausted());
    assertThat(classifier.classify(400, ResponseHeaders.NONE, "bad").kind())
        .isEqualTo(ProviderAnswer.Kind.REJECTED);
    assertThat(classifier.classify(529, ResponseHeaders.NONE, null).kind())
        .isEqualTo(ProviderAnswer.Kind.OVERLOADED);
  }
}
