package io.sluice.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The listener wrappers that the interceptor reuses, driven the way gRPC drives them, by many
 * threads at once: calls end every way (closed then completed, cancelled, closed then cancelled,
 * a handler that throws then cancelled), and half of them end on another thread than the one
 * that started them, so that wrappers move between the pool's slots. Every handler's listener
 * must see its own call's events only, its end exactly once and nothing after it; every permit is
 * released once with its own call's outcome; and wrappers were in fact reused. Both ways a
 * listener can be used are driven: wrapping the call's listener of a wrapped call, and holding
 * the permit of a call that is not wrapped.
 */
@Tag("stress")
class ListenerReuseStressTest {
  private static final int THREADS = 8;
  private static final int CALLS_PER_THREAD = 20_000;
  private static final int KINDS = 4;

  private final Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(10_000)).build();
  private AdmissionServerInterceptor admission;
  /** Calls started by one thread and left for any thread to end. */
  private final ConcurrentLinkedQueue<Started> handedOver = new ConcurrentLinkedQueue<>();
  private final AtomicLong[] ended = {new AtomicLong(), new AtomicLong(), new AtomicLong(),
      new AtomicLong()};
  private final AtomicInteger ids = new AtomicInteger();

  /**
   * Wrapped: the default outcomes, the call wrapped to see its status. Unwrapped: every status
   * a success, so the listener alone holds the permit and a closed call is released only when
   * gRPC reports its end.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  @Timeout(60)
  void aReusedListenerNeverCarriesAnEventIntoAnotherCall(boolean unwrapped) throws Exception {
    AdmissionServerInterceptor.Builder b = AdmissionServerInterceptor.newBuilder(limiter);
    if (unwrapped) {
      for (Status.Code code : Status.Code.values()) {
        b.outcome(code, Outcome.SUCCESS);
      }
    }
    admission = b.build();
    List<Set<ServerCall.Listener<String>>> wrappersSeen = new ArrayList<>();
    List<List<Handler>> handlers = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Set<ServerCall.Listener<String>> wrappers =
          Collections.newSetFromMap(new IdentityHashMap<>());
      List<Handler> mine = new ArrayList<>();
      wrappersSeen.add(wrappers);
      handlers.add(mine);
      SplittableRandom random = new SplittableRandom(t);
      futures.add(pool.submit(() -> {
        for (int i = 0; i < CALLS_PER_THREAD; i++) {
          Started started = start();
          wrappers.add(started.listener);
          mine.add(started.handler);
          if (random.nextBoolean()) {
            end(started, random.nextInt(KINDS));
          } else {
            handedOver.add(started);
            Started other = handedOver.poll();
            if (other != null) {
              end(other, random.nextInt(KINDS));
            }
          }
        }
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get(50, TimeUnit.SECONDS);
    }
    pool.shutdown();
    SplittableRandom random = new SplittableRandom(-1);
    for (Started left; (left = handedOver.poll()) != null; ) {
      end(left, random.nextInt(KINDS));
    }

    long calls = (long) THREADS * CALLS_PER_THREAD;
    for (List<Handler> mine : handlers) {
      for (Handler h : mine) {
        assertThat(h.foreignEvents).as("events of another call").hasValue(0);
        assertThat(h.ends).as("ends of call %d", h.id).hasValue(1);
        assertThat(h.afterEnd).as("events after the end").hasValue(0);
      }
    }
    LimiterSnapshot s = limiter.snapshot();
    assertThat(s.inFlight()).isZero();
    assertThat(s.invalidReleases()).isZero();
    assertThat(s.admitted()).isEqualTo(calls).isEqualTo(s.completed());
    if (unwrapped) {
      // released at the end gRPC reports: completed or thrown, success; cancelled, ignored
      assertThat(s.succeeded()).isEqualTo(ended[0].get() + ended[3].get());
      assertThat(s.ignored()).isEqualTo(ended[1].get() + ended[2].get());
    } else {
      // closed OK: success, even when a cancellation follows; cancelled or thrown: ignored
      assertThat(s.succeeded()).isEqualTo(ended[0].get() + ended[2].get());
      assertThat(s.ignored()).isEqualTo(ended[1].get() + ended[3].get());
    }
    long distinct = wrappersSeen.stream().mapToLong(Set::size).sum();
    assertThat(distinct).as("listener wrappers made for %d calls", calls)
        .isLessThan(calls / 10);
  }

  private Started start() {
    int id = ids.incrementAndGet();
    Handler handler = new Handler(id);
    SilentCall call = new SilentCall();
    ServerCall.Listener<String> listener = admission.interceptCall(call, new Metadata(),
        (c, headers) -> {
          handler.call = c;
          return handler;
        });
    return new Started(id, listener, handler);
  }

  private void end(Started s, int kind) {
    s.listener.onMessage(Integer.toString(s.id));
    switch (kind) {
      case 0 -> {
        s.listener.onHalfClose();
        s.handler.call.close(Status.OK, new Metadata());
        s.listener.onComplete();
      }
      case 1 -> s.listener.onCancel();
      case 2 -> {
        s.handler.call.close(Status.OK, new Metadata());
        s.listener.onCancel(); // the status could not be sent: gRPC cancels instead
      }
      default -> {
        s.handler.throwOnHalfClose = true;
        try {
          s.listener.onHalfClose();
          throw new AssertionError("the handler's exception was swallowed");
        } catch (IllegalStateException expected) {
          s.listener.onCancel(); // gRPC cancels a call whose handler threw
        }
      }
    }
    ended[kind].incrementAndGet();
  }

  private record Started(int id, ServerCall.Listener<String> listener, Handler handler) {}

  /** A handler's listener that checks it sees its own call's events, and its end once. */
  private static final class Handler extends ServerCall.Listener<String> {
    final int id;
    final AtomicInteger foreignEvents = new AtomicInteger();
    final AtomicInteger ends = new AtomicInteger();
    final AtomicInteger afterEnd = new AtomicInteger();
    volatile ServerCall<String, String> call;
    volatile boolean throwOnHalfClose;

    Handler(int id) {
      this.id = id;
    }

    @Override
    public void onMessage(String message) {
      event();
      if (!message.equals(Integer.toString(id))) {
        foreignEvents.incrementAndGet();
      }
    }

    @Override
    public void onHalfClose() {
      event();
      if (throwOnHalfClose) {
        throw new IllegalStateException("the handler failed");
      }
    }

    @Override
    public void onCancel() {
      event();
      ends.incrementAndGet();
    }

    @Override
    public void onComplete() {
      event();
      ends.incrementAndGet();
    }

    private void event() {
      if (ends.get() > 0) {
        afterEnd.incrementAndGet();
      }
    }
  }
}
