package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Per-key quotas: isolation, the key bound, eviction of idle keys only. */
class KeyedRateLimiterTest {
  private final ManualClock clock = new ManualClock();

  private KeyedRateLimiter<String> quotas(int maxKeys) {
    return KeyedRateLimiter.newBuilder()
        .rate(10, Duration.ofSeconds(1))
        .burst(5)
        .maxKeys(maxKeys)
        .clock(clock)
        .build();
  }

  @Test
  void eachBuildOfTheKeyedBuilderIsATableOfItsOwn() {
    KeyedRateLimiter.Builder builder = KeyedRateLimiter.newBuilder()
        .rate(10, Duration.ofSeconds(1)).burst(1).maxKeys(1).clock(clock);
    KeyedRateLimiter<String> first = builder.build();
    KeyedRateLimiter<String> second = builder.build();

    assertThat(Ticket.isPermit(first.tryAcquire("a"))).isTrue();
    assertThat(Ticket.isPermit(second.tryAcquire("a"))).isTrue();
    assertThat(Ticket.reason(first.tryAcquire("b"))).isEqualTo(RejectReason.RATE_LIMITED);
    assertThat(first.snapshot().rejectedNewKeys()).isEqualTo(1);
    assertThat(second.snapshot().rejectedNewKeys()).isZero();
    assertThat(second.maxKeys()).isEqualTo(1);
    assertThatThrownBy(() -> KeyedRateLimiter.newBuilder().build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rate must be set");
  }

  @Test
  void aNoisyKeyCannotConsumeAnotherKeysQuota() {
    KeyedRateLimiter<String> quotas = quotas(100);
    for (int i = 0; i < 1000; i++) {
      quotas.tryAcquire("noisy");
    }

    long noisy = quotas.tryAcquire("noisy");
    assertThat(Ticket.reason(noisy)).isEqualTo(RejectReason.RATE_LIMITED);
    assertThat(Ticket.retryAfterNanos(noisy)).isEqualTo(100_000_000L);
    assertThat(quotas.availablePermits("quiet")).isEqualTo(5);
    for (int i = 0; i < 5; i++) {
      assertThat(Ticket.isPermit(quotas.tryAcquire("quiet"))).isTrue();
    }
    assertThat(Ticket.isRejection(quotas.tryAcquire("quiet"))).isTrue();
  }

  @Test
  void aNewKeyFindingTheTableFullIsRefusedUntilATrackedKeyIsIdle() {
    KeyedRateLimiter<String> quotas = quotas(3);
    quotas.tryAcquire("a", 5);            // full again 500 ms from now
    clock.advance(Duration.ofMillis(200));
    quotas.tryAcquire("b", 5);            // 700 ms from the start
    quotas.tryAcquire("c", 1);            // 300 ms from the start

    long refused = quotas.tryAcquire("d");

    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.RATE_LIMITED);
    assertThat(Ticket.retryAfterNanos(refused)).as("c is full again in 100 ms: the next sweep")
        .isEqualTo(100_000_000L);
    assertThat(quotas.snapshot().rejectedNewKeys()).isEqualTo(1);
    assertThat(quotas.keyCount()).isEqualTo(3);

    clock.advance(Duration.ofMillis(100));
    assertThat(Ticket.isPermit(quotas.tryAcquire("d"))).as("c was evicted").isTrue();
    assertThat(quotas.snapshot().evictions()).isEqualTo(1);
    assertThat(quotas.keyCount()).isEqualTo(3);
    assertThat(quotas.availablePermits("a")).as("a was kept: not idle").isEqualTo(3);
  }

  @Test
  void sweepsAreSpacedSoAFloodOfNewKeysCostsOnePassPerInterval() {
    KeyedRateLimiter<String> quotas = quotas(2);
    quotas.tryAcquire("a", 5);
    quotas.tryAcquire("b", 5);

    long first = quotas.tryAcquire("x1");
    assertThat(Ticket.retryAfterNanos(first)).isEqualTo(500_000_000L);
    clock.advance(Duration.ofMillis(10));
    long second = quotas.tryAcquire("x2");

    assertThat(Ticket.retryAfterNanos(second)).as("no new sweep: the recorded moment stands")
        .isEqualTo(490_000_000L);
    assertThat(quotas.snapshot().rejectedNewKeys()).isEqualTo(2);
  }

  @Test
  void evictionNeverGrantsTokens() {
    KeyedRateLimiter<String> quotas = quotas(1);
    quotas.tryAcquire("a", 5);
    clock.advance(Duration.ofMillis(300));
    assertThat(quotas.cleanUp()).as("a holds 3 of 5 tokens: not idle").isZero();
    assertThat(quotas.availablePermits("a")).isEqualTo(3);

    clock.advance(Duration.ofMillis(200));
    assertThat(quotas.cleanUp()).isEqualTo(1);
    assertThat(quotas.keyCount()).isZero();
    assertThat(quotas.availablePermits("a")).isEqualTo(5);
  }

  /**
   * A bounded table with churn decides exactly like unbounded per-key buckets, except for the
   * refusals of new keys at the bound: eviction changes no decision.
   */
  @Test
  void aBoundedTableDecidesLikeUnboundedBucketsApartFromNewKeyRefusals() {
    KeyedRateLimiter<Integer> quotas = KeyedRateLimiter.newBuilder()
        .rate(7, Duration.ofSeconds(3)).burst(4).maxKeys(8).clock(clock).build();
    Map<Integer, RateLimiter> unbounded = new HashMap<>();
    SplittableRandom random = new SplittableRandom(5);
    long compared = 0;
    for (int i = 0; i < 200_000; i++) {
      int key = random.nextInt(random.nextInt(10) == 0 ? 40 : 6);
      int permits = 1 + random.nextInt(3);
      long rejectedBefore = quotas.snapshot().rejectedNewKeys();
      long ticket = quotas.tryAcquire(key, permits);
      if (quotas.snapshot().rejectedNewKeys() == rejectedBefore) {
        RateLimiter reference = unbounded.computeIfAbsent(key, k -> RateLimiter.newBuilder()
            .rate(7, Duration.ofSeconds(3)).burst(4).clock(clock).build());
        long expected = reference.tryAcquire(permits);
        assertThat(Ticket.toString(ticket)).as("request %d, key %d", i, key)
            .isEqualTo(Ticket.toString(expected));
        compared++;
      } else {
        assertThat(unbounded.getOrDefault(key, null) == null
            || unbounded.get(key).availablePermits() == 4)
            .as("only an untracked key is refused for room, and its bucket would be full")
            .isTrue();
      }
      assertThat(quotas.keyCount()).isLessThanOrEqualTo(8);
      if (random.nextInt(4) == 0) {
        clock.advanceNanos(random.nextLong(400_000_000L));
      }
    }
    assertThat(quotas.snapshot().evictions()).as("the run churned keys").isGreaterThan(1000);
    assertThat(quotas.snapshot().rejectedNewKeys()).as("the run hit the bound").isGreaterThan(100);
    assertThat(compared).isGreaterThan(150_000);
  }

  /** A test double or decorator needs only the live methods; its default snapshot counts 0. */
  @Test
  void aDoubleWithOnlyTheLiveMethodsIsSnapshottedWithZeroCounts() {
    KeyedRateLimiter<String> live = quotas(4);
    live.tryAcquire("a", 5);
    KeyedRateLimiter<String> view = new KeyedRateLimiter<>() {
      @Override
      public long tryAcquire(String key) {
        return live.tryAcquire(key);
      }

      @Override
      public long tryAcquire(String key, int cost) {
        return live.tryAcquire(key, cost);
      }

      @Override
      public long availablePermits(String key) {
        return live.availablePermits(key);
      }

      @Override
      public int burst() {
        return live.burst();
      }

      @Override
      public int keyCount() {
        return live.keyCount();
      }

      @Override
      public int maxKeys() {
        return live.maxKeys();
      }

      @Override
      public int cleanUp() {
        return live.cleanUp();
      }
    };

    assertThat(view.snapshot()).isEqualTo(KeyedRateLimiterSnapshot.of(5, 4, 1, 0, 0));
  }

  @Test
  void nullKeysAndBadWeightsAreRefusedWithTheirNames() {
    KeyedRateLimiter<String> quotas = quotas(4);
    assertThatThrownBy(() -> quotas.tryAcquire(null)).hasMessage("key must not be null");
    assertThatThrownBy(() -> quotas.tryAcquire("k", 6))
        .hasMessage("cost must be in [1, 5] but was 6");
    assertThat(quotas.maxKeys()).isEqualTo(4);
    assertThat(quotas.burst()).isEqualTo(5);
  }
}
