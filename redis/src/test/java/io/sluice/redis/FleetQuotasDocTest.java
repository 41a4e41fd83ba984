package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.client.RetryAfter;
import io.sluice.docs.DocSnippets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The snippet of docs/18-fleet-quotas-on-redis.md, line for line (the last test checks that the
 * page's lines are lines of this file), run against a real redis-server with the page's settings:
 * its 5 ms budget and the system clock, so a slow answer on a loaded machine falls back to the
 * local share as the page says. The checks hold either way: a tenant gets no more than its quota
 * (Redis's bucket plus, for calls that fell back, the local share) over the time the test took,
 * every refusal is a 429 with a Retry-After, and a fail-closed quota answers 503 once Redis is gone.
 */
class FleetQuotasDocTest {
  private static final long NANOS_PER_SECOND = Duration.ofSeconds(1).toNanos();

  @RegisterExtension
  final RedisServer redis = new RedisServer();

  /** What a request gets: a status and, for a refusal, the Retry-After header. */
  record Response(int status, String retryAfter) {}

  static Response respond(int status, String retryAfter) {
    return new Response(status, retryAfter);
  }

  static Response serve(String request) {
    return new Response(200, null);
  }

  static Response admit(GlobalRateLimiter quotas, String tenantId, String request) {
    // README: admission
    long ticket = quotas.tryAcquire(tenantId);          // or tryAcquire(tenantId, cost)
    if (Ticket.isRejection(ticket)) {
      int status = Ticket.reason(ticket) == RejectReason.RATE_LIMITED ? 429 : 503;
      return respond(status, RetryAfter.format(Ticket.retryAfterNanos(ticket)));
    }
    return serve(request);                              // no release: tokens come back with time
    // README end
  }

  @Test
  void aTenantGetsItsQuotaAndThenA429WithRetryAfter() {
    RedisURI quotaRedisUri = redis.uri();
    long start = System.nanoTime();
    // README: setup
    RedisQuotaStore store = RedisQuotaStore.connect(quotaRedisUri);   // one per process
    GlobalRateLimiter quotas = GlobalRateLimiter.newBuilder()
        .store(store)
        .name("api")                          // buckets are stored as "api:<key>"
        .rate(600, Duration.ofMinutes(1))
        .burst(100)
        .failOpen(20)                         // Redis down: each of ~20 replicas allows 1/20 of it
        .build();
    // README end
    try {
      int admitted = 0;
      int refused = 0;
      for (int i = 0; i < 300; i++) {
        Response response = admit(quotas, "tenant-a", "GET /report");
        if (response.status() == 200) {
          admitted++;
        } else {
          refused++;
          assertThat(response.status()).as("fail open: never 503").isEqualTo(429);
          assertThat(Long.parseLong(response.retryAfter())).isPositive();
        }
      }
      double seconds = (double) (System.nanoTime() - start) / NANOS_PER_SECOND;
      // Redis's bucket: 100 + 10 per second; calls that fell back: the local share, 5 + 0.5/s.
      long quota = 100L + (long) Math.ceil(seconds * 10) + 5 + (long) Math.ceil(seconds * 0.5);
      System.out.printf("tenant-a: %d admitted, %d refused in %.2f s (quota %d); %s%n",
          admitted, refused, seconds, quota, quotas.snapshot());
      assertThat((long) admitted).isPositive().isLessThanOrEqualTo(quota);
      assertThat(admitted + refused).isEqualTo(300);

      assertThat(admit(quotas, "tenant-b", "GET /report").status())
          .as("another tenant's bucket is its own").isEqualTo(200);
      assertThat(quotas.snapshot().storeCalls()).isPositive();
    } finally {
      store.close();
    }
  }

  @Test
  void aFailClosedQuotaAnswers503WithRetryAfterWhileRedisIsDown() throws Exception {
    try (RedisQuotaStore store = RedisQuotaStore.connect(redis.uri())) {
      GlobalRateLimiter quotas = GlobalRateLimiter.newBuilder()
          .store(store)
          .name("api")
          .rate(600, Duration.ofMinutes(1))
          .burst(100)
          .failClosed()
          .budget(Duration.ofSeconds(5))   // the first answer must come, on a loaded machine too
          .build();
      assertThat(admit(quotas, "tenant-c", "GET /report").status()).isEqualTo(200);

      redis.kill();
      for (int i = 0; i < 5; i++) {
        assertThat(admit(quotas, "tenant-c", "GET /report"))
            .as("CIRCUIT_OPEN, Retry-After 1 s (unavailableRetryAfter or the breaker's open time)")
            .isEqualTo(new Response(503, "1"));
      }
    }
  }

  @Test
  void thePageShowsTheSnippetThisTestRuns() {
    String page = DocSnippets.page("docs/18-fleet-quotas-on-redis.md");
    assertThat(DocSnippets.blocks(page, "java")).hasSize(1);
    assertThat(DocSnippets.linesMissingFrom(page, Path.of("src", "test", "java", "io", "sluice",
            "redis", "FleetQuotasDocTest.java")))
        .as("documented lines not run by this test").isEmpty();
  }
}
