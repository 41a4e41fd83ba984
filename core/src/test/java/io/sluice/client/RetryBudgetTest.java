package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Workers;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The retry budget: retries at most burst + ratio x requests. */
class RetryBudgetTest {

  @Test
  void aFullBudgetAllowsTheBurstThenOneRetryPerTenRequests() {
    RetryBudget budget = RetryBudget.of(0.1, 3);
    for (int i = 0; i < 3; i++) {
      assertThat(budget.tryRetry()).as("retry %d of the burst", i).isTrue();
    }
    assertThat(budget.tryRetry()).isFalse();

    for (int i = 0; i < 9; i++) {
      budget.onRequest();
    }
    assertThat(budget.tryRetry()).as("0.9 of a retry").isFalse();
    budget.onRequest();
    assertThat(budget.tryRetry()).isTrue();
    assertThat(budget.balance()).isZero();
  }

  @Test
  void underTotalFailureRetriesAreExactlyTenPercentOfRequestsAfterTheBurst() {
    RetryBudget budget = RetryBudget.of(0.1, 10);
    long retries = 0;
    int requests = 100_000;
    for (int i = 0; i < requests; i++) {
      budget.onRequest();
      while (budget.tryRetry()) {
        retries++;
      }
    }
    // The first request's deposit is lost to the full bucket; every later one counts.
    assertThat(retries).isEqualTo(10 + (requests - 1) / 10);
  }

  /**
   * Issue 17, item 9: over 10^7 requests a greedy caller gets exactly burst + floor(r * requests)
   * retries, r being the ratio rounded down to a millionth, which never exceeds burst + ratio *
   * requests (0.1234567 was rounded up and granted 1,234,579 of a bound of 1,234,577).
   */
  @Test
  void overTenMillionRequestsRetriesNeverExceedBurstPlusRatioTimesRequests() {
    int requests = 10_000_000;
    int burst = 10;
    for (String ratio : List.of("0.1234567", "0.1", "0.000249", "0.0000015", "0.3333333",
        "0.9999999", "1")) {
      RetryBudget budget = RetryBudget.of(Double.parseDouble(ratio), burst);
      long retries = 0;
      while (budget.tryRetry()) {
        retries++;
      }
      for (int i = 0; i < requests; i++) {
        budget.onRequest();
        while (budget.tryRetry()) {
          retries++;
        }
      }
      BigDecimal exact = new BigDecimal(ratio);
      long bound = exact.multiply(BigDecimal.valueOf(requests)).setScale(0, RoundingMode.FLOOR)
          .longValueExact() + burst;
      long millionths = exact.movePointRight(6).setScale(0, RoundingMode.FLOOR).longValueExact();
      assertThat(retries).as("ratio %s", ratio).isLessThanOrEqualTo(bound)
          .isEqualTo(burst + millionths * requests / 1_000_000);
    }
  }

  @Test
  void theBalanceNeverExceedsTheBurst() {
    RetryBudget budget = RetryBudget.of(0.5, 4);
    for (int i = 0; i < 1_000; i++) {
      budget.onRequest();
    }
    assertThat(budget.balance()).isEqualTo(4.0);
  }

  @Test
  void concurrentCallersNeverRetryMoreThanTheBudget() throws Exception {
    RetryBudget budget = RetryBudget.of(0.1, 10);
    AtomicLong requests = new AtomicLong();
    AtomicLong retries = new AtomicLong();
    Workers.run(8, worker -> {
      SplittableRandom random = new SplittableRandom(worker);
      for (int i = 0; i < 50_000; i++) {
        if (random.nextInt(3) == 0) {
          requests.incrementAndGet();
          budget.onRequest();
        } else if (budget.tryRetry()) {
          retries.incrementAndGet();
        }
      }
    });

    assertThat(retries.get()).isLessThanOrEqualTo(10 + requests.get() / 10);
    assertThat(retries.get()).as("the demand used the budget").isGreaterThan(requests.get() / 10 - 10);
  }

  @Test
  void badArgumentsNameTheParameterTheValueAndTheRange() {
    assertThatThrownBy(() -> RetryBudget.of(0, 10))
        .hasMessage("ratio must be in [1.0E-6, 1.0] but was 0.0");
    assertThatThrownBy(() -> RetryBudget.of(0.1, 0))
        .hasMessage("burst must be in [1, 1000000] but was 0");
  }
}
