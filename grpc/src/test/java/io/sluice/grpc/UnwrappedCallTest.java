package io.sluice.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import org.junit.jupiter.api.Test;

/**
 * A call whose status says nothing (every status with the same outcome, no sample due at a first
 * message) reaches its handler unwrapped, and its listener alone releases its permit, once,
 * whichever way the call ends.
 */
class UnwrappedCallTest {
  private final Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
  private final AdmissionServerInterceptor admission = everyStatus(Outcome.DROPPED).build();
  private final Metadata headers = new Metadata();
  private ServerCall<String, String> started;
  private final Handler handler = new Handler();
  private final ServerCallHandler<String, String> next = (c, h) -> {
    started = c;
    return handler;
  };

  @Test
  void theHandlerGetsTheCallItselfAndThePermitIsReleasedWhenGrpcReportsTheEnd() {
    SilentCall call = new SilentCall(Echo.SAY);
    ServerCall.Listener<String> listener = admission.interceptCall(call, headers, next);
    assertThat(started).isSameAs(call);

    started.close(Status.OK, new Metadata());
    assertThat(limiter.inFlight()).as("held until gRPC reports the end").isEqualTo(1);
    listener.onComplete();

    LimiterSnapshot s = limiter.snapshot();
    assertThat(s.inFlight()).isZero();
    assertThat(s.dropped()).as("every status's one outcome").isEqualTo(1);
    assertThat(handler.completed).isTrue();
  }

  @Test
  void aCancelledCallIsReleasedWithTheCancelledOutcome() {
    ServerCall.Listener<String> listener =
        admission.interceptCall(new SilentCall(Echo.SAY), headers, next);
    listener.onCancel();

    LimiterSnapshot s = limiter.snapshot();
    assertThat(s.inFlight()).isZero();
    assertThat(s.ignored()).isEqualTo(1);
    assertThat(s.dropped()).isZero();
  }

  @Test
  void aHandlerThatThrowsReleasesOnceThenTheCancellationReleasesNothing() {
    ServerCall.Listener<String> listener =
        admission.interceptCall(new SilentCall(Echo.SAY), headers, next);
    handler.fail = true;
    assertThatThrownBy(listener::onHalfClose).isInstanceOf(IllegalStateException.class);
    assertThat(limiter.inFlight()).isZero();
    listener.onCancel(); // gRPC cancels a call whose handler threw

    LimiterSnapshot s = limiter.snapshot();
    assertThat(s.completed()).isEqualTo(1);
    assertThat(s.dropped()).as("UNKNOWN's outcome, the one of every status").isEqualTo(1);
    assertThat(s.invalidReleases()).isZero();
  }

  @Test
  void aHandlerThatThrowsAtTheStartReleasesThePermit() {
    ServerCallHandler<String, String> broken = (c, h) -> {
      throw new IllegalStateException("the handler failed");
    };
    assertThatThrownBy(() -> admission.interceptCall(new SilentCall(Echo.SAY), headers, broken))
        .isInstanceOf(IllegalStateException.class);

    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().dropped()).isEqualTo(1);
  }

  @Test
  void aStreamingResponseDueForItsFirstMessageSampleIsStillWrapped() {
    SilentCall call = new SilentCall(Echo.COUNT);
    ServerCall.Listener<String> listener = admission.interceptCall(call, headers, next);
    assertThat(started).isNotSameAs(call);
    started.close(Status.OK, new Metadata());
    assertThat(limiter.inFlight()).as("released at the close it saw").isZero();
    listener.onComplete();
    assertThat(limiter.snapshot().completed()).isEqualTo(1);

    AdmissionServerInterceptor noSample = everyStatus(Outcome.DROPPED)
        .sampleAtFirstMessage(false).build();
    noSample.interceptCall(call, headers, next).onComplete();
    assertThat(started).isSameAs(call);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void differentOutcomesKeepTheCallWrapped() {
    AdmissionServerInterceptor mixed = everyStatus(Outcome.DROPPED)
        .outcome(Status.Code.OK, Outcome.SUCCESS).build();
    SilentCall call = new SilentCall(Echo.SAY);
    ServerCall.Listener<String> listener = mixed.interceptCall(call, headers, next);
    assertThat(started).isNotSameAs(call);
    started.close(Status.OK, new Metadata());
    listener.onComplete();
    assertThat(limiter.snapshot().succeeded()).isEqualTo(1);
  }

  private AdmissionServerInterceptor.Builder everyStatus(Outcome outcome) {
    AdmissionServerInterceptor.Builder b = AdmissionServerInterceptor.newBuilder(limiter);
    for (Status.Code code : Status.Code.values()) {
      b.outcome(code, outcome);
    }
    return b;
  }

  /** The handler's listener. */
  private static final class Handler extends ServerCall.Listener<String> {
    boolean fail;
    boolean completed;

    @Override
    public void onHalfClose() {
      if (fail) {
        throw new IllegalStateException("the handler failed");
      }
    }

    @Override
    public void onComplete() {
      completed = true;
    }
  }
}
