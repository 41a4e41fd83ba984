package io.sluice.simulator.matrix;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.simulator.SimulationResult;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Retry-After hint where a heavy tail clogs every permit: 5% of requests 100 times longer at
 * 2x load. Now and then the long requests hold all the permits and nothing completes for 200 to
 * 300 ms while the median round trip is about 35 ms; the refusals of such a stall must be told
 * enough of their wait (the stall counted three times: with twice, a tenth of the refusals were
 * told less than 0.64 of it, below what the jitter covers). The hints judged are those the
 * refusals' tickets carried, as clients receive them: with the clock read on one refusal in 64
 * whatever their pace, many of a stall's refusals were told the stall as read near its start
 * (p10 0.30).
 */
@Tag("simulation")
@Timeout(120)
class RetryAfterHeavyTailTest {

  @Test
  void whenLongRequestsHoldEveryPermitTheHintStillCoversTheWaitWithinTheJitter() {
    Cell cell = Grid.full().stream().filter(c -> c.name().equals("bimodal 5% 100x, 2x"))
        .findFirst().orElseThrow();
    SimulationResult run =
        cell.simulation(Contender.ofDefaultLimiter().factory(), ControlMatrix.SEED).run();
    RetryAfterVerdict verdict = new RetryAfterVerdict(cell, run);

    assertThat(verdict.judged()).isTrue();
    assertThat(run.retryAfterSamples()).isGreaterThan(1_000);
    assertThat(verdict.truthRatio()).as("hint / truth at p10")
        .isGreaterThanOrEqualTo(1 / (1 + RetryAfterVerdict.JITTER));
    assertThat(verdict.referenceRatio()).as("hint / reference at the median")
        .isBetween(RetryAfterVerdict.LOW, RetryAfterVerdict.HIGH);
    assertThat(verdict.passed()).as(verdict.missed()).isTrue();
  }
}
