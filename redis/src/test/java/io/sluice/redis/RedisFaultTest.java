package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.breaker.CircuitBreaker;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real Redis killed and restarted, and paused past the budget, while threads keep asking: no
 * exception reaches a caller, no call hangs, decisions fall back as chosen, and the limiter goes
 * back to Redis by itself. The quota math runs on a manual clock; only the waits for Redis and
 * Lettuce are real.
 */
@Tag("stress")
class RedisFaultTest {
  /** A hang detector, far above any budget here: not a latency figure. */
  private static final long HANG_NANOS = TimeUnit.SECONDS.toNanos(5);

  @RegisterExtension
  final RedisServer redis = new RedisServer();

  private final ManualClock clock = new ManualClock(Duration.ofDays(365).toNanos());

  private GlobalRateLimiter.Builder builder(RedisQuotaStore store, Duration budget) {
    return GlobalRateLimiter.newBuilder()
        .store(store)
        .name("fault")
        .rate(20, Duration.ofHours(1))
        .burst(20)
        .budget(budget)
        .clock(clock)
        .clientClock(clock);
  }

  @Test
  @Timeout(90)
  void redisKilledAndRestartedMidRunFailsOpenToTheLocalShareAndComesBack() throws Exception {
    try (RedisQuotaStore store = RedisQuotaStore.connect(redis.uri());
        Callers callers = new Callers()) {
      GlobalRateLimiter quotas = builder(store, Duration.ofMillis(50)).failOpen(4).build();
      callers.start(4, quotas, ticket -> Ticket.isPermit(ticket)
          || Ticket.reason(ticket) == RejectReason.RATE_LIMITED);
      callers.awaitCalls(200);

      redis.kill();
      await(() -> quotas.snapshot().breaker().state() == CircuitBreaker.State.OPEN,
          "the breaker opens once Redis is gone");
      callers.awaitCalls(50);   // calls admitted by the breaker just before it opened are done
      long storeCalls = quotas.snapshot().storeCalls();
      callers.awaitCalls(200);
      assertThat(quotas.snapshot().storeCalls()).as("no call to a dead Redis while open")
          .isEqualTo(storeCalls);
      int share = 0;
      for (int i = 0; i < 10; i++) {
        share += Ticket.isPermit(quotas.tryAcquire("during-outage")) ? 1 : 0;
      }
      assertThat(share).as("the local share: burst 20 over 4 replicas").isEqualTo(5);

      redis.start();
      awaitRecovery(quotas);
      int admitted = 0;
      for (int i = 0; i < 30; i++) {
        admitted += Ticket.isPermit(quotas.tryAcquire("after-restart")) ? 1 : 0;
      }
      assertThat(admitted).as("Redis decides again: the whole burst").isEqualTo(20);
      callers.stopAndCheck();
    }
  }

  @Test
  @Timeout(90)
  void redisPausedPastTheBudgetFailsClosedThenRecoversWhenResumed() throws Exception {
    try (RedisQuotaStore store = RedisQuotaStore.connect(redis.uri());
        Callers callers = new Callers()) {
      GlobalRateLimiter quotas = builder(store, Duration.ofMillis(20)).failClosed().build();
      callers.start(4, quotas, ticket -> Ticket.isPermit(ticket)
          || Ticket.reason(ticket) == RejectReason.RATE_LIMITED
          || Ticket.reason(ticket) == RejectReason.CIRCUIT_OPEN
              && Ticket.retryAfterNanos(ticket) > 0);
      callers.awaitCalls(200);

      redis.pause();
      try {
        await(() -> quotas.snapshot().breaker().state() == CircuitBreaker.State.OPEN,
            "the breaker opens once calls time out");
        long refused = quotas.tryAcquire("during-pause");
        assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.CIRCUIT_OPEN);
        assertThat(Ticket.retryAfterNanos(refused)).isPositive();
        assertThat(quotas.snapshot().storeFailures()).isGreaterThanOrEqualTo(10);
      } finally {
        redis.resume();
      }

      awaitRecovery(quotas);
      assertThat(quotas.tryAcquire("after-resume")).isEqualTo(0L);
      callers.stopAndCheck();
    }
  }

  /** Moves the manual clock past the breaker's open time until its probes close it. */
  private void awaitRecovery(GlobalRateLimiter quotas) {
    await(() -> {
      clock.advance(Duration.ofMillis(1100));
      for (int i = 0; i < 3; i++) {
        quotas.tryAcquire("probe");
      }
      return quotas.snapshot().breaker().state() == CircuitBreaker.State.CLOSED;
    }, "the breaker closes once Redis answers again");
  }

  /** Polls a condition on real events (a process dying, a reconnect); bounded by the timeout. */
  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as(what).isNegative();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** Threads that call the limiter on many keys until stopped, checking every answer. */
  private static final class Callers implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong slowest = new AtomicLong();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    interface Check {
      boolean accepts(long ticket);
    }

    void start(int count, GlobalRateLimiter quotas, Check check) {
      for (int t = 0; t < count; t++) {
        int id = t;
        Thread thread = new Thread(() -> {
          long i = 0;
          while (!stop.get()) {
            long start = System.nanoTime();
            try {
              long ticket = quotas.tryAcquire("caller-" + id + "-" + (i++ % 50));
              if (!check.accepts(ticket)) {
                problems.add("unexpected " + Ticket.toString(ticket));
              }
            } catch (RuntimeException e) {
              problems.add("escaped: " + e);
            }
            slowest.accumulateAndGet(System.nanoTime() - start, Math::max);
            calls.incrementAndGet();
          }
        }, "caller-" + t);
        threads.add(thread);
        thread.start();
      }
    }

    void awaitCalls(long more) {
      long target = calls.get() + more;
      await(() -> calls.get() >= target, "callers make progress");
    }

    void stopAndCheck() {
      close();
      assertThat(problems).isEmpty();
      assertThat(slowest.get()).as("no call hangs").isLessThan(HANG_NANOS);
    }

    @Override
    public void close() {
      stop.set(true);
      for (Thread thread : threads) {
        try {
          thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
