package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.RejectReason;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RefusalTest {

  @Test
  void a503CarriesRetryAfterTheRateLimitFieldsAndAProblemDocument() {
    Refusal refusal = Refusal.overloaded(
        new AdmissionRejectedException(RejectReason.LIMIT_REACHED, 1_500_000_000L), 11);

    assertThat(refusal.status()).isEqualTo(503);
    assertThat(refusal.headers()).containsExactly(
        Map.entry("Content-Type", "application/problem+json"),
        Map.entry("Retry-After", "2"),
        Map.entry("RateLimit-Policy", "\"concurrency\";q=11;qu=\"concurrent-requests\""),
        Map.entry("RateLimit", "\"concurrency\";r=0;t=2"));
    assertThat(refusal.body()).isEqualTo("{"
        + "\"type\":\"https://iana.org/assignments/http-problem-types#temporary-reduced-capacity\","
        + "\"title\":\"Temporary Reduced Capacity\",\"status\":503,"
        + "\"detail\":\"The server is at its concurrency limit. Retry after 2 s.\","
        + "\"reason\":\"LIMIT_REACHED\",\"retryAfterSeconds\":2,"
        + "\"violated-policies\":[\"concurrency\"]}");
  }

  @Test
  void retryAfterIsDelaySecondsRoundedUpAndAtLeastOne() {
    long[] nanos = {0, 1, 999_999_999L, 1_000_000_000L, 1_000_000_001L, 59_000_000_000L};
    String[] seconds = {"1", "1", "1", "1", "2", "59"};
    for (int i = 0; i < nanos.length; i++) {
      Refusal refusal = Refusal.overloaded(
          new AdmissionRejectedException(RejectReason.QUEUE_TIMEOUT, nanos[i]), 3);
      assertThat(refusal.retryAfter()).as("%d ns", nanos[i]).isEqualTo(seconds[i]);
      assertThat(refusal.headers().get("RateLimit")).endsWith(";t=" + seconds[i]);
      assertThat(MiniJson.object(refusal.body()).get("retryAfterSeconds"))
          .isEqualTo(Double.valueOf(seconds[i]));
    }
  }

  @Test
  void everyReasonGivesAValidProblemDocumentNamingIt() {
    for (RejectReason reason : RejectReason.values()) {
      Refusal refusal = Refusal.overloaded(new AdmissionRejectedException(reason, 3_000_000L), 0);
      Map<String, Object> problem = MiniJson.object(refusal.body());
      assertThat(problem).containsEntry("status", 503.0)
          .containsEntry("reason", reason.name())
          .containsEntry("type", Refusal.CAPACITY_TYPE)
          .containsEntry("violated-policies", List.of("concurrency"));
      assertThat((String) problem.get("detail")).as(reason.name()).isNotBlank()
          .endsWith("Retry after 1 s.");
    }
  }

  @Test
  void a429NamesTheTenantPolicyAndEchoesThePartitionKey() {
    Refusal refusal = Refusal.quotaExceeded(250_000_000L, "alice", 100, 1);

    assertThat(refusal.status()).isEqualTo(429);
    assertThat(refusal.reason()).isEqualTo(RejectReason.RATE_LIMITED);
    assertThat(refusal.headers())
        .containsEntry("Retry-After", "1")
        .containsEntry("RateLimit-Policy", "\"tenant\";q=100;w=1")
        .containsEntry("RateLimit", "\"tenant\";r=0;t=1;pk=:YWxpY2U=:");
    Map<String, Object> problem = MiniJson.object(refusal.body());
    assertThat(problem).containsEntry("type", Refusal.QUOTA_TYPE)
        .containsEntry("title", "Quota Exceeded")
        .containsEntry("status", 429.0)
        .containsEntry("reason", "RATE_LIMITED")
        .containsEntry("violated-policies", List.of("tenant"));
  }

  @Test
  void jsonStringsAreEscaped() {
    String tricky = "a \"quote\", a \\ and a\nnewline\u0001";
    assertThat(MiniJson.parse(Refusal.quote(tricky))).isEqualTo(tricky);
  }

  @Test
  void badArgumentsAreNamed() {
    AdmissionRejectedException e = new AdmissionRejectedException(RejectReason.LIMIT_REACHED, 1);
    assertThatThrownBy(() -> Refusal.overloaded(e, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit must be in [0, 2147483647] but was -1");
    assertThatThrownBy(() -> Refusal.overloaded(null, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rejection must not be null");
    assertThatThrownBy(() -> Refusal.quotaExceeded(1, "t", 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("permits must be in [1, 1000000] but was 0");
    assertThatThrownBy(() -> Refusal.quotaExceeded(1, "t", 1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("windowSeconds must be in [1, 86400] but was 0");
    assertThatThrownBy(() -> Refusal.quotaExceeded(-1, "t", 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retryAfterNanos");
  }
}
