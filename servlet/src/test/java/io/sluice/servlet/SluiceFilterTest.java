package io.sluice.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.http.HttpRefusals;
import io.sluice.http.PriorityHeader;
import io.sluice.http.RouteTable;
import io.sluice.http.Tenant;
import io.sluice.http.TenantHeader;
import io.sluice.http.TrustedSources;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.servlet.OutcomeMapping.Ending;
import io.sluice.testing.ManualClock;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The filter against in-memory requests: every branch of a request's way through it. */
class SluiceFilterTest {
  private final SpyLimiter limiter = new SpyLimiter(4);
  private final List<String> served = new ArrayList<>();
  private final FilterChain ok =
      (req, res) -> served.add(((HttpServletRequest) req).getRequestURI());

  private static FilterChain status(int status) {
    return (req, res) -> ((HttpServletResponse) res).setStatus(status);
  }

  private static FilterChain throwing(Throwable failure) {
    return (req, res) -> {
      if (failure instanceof IOException) {
        throw (IOException) failure;
      } else if (failure instanceof ServletException) {
        throw (ServletException) failure;
      }
      throw (RuntimeException) failure;
    };
  }

  private static FilterChain startingAsync() {
    return (req, res) -> req.startAsync();
  }

  @Test
  void anAdmittedRequestReachesTheApplicationAndIsReleasedAsSuccess() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    FakeResponse response = new FakeResponse();

    filter.doFilter(new FakeRequest("/query"), response, ok);

    assertThat(served).containsExactly("/query");
    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS);
    assertThat(limiter.priorities).containsExactly(Priority.CRITICAL);
    assertThat(limiter.inFlight()).isZero();
    assertThat(response.status).isEqualTo(200);
  }

  @Test
  void aRefusalIsAnswered503WithEveryFieldAndNeverReachesTheApplication() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    long[] held = holdAll(4);
    FakeResponse response = new FakeResponse();

    filter.doFilter(new FakeRequest("/query"), response, ok);

    assertThat(served).isEmpty();
    assertThat(response.status).isEqualTo(503);
    assertThat(response.headers)
        .containsEntry("Content-Type", "application/problem+json")
        .containsEntry("Cache-Control", "no-store")
        .containsEntry("RateLimit-Policy", "\"concurrency\";q=4;qu=\"concurrent-requests\"")
        .containsKeys("Retry-After", "RateLimit");
    assertThat(Long.parseLong(response.headers.get("Retry-After"))).isPositive();
    assertThat(response.contentLength).isEqualTo(response.body.size()).isPositive();
    assertThat(response.bodyText()).contains("\"reason\":\"LIMIT_REACHED\"");
    release(held);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void theOverloadStatusIs429ByChoice() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter)
        .refusals(HttpRefusals.newBuilder().overloadStatus(429).build()).build();
    long[] held = holdAll(4);
    FakeResponse response = new FakeResponse();

    filter.doFilter(new FakeRequest("/query"), response, ok);

    assertThat(response.status).isEqualTo(429);
    release(held);
  }

  @Test
  void bypassedPathsReachTheApplicationEvenWhenTheLimiterIsFull() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(RouteTable.newBuilder((io.sluice.Limiter) limiter)
        .bypass("/health").bypassPrefix("/metrics").build()).build();
    long[] held = holdAll(4);

    filter.doFilter(new FakeRequest("/health"), new FakeResponse(), ok);
    filter.doFilter(new FakeRequest("/metrics/prometheus"), new FakeResponse(), ok);
    FakeResponse ambiguous = new FakeResponse();
    filter.doFilter(new FakeRequest("/health/../admin"), ambiguous, ok);

    assertThat(served).containsExactly("/health", "/metrics/prometheus");
    assertThat(ambiguous.status).as("an ambiguous path is never bypassed").isEqualTo(503);
    release(held);
  }

  @Test
  void eachRouteIsAdmittedByItsOwnLimiter() throws Exception {
    SpyLimiter search = new SpyLimiter(1);
    SluiceFilter filter = SluiceFilter.newBuilder(RouteTable.newBuilder((io.sluice.Limiter) limiter)
        .prefix("/search", search).build()).build();

    filter.doFilter(new FakeRequest("/search/books"), new FakeResponse(), ok);
    filter.doFilter(new FakeRequest("/unknown/route"), new FakeResponse(), ok);

    assertThat(search.outcomes).containsExactly(Outcome.SUCCESS);
    assertThat(limiter.outcomes).as("an unknown route goes to the default")
        .containsExactly(Outcome.SUCCESS);
  }

  @Test
  void routesMatchWhateverThePathLengthAgainstTheLongestRoute() throws Exception {
    // RouteTable hashes a path only up to its longest route: a prefix of exactly that length,
    // and paths far longer than any route, still find their limiter.
    SpyLimiter search = new SpyLimiter(1);
    SpyLimiter query = new SpyLimiter(1);
    SluiceFilter filter = SluiceFilter.newBuilder(RouteTable.newBuilder((io.sluice.Limiter) limiter)
        .prefix("/search", search).exact("/q", query).build()).build();
    for (String path : List.of("/search", "/search/books", "/search/a/b/c/d/e/f/g/h/i/j/k/l",
        "/q", "/searchx", "/search;v=1", "/q/x", "/sear", "/elsewhere/much/longer/than/any")) {
      filter.doFilter(new FakeRequest(path), new FakeResponse(), ok);
    }
    assertThat(search.outcomes).hasSize(3);
    assertThat(query.outcomes).hasSize(1);
    assertThat(limiter.outcomes).hasSize(5);
  }

  @Test
  void onlyTheFirstDispatchIsAdmitted() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    for (DispatcherType type : List.of(DispatcherType.ASYNC, DispatcherType.ERROR,
        DispatcherType.FORWARD, DispatcherType.INCLUDE)) {
      FakeRequest request = new FakeRequest("/query");
      request.dispatcherType = type;
      filter.doFilter(request, new FakeResponse(), ok);
    }
    assertThat(served).hasSize(4);
    assertThat(limiter.costs).isEmpty();
  }

  @Test
  void aPriorityIsBelievedFromTrustedPeersOnly() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).priorities(PriorityHeader.newBuilder()
        .trustedSources(TrustedSources.of("10.0.0.0/8")).build()).build();

    filter.doFilter(new FakeRequest("/q").from("10.1.2.3").header("X-Priority", "critical-plus"),
        new FakeResponse(), ok);
    filter.doFilter(new FakeRequest("/q").from("203.0.113.9").header("X-Priority", "critical-plus"),
        new FakeResponse(), ok);
    filter.doFilter(new FakeRequest("/q").from("203.0.113.9").header("X-Priority", "sheddable"),
        new FakeResponse(), ok);

    assertThat(limiter.priorities).containsExactly(Priority.CRITICAL_PLUS, Priority.CRITICAL,
        Priority.SHEDDABLE);
  }

  @Test
  void aRepeatedPriorityFieldCountsEveryLineAndAMalformedOneTheDefault() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).priorities(PriorityHeader.newBuilder()
        .trustedSources(TrustedSources.loopback()).build()).build();

    // A client's critical-plus followed by the gateway's sheddable: the gateway's wins.
    filter.doFilter(new FakeRequest("/q").header("X-Priority", "critical-plus")
        .header("X-Priority", "sheddable"), new FakeResponse(), ok);
    filter.doFilter(new FakeRequest("/q").header("X-Priority", "critical-plus, critical-plus"),
        new FakeResponse(), ok);
    filter.doFilter(new FakeRequest("/q").header("X-Priority", "\u0000garbage\u00ff"),
        new FakeResponse(), ok);
    filter.doFilter(new FakeRequest("/q").header("X-Priority", "x".repeat(100_000)),
        new FakeResponse(), ok);

    assertThat(limiter.priorities).containsExactly(Priority.SHEDDABLE, Priority.CRITICAL,
        Priority.CRITICAL, Priority.CRITICAL);
    assertThat(served).hasSize(4);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aTenantIsReadIntoTheRequestAndAMalformedOneIsA400() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter)
        .tenants(TenantHeader.newBuilder().build()).build();
    FakeRequest alice = new FakeRequest("/q").header("X-Tenant", "alice");
    filter.doFilter(alice, new FakeResponse(), ok);
    FakeRequest nobody = new FakeRequest("/q");
    filter.doFilter(nobody, new FakeResponse(), ok);
    assertThat(alice.getAttribute(SluiceFilter.TENANT_ATTRIBUTE)).isEqualTo(Tenant.of("alice"));
    assertThat(nobody.getAttribute(SluiceFilter.TENANT_ATTRIBUTE))
        .isEqualTo(Tenant.of("anonymous"));

    for (FakeRequest bad : List.of(
        new FakeRequest("/q").header("X-Tenant", "alice").header("X-Tenant", "bob"),
        new FakeRequest("/q").header("X-Tenant", "alice,bob"),
        new FakeRequest("/q").header("X-Tenant", " "),
        new FakeRequest("/q").header("X-Tenant", "a\u0001b"),
        new FakeRequest("/q").header("X-Tenant", "t".repeat(1_000_000)))) {
      FakeResponse response = new FakeResponse();
      filter.doFilter(bad, response, ok);
      assertThat(response.status).isEqualTo(400);
      assertThat(response.headers).containsEntry("Cache-Control", "no-store")
          .doesNotContainKey("Retry-After");
      assertThat(response.bodyText()).contains("X-Tenant").doesNotContain("ttttt");
    }
    assertThat(served).hasSize(2);
    assertThat(limiter.costs).as("a 400 takes no permit").hasSize(2);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aTenantOutOfQuotaIsAnswered429BeforeItTakesAPermit() throws Exception {
    ManualClock clock = new ManualClock();
    KeyedRateLimiter<Tenant> quotas = KeyedRateLimiter.newBuilder()
        .rate(2, Duration.ofSeconds(1)).burst(2).clock(clock).build();
    SluiceFilter filter = SluiceFilter.newBuilder(limiter)
        .tenants(TenantHeader.newBuilder().build())
        .quotas(quotas)
        .refusals(HttpRefusals.newBuilder().quotaPolicy("tenant", 2, Duration.ofSeconds(1))
            .build())
        .build();
    List<Integer> alice = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      FakeResponse response = new FakeResponse();
      filter.doFilter(new FakeRequest("/q").header("X-Tenant", "alice"), response, ok);
      alice.add(response.status);
    }
    FakeResponse bob = new FakeResponse();
    filter.doFilter(new FakeRequest("/q").header("X-Tenant", "bob"), bob, ok);
    FakeResponse refused = new FakeResponse();
    filter.doFilter(new FakeRequest("/q").header("X-Tenant", "alice"), refused, ok);

    assertThat(alice).containsExactly(200, 200, 429);
    assertThat(bob.status).as("another tenant's quota is its own").isEqualTo(200);
    assertThat(refused.status).isEqualTo(429);
    assertThat(refused.headers).containsEntry("Retry-After", "1")
        .containsEntry("Cache-Control", "no-store")
        .containsEntry("RateLimit-Policy", "\"tenant\";q=2;w=1")
        .containsEntry("RateLimit", "\"tenant\";r=0;t=1;pk=:YWxpY2U=:");
    assertThat(refused.bodyText()).contains("RATE_LIMITED");
    assertThat(limiter.costs).as("a quota refusal takes no permit").hasSize(3);
    assertThat(served).hasSize(3);

    clock.advance(Duration.ofMillis(500));
    FakeResponse refilled = new FakeResponse();
    filter.doFilter(new FakeRequest("/q").header("X-Tenant", "alice"), refilled, ok);
    assertThat(refilled.status).as("one request back after half a second").isEqualTo(200);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aQuotaInShadowModeRefusesNothingAndQuotasNeedTenants() throws Exception {
    KeyedRateLimiter<Tenant> quotas = KeyedRateLimiter.newBuilder()
        .rate(1, Duration.ofHours(1)).burst(1).clock(new ManualClock()).build();
    SluiceFilter filter = SluiceFilter.newBuilder(limiter)
        .tenants(TenantHeader.newBuilder().build()).quotas(quotas).monitorOnly(true).build();
    for (int i = 0; i < 3; i++) {
      FakeResponse response = new FakeResponse();
      filter.doFilter(new FakeRequest("/q"), response, ok);
      assertThat(response.status).isEqualTo(200);
    }
    assertThat(quotas.availablePermits(Tenant.of("anonymous"))).isZero();
    assertThat(served).hasSize(3);

    assertThatThrownBy(() -> SluiceFilter.newBuilder(limiter).quotas(quotas).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenants");
    assertThatThrownBy(() -> SluiceFilter.newBuilder(limiter).quotas(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quotas");
  }

  @Test
  void theCostFunctionWeighsTheRequestAndAnImpossibleCostIsRefused() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter)
        .cost(request -> Integer.parseInt(request.getHeader("X-Cost"))).build();
    int[] inFlightDuringWork = new int[1];
    FilterChain measuring = (req, res) -> inFlightDuringWork[0] = limiter.inFlight();

    filter.doFilter(new FakeRequest("/q").header("X-Cost", "3"), new FakeResponse(), measuring);
    assertThat(inFlightDuringWork[0]).isEqualTo(3);
    filter.doFilter(new FakeRequest("/q").header("X-Cost", "-7"), new FakeResponse(), measuring);
    assertThat(inFlightDuringWork[0]).as("below 1 counts as 1").isEqualTo(1);

    FakeResponse heavy = new FakeResponse();
    filter.doFilter(new FakeRequest("/q").header("X-Cost", "5"), heavy, measuring);
    assertThat(heavy.status).as("5 units fit no limit of 4").isEqualTo(503);
    FakeResponse impossible = new FakeResponse();
    filter.doFilter(new FakeRequest("/q").header("X-Cost", "1000000"), impossible, measuring);
    assertThat(impossible.status).as("above maxLimit").isEqualTo(503);
    assertThat(impossible.bodyText()).contains("LIMIT_REACHED");
    assertThat(limiter.costs).containsExactly(3, 1, 5, 1_000_000);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void shadowModeRefusesNothingAndTheLimiterCountsWhatItWouldHaveRefused() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter)
        .tenants(TenantHeader.newBuilder().build())
        .cost(request -> request.getHeader("X-Cost") == null ? 1 : 1_000_000)
        .monitorOnly(true).build();
    assertThat(filter.monitorOnly()).isTrue();
    long[] held = holdAll(4);

    FakeResponse over = new FakeResponse();
    filter.doFilter(new FakeRequest("/q"), over, ok);
    FakeResponse malformed = new FakeResponse();
    filter.doFilter(new FakeRequest("/q").header("X-Tenant", "a").header("X-Tenant", "b"),
        malformed, ok);
    filter.doFilter(new FakeRequest("/q").header("X-Cost", "huge"), new FakeResponse(), ok);

    assertThat(served).hasSize(3);
    assertThat(over.status).isEqualTo(200);
    assertThat(malformed.status).isEqualTo(200);
    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(2);

    filter.monitorOnly(false);
    FakeResponse enforced = new FakeResponse();
    filter.doFilter(new FakeRequest("/q"), enforced, ok);
    assertThat(enforced.status).isEqualTo(503);
    release(held);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void theStandardOutcomesOfSynchronousRequests() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    filter.doFilter(new FakeRequest("/q"), new FakeResponse(), status(302));
    filter.doFilter(new FakeRequest("/q"), new FakeResponse(), status(404));
    filter.doFilter(new FakeRequest("/q"), new FakeResponse(), status(500));
    filter.doFilter(new FakeRequest("/q"), new FakeResponse(), status(503));
    filter.doFilter(new FakeRequest("/q"), new FakeResponse(), status(504));
    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS, Outcome.IGNORED,
        Outcome.IGNORED, Outcome.DROPPED, Outcome.DROPPED);
  }

  @Test
  void exceptionsReleaseThePermitAndPropagate() {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    List<Throwable> failures = List.of(
        new IllegalStateException("a bug"),
        new ServletException(new TimeoutException("the database")),
        new ServletException(Ticket.toException(
            Ticket.rejection(RejectReason.QUEUE_FULL, 1_000_000))),
        new IOException("Broken pipe"),
        new EOFException(),
        new IOException(new TimeoutException("idle")));
    for (Throwable failure : failures) {
      assertThatThrownBy(() -> filter.doFilter(new FakeRequest("/q"), new FakeResponse(),
          throwing(failure))).isSameAs(failure);
    }
    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED, Outcome.DROPPED,
        Outcome.DROPPED, Outcome.IGNORED, Outcome.IGNORED, Outcome.DROPPED);
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().invalidReleases()).isZero();
  }

  @Test
  void aMappingThatFailsOrReturnsNullStillReleasesAsIgnored() throws Exception {
    IllegalStateException bug = new IllegalStateException("mapping bug");
    SluiceFilter failing = SluiceFilter.newBuilder(limiter).outcomes((e, s, f) -> {
      throw bug;
    }).build();
    assertThatThrownBy(() -> failing.doFilter(new FakeRequest("/q"), new FakeResponse(), ok))
        .isSameAs(bug);
    IOException appFailure = new IOException("app");
    assertThatThrownBy(() -> failing.doFilter(new FakeRequest("/q"), new FakeResponse(),
        throwing(appFailure))).isSameAs(appFailure).hasSuppressedException(bug);
    SluiceFilter nulls = SluiceFilter.newBuilder(limiter).outcomes((e, s, f) -> null).build();
    nulls.doFilter(new FakeRequest("/q"), new FakeResponse(), ok);

    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED, Outcome.IGNORED,
        Outcome.IGNORED);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aCustomMappingSeesHowTheRequestEnded() throws Exception {
    List<String> seen = new ArrayList<>();
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).outcomes((ending, status, failure) -> {
      seen.add(ending + " " + status + " " + (failure == null ? "-" : failure.getMessage()));
      return OutcomeMapping.standard().outcome(ending, status, failure);
    }).build();
    filter.doFilter(new FakeRequest("/q"), new FakeResponse(), status(201));
    IOException reset = new IOException("Connection reset by peer");
    assertThatThrownBy(() -> filter.doFilter(new FakeRequest("/q"), new FakeResponse(),
        throwing(reset))).isSameAs(reset);
    assertThat(seen).containsExactly("COMPLETED 201 -",
        "CLIENT_ABORTED 200 Connection reset by peer");
  }

  @Test
  void anAsyncRequestHoldsItsPermitUntilItCompletes() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    FakeRequest request = new FakeRequest("/q");
    FakeResponse response = new FakeResponse();

    filter.doFilter(request, response, startingAsync());
    assertThat(limiter.inFlight()).as("held after the filter returned").isEqualTo(1);
    assertThat(request.async.listeners).hasSize(1);

    response.setStatus(202);
    request.async.complete();
    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void anAsyncTimeoutIsDroppedAndTheCompletionThatFollowsReleasesNothing() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    FakeRequest request = new FakeRequest("/q");
    filter.doFilter(request, new FakeResponse(), startingAsync());

    request.async.timeOut();

    assertThat(limiter.outcomes).containsExactly(Outcome.DROPPED);
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().invalidReleases()).isZero();
  }

  @Test
  void anAsyncErrorReleasesOnceWithTheOutcomeOfItsCause() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    FakeRequest aborted = new FakeRequest("/q");
    filter.doFilter(aborted, new FakeResponse(), startingAsync());
    FakeRequest overloaded = new FakeRequest("/q");
    filter.doFilter(overloaded, new FakeResponse(), startingAsync());

    aborted.async.fail(new EOFException("client gone"));
    overloaded.async.fail(new AdmissionRejectedException(RejectReason.LIMIT_REACHED, 1_000));

    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED, Outcome.DROPPED);
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().invalidReleases()).isZero();
  }

  @Test
  void aSecondAsyncCycleKeepsTheListener() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    FakeRequest request = new FakeRequest("/q");
    filter.doFilter(request, new FakeResponse(), startingAsync());

    request.async.restart();
    assertThat(limiter.inFlight()).isEqualTo(1);
    request.async.complete();

    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void anExceptionAfterStartAsyncReleasesAtOnce() {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).build();
    FakeRequest request = new FakeRequest("/q");
    IllegalStateException bug = new IllegalStateException("after startAsync");
    assertThatThrownBy(() -> filter.doFilter(request, new FakeResponse(), (req, res) -> {
      req.startAsync();
      throw bug;
    })).isSameAs(bug);

    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED);
    assertThat(request.async.listeners).isEmpty();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void theFirstByteRecordsTheSampleOfAStreamingResponse() throws Exception {
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).sampleAtFirstByte(true).build();

    FakeRequest streaming = new FakeRequest("/events");
    filter.doFilter(streaming, new FakeResponse(), (req, res) -> {
      jakarta.servlet.AsyncContext async = req.startAsync();
      assertThat(limiter.samples).isEmpty();
      async.getResponse().getOutputStream().write('a');
      async.getResponse().getOutputStream().write('b');
      async.getResponse().getWriter().print("c");
    });
    assertThat(limiter.samples).as("one sample, at the first byte").hasSize(1);
    assertThat(limiter.inFlight()).as("the stream goes on").isEqualTo(1);
    streaming.async.complete();

    filter.doFilter(new FakeRequest("/page"), new FakeResponse(),
        (req, res) -> res.getWriter().println("page"));
    filter.doFilter(new FakeRequest("/flush"), new FakeResponse(),
        (req, res) -> res.flushBuffer());
    filter.doFilter(new FakeRequest("/empty"), new FakeResponse(), status(204));

    assertThat(limiter.samples).hasSize(3);
    assertThat(limiter.outcomes).containsOnly(Outcome.SUCCESS).hasSize(4);
    assertThat(limiter.delegate.snapshot().invalidSamples()).isZero();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void theStandardMappingNamesEveryEnding() {
    OutcomeMapping standard = OutcomeMapping.standard();
    assertThat(standard.outcome(Ending.COMPLETED, 101, null)).isEqualTo(Outcome.SUCCESS);
    assertThat(standard.outcome(Ending.COMPLETED, 399, null)).isEqualTo(Outcome.SUCCESS);
    assertThat(standard.outcome(Ending.COMPLETED, 400, null)).isEqualTo(Outcome.IGNORED);
    assertThat(standard.outcome(Ending.COMPLETED, 429, null)).isEqualTo(Outcome.IGNORED);
    assertThat(standard.outcome(Ending.COMPLETED, 502, null)).isEqualTo(Outcome.IGNORED);
    assertThat(standard.outcome(Ending.COMPLETED, 503, null)).isEqualTo(Outcome.DROPPED);
    assertThat(standard.outcome(Ending.COMPLETED, 504, null)).isEqualTo(Outcome.DROPPED);
    assertThat(standard.outcome(Ending.TIMED_OUT, 200, null)).isEqualTo(Outcome.DROPPED);
    assertThat(standard.outcome(Ending.CLIENT_ABORTED, 200, new EOFException()))
        .isEqualTo(Outcome.IGNORED);
    assertThat(standard.outcome(Ending.FAILED, 200, new java.net.SocketTimeoutException()))
        .isEqualTo(Outcome.DROPPED);
    assertThat(standard.outcome(Ending.FAILED, 200,
        new java.util.concurrent.RejectedExecutionException())).isEqualTo(Outcome.DROPPED);
    assertThat(standard.outcome(Ending.FAILED, 503, new IllegalArgumentException()))
        .isEqualTo(Outcome.IGNORED);
  }

  @Test
  void clientAbortsAreRecognisedByTheContainersSigns() {
    class ClientAbortException extends IOException {
      private static final long serialVersionUID = 1L;
    }
    assertThat(StandardOutcomes.isClientAbort(new ClientAbortException())).isTrue();
    assertThat(StandardOutcomes.isClientAbort(new ServletException(new EOFException()))).isTrue();
    assertThat(StandardOutcomes.isClientAbort(new IOException("java.io.IOException: BROKEN PIPE")))
        .isTrue();
    assertThat(StandardOutcomes.isClientAbort(new IOException("disk full"))).isFalse();
    assertThat(StandardOutcomes.isClientAbort(new RuntimeException("broken pipe")))
        .as("only an I/O failure's message counts").isFalse();
    Exception cyclic = new Exception("cycle");
    Exception other = new Exception(cyclic);
    cyclic.initCause(other);
    assertThat(StandardOutcomes.isClientAbort(cyclic)).isFalse();
    assertThat(StandardOutcomes.isCapacitySignal(cyclic)).isFalse();
  }

  @Test
  void theBuilderRejectsNulls() {
    assertThatThrownBy(() -> SluiceFilter.newBuilder((io.sluice.Limiter) null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limiter");
    assertThatThrownBy(() -> SluiceFilter.newBuilder(limiter).cost(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cost");
    assertThatThrownBy(() -> SluiceFilter.newBuilder(limiter).outcomes(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outcomes");
  }

  private long[] holdAll(int n) {
    long[] held = new long[n];
    for (int i = 0; i < n; i++) {
      held[i] = limiter.delegate.tryAcquire();
      assertThat(Ticket.isPermit(held[i])).isTrue();
    }
    return held;
  }

  private void release(long[] held) {
    for (long permit : held) {
      limiter.delegate.release(permit, Outcome.IGNORED);
    }
  }
}
