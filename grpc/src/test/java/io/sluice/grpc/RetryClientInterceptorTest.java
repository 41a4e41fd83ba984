package io.sluice.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.breaker.CircuitBreaker;
import io.sluice.client.AdaptiveThrottle;
import io.sluice.client.Backoff;
import io.sluice.client.RetryBudget;
import io.sluice.client.RetryPolicy;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client interceptor against an in-process server: pushback honoured (checked on the
 * recorded schedule, never on the wall clock), the retry budget, the adaptive throttle failing
 * fast, which calls are retried and which never, deadlines and cancellation.
 */
class RetryClientInterceptorTest {
  private static final long MILLI = 1_000_000L;

  private final ManualClock clock = new ManualClock();
  private final Echo echo = new Echo();
  private final List<Harness> harnesses = new ArrayList<>();
  private final List<RecordingScheduler> schedulers = new ArrayList<>();
  private final Attempts attempts = new Attempts();

  @AfterEach
  void shutDown() {
    harnesses.forEach(Harness::close);
    schedulers.forEach(RecordingScheduler::shutdownNow);
  }

  private Channel serve(ServerInterceptor... interceptors) {
    Harness h = Harness.inProcess(List.of(ServerInterceptors.intercept(echo.service(),
        interceptors)));
    harnesses.add(h);
    return h.channel;
  }

  private RecordingScheduler scheduler(RecordingScheduler s) {
    schedulers.add(s);
    return s;
  }

  /** The channel as the application sees it: retries outside, the attempts recorded inside. */
  private Channel client(Channel server, RetryClientInterceptor retry) {
    return ClientInterceptors.intercept(server, attempts, retry);
  }

  private static RetryPolicy.Builder policy(int maxAttempts) {
    return RetryPolicy.newBuilder().maxAttempts(maxAttempts).random(new SplittableRandom(7))
        .backoff(Backoff.exponential(Duration.ofMillis(1), Duration.ofMillis(100)));
  }

  private Limiter fullLimiter() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build();
    limiter.tryAcquire(); // held by the test: every call is refused until it is released
    return limiter;
  }

  private static StatusRuntimeException failure(Channel channel, MethodDescriptor<String, String> m,
      String request) {
    try {
      ClientCalls.blockingUnaryCall(channel, m, CallOptions.DEFAULT, request);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }

  @Test
  void aRefusedCallIsRetriedNoSoonerThanTheServersPushback() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build();
    long held = limiter.tryAcquire();
    Channel server = serve(AdmissionServerInterceptor.newBuilder(limiter).build());
    // The retry's delay stands for time in which the server finished its work.
    RecordingScheduler scheduler = scheduler(RecordingScheduler.immediate()
        .beforeEach(() -> limiter.release(held, Outcome.SUCCESS)));
    Channel channel = client(server,
        RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());

    String answer = ClientCalls.blockingUnaryCall(channel, Echo.SAY, CallOptions.DEFAULT, "hi");

    assertThat(answer).isEqualTo("hi");
    assertThat(attempts.codes).containsExactly(Status.Code.UNAVAILABLE, Status.Code.OK);
    long pushbackNanos = Long.parseLong(attempts.pushbacks.get(0)) * MILLI;
    assertThat(pushbackNanos).isPositive();
    assertThat(scheduler.delaysNanos).hasSize(1);
    assertThat(scheduler.delaysNanos.get(0)).isGreaterThanOrEqualTo(pushbackNanos);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void retriesStopWhenTheBudgetIsSpent() {
    Refuser refuser = new Refuser(Integer.MAX_VALUE, Status.UNAVAILABLE,
        () -> Refuser.pushback("5"));
    RecordingScheduler scheduler = scheduler(RecordingScheduler.immediate());
    RetryPolicy policy = policy(3).budget(RetryBudget.of(0.1, 2)).build();
    Channel channel = client(serve(refuser),
        RetryClientInterceptor.newBuilder(policy).scheduler(scheduler).build());

    for (int i = 0; i < 20; i++) {
      StatusRuntimeException e = failure(channel, Echo.SAY, "x");
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(e.getTrailers().get(GrpcRefusals.RETRY_PUSHBACK_MS)).isEqualTo("5");
    }

    // The budget starts at its burst (2 retries, both spent by the first call), and every call
    // deposits 0.1: the eleventh has saved one more. 20 calls, 3 retries, not 40.
    assertThat(refuser.calls).hasValue(23);
    assertThat(scheduler.delaysNanos).hasSize(3).allMatch(d -> d >= 5 * MILLI);
    assertThat(policy.budget().balance()).isLessThan(1.0);
  }

  @Test
  void theThrottleFailsCallsLocallyWhileTheServerKeepsRefusing() {
    Refuser refuser = new Refuser(Integer.MAX_VALUE, Status.UNAVAILABLE,
        () -> Refuser.pushback("5"));
    AdaptiveThrottle throttle =
        AdaptiveThrottle.newBuilder().window(Duration.ofMinutes(1)).clock(clock).build();
    RetryPolicy policy = policy(1).throttle(throttle).build(); // one attempt: no scheduler
    Channel channel = client(serve(refuser), RetryClientInterceptor.newBuilder(policy).build());

    int local = 0;
    for (int i = 0; i < 200; i++) {
      StatusRuntimeException e = failure(channel, Echo.SAY, "x");
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      if (e.getStatus().getDescription() != null
          && e.getStatus().getDescription().contains("refused locally")) {
        local++;
      }
    }

    assertThat(throttle.requests()).isEqualTo(200);
    assertThat(throttle.accepts()).isZero();
    assertThat(local).as("refused locally").isGreaterThan(100);
    assertThat(refuser.calls).as("sent").hasValue(200 - local);
    assertThat(attempts.codes).hasSize(200 - local);
  }

  @Test
  void aServerRefusalOpensTheBreakerAndTheNextCallFailsFastWithItsRemainingTime() {
    CircuitBreaker breaker = CircuitBreaker.newBuilder().waitInOpen(Duration.ofSeconds(3))
        .clock(clock).build();
    Refuser refuser = new Refuser(Integer.MAX_VALUE, Status.UNAVAILABLE,
        () -> Refuser.pushback("2000"));
    RetryPolicy policy = policy(1).breaker(breaker).build();
    Channel channel = client(serve(refuser), RetryClientInterceptor.newBuilder(policy).build());

    assertThat(failure(channel, Echo.SAY, "x").getStatus().getDescription()).isNull();
    StatusRuntimeException e = failure(channel, Echo.SAY, "x");

    assertThat(refuser.calls).as("the second call was never sent").hasValue(1);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).startsWith("sluice CIRCUIT_OPEN: refused locally");
    assertThat(Long.parseLong(e.getTrailers().get(GrpcRefusals.RETRY_PUSHBACK_MS)))
        .isBetween(2_000L, 3_000L);
  }

  @Test
  void streamingCallsThatSendMessagesAreNeverRetried() throws Exception {
    Refuser refuser = new Refuser(Integer.MAX_VALUE, Status.UNAVAILABLE,
        () -> Refuser.pushback("5"));
    RecordingScheduler scheduler = scheduler(RecordingScheduler.immediate());
    Channel channel = client(serve(refuser),
        RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());

    for (MethodDescriptor<String, String> m : List.of(Echo.CHAT, Echo.COLLECT)) {
      ClientCall<String, String> call = channel.newCall(m, CallOptions.DEFAULT);
      CompletableFuture<Status> closed = new CompletableFuture<>();
      call.start(closeListener(closed), new Metadata());
      call.request(1);
      call.sendMessage("a");
      call.halfClose();
      assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    assertThat(refuser.calls).hasValue(2);
    assertThat(scheduler.delaysNanos).isEmpty();
  }

  @Test
  void aServerStreamIsRetriedUntilItsFirstMessageArrivesAndNeverAfter() {
    Refuser refuser = new Refuser(1, Status.UNAVAILABLE, () -> Refuser.pushback("5"));
    RecordingScheduler scheduler = scheduler(RecordingScheduler.immediate());
    Channel channel = client(serve(refuser),
        RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());

    List<String> got = new ArrayList<>();
    ClientCalls.blockingServerStreamingCall(channel, Echo.COUNT, CallOptions.DEFAULT, "3")
        .forEachRemaining(got::add);
    assertThat(got).containsExactly("1", "2", "3");
    assertThat(attempts.codes).containsExactly(Status.Code.UNAVAILABLE, Status.Code.OK);

    attempts.codes.clear();
    Iterator<String> started = ClientCalls.blockingServerStreamingCall(channel, Echo.COUNT,
        CallOptions.DEFAULT, "2:unavailable");
    assertThat(started.next()).isEqualTo("1");
    assertThat(started.next()).isEqualTo("2");
    assertThatThrownBy(started::hasNext).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(attempts.codes).as("a stream that started is not replayed")
        .containsExactly(Status.Code.UNAVAILABLE);
    assertThat(scheduler.delaysNanos).hasSize(1);
  }

  @Test
  void aPushbackThatIsNotANonNegativeIntegerMeansDoNotRetry() {
    for (String invalid : List.of("-1", "abc", "1.5", " 5", "99999999999", "")) {
      Refuser refuser = new Refuser(1, Status.UNAVAILABLE, () -> Refuser.pushback(invalid));
      RecordingScheduler scheduler = scheduler(RecordingScheduler.immediate());
      Channel channel = client(serve(refuser),
          RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());

      assertThat(failure(channel, Echo.SAY_IDEMPOTENT, "x").getStatus().getCode())
          .as("pushback %s", invalid).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(refuser.calls).as("pushback %s", invalid).hasValue(1);
    }
  }

  @Test
  void withoutPushbackOnlyIdempotentMethodsAreRetriedAndOnlyUnavailable() {
    Refuser refuser = new Refuser(Integer.MAX_VALUE, Status.UNAVAILABLE, Metadata::new);
    RecordingScheduler scheduler = scheduler(RecordingScheduler.immediate());
    Channel channel = client(serve(refuser),
        RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());

    failure(channel, Echo.SAY, "x");
    assertThat(refuser.calls).as("not idempotent: one attempt").hasValue(1);
    failure(channel, Echo.SAY_IDEMPOTENT, "x");
    assertThat(refuser.calls).as("idempotent: three attempts").hasValue(4);
    assertThat(scheduler.delaysNanos).hasSize(2).allMatch(d -> d <= 100 * MILLI);

    Refuser quota = new Refuser(Integer.MAX_VALUE, Status.RESOURCE_EXHAUSTED, Metadata::new);
    Channel quotaChannel = client(serve(quota),
        RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());
    failure(quotaChannel, Echo.SAY_IDEMPOTENT, "x");
    assertThat(quota.calls).as("RESOURCE_EXHAUSTED without pushback: not a refusal to retry")
        .hasValue(1);
  }

  @Test
  void aRetryThatWouldOutliveTheCallsDeadlineIsNotMade() {
    Refuser refuser = new Refuser(1, Status.UNAVAILABLE, () -> Refuser.pushback("30000"));
    RecordingScheduler scheduler = scheduler(RecordingScheduler.immediate());
    Channel channel = client(serve(refuser),
        RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());

    StatusRuntimeException e;
    try {
      ClientCalls.blockingUnaryCall(channel, Echo.SAY,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "x");
      throw new AssertionError("the call succeeded");
    } catch (StatusRuntimeException refused) {
      e = refused;
    }

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getTrailers().get(GrpcRefusals.RETRY_PUSHBACK_MS)).isEqualTo("30000");
    assertThat(refuser.calls).hasValue(1);
    assertThat(scheduler.delaysNanos).isEmpty();
  }

  @Test
  void cancellingACallWhoseRetryWaitsEndsItCancelledAndSendsNothingMore() throws Exception {
    Refuser refuser = new Refuser(1, Status.UNAVAILABLE, () -> Refuser.pushback("5"));
    RecordingScheduler scheduler = scheduler(RecordingScheduler.holding());
    Channel channel = client(serve(refuser),
        RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());

    ClientCall<String, String> call = channel.newCall(Echo.SAY, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(closeListener(closed), new Metadata());
    call.request(2);
    call.sendMessage("x");
    call.halfClose();
    assertThat(scheduler.delaysNanos).as("a retry waits").hasSize(1);
    assertThat(closed).isNotDone();

    call.cancel("the user gave up", null);

    assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(scheduler.runHeld()).as("the retry was cancelled").isZero();
    assertThat(refuser.calls).hasValue(1);
  }

  @Test
  void aRetryThatStartsBeforeTheFirstAttemptsStartReturnedIsTheOneACancelReaches()
      throws Exception {
    // In-process with direct executors, the refusal arrives inside the first attempt's start,
    // and this scheduler starts the retry right there: the retry is live before the code that
    // started the first attempt has returned. The application's cancel must reach the retry.
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build();
    long held = limiter.tryAcquire();
    Channel server = serve(AdmissionServerInterceptor.newBuilder(limiter).build());
    RecordingScheduler scheduler = scheduler(RecordingScheduler.inline()
        .beforeEach(() -> limiter.release(held, Outcome.SUCCESS)));
    Channel channel = client(server,
        RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());

    ClientCall<String, String> call = channel.newCall(Echo.SAY, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(closeListener(closed), new Metadata());
    call.request(2);
    call.sendMessage("hang");
    call.halfClose();
    assertThat(echo.hanging.poll(10, TimeUnit.SECONDS)).as("the retry reached the handler")
        .isNotNull();

    call.cancel("the user gave up", null);

    assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(attempts.codes).as("the refused attempt, then the retry, cancelled")
        .containsExactly(Status.Code.UNAVAILABLE, Status.Code.CANCELLED);
    assertThat(echo.cancellations.tryAcquire(10, TimeUnit.SECONDS)).as("the server saw it")
        .isTrue();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aRetryThatCannotStartEndsTheCallInsteadOfLeavingItOpen() throws Exception {
    // The retry starts on the scheduler's thread, where nobody would see its exception: the
    // application must hear that its call is over, or it waits for ever.
    Refuser refuser = new Refuser(1, Status.UNAVAILABLE, () -> Refuser.pushback("5"));
    RecordingScheduler scheduler = scheduler(RecordingScheduler.immediate());
    AtomicInteger made = new AtomicInteger();
    ClientInterceptor failsTheRetry = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
          CallOptions options, Channel next) {
        if (made.incrementAndGet() > 1) {
          throw new IllegalStateException("no call for the retry");
        }
        return next.newCall(method, options);
      }
    };
    Channel channel = ClientInterceptors.intercept(serve(refuser), failsTheRetry,
        RetryClientInterceptor.newBuilder(policy(3).build()).scheduler(scheduler).build());

    ClientCall<String, String> call = channel.newCall(Echo.SAY, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(closeListener(closed), new Metadata());
    call.request(1);
    call.sendMessage("x");
    call.halfClose();

    Status status = closed.get(10, TimeUnit.SECONDS);
    assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(status.getCause()).hasMessage("no call for the retry");
    assertThat(made).hasValue(2);
    assertThat(refuser.calls).hasValue(1);
  }

  @Test
  void aRetryPolicyWithRetriesNeedsAScheduler() {
    assertThatThrownBy(() -> RetryClientInterceptor.newBuilder(policy(3).build()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scheduler");
    assertThat(RetryClientInterceptor.newBuilder(policy(1).build()).build()).isNotNull();
  }

  @Test
  void pushbackIsReadAsGrpcsRetryDesignSays() {
    assertThat(Pushback.nanos(new Metadata())).isEqualTo(Pushback.ABSENT);
    assertThat(Pushback.nanos(Refuser.pushback("0"))).isZero();
    assertThat(Pushback.nanos(Refuser.pushback("250"))).isEqualTo(250 * MILLI);
    assertThat(Pushback.nanos(Refuser.pushback("2147483647")))
        .isEqualTo(2_147_483_647L * MILLI);
    for (String invalid : List.of("-1", "+1", "2147483648", "1e3", "0x10", "12 ", "")) {
      assertThat(Pushback.nanos(Refuser.pushback(invalid))).as(invalid)
          .isEqualTo(Pushback.INVALID);
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private static ClientCall.Listener<String> closeListener(CompletableFuture<Status> closed) {
    return new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    };
  }

  /** Records the status and pushback of every attempt that reaches the server's channel. */
  static final class Attempts implements ClientInterceptor {
    final List<Status.Code> codes = new CopyOnWriteArrayList<>();
    final List<String> pushbacks = new CopyOnWriteArrayList<>();

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
        CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
              listener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              codes.add(status.getCode());
              pushbacks.add(String.valueOf(trailers.get(GrpcRefusals.RETRY_PUSHBACK_MS)));
              super.onClose(status, trailers);
            }
          }, headers);
        }
      };
    }
  }
}
