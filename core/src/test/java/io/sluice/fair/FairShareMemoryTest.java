package io.sluice.fair;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.lang.reflect.Method;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The gate's memory is bounded by maxTenants, only idle tenants are forgotten, and a known
 * tenant's round trip allocates nothing.
 */
class FairShareMemoryTest {
  private final ManualClock clock = new ManualClock();
  private final Limiter limiter =
      Limiter.newBuilder().algorithm(FixedLimit.of(1000)).clock(clock).build();

  @Test
  void aFullTableOfActiveTenantsSendsNewTenantsToTheOverflowEntry() {
    FairShareGate<String> gate = (FairShareGate<String>) FairShare.newBuilder(limiter)
        .maxTenants(3).clock(clock).<String>build();
    long a = gate.tryAcquire("a", 2);
    gate.tryAcquire("b", 3);
    gate.tryAcquire("c", 4);

    long d = gate.tryAcquire("d", 5);
    long e = gate.tryAcquire("e", 6);

    assertThat(Ticket.isPermit(d) && Ticket.isPermit(e)).isTrue();
    assertThat(gate.tenants()).isEqualTo(3);
    assertThat(gate.snapshot().overflowAdmissions()).isEqualTo(2);
    assertThat(gate.overflowHeld()).isEqualTo(11);
    assertThat(gate.held("d")).isZero();
    // Four active entries: a, b, c and the overflow tenant, each of weight 1.
    assertThat(gate.activeWeight()).isEqualTo(4);

    // a goes idle; a sweep may run 100 ms after the last one; the next new tenant takes a's place.
    gate.release(a, Outcome.SUCCESS);
    clock.advance(Duration.ofMillis(100));
    assertThat(Ticket.isPermit(gate.tryAcquire("f", 7))).isTrue();

    assertThat(gate.snapshot().evictions()).isEqualTo(1);
    assertThat(gate.tenants()).isEqualTo(3);
    assertThat(gate.held("f")).isEqualTo(7);
    assertThat(gate.held("b")).isEqualTo(3);
    assertThat(gate.held("c")).isEqualTo(4);
    assertThat(gate.held("a")).isZero();
    gate.release(d, Outcome.SUCCESS);
    gate.release(e, Outcome.SUCCESS);
    assertThat(gate.overflowHeld()).isZero();
  }

  @Test
  void aFloodOfDistinctKeysNeverGrowsTheTable() {
    FairShare<String> gate = FairShare.newBuilder(limiter).maxTenants(64).clock(clock).build();
    long[] held = new long[16];
    for (int i = 0; i < 100_000; i++) {
      // Sixteen requests in flight at any time, each of a new key; the clock moves 1 ms each.
      int slot = i & 15;
      if (held[slot] != 0) {
        assertThat(gate.release(held[slot], Outcome.SUCCESS)).isTrue();
      }
      held[slot] = gate.tryAcquire("key-" + i);
      assertThat(Ticket.isPermit(held[slot])).isTrue();
      assertThat(gate.tenants()).isLessThanOrEqualTo(64);
      clock.advanceNanos(1_000_000);
    }
    for (long permit : held) {
      gate.release(permit, Outcome.SUCCESS);
    }

    // Every key was tracked (and later evicted, or is still tracked) or went to the overflow.
    assertThat(gate.snapshot().evictions() + gate.tenants() + gate.snapshot().overflowAdmissions()).isEqualTo(100_000);
    assertThat(gate.snapshot().evictions()).isGreaterThan(50_000);
    assertThat(gate.activeWeight()).isZero();
    assertThat(limiter.inFlight()).isZero();
    int tracked = gate.tenants();
    assertThat(gate.cleanUp()).isEqualTo(tracked);
    assertThat(gate.tenants()).isZero();
  }

  @Test
  void anActiveTenantIsNeverEvicted() {
    FairShare<String> gate = FairShare.newBuilder(limiter).maxTenants(2).clock(clock).build();
    long a = gate.tryAcquire("a", 10);
    long b = gate.tryAcquire("b", 10);

    assertThat(gate.cleanUp()).isZero();
    clock.advance(Duration.ofSeconds(1));
    gate.tryAcquire("c");

    assertThat(gate.snapshot().evictions()).isZero();
    assertThat(gate.held("a")).isEqualTo(10);
    assertThat(gate.release(a, Outcome.SUCCESS)).isTrue();
    assertThat(gate.release(b, Outcome.SUCCESS)).isTrue();
    assertThat(gate.cleanUp()).isEqualTo(2);
    assertThat(gate.held("a")).isZero();
    assertThat(gate.activeWeight()).isEqualTo(1);
  }

  /** Bytes allocated so far by the calling thread (see LimiterFootprintTest). */
  private static long allocatedBytes() {
    try {
      Object bean = Class.forName("java.lang.management.ManagementFactory")
          .getMethod("getThreadMXBean").invoke(null);
      Method allocated = Class.forName("com.sun.management.ThreadMXBean")
          .getMethod("getCurrentThreadAllocatedBytes");
      return (Long) allocated.invoke(bean);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("this JVM does not count allocated bytes per thread", e);
    }
  }

  @Test
  void aKnownTenantsRoundTripAndAFairShareRefusalAllocateNothing() {
    Limiter small = Limiter.newBuilder().algorithm(FixedLimit.of(100)).clock(clock).build();
    FairShare<String> gate = FairShare.newBuilder(small).reserve(0.1).clock(clock).build();
    String light = "light";
    String flood = "flood";
    long keep = gate.tryAcquire(light);
    long[] held = new long[90];
    for (int i = 0; i < held.length; i++) {
      held[i] = gate.tryAcquire(flood);
    }
    Runnable operations = () -> {
      for (int i = 0; i < 10_000; i++) {
        gate.release(gate.tryAcquire(light, 2), Outcome.SUCCESS);
        long refused = gate.tryAcquire(flood);
        if (Ticket.reason(refused) != RejectReason.FAIR_SHARE) {
          throw new AssertionError(Ticket.toString(refused));
        }
      }
    };
    for (int warmUp = 0; warmUp < 5; warmUp++) {
      operations.run(); // load and initialise every class involved, let the JIT settle
    }

    // The least of five runs: a run may pay a few hundred bytes for the JIT's transitions (an
    // on-stack replacement, a deoptimisation); one allocation per operation, hundreds of KB.
    long least = Long.MAX_VALUE;
    for (int run = 0; run < 5; run++) {
      long first = allocatedBytes();
      long before = allocatedBytes();
      long probe = before - first;
      operations.run();
      least = Math.min(least, allocatedBytes() - before - probe);
    }

    assertThat(least).as("bytes allocated by 10000 round trips and refusals").isZero();
    gate.release(keep, Outcome.SUCCESS);
    for (long permit : held) {
      gate.release(permit, Outcome.SUCCESS);
    }
    assertThat(small.inFlight()).isZero();
  }
}
