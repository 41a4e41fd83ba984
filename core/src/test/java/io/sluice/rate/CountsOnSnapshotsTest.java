package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The keyed guards' live interfaces answer live state only; what they counted since they were
 * built is read from {@code snapshot()}, as for {@code Limiter} (docs/api-conventions.md).
 */
class CountsOnSnapshotsTest {

  private static String[] methodNames(Class<?> type) {
    return Arrays.stream(type.getMethods()).map(Method::getName).distinct().toArray(String[]::new);
  }

  @Test
  void aKeyedRateLimiterHasItsCountsOnItsSnapshotOnly() {
    assertThat(methodNames(KeyedRateLimiter.class))
        .contains("snapshot", "keyCount")
        .doesNotContain("evictions", "rejectedNewKeys");
    assertThat(methodNames(KeyedRateLimiterSnapshot.class))
        .contains("evictions", "rejectedNewKeys");
  }

  @Test
  void aTokenQuotaHasItsCountsOnItsSnapshotOnly() {
    String[] counts = {"invalidReconciliations", "forgivenDebt", "rejectedForPending",
        "evictions", "rejectedNewKeys"};
    assertThat(methodNames(TokenQuota.class))
        .contains("snapshot", "pending", "keyCount")
        .doesNotContain(counts);
    assertThat(methodNames(TokenQuotaSnapshot.class)).contains(counts);
  }
}
