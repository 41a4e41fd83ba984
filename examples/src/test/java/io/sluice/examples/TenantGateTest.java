package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.ManualClock;
import io.sluice.Outcome;
import io.sluice.limit.FixedLimit;
import io.sluice.rate.RateLimiter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** 429 for a tenant over its quota, 503 for a server at capacity, each with its Retry-After. */
class TenantGateTest {
  private final ManualClock clock = new ManualClock();
  private final TenantGate gate = new TenantGate(
      RateLimiter.newBuilder().rate(2, Duration.ofSeconds(1)).burst(2).clock(clock)
          .<String>buildKeyed(),
      Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(3)).build());

  @Test
  void aTenantOverItsQuotaGets429WithTheTimeUntilItsNextToken() {
    TenantGate.Answer first = gate.admit("noisy");
    TenantGate.Answer second = gate.admit("noisy");
    gate.finish(first, Outcome.SUCCESS);
    gate.finish(second, Outcome.SUCCESS);

    TenantGate.Answer third = gate.admit("noisy");

    assertThat(third.status()).isEqualTo(429);
    assertThat(third.retryAfter()).as("half a second, rounded up to whole seconds").isEqualTo("1");
    clock.advance(Duration.ofMillis(500));
    assertThat(gate.admit("noisy").admitted()).isTrue();
  }

  @Test
  void aServerAtCapacityAnswers503ToTenantsWithinTheirQuota() {
    TenantGate.Answer a = gate.admit("a");
    TenantGate.Answer b = gate.admit("b");
    TenantGate.Answer c = gate.admit("c");
    assertThat(a.admitted() && b.admitted() && c.admitted()).isTrue();

    TenantGate.Answer d = gate.admit("d");

    assertThat(d.status()).isEqualTo(503);
    assertThat(Long.parseLong(d.retryAfter())).isPositive();
    gate.finish(a, Outcome.SUCCESS);
    assertThat(gate.admit("d").admitted()).as("room again after a release").isTrue();
  }

  @Test
  void aNoisyTenantIsTurnedAwayBeforeItTakesSharedCapacity() {
    gate.admit("noisy");
    gate.admit("noisy");
    for (int i = 0; i < 100; i++) {
      assertThat(gate.admit("noisy").status()).isEqualTo(429);
    }
    assertThat(gate.admit("quiet").admitted()).as("the third unit of capacity is still free")
        .isTrue();
  }
}
