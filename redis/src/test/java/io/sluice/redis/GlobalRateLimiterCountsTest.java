package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A fleet-wide limiter's live interface answers live state only; what it counted since it was
 * built is read from its snapshot, as for every guard (docs/api-conventions.md).
 */
class GlobalRateLimiterCountsTest {

  @Test
  void itsCountsAreOnItsSnapshotOnly() {
    String[] counts = {"evictions", "rejectedNewKeys", "storeCalls", "storeFailures",
        "degradedDecisions", "localDecisions"};
    String[] live = Arrays.stream(GlobalRateLimiter.class.getMethods()).map(Method::getName)
        .distinct().toArray(String[]::new);
    String[] snapshot = Arrays.stream(GlobalRateLimiterSnapshot.class.getMethods())
        .map(Method::getName).distinct().toArray(String[]::new);

    assertThat(live).contains("snapshot", "keyCount").doesNotContain(counts);
    assertThat(snapshot).contains(counts);
  }
}
