package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Ticket;
import io.sluice.client.RetryAfter;
import io.sluice.docs.DocSnippets;
import io.sluice.testing.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The code of docs/17-token-quotas.md: each snippet sits between "docs" markers below, compiles,
 * and runs here against a fake model. The first test checks that every Java block of the page
 * appears in this file, so the page cannot drift.
 */
class TokenQuotaDocTest {
  private static final String PAGE = "docs/17-token-quotas.md";

  private final ManualClock clock = new ManualClock();
  private final TokenQuota<String> tokensPerMinute = TokenQuota.newBuilder()
      .rate(100_000, Duration.ofMinutes(1)).burst(100_000).clock(clock).build();
  private final FakeModel model = new FakeModel();
  private final StringBuilder client = new StringBuilder();

  @Test
  void everyJavaBlockOfThePageIsCodeInThisFile() throws IOException {
    String source = normalize(Files.readString(
        Path.of("src/test/java/io/sluice/rate/TokenQuotaDocTest.java"), StandardCharsets.UTF_8));
    List<String> blocks = DocSnippets.blocks(DocSnippets.page(PAGE), "java");
    assertThat(blocks).hasSize(2);
    for (String block : blocks) {
      assertThat(source).as("block compiled here:%n%s", block).contains(normalize(block));
    }
  }

  private static String normalize(String code) {
    return code.replaceAll("\\s+", " ").strip();
  }

  /** A model that streams words, one token each, and may lose its client half-way. */
  static final class FakeModel {
    int disconnectAfter = Integer.MAX_VALUE;

    Generation start(String prompt, int maxTokens) {
      return new Generation(Math.min(maxTokens, 50), disconnectAfter);
    }
  }

  /** One answer being generated: how many tokens it has produced so far. */
  static final class Generation {
    private final int length;
    private final int disconnectAfter;
    private int produced;

    Generation(int length, int disconnectAfter) {
      this.length = length;
      this.disconnectAfter = disconnectAfter;
    }

    void streamTo(StringBuilder client) {
      while (produced < length) {
        if (produced == disconnectAfter) {
          throw new UncheckedIOException(new IOException("client went away"));
        }
        produced++;
        client.append("token ");
      }
    }

    int tokensProduced() {
      return produced;
    }
  }

  private static String respond(int status, String retryAfter) {
    return status + (retryAfter == null ? "" : " Retry-After: " + retryAfter);
  }

  @Test
  void buildingAQuota() {
    // docs: begin
    TokenQuota<String> tokensPerMinute = TokenQuota.newBuilder()
        .rate(100_000, Duration.ofMinutes(1))   // tokens per minute, per API key
        .burst(100_000)                         // at most a minute's tokens at once
        .maxKeys(100_000)
        .build();
    // docs: end

    assertThat(tokensPerMinute.burst()).isEqualTo(100_000);
    assertThat(tokensPerMinute.maxKeys()).isEqualTo(100_000);
    assertThat(tokensPerMinute.availableCost("anyone")).isEqualTo(100_000);
  }

  private String handle(String apiKey, String prompt, int promptTokens, int maxTokens) {
    // docs: begin
    int estimate = promptTokens + maxTokens;
    if (estimate > tokensPerMinute.burst()) {
      return respond(400, null);                      // could never be admitted: say so at once
    }
    long reservation = tokensPerMinute.tryAcquire(apiKey, estimate);
    if (Ticket.isRejection(reservation)) {
      return respond(429, RetryAfter.format(Ticket.retryAfterNanos(reservation)));
    }
    Generation generation = model.start(prompt, maxTokens);
    try {
      generation.streamTo(client);
    } finally {
      tokensPerMinute.reconcile(reservation, promptTokens + generation.tokensProduced());
    }
    // docs: end
    return respond(200, null);
  }

  @Test
  void anAnswerIsChargedWhatItUsedNotItsEstimate() {
    assertThat(handle("key", "hello", 10, 4000)).isEqualTo("200");

    assertThat(tokensPerMinute.availableCost("key")).as("10 + 50 tokens, not 4,010")
        .isEqualTo(100_000 - 60);
    assertThat(tokensPerMinute.pending()).isZero();
  }

  @Test
  void aClientThatDisconnectsIsChargedWhatItConsumed() {
    model.disconnectAfter = 7;

    assertThatThrownBy(() -> handle("key", "hello", 10, 4000))
        .isInstanceOf(UncheckedIOException.class);

    assertThat(tokensPerMinute.availableCost("key")).isEqualTo(100_000 - 17);
    assertThat(tokensPerMinute.pending()).isZero();
  }

  @Test
  void anEstimateAboveTheBurstIsA400AndAnExhaustedQuotaA429WithItsExactWait() {
    assertThat(handle("key", "a book", 90_000, 20_000)).isEqualTo("400");
    assertThat(tokensPerMinute.tryAcquire("key", 99_990)).isNotNegative();

    assertThat(handle("key", "hello", 10, 4000)).as("4,000 tokens short: 2.4 s")
        .isEqualTo("429 Retry-After: 3");
    assertThat(tokensPerMinute.keyCount()).isEqualTo(1);
  }
}
