package io.sluice.benchmarks;

import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.sluice.Ticket;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.rate.RateLimiter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sluice's token bucket next to Resilience4j's {@code RateLimiter} (its default, the atomic one),
 * configured alike, in the same run: an admission (a rate far above what the threads can take,
 * so every call is admitted), a refusal (an exhausted bucket), and a per-key admission (Sluice's
 * keyed table next to a Resilience4j registry of limiters, one key per benchmark thread). Run with
 * {@code -t 1} and {@code -t 2}, and {@code -prof gc} for the allocation rate.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RateLimiterBenchmark {

  /** One way to ask for a permit, so that each benchmark method is the same for both. */
  interface Bucket {
    boolean tryAcquire();
  }

  /** The same kind of bucket for many keys. */
  interface KeyedBucket {
    boolean tryAcquire(String key);
  }

  private static final long ADMIT_PER_SECOND = 1_000_000_000L;
  private static final int ADMIT_BURST = 1_000_000;

  @Param({"SLUICE", "RESILIENCE4J"})
  public Implementation implementation;

  private Bucket open;
  private Bucket exhausted;
  private KeyedBucket keyed;

  @Setup
  public void setUp() {
    if (implementation == Implementation.SLUICE) {
      RateLimiter admitting = RateLimiter.newBuilder()
          .rate(ADMIT_PER_SECOND, Duration.ofSeconds(1)).burst(ADMIT_BURST).build();
      RateLimiter refusing = RateLimiter.newBuilder()
          .rate(1, Duration.ofHours(1)).burst(1).build();
      refusing.tryAcquire();
      KeyedRateLimiter<String> tenants = KeyedRateLimiter.newBuilder()
          .rate(ADMIT_PER_SECOND, Duration.ofSeconds(1)).burst(ADMIT_BURST).build();
      open = () -> Ticket.isPermit(admitting.tryAcquire());
      exhausted = () -> Ticket.isPermit(refusing.tryAcquire());
      keyed = key -> Ticket.isPermit(tenants.tryAcquire(key));
    } else {
      RateLimiterConfig admitConfig = RateLimiterConfig.custom()
          .limitForPeriod((int) ADMIT_PER_SECOND)
          .limitRefreshPeriod(Duration.ofSeconds(1))
          .timeoutDuration(Duration.ZERO)
          .build();
      RateLimiterConfig refuseConfig = RateLimiterConfig.custom()
          .limitForPeriod(1)
          .limitRefreshPeriod(Duration.ofHours(1))
          .timeoutDuration(Duration.ZERO)
          .build();
      io.github.resilience4j.ratelimiter.RateLimiter admitting =
          io.github.resilience4j.ratelimiter.RateLimiter.of("admit", admitConfig);
      io.github.resilience4j.ratelimiter.RateLimiter refusing =
          io.github.resilience4j.ratelimiter.RateLimiter.of("refuse", refuseConfig);
      refusing.acquirePermission();
      RateLimiterRegistry tenants = RateLimiterRegistry.of(admitConfig);
      open = admitting::acquirePermission;
      exhausted = refusing::acquirePermission;
      keyed = key -> tenants.rateLimiter(key).acquirePermission();
    }
  }

  /** Each benchmark thread is its own tenant. */
  @State(Scope.Thread)
  public static class Tenant {
    private static final AtomicInteger NEXT = new AtomicInteger();
    String key;

    @Setup
    public void setUp() {
      key = "tenant-" + NEXT.getAndIncrement();
    }
  }

  @Benchmark
  public boolean admit() {
    return open.tryAcquire();
  }

  @Benchmark
  public boolean reject() {
    return exhausted.tryAcquire();
  }

  @Benchmark
  public boolean admitPerKey(Tenant tenant) {
    return keyed.tryAcquire(tenant.key);
  }
}
