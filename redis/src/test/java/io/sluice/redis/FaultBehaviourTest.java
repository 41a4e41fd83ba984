package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.breaker.CircuitBreaker;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.rate.KeyedRateLimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the limiter decides when its store misbehaves, on a store whose health the test sets (no
 * Redis, no timing: a hanging store costs one budget of 1 ms per call).
 */
class FaultBehaviourTest {
  private final ManualClock clock = new ManualClock();
  private final ScriptedStore store = new ScriptedStore();

  private GlobalRateLimiter.Builder builder() {
    return GlobalRateLimiter.newBuilder()
        .store(store)
        .name("quota")
        .rate(20, Duration.ofMinutes(1))
        .burst(20)
        .budget(Duration.ofMillis(1))
        .clock(clock)
        .clientClock(clock);
  }

  @Test
  void itsSnapshotIsAlsoAKeyedRateLimitersSnapshot() {
    GlobalRateLimiter quotas = builder().maxKeys(50).failClosed().build();
    assertThat(Ticket.isPermit(quotas.tryAcquire("a"))).isTrue();
    assertThat(Ticket.isPermit(quotas.tryAcquire("b"))).isTrue();
    KeyedRateLimiter<String> keyed = quotas;
    KeyedRateLimiterSnapshot snapshot = keyed.snapshot();
    assertThat(snapshot).isInstanceOf(GlobalRateLimiterSnapshot.class);
    assertThat(snapshot.burst()).isEqualTo(20);
    assertThat(snapshot.maxKeys()).isEqualTo(50);
    assertThat(snapshot.keys()).isEqualTo(quotas.keyCount());
    assertThat(snapshot.evictions()).isZero();
    assertThat(snapshot.rejectedNewKeys()).isZero();
    assertThat(quotas.snapshot().storeCalls()).isPositive();
  }

  @Test
  void itsSnapshotCountsNewKeysTheFailOpenSharesFullTableRefused() {
    GlobalRateLimiter quotas = builder().maxKeys(1).failOpen(4).build();
    store.health = ScriptedStore.Health.FAILS;
    assertThat(Ticket.isPermit(quotas.tryAcquire("a"))).as("the share tracks a").isTrue();

    long refused = quotas.tryAcquire("b");

    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.RATE_LIMITED);
    GlobalRateLimiterSnapshot snapshot = quotas.snapshot();
    assertThat(snapshot.rejectedNewKeys()).as("b found the share's table full").isEqualTo(1);
    assertThat(snapshot.degradedDecisions()).isEqualTo(2);
  }

  @Test
  void failingOpenGrantsTheLocalShareWhileTheStoreHangs() {
    GlobalRateLimiter quotas = builder().failOpen(4).build();
    store.health = ScriptedStore.Health.HANGS;

    int admitted = 0;
    for (int i = 0; i < 8; i++) {
      long ticket = quotas.tryAcquire("tenant");
      if (Ticket.isPermit(ticket)) {
        admitted++;
      } else {
        assertThat(Ticket.reason(ticket)).isEqualTo(RejectReason.RATE_LIMITED);
        // The share refills 20 / 4 = 5 permits a minute: one every 12 s.
        assertThat(Ticket.retryAfterNanos(ticket)).isEqualTo(Duration.ofSeconds(12).toNanos());
      }
    }

    assertThat(admitted).as("burst 20 over 4 replicas").isEqualTo(5);
    assertThat(quotas.snapshot().storeFailures()).isEqualTo(8);
    assertThat(quotas.snapshot().degradedDecisions()).isEqualTo(8);
  }

  @Test
  void failingClosedRefusesWithCircuitOpenAndARetryAfter() {
    GlobalRateLimiter quotas = builder().failClosed()
        .unavailableRetryAfter(Duration.ofMillis(250)).build();
    store.health = ScriptedStore.Health.FAILS;

    long first = quotas.tryAcquire("tenant");
    assertThat(Ticket.reason(first)).isEqualTo(RejectReason.CIRCUIT_OPEN);
    assertThat(Ticket.retryAfterNanos(first)).as("breaker still closed")
        .isEqualTo(Duration.ofMillis(250).toNanos());
    for (int i = 0; i < 9; i++) {
      quotas.tryAcquire("tenant");
    }
    assertThat(quotas.snapshot().breaker().state()).isEqualTo(CircuitBreaker.State.OPEN);
    long whileOpen = quotas.tryAcquire("tenant");
    assertThat(Ticket.reason(whileOpen)).isEqualTo(RejectReason.CIRCUIT_OPEN);
    assertThat(Ticket.retryAfterNanos(whileOpen)).as("the breaker's remaining open time")
        .isBetween(Duration.ofSeconds(1).toNanos(), Duration.ofMillis(1001).toNanos());
  }

  @Test
  void theBreakerStopsCallingADeadStoreAndItsProbesBringItBack() {
    GlobalRateLimiter quotas = builder().failOpen(4).build();
    store.health = ScriptedStore.Health.FAILS;
    for (int i = 0; i < 10; i++) {
      quotas.tryAcquire("k" + i);
    }
    assertThat(quotas.snapshot().breaker().state()).isEqualTo(CircuitBreaker.State.OPEN);

    for (int i = 0; i < 100; i++) {
      quotas.tryAcquire("k" + i);
    }
    assertThat(store.calls.get()).as("no call while open").isEqualTo(10);

    store.health = ScriptedStore.Health.ANSWERS;
    clock.advance(Duration.ofMillis(1001));
    for (int i = 0; i < 3; i++) {
      assertThat(quotas.tryAcquire("probe")).isEqualTo(0L);
    }
    assertThat(store.calls.get()).as("three probes").isEqualTo(13);
    assertThat(quotas.snapshot().breaker().state()).isEqualTo(CircuitBreaker.State.CLOSED);
    int admitted = 0;
    for (int i = 0; i < 30; i++) {
      admitted += Ticket.isPermit(quotas.tryAcquire("fresh")) ? 1 : 0;
    }
    assertThat(admitted).as("the store's whole burst, not the local share").isEqualTo(20);
  }

  @Test
  void noExceptionEscapesFromAStoreThatThrowsOrAnswersNonsense() {
    GlobalRateLimiter quotas = builder().failClosed().build();
    for (ScriptedStore.Health health :
        List.of(ScriptedStore.Health.THROWS, ScriptedStore.Health.WRONG_REPLY)) {
      store.health = health;
      long ticket = quotas.tryAcquire("tenant");
      assertThat(Ticket.reason(ticket)).as(health.name()).isEqualTo(RejectReason.CIRCUIT_OPEN);
      assertThat(quotas.availablePermits("tenant")).isZero();
    }
    assertThat(quotas.snapshot().storeFailures()).isEqualTo(4);
  }

  @Test
  void anInterruptedCallerIsDecidedLocallyAndKeepsItsInterrupt() {
    GlobalRateLimiter quotas = builder().failOpen(2).budget(Duration.ofSeconds(30)).build();
    store.health = ScriptedStore.Health.HANGS;

    Thread.currentThread().interrupt();
    long ticket = quotas.tryAcquire("tenant");

    assertThat(Thread.interrupted()).isTrue();
    assertThat(ticket).isEqualTo(0L);
    assertThat(quotas.snapshot().storeFailures()).as("not the store's fault").isZero();
  }

  @Test
  void aRefusalIsRememberedUntilItsRetryAfterWithoutAnotherRoundTrip() {
    GlobalRateLimiter quotas = builder().failClosed().build();
    for (int i = 0; i < 20; i++) {
      quotas.tryAcquire("tenant");
    }
    long refused = quotas.tryAcquire("tenant");
    int calls = store.calls.get();

    clock.advance(Duration.ofSeconds(1));
    long remembered = quotas.tryAcquire("tenant");

    assertThat(store.calls.get()).isEqualTo(calls);
    assertThat(Ticket.retryAfterNanos(remembered))
        .isEqualTo(Ticket.retryAfterNanos(refused) - Duration.ofSeconds(1).toNanos());
    assertThat(Ticket.isRejection(quotas.tryAcquire("tenant", 2))).isTrue();
    assertThat(store.calls.get()).as("a different request asks the store").isEqualTo(calls + 1);
    clock.advance(Duration.ofSeconds(2));
    assertThat(quotas.tryAcquire("tenant")).isEqualTo(0L);
  }

  @Test
  void aBatchedReplyThatComesAfterTheBudgetFillsTheSliceButGrantsNobodyTwice() {
    GlobalRateLimiter quotas = builder().failClosed().batch(5, Duration.ofMinutes(1)).build();
    store.health = ScriptedStore.Health.DEFERS;

    long late = quotas.tryAcquire("tenant");
    assertThat(Ticket.reason(late)).isEqualTo(RejectReason.CIRCUIT_OPEN);
    store.deferred.remove().complete(5L);   // the store took 5 for the abandoned request

    for (int i = 0; i < 4; i++) {
      assertThat(quotas.tryAcquire("tenant")).as("from the slice").isEqualTo(0L);
    }
    assertThat(store.calls.get()).isEqualTo(1);
    assertThat(quotas.snapshot().localDecisions()).isEqualTo(4);
    store.health = ScriptedStore.Health.ANSWERS;
    assertThat(quotas.tryAcquire("tenant")).isEqualTo(0L);
    assertThat(store.calls.get()).as("the slice is spent: a new reservation").isEqualTo(2);
  }

  @Test
  void badConfigurationNamesTheParameterAndItsRange() {
    assertThatThrownBy(() -> GlobalRateLimiter.newBuilder().store(store).name("q")
        .rate(10, Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failOpen(expectedReplicas) or failClosed()");
    assertThatThrownBy(() -> GlobalRateLimiter.newBuilder().store(store)
        .rate(10, Duration.ofSeconds(1)).failClosed().build())
        .hasMessageContaining("name must be set");
    assertThatThrownBy(() -> builder().failClosed().batch(21, Duration.ofSeconds(1)).build())
        .hasMessage("slice (for a burst of 20) must be in [2, 20] but was 21");
    assertThatThrownBy(() -> builder().budget(Duration.ZERO))
        .hasMessage("budget must be in [PT0.000000001S, PT1M] but was PT0S");
    assertThatThrownBy(() -> builder().failOpen(0))
        .hasMessage("expectedReplicas must be in [1, 100000] but was 0");
    // 999,999,937 is prime: one permit is 86,400,000,000,000 units; 2^51 of them hold 26 permits.
    assertThatThrownBy(() -> builder().rate(999_999_937, Duration.ofDays(1)).burst(27)
        .failClosed().build())
        .hasMessageContaining("burst (for 999999937 permits per 86400000000000ns) must be in "
            + "[1, 26] but was 27");
    assertThatThrownBy(() -> builder().rate(1, Duration.ofDays(1)).failOpen(7).build())
        .hasMessageContaining("expectedReplicas");
  }
}
