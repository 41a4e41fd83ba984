package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.testing.ManualClock;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The permit table: claims, exactly-once frees, corrupted tickets, growth, bounded probing. */
class PermitTableTest {
  private static final long ONE = 1L << PermitTable.COST_SHIFT | PermitTable.BUSY;

  private final SplittableRandom random = new SplittableRandom(42);

  /** Claims a cost-1 permit as the {@code inFlight}-th one held. */
  private long claim(PermitTable table, int inFlight) {
    return table.claim(inFlight, random.nextLong(), ONE, 0);
  }

  /** Frees a ticket as the limiter does; returns whether this call freed it. */
  private static boolean release(PermitTable table, long ticket) {
    long word = table.heldWord(ticket);
    return word != 0 && table.free(ticket, word);
  }

  @Test
  void aTicketIsFreedExactlyOnceAndAStaleOneNeverFreesTheSlotsNextHolder() {
    PermitTable table = new PermitTable(4);
    long ticket = table.claim(1, 0, ONE, 0);
    assertThat(ticket).isNotNegative();
    assertThat(release(table, ticket)).isTrue();
    assertThat(release(table, ticket)).isFalse();
    // The same hash probes the same slot first: the next holder gets it at the next generation.
    long next = table.claim(1, 0, ONE, 0);
    assertThat(next & 0xFF_FFFFL).isEqualTo(ticket & 0xFF_FFFFL);
    assertThat(next).isNotEqualTo(ticket);
    assertThat(release(table, ticket)).isFalse();
    assertThat(release(table, next)).isTrue();
  }

  @Test
  void slotsStartAtUnrelatedGenerationsSoANeighboursTicketNeverMatches() {
    PermitTable table = new PermitTable(LimitAlgorithm.MAX_SUPPORTED_LIMIT);
    long[] tickets = new long[100];
    for (int i = 0; i < tickets.length; i++) {
      tickets[i] = claim(table, i + 1);
    }
    // Every slot still holds its first generation: with one generation for all, these would match.
    long sameGeneration = 0;
    for (int i = 1; i < tickets.length; i++) {
      if (tickets[i] >>> 24 == tickets[i - 1] >>> 24) {
        sameGeneration++;
      }
    }
    assertThat(sameGeneration).isZero();
    for (long ticket : tickets) {
      for (int k = 1; k <= 300; k++) {
        assertThat(table.heldWord(ticket + k)).isZero();
        assertThat(table.heldWord(ticket - k)).isZero();
      }
    }
    for (long ticket : tickets) {
      assertThat(release(table, ticket)).isTrue();
    }
  }

  @Test
  void theTableStartsSmallAtTheLargestMaxLimitAndGrowsWithTheHighWaterMark() {
    PermitTable table = new PermitTable(LimitAlgorithm.MAX_SUPPORTED_LIMIT);
    assertThat(table.capacity()).isEqualTo(PermitTable.INITIAL_CAPACITY);
    assertThat(table.maxCapacity()).isEqualTo(2 * LimitAlgorithm.MAX_SUPPORTED_LIMIT);
    for (int i = 0; i < 100_000; i++) {
      assertThat(release(table, claim(table, 1 + (i & 1)))).isTrue();
    }
    assertThat(table.capacity()).as("two in flight at most")
        .isEqualTo(PermitTable.INITIAL_CAPACITY);

    int held = 20_000;
    long[] tickets = new long[held];
    for (int i = 0; i < held; i++) {
      tickets[i] = claim(table, i + 1);
      assertThat(tickets[i]).isNotNegative();
      assertThat(table.capacity()).isGreaterThanOrEqualTo(2 * (i + 1));
    }
    assertThat(table.capacity()).isBetween(2 * held, 4 * held);
    // Tickets issued before each growth still name their slots.
    for (long ticket : tickets) {
      assertThat(release(table, ticket)).isTrue();
      assertThat(release(table, ticket)).isFalse();
    }
  }

  @Test
  void aLimiterAtTheLargestMaxLimitAllocatesSlotsOnlyForTheWorkInFlight() {
    WindowedLimiter limiter = (WindowedLimiter) Limiter.newBuilder()
        .algorithm(FixedLimit.of(LimitAlgorithm.MAX_SUPPORTED_LIMIT))
        .clock(new ManualClock())
        .build();
    for (int i = 0; i < 100_000; i++) {
      long a = limiter.tryAcquire();
      long b = limiter.tryAcquire(3);
      assertThat(limiter.release(a, Outcome.SUCCESS)).isTrue();
      assertThat(limiter.release(b, Outcome.SUCCESS)).isTrue();
    }
    assertThat(limiter.permitCapacity()).isEqualTo(PermitTable.INITIAL_CAPACITY);

    long[] permits = new long[50_000];
    for (int i = 0; i < permits.length; i++) {
      permits[i] = limiter.tryAcquire();
    }
    assertThat(limiter.permitCapacity()).isBetween(2 * permits.length, 4 * permits.length);
    for (long permit : permits) {
      assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    }
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  @Timeout(10)
  void aClaimInATableWithNoFreeSlotGivesUpInsteadOfSpinning() {
    // Claims that report one permit in flight never grow the table: fill every slot that way.
    PermitTable table = new PermitTable(16);
    assertThat(table.maxCapacity()).isEqualTo(PermitTable.INITIAL_CAPACITY);
    for (int i = 0; i < PermitTable.INITIAL_CAPACITY; i++) {
      assertThat(claim(table, 1)).isNotNegative();
    }
    assertThat(claim(table, 1)).isEqualTo(PermitTable.NO_SLOT);
  }
}
