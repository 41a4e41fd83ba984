package io.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Ticket;
import io.sluice.rate.RateLimiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The manual clock moves only when told to, never backwards, and loses no advance. */
class ManualClockTest {

  @Test
  void movesOnlyWhenToldTo() {
    ManualClock clock = new ManualClock(1_000L);
    assertThat(clock.nanoTime()).isEqualTo(1_000L);
    assertThat(clock.nanoTime()).isEqualTo(1_000L);

    assertThat(clock.advanceNanos(500L)).isEqualTo(1_500L);
    assertThat(clock.advance(Duration.ofMillis(2))).isEqualTo(2_001_500L);
    clock.setNanos(5_000_000L);
    assertThat(clock.nanoTime()).isEqualTo(5_000_000L);
    assertThat(new ManualClock().nanoTime()).isZero();
  }

  /** The snippet of docs/24-testing.md. */
  @Test
  void decidesWhenARateLimiterRefillsWithoutSleeping() {
    ManualClock clock = new ManualClock();
    RateLimiter limiter = RateLimiter.newBuilder().rate(10, Duration.ofSeconds(1)).burst(1)
        .clock(clock).build();
    assertThat(Ticket.isPermit(limiter.tryAcquire())).isTrue();
    long refused = limiter.tryAcquire();
    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(Duration.ofMillis(100).toNanos());
    clock.advance(Duration.ofMillis(100));
    assertThat(Ticket.isPermit(limiter.tryAcquire())).isTrue();
  }

  @Test
  void refusesToGoBackwards() {
    ManualClock clock = new ManualClock(100L);
    assertThatThrownBy(() -> clock.advanceNanos(-1L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("deltaNanos")
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> clock.setNanos(99L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("newNanos")
        .hasMessageContaining("[100, ");
    clock.setNanos(100L);
    assertThat(clock.nanoTime()).isEqualTo(100L);
  }

  @Test
  @Tag("stress")
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void concurrentAdvancesAreNeitherLostNorSeenOutOfOrder() throws InterruptedException {
    ManualClock clock = new ManualClock();
    int threads = 4;
    int advances = 20_000;
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread worker = new Thread(() -> {
        long last = clock.nanoTime();
        for (int i = 0; i < advances; i++) {
          long now = clock.advanceNanos(3L);
          long read = clock.nanoTime();
          if (now <= last || read < now) {
            throw new AssertionError("clock went backwards: " + last + " -> " + now + ", " + read);
          }
          last = now;
        }
      });
      worker.setUncaughtExceptionHandler((thread, e) -> {
        synchronized (failures) {
          failures.add(e);
        }
      });
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    assertThat(failures).isEmpty();
    assertThat(clock.nanoTime()).isEqualTo(3L * threads * advances);
  }
}
