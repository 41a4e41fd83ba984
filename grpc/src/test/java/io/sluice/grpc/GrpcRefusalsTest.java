package io.sluice.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.rate.RateLimiter;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The status, description and pushback of every kind of refusal. */
class GrpcRefusalsTest {
  private static final long MS = 1_000_000L;

  @Test
  void aQuotaIsResourceExhaustedAndEveryOtherReasonUnavailable() {
    for (RejectReason reason : RejectReason.values()) {
      Status status = GrpcRefusals.standard().status(Ticket.rejection(reason, 250 * MS));
      assertThat(status.getCode()).as(reason.name()).isEqualTo(
          reason == RejectReason.RATE_LIMITED ? Status.Code.RESOURCE_EXHAUSTED
              : Status.Code.UNAVAILABLE);
      assertThat(status.getDescription()).startsWith("sluice " + reason + ": ")
          .endsWith("; retry after 250 ms");
    }
  }

  @Test
  void anOverloadMayBeResourceExhaustedWhileAQuotaStaysSo() {
    GrpcRefusals refusals = GrpcRefusals.overloadCode(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refusals.overloadCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refusals.status(Ticket.rejection(RejectReason.LIMIT_REACHED, MS)).getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(GrpcRefusals.overloadCode(Status.Code.UNAVAILABLE))
        .isSameAs(GrpcRefusals.standard());
  }

  @Test
  void aRateLimitersRefusalCarriesItsExactWaitRoundedUpToMilliseconds() {
    ManualClock clock = new ManualClock();
    RateLimiter quota = RateLimiter.newBuilder().rate(10, Duration.ofSeconds(1)).burst(1)
        .clock(clock).build();
    quota.tryAcquire();
    long refused = quota.tryAcquire();

    Metadata trailers = GrpcRefusals.standard().trailers(refused);

    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(100 * MS);
    assertThat(trailers.get(GrpcRefusals.RETRY_PUSHBACK_MS)).isEqualTo("100");
    assertThat(GrpcRefusals.standard().status(refused).getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void thePushbackIsWholeMillisecondsRoundedUpNeverZeroAndAValidInteger() {
    assertThat(GrpcRefusals.pushbackMillis(0)).isEqualTo(1);
    assertThat(GrpcRefusals.pushbackMillis(1)).isEqualTo(1);
    assertThat(GrpcRefusals.pushbackMillis(MS)).isEqualTo(1);
    assertThat(GrpcRefusals.pushbackMillis(MS + 1)).isEqualTo(2);
    assertThat(GrpcRefusals.pushbackMillis(Ticket.MAX_RETRY_AFTER_NANOS))
        .isEqualTo(Integer.MAX_VALUE);
    assertThat(Pushback.nanos(GrpcRefusals.standard().trailers(
        Ticket.rejection(RejectReason.LIMIT_REACHED, Ticket.MAX_RETRY_AFTER_NANOS))))
        .as("the largest pushback is still one a client reads")
        .isEqualTo(Integer.MAX_VALUE * MS);
    assertThatThrownBy(() -> GrpcRefusals.pushbackMillis(-1))
        .hasMessageContaining("retryAfterNanos");
  }

  @Test
  void aPermitIsNoRefusal() {
    assertThatThrownBy(() -> GrpcRefusals.standard().status(0L))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
