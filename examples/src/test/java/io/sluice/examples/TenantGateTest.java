package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.http.HttpRefusals;
import io.sluice.http.Tenant;
import io.sluice.limit.FixedLimit;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** 429 for a tenant over its quota, 503 for a server at capacity, each with its Retry-After. */
class TenantGateTest {
  private final ManualClock clock = new ManualClock();
  private final TenantGate gate = new TenantGate(
      KeyedRateLimiter.newBuilder().rate(2, Duration.ofSeconds(1)).burst(2).clock(clock)
          .<Tenant>build(),
      Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(3)).build(),
      HttpRefusals.newBuilder().quotaPolicy("tenant", 2, Duration.ofSeconds(1)).build());

  private TenantGate.Answer admit(String tenant) {
    return gate.admit(Tenant.of(tenant));
  }

  @Test
  void aTenantOverItsQuotaGets429WithTheTimeUntilItsNextToken() {
    TenantGate.Answer first = admit("noisy");
    TenantGate.Answer second = admit("noisy");
    gate.finish(first, Outcome.SUCCESS);
    gate.finish(second, Outcome.SUCCESS);

    TenantGate.Answer third = admit("noisy");

    assertThat(third.status()).isEqualTo(429);
    assertThat(third.refusal().field("Retry-After"))
        .as("half a second, rounded up to whole seconds").isEqualTo("1");
    assertThat(third.refusal().field("RateLimit")).isEqualTo("\"tenant\";r=0;t=1;pk=:bm9pc3k=:");
    clock.advance(Duration.ofMillis(500));
    assertThat(admit("noisy").admitted()).isTrue();
  }

  @Test
  void aServerAtCapacityAnswers503ToTenantsWithinTheirQuota() {
    TenantGate.Answer a = admit("a");
    TenantGate.Answer b = admit("b");
    TenantGate.Answer c = admit("c");
    assertThat(a.admitted() && b.admitted() && c.admitted()).isTrue();

    TenantGate.Answer d = admit("d");

    assertThat(d.status()).isEqualTo(503);
    assertThat(d.refusal().retryAfterSeconds()).isPositive();
    assertThat(d.refusal().field("RateLimit-Policy"))
        .isEqualTo("\"concurrency\";q=3;qu=\"concurrent-requests\"");
    gate.finish(a, Outcome.SUCCESS);
    assertThat(admit("d").admitted()).as("room again after a release").isTrue();
  }

  @Test
  void aNoisyTenantIsTurnedAwayBeforeItTakesSharedCapacity() {
    admit("noisy");
    admit("noisy");
    for (int i = 0; i < 100; i++) {
      assertThat(admit("noisy").status()).isEqualTo(429);
    }
    assertThat(admit("quiet").admitted()).as("the third unit of capacity is still free")
        .isTrue();
  }
}
