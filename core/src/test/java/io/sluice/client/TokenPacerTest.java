package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.testing.ManualClock;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Client-side pacing by tokens, on a manual clock: never more than burst + tokens per minute over
 * any window, a provider that adjusts its count at the end never has to refuse, exact waits, and
 * the provider's remaining and limit fields.
 */
class TokenPacerTest {
  private static final long MINUTE = Duration.ofMinutes(1).toNanos();

  private final ManualClock clock = new ManualClock();

  private static long admitted(long ticket) {
    assertThat(Ticket.isPermit(ticket)).as("admitted: %s", Ticket.toString(ticket)).isTrue();
    return ticket;
  }

  /** burst + floor(perMinute * window / 1 min). */
  private static long bound(int burst, long perMinute, long windowNanos) {
    return burst + BigInteger.valueOf(windowNanos).multiply(BigInteger.valueOf(perMinute))
        .divide(BigInteger.valueOf(MINUTE)).longValueExact();
  }

  /**
   * A client that waits exactly the Retry-After it is given sends requests of random sizes; the
   * provider charges each estimate in full. Every window between two sends holds no more tokens
   * than the burst plus the window's share of the rate, and the client gets close to that.
   */
  @Test
  void aWaitingClientNeverSendsMoreThanTheRateOverAnyWindow() {
    long perMinute = 90_000;
    int burst = 12_000;
    TokenPacer pacer = TokenPacer.perMinute(perMinute, burst, clock);
    SplittableRandom random = new SplittableRandom(11);
    List<long[]> sends = new ArrayList<>();   // {time, tokens}
    while (sends.size() < 1500) {
      int estimate = 100 + random.nextInt(4000);
      long ticket = pacer.tryAcquire(estimate);
      if (Ticket.isRejection(ticket)) {
        assertThat(Ticket.reason(ticket)).isEqualTo(RejectReason.RATE_LIMITED);
        clock.advanceNanos(Ticket.retryAfterNanos(ticket));
        ticket = admitted(pacer.tryAcquire(estimate));
      }
      sends.add(new long[] {clock.nanoTime(), estimate});
      pacer.reconcile(ticket, estimate);
      if (random.nextInt(4) == 0) {
        clock.advanceNanos(random.nextLong(200_000_000L));   // now and then, a quiet spell
      }
    }

    long[] prefix = new long[sends.size() + 1];
    for (int i = 0; i < sends.size(); i++) {
      prefix[i + 1] = prefix[i] + sends.get(i)[1];
    }
    for (int i = 0; i < sends.size(); i++) {
      for (int j = i; j < sends.size(); j++) {
        long window = sends.get(j)[0] - sends.get(i)[0];
        long tokens = prefix[j + 1] - prefix[i];
        if (tokens > bound(burst, perMinute, window)) {
          throw new AssertionError(tokens + " tokens sent in " + window + " ns, from send " + i
              + " to " + j);
        }
      }
    }
    long total = prefix[sends.size()];
    long elapsed = sends.get(sends.size() - 1)[0];
    assertThat(total).as("a waiting client gets nearly all the rate allows")
        .isGreaterThan(bound(burst, perMinute, elapsed) * 9 / 10);
  }

  /**
   * The provider charges the estimate when a request arrives and corrects it to the tokens used
   * when it ends (as the pacer does); its own bucket, kept here in exact rational arithmetic, never
   * has to refuse a request the pacer let through.
   */
  @Test
  void aProviderThatReconcilesAsThePacerDoesNeverRefuses() {
    long perMinute = 60_000;
    int burst = 60_000;
    TokenPacer pacer = TokenPacer.perMinute(perMinute, burst, clock);
    SplittableRandom random = new SplittableRandom(12);
    // The provider's balance, in tokens x ns per minute (so a refill of dt ns adds dt * perMinute).
    BigInteger unit = BigInteger.valueOf(MINUTE);
    BigInteger capacity = BigInteger.valueOf(burst).multiply(unit);
    BigInteger balance = capacity;
    long last = clock.nanoTime();
    List<long[]> inFlight = new ArrayList<>();   // {reservation, estimate, actual}
    int refusedByProvider = 0;
    int sent = 0;
    while (sent < 3000) {
      long now = clock.nanoTime();
      balance = capacity.min(balance.add(BigInteger.valueOf(now - last)
          .multiply(BigInteger.valueOf(perMinute))));
      last = now;
      if (!inFlight.isEmpty() && (inFlight.size() > 6 || random.nextBoolean())) {
        long[] done = inFlight.remove(random.nextInt(inFlight.size()));
        balance = balance.add(BigInteger.valueOf(done[1] - done[2]).multiply(unit)).min(capacity);
        pacer.reconcile(done[0], (int) done[2]);
        continue;
      }
      int estimate = 500 + random.nextInt(8000);
      long ticket = pacer.tryAcquire(estimate);
      if (Ticket.isRejection(ticket)) {
        clock.advanceNanos(Ticket.retryAfterNanos(ticket));
        continue;
      }
      sent++;
      BigInteger charge = BigInteger.valueOf(estimate).multiply(unit);
      if (balance.compareTo(charge) < 0) {
        refusedByProvider++;
      }
      balance = balance.subtract(charge);
      int actual = random.nextInt(10) == 0 ? estimate + random.nextInt(500)
          : random.nextInt(estimate + 1);
      inFlight.add(new long[] {ticket, estimate, actual});
      clock.advanceNanos(random.nextLong(5_000_000L));
    }

    assertThat(refusedByProvider).isZero();
  }

  @Test
  void aRefusalCarriesTheExactWaitUntilTheEstimateFits() {
    TokenPacer pacer = TokenPacer.perMinute(6000, 1000, clock);   // a token every 10 ms
    long reservation = admitted(pacer.tryAcquire(900));
    pacer.reconcile(reservation, 1100);                            // 200 more than estimated

    long refused = pacer.tryAcquire(50);

    assertThat(pacer.debt()).isEqualTo(100);
    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(150 * 10_000_000L);
    clock.advanceNanos(150 * 10_000_000L - 1);
    assertThat(Ticket.isRejection(pacer.tryAcquire(50))).isTrue();
    clock.advanceNanos(1);
    admitted(pacer.tryAcquire(50));
  }

  @Test
  void theProvidersRemainingTokensLowerThePacerScaledToItsShare() {
    TokenPacer pacer = TokenPacer.perMinute(30_000, 30_000, clock);
    pacer.onResponse(ResponseHeaders.of(Map.of(
        "x-ratelimit-limit-tokens", "90000", "x-ratelimit-remaining-tokens", "45000")));
    assertThat(pacer.availableTokens()).as("a third of the account: a third of what remains")
        .isEqualTo(15_000);

    pacer.onResponse(ResponseHeaders.of(Map.of(
        "x-ratelimit-limit-tokens", "90000", "x-ratelimit-remaining-tokens", "89000")));
    assertThat(pacer.availableTokens()).as("never raised").isEqualTo(15_000);

    pacer.onResponse(ResponseHeaders.of(Map.of(
        "anthropic-ratelimit-tokens-limit", "90000",
        "anthropic-ratelimit-tokens-remaining", "9000")));
    assertThat(pacer.availableTokens()).isEqualTo(3000);

    pacer.onResponse(ResponseHeaders.of(Map.of("x-ratelimit-remaining-tokens", "1200")));
    assertThat(pacer.availableTokens()).as("no limit named: the remaining count").isEqualTo(1200);
  }

  @Test
  void junkAndMissingFieldsChangeNothing() {
    TokenPacer pacer = TokenPacer.perMinute(30_000, 30_000, clock);
    pacer.onResponse(ResponseHeaders.of(Map.of(
        "x-ratelimit-limit-tokens", "-1", "x-ratelimit-remaining-tokens", "-1",
        "anthropic-ratelimit-tokens-remaining", "lots",
        "anthropic-ratelimit-tokens-limit", "9".repeat(40))));
    pacer.onResponse(ResponseHeaders.NONE);
    pacer.onResponse(null);
    assertThat(pacer.availableTokens()).isEqualTo(30_000);
    pacer.onResponse(ResponseHeaders.of(Map.of(
        "x-ratelimit-limit-tokens", "junk", "x-ratelimit-remaining-tokens", "0")));
    assertThat(pacer.availableTokens()).as("a well-formed remaining 0 is enough").isZero();
  }

  @Test
  void badInputFailsWithTheParameterTheValueAndTheRange() {
    assertThatThrownBy(() -> TokenPacer.perMinute(0, 1, clock))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokensPerMinute");
    assertThatThrownBy(() -> TokenPacer.perMinute(1000, 1001, clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("burst").hasMessageContaining("1000").hasMessageContaining("1001");
    assertThatThrownBy(() -> TokenPacer.perMinute(1000, 10, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clock");
    TokenPacer pacer = TokenPacer.perMinute(1000, 100, clock);
    for (int tokens : new int[] {0, -5, 101, Integer.MAX_VALUE}) {
      assertThatThrownBy(() -> pacer.tryAcquire(tokens))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("estimatedTokens must be in [1, 100] but was " + tokens);
    }
    long reservation = admitted(pacer.tryAcquire(10));
    assertThatThrownBy(() -> pacer.reconcile(reservation, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("actualTokens");
    assertThatThrownBy(() -> pacer.observe(-1, 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("remainingTokens");
    assertThat(pacer.reconcile(reservation, 4)).isTrue();
    assertThat(pacer.reconcile(reservation, 4)).isFalse();
    assertThat(pacer.availableTokens()).isEqualTo(96);
    assertThat(pacer.pending()).isZero();
  }
}
