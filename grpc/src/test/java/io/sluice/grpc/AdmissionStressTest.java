package io.sluice.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.client.Backoff;
import io.sluice.client.RetryPolicy;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many threads make every kind of call at once (unary, failing, throwing, streams read to the end
 * or cancelled midway, bidirectional, calls past their deadline), in-process and over Netty on
 * loopback: at the end no permit is lost or released twice, in-flight work is back to 0, and every
 * refusal the limiter counted reached a client as one (but those a deadline overtook).
 */
@Tag("stress")
class AdmissionStressTest {
  private static final int THREADS = 12;
  private static final int CALLS_PER_THREAD = 250;

  private static Harness harness(String transport, List<ServerServiceDefinition> services) {
    return transport.equals("netty") ? Harness.netty(services) : Harness.inProcess(services);
  }

  /**
   * Wrapped: the default outcomes and samples. Unwrapped: every status a success and no sample at
   * a first message, so no call is wrapped and each listener holds its permit.
   */
  @ParameterizedTest
  @CsvSource({"in-process, wrapped", "netty, wrapped", "in-process, unwrapped",
      "netty, unwrapped"})
  @Timeout(90)
  void everyPermitIsReleasedOnceWhateverWayTheCallsEnd(String transport, String calls)
      throws Exception {
    Echo echo = new Echo();
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(6)).build();
    AdmissionServerInterceptor.Builder b = AdmissionServerInterceptor.newBuilder(limiter);
    if (calls.equals("unwrapped")) {
      for (Status.Code code : Status.Code.values()) {
        b.outcome(code, Outcome.SUCCESS);
      }
      b.sampleAtFirstMessage(false);
    }
    ServerServiceDefinition service = ServerInterceptors.intercept(echo.service(), b.build());
    AtomicInteger refusalsSeen = new AtomicInteger();
    AtomicInteger deadlines = new AtomicInteger();
    AtomicInteger closes = new AtomicInteger();
    int total = THREADS * CALLS_PER_THREAD;

    try (Harness h = harness(transport, List.of(service))) {
      runThreads(thread -> {
        SplittableRandom random = new SplittableRandom(thread);
        for (int i = 0; i < CALLS_PER_THREAD; i++) {
          Status status = call(h.channel, random.nextInt(100));
          closes.incrementAndGet();
          if (isSluiceRefusal(status)) {
            refusalsSeen.incrementAndGet();
          } else if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            deadlines.incrementAndGet();
          }
        }
      });
      awaitNoneInFlight(limiter);

      LimiterSnapshot s = limiter.snapshot();
      assertThat(closes).hasValue(total);
      assertThat(s.inFlight()).isZero();
      assertThat(s.admitted()).as("admitted").isPositive().isEqualTo(s.completed());
      assertThat(s.invalidReleases()).as("second releases").isZero();
      assertThat(s.admitted() + s.rejected()).isLessThanOrEqualTo(total);
      // A call past its deadline may end on the client before its refusal arrives.
      assertThat(s.rejected()).as("refusals, seen by a client or past a deadline")
          .isBetween((long) refusalsSeen.get(), (long) refusalsSeen.get() + deadlines.get());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-process", "netty"})
  @Timeout(90)
  void retryingClientsEndEveryCallOnceAndLeaveTheServerAtRest(String transport)
      throws Exception {
    Echo echo = new Echo();
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(3)).build();
    ServerServiceDefinition service = ServerInterceptors.intercept(echo.service(),
        AdmissionServerInterceptor.newBuilder(limiter).build());
    RecordingScheduler scheduler = RecordingScheduler.immediate();
    RetryPolicy policy = RetryPolicy.newBuilder().maxAttempts(3)
        .backoff(Backoff.exponential(Duration.ofMillis(1), Duration.ofMillis(10))).build();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    int calls = THREADS * CALLS_PER_THREAD;

    try (Harness h = harness(transport, List.of(service))) {
      Channel channel = ClientInterceptors.intercept(h.channel,
          RetryClientInterceptor.newBuilder(policy).scheduler(scheduler).build());
      runThreads(thread -> {
        for (int i = 0; i < CALLS_PER_THREAD; i++) {
          OnceListener listener = new OnceListener();
          ClientCall<String, String> call = channel.newCall(
              i % 4 == 0 ? Echo.COUNT : Echo.SAY, CallOptions.DEFAULT);
          call.start(listener, new Metadata());
          call.request(5);
          call.sendMessage("2");
          call.halfClose();
          Status status = listener.closed.get(30, TimeUnit.SECONDS);
          if (status.isOk()) {
            ok.incrementAndGet();
          } else if (isSluiceRefusal(status)) {
            refused.incrementAndGet();
          } else {
            throw new AssertionError("unexpected " + status);
          }
          assertThat(listener.closes).as("onClose once").hasValue(1);
        }
      });
      awaitNoneInFlight(limiter);

      LimiterSnapshot s = limiter.snapshot();
      assertThat(ok.get() + refused.get()).isEqualTo(calls);
      assertThat(s.admitted()).as("one admitted attempt per success").isEqualTo(ok.get());
      assertThat(s.admitted() + s.rejected()).as("attempts: calls and retries")
          .isEqualTo(calls + scheduler.delaysNanos.size());
      assertThat(s.completed()).isEqualTo(s.admitted());
      assertThat(s.invalidReleases()).isZero();
    } finally {
      scheduler.shutdownNow();
    }
  }

  /** Makes one call of the kind {@code dice} (0-99) picks; returns how it ended. */
  private static Status call(Channel channel, int dice) throws Exception {
    if (dice < 40) {
      return unary(channel, CallOptions.DEFAULT, "hello");
    } else if (dice < 48) {
      return unary(channel, CallOptions.DEFAULT, "throw");
    } else if (dice < 56) {
      return unary(channel, CallOptions.DEFAULT, dice % 2 == 0 ? "status:UNAVAILABLE"
          : "status:INVALID_ARGUMENT");
    } else if (dice < 58) {
      return unary(channel, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.MILLISECONDS),
          "hang");
    } else if (dice < 72) {
      return stream(channel, "3", false);
    } else if (dice < 86) {
      return stream(channel, "2:hang", true);
    }
    return chat(channel);
  }

  private static Status unary(Channel channel, CallOptions options, String request)
      throws Exception {
    ClientCall<String, String> call = channel.newCall(Echo.SAY, options);
    OnceListener listener = new OnceListener();
    call.start(listener, new Metadata());
    call.request(2);
    call.sendMessage(request);
    call.halfClose();
    return listener.closed.get(30, TimeUnit.SECONDS);
  }

  /** Reads a server stream; {@code cancelAfterTwo} cancels it once two messages came. */
  private static Status stream(Channel channel, String request, boolean cancelAfterTwo)
      throws Exception {
    ClientCall<String, String> call = channel.newCall(Echo.COUNT, CallOptions.DEFAULT);
    OnceListener listener = new OnceListener() {
      @Override
      public void onMessage(String message) {
        if (cancelAfterTwo && messages.incrementAndGet() == 2) {
          call.cancel("enough", null);
        }
      }
    };
    call.start(listener, new Metadata());
    call.request(10);
    call.sendMessage(request);
    call.halfClose();
    return listener.closed.get(30, TimeUnit.SECONDS);
  }

  private static Status chat(Channel channel) throws Exception {
    ClientCall<String, String> call = channel.newCall(Echo.CHAT, CallOptions.DEFAULT);
    OnceListener listener = new OnceListener();
    call.start(listener, new Metadata());
    call.request(10);
    for (int i = 0; i < 3; i++) {
      call.sendMessage("m" + i);
    }
    call.halfClose();
    return listener.closed.get(30, TimeUnit.SECONDS);
  }

  private static boolean isSluiceRefusal(Status status) {
    return status.getCode() == Status.Code.UNAVAILABLE && status.getDescription() != null
        && status.getDescription().startsWith("sluice LIMIT_REACHED");
  }

  /** What each client thread does. */
  @FunctionalInterface
  private interface ThreadBody {
    void run(int thread) throws Exception;
  }

  private static void runThreads(ThreadBody body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<Void>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          body.run(thread);
          return null;
        }));
      }
      for (Future<Void> f : done) {
        f.get(80, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Waits (boundedly) for the server to see the cancellations the clients already saw: a
   * cancelled call ends on the server asynchronously. Asserts nothing about time.
   */
  private static void awaitNoneInFlight(Limiter limiter) {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (limiter.inFlight() != 0 && System.nanoTime() < giveUp) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  /** A listener that records how the call closed, and how often it was told. */
  private static class OnceListener extends ClientCall.Listener<String> {
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicInteger messages = new AtomicInteger();

    @Override
    public void onClose(Status status, Metadata trailers) {
      closes.incrementAndGet();
      closed.complete(status);
    }
  }
}
