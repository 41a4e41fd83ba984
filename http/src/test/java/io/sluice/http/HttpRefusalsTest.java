package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Golden refusals: every field and body byte for byte, and the rules that derive them. */
class HttpRefusalsTest {
  private final HttpRefusals standard = HttpRefusals.standard();

  @Test
  void anOverloadIs503WithRetryAfterTheConcurrencyPolicyNoStoreAndAProblem() {
    HttpRefusal refusal = standard.refuse(
        Ticket.rejection(RejectReason.LIMIT_REACHED, 1_500_000_000L), 11);

    assertThat(refusal.status()).isEqualTo(503);
    assertThat(refusal.reason()).isEqualTo(RejectReason.LIMIT_REACHED);
    assertThat(refusal.retryAfterSeconds()).isEqualTo(2);
    assertThat(refusal.fields()).containsExactly(
        new HttpField("Content-Type", "application/problem+json"),
        new HttpField("Cache-Control", "no-store"),
        new HttpField("Retry-After", "2"),
        new HttpField("RateLimit-Policy", "\"concurrency\";q=11;qu=\"concurrent-requests\""),
        new HttpField("RateLimit", "\"concurrency\";r=0;t=2"));
    assertThat(refusal.bodyText()).isEqualTo("{"
        + "\"type\":\"https://iana.org/assignments/http-problem-types#temporary-reduced-capacity\","
        + "\"title\":\"Temporary Reduced Capacity\",\"status\":503,"
        + "\"detail\":\"The server is at its concurrency limit. Retry after 2 s.\","
        + "\"reason\":\"LIMIT_REACHED\",\"retryAfterSeconds\":2,"
        + "\"violated-policies\":[\"concurrency\"]}");
    assertThat(refusal).hasToString("HttpRefusal[503, LIMIT_REACHED, Retry-After 2]");
  }

  @Test
  void aQuotaIs429WithTheQuotaPolicyAndTheTenantAsPartitionKey() {
    HttpRefusals refusals = HttpRefusals.newBuilder()
        .quotaPolicy("tenant", 100, Duration.ofSeconds(1)).build();

    HttpRefusal refusal = refusals.refuse(
        Ticket.rejection(RejectReason.RATE_LIMITED, 250_000_000L), 7, Tenant.of("alice"));

    assertThat(refusal.status()).isEqualTo(429);
    assertThat(refusal.fields()).containsExactly(
        new HttpField("Content-Type", "application/problem+json"),
        new HttpField("Cache-Control", "no-store"),
        new HttpField("Retry-After", "1"),
        new HttpField("RateLimit-Policy", "\"tenant\";q=100;w=1"),
        new HttpField("RateLimit", "\"tenant\";r=0;t=1;pk=:YWxpY2U=:"));
    assertThat(refusal.bodyText()).isEqualTo("{"
        + "\"type\":\"https://iana.org/assignments/http-problem-types#quota-exceeded\","
        + "\"title\":\"Quota Exceeded\",\"status\":429,"
        + "\"detail\":\"This tenant's quota of 100 requests per 1 s is used up. Retry after 1 s.\","
        + "\"reason\":\"RATE_LIMITED\",\"retryAfterSeconds\":1,"
        + "\"violated-policies\":[\"tenant\"]}");
  }

  @Test
  void aNonAsciiTenantIsItsOctetsEncodedOnce() throws MalformedHeaderException {
    // "Zoë" sent in UTF-8 arrives from the server as one character per octet.
    String asReceived = new String("Zoë".getBytes(StandardCharsets.UTF_8),
        StandardCharsets.ISO_8859_1);
    Tenant tenant = TenantHeader.newBuilder().build().resolve(asReceived);

    HttpRefusal refusal = standard.refuse(
        Ticket.rejection(RejectReason.RATE_LIMITED, 1), HttpRefusals.UNKNOWN_LIMIT, tenant);

    assertThat(refusal.field("RateLimit")).isEqualTo("\"quota\";r=0;t=1;pk=:Wm/Dqw==:");
    assertThat(tenant).isEqualTo(Tenant.of("Zoë"));
    assertThat(tenant.displayName()).isEqualTo("Zoë");
  }

  @Test
  void aTenantOverItsFairShareIs429WithTheConcurrencyPolicy() {
    HttpRefusal refusal = HttpRefusals.standard()
        .refuse(Ticket.rejection(RejectReason.FAIR_SHARE, 2_000_000_000L), 40);
    assertThat(refusal.status()).isEqualTo(429);
    assertThat(refusal.field("RateLimit-Policy"))
        .isEqualTo("\"concurrency\";q=40;qu=\"concurrent-requests\"");
    assertThat(MiniJson.object(refusal.bodyText())).containsEntry("reason", "FAIR_SHARE")
        .containsEntry("status", 429.0);
  }

  @Test
  void withoutAQuotaPolicyA429NamesTheQuotaInRateLimitOnly() {
    HttpRefusal refusal = standard.refuse(
        Ticket.rejection(RejectReason.RATE_LIMITED, 3_000_000_000L), 5);

    assertThat(refusal.status()).isEqualTo(429);
    assertThat(refusal.field("RateLimit-Policy")).isNull();
    assertThat(refusal.field("RateLimit")).isEqualTo("\"quota\";r=0;t=3");
    assertThat(MiniJson.object(refusal.bodyText()))
        .containsEntry("detail", "The request quota is used up. Retry after 3 s.")
        .containsEntry("violated-policies", List.of("quota"));
  }

  @Test
  void anUnknownLimitLeavesTheConcurrencyPolicyOutButStillNamesItInRateLimit() {
    HttpRefusal refusal = standard.refuse(Ticket.rejection(RejectReason.QUEUE_FULL, 1),
        HttpRefusals.UNKNOWN_LIMIT);

    assertThat(refusal.fields()).extracting(HttpField::name)
        .containsExactly("Content-Type", "Cache-Control", "Retry-After", "RateLimit");
    assertThat(refusal.field("ratelimit")).isEqualTo("\"concurrency\";r=0;t=1");
  }

  @Test
  void theOverloadStatusMayBe429AndQuotasStay429() {
    HttpRefusals refusals = HttpRefusals.newBuilder().overloadStatus(429).build();

    for (RejectReason reason : RejectReason.values()) {
      HttpRefusal refusal = refusals.refuse(Ticket.rejection(reason, 1), 3);
      assertThat(refusal.status()).as(reason.name()).isEqualTo(429);
      assertThat(MiniJson.object(refusal.bodyText())).containsEntry("status", 429.0)
          .containsEntry("type", reason == RejectReason.RATE_LIMITED
              ? HttpRefusals.QUOTA_TYPE : HttpRefusals.CAPACITY_TYPE);
    }
    assertThat(refusals.status(RejectReason.SHUTDOWN)).isEqualTo(429);
    assertThat(standard.status(RejectReason.SHUTDOWN)).isEqualTo(503);
    assertThat(standard.status(RejectReason.RATE_LIMITED)).isEqualTo(429);
    assertThat(standard.overloadStatus()).isEqualTo(503);
  }

  @Test
  void everyReasonGivesAValidProblemThatNamesIt() {
    for (RejectReason reason : RejectReason.values()) {
      HttpRefusal refusal = standard.refuse(new AdmissionRejectedException(reason, 3_000_000L), 0);
      Map<String, Object> problem = MiniJson.object(refusal.bodyText());
      boolean quota = reason == RejectReason.RATE_LIMITED;
      boolean clients = quota || reason == RejectReason.FAIR_SHARE;
      assertThat(refusal.status()).isEqualTo(clients ? 429 : 503);
      assertThat(problem).containsEntry("status", clients ? 429.0 : 503.0)
          .containsEntry("reason", reason.name())
          .containsEntry("retryAfterSeconds", 1.0)
          .containsEntry("violated-policies", List.of(quota ? "quota" : "concurrency"));
      assertThat((String) problem.get("detail")).as(reason.name()).isNotBlank()
          .endsWith("Retry after 1 s.");
      assertThat(refusal.field("Cache-Control")).isEqualTo("no-store");
    }
  }

  @Test
  void retryAfterIsWholeSecondsRoundedUpNeverZeroAndSaturating() {
    long[] nanos = {0, 1, 999_999_999L, 1_000_000_000L, 1_000_000_001L, 59_000_000_000L,
        Ticket.MAX_RETRY_AFTER_NANOS, Long.MAX_VALUE};
    long[] seconds = {1, 1, 1, 1, 2, 59, 288230377, 9223372037L};
    for (int i = 0; i < nanos.length; i++) {
      assertThat(HttpRefusals.retryAfterSeconds(nanos[i])).as("%d ns", nanos[i])
          .isEqualTo(seconds[i]);
    }
    HttpRefusal largest = standard.refuse(
        Ticket.rejection(RejectReason.DEADLINE, Ticket.MAX_RETRY_AFTER_NANOS), 1);
    assertThat(largest.field("Retry-After")).isEqualTo("288230377");
    assertThat(largest.field("RateLimit")).isEqualTo("\"concurrency\";r=0;t=288230377");
    assertThat(MiniJson.object(largest.bodyText()))
        .containsEntry("retryAfterSeconds", 288230377.0);
    assertThat(standard.refuse(new AdmissionRejectedException(RejectReason.DEADLINE,
        Long.MAX_VALUE), 1).field("Retry-After")).isEqualTo("9223372037");
  }

  @Test
  void policyNamesAreStructuredFieldStringsInHeadersAndJsonStringsInTheBody() {
    HttpRefusals refusals = HttpRefusals.newBuilder()
        .concurrencyPolicy("a \"b\" \\c").build();

    HttpRefusal refusal = refusals.refuse(Ticket.rejection(RejectReason.LIMIT_REACHED, 1), 2);

    assertThat(refusal.field("RateLimit")).isEqualTo("\"a \\\"b\\\" \\\\c\";r=0;t=1");
    assertThat(MiniJson.object(refusal.bodyText()).get("violated-policies"))
        .isEqualTo(List.of("a \"b\" \\c"));
  }

  @Test
  void aMalformedFieldIs400NamingTheFieldAndTheRuleNeverTheValue() {
    HttpRefusal refusal = standard.badRequest(
        new MalformedHeaderException("X-Tenant", "more than one value"));

    assertThat(refusal.status()).isEqualTo(400);
    assertThat(refusal.reason()).isNull();
    assertThat(refusal.retryAfterSeconds()).isZero();
    assertThat(refusal.fields()).containsExactly(
        new HttpField("Content-Type", "application/problem+json"),
        new HttpField("Cache-Control", "no-store"));
    assertThat(refusal.bodyText()).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Bad Request\","
        + "\"status\":400,\"detail\":\"The X-Tenant header field is malformed: more than one"
        + " value.\"}");
    assertThat(refusal).hasToString("HttpRefusal[400]");
  }

  @Test
  void writeToSendsTheStatusTheFieldsInOrderThenABodyTheWriterOwns() throws IOException {
    HttpRefusal refusal = standard.refuse(Ticket.rejection(RejectReason.DEADLINE, 1), 4);
    List<String> calls = new ArrayList<>();
    byte[][] written = new byte[1][];

    refusal.writeTo(new ResponseWriter() {
      @Override
      public void status(int status) {
        calls.add("status " + status);
      }

      @Override
      public void header(String name, String value) {
        calls.add(name + ": " + value);
      }

      @Override
      public void body(byte[] content) {
        calls.add("body " + content.length);
        written[0] = content;
      }
    });

    assertThat(calls).containsExactly("status 503", "Content-Type: application/problem+json",
        "Cache-Control: no-store", "Retry-After: 1",
        "RateLimit-Policy: \"concurrency\";q=4;qu=\"concurrent-requests\"",
        "RateLimit: \"concurrency\";r=0;t=1", "body " + refusal.bodyLength());
    written[0][0] = 'X';
    refusal.body()[1] = 'Y';
    assertThat(refusal.bodyText()).as("the refusal never hands out its own bytes")
        .startsWith("{\"type\"");
  }

  @Test
  void badArgumentsAreNamed() {
    assertThatThrownBy(() -> standard.refuse(5L, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ticket must be a rejection (negative) but was permit(5)");
    long ticket = Ticket.rejection(RejectReason.LIMIT_REACHED, 1);
    assertThatThrownBy(() -> standard.refuse(ticket, -2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit must be in [-1, 2147483647] but was -2");
    assertThatThrownBy(() -> standard.refuse(null, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rejection must not be null");
    assertThatThrownBy(() -> HttpRefusals.retryAfterSeconds(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retryAfterNanos");
    HttpRefusals.Builder b = HttpRefusals.newBuilder();
    assertThatThrownBy(() -> b.overloadStatus(500))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("overloadStatus must be 503 or 429 but was 500");
    assertThatThrownBy(() -> b.concurrencyPolicy("café"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("concurrencyPolicy must be printable ASCII (a Structured Field String),"
            + " not empty, but was café");
    assertThatThrownBy(() -> b.concurrencyPolicy(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not empty");
    assertThatThrownBy(() -> b.quotaPolicy("q", 0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("quotaPolicy quota must be in [1, 999999999999999] but was 0");
    assertThatThrownBy(() -> b.quotaPolicy("q", 1, Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("quotaPolicy window must be whole seconds in [PT1S, PT999999999999999S]"
            + " but was PT1.5S");
    assertThatThrownBy(() -> b.quotaPolicy("q", 1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("but was PT0S");
    assertThatThrownBy(() -> b.quotaPolicy("q\n", 1, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quotaPolicy name");
  }

  @Test
  void aProcessOverloadIsA503ThatSaysSo() {
    HttpRefusal refusal =
        standard.refuse(Ticket.rejection(RejectReason.PROCESS_OVERLOADED, 2_000_000_000L), 0);
    assertThat(refusal.status()).isEqualTo(503);
    assertThat(refusal.field("Retry-After")).isEqualTo("2");
    assertThat((String) MiniJson.object(refusal.bodyText()).get("detail"))
        .startsWith("The server process is overloaded");
  }
}
