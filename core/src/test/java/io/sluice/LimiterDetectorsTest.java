package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.detector.OverloadLevel;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.limit.WindowStats;
import io.sluice.metrics.DetectorState;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A limiter wired to overload detectors, in virtual time: while a detector reads ELEVATED or
 * SEVERE each closing window is congested and the adaptive algorithms back off; while one reads
 * SEVERE, SHEDDABLE work alone is refused at once with PROCESS_OVERLOADED and a Retry-After; when
 * the detectors clear, both stop.
 */
class LimiterDetectorsTest {
  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();
  private final SettableDetector heartbeat = new SettableDetector("heartbeat");
  private final SettableDetector gc = new SettableDetector("gc");
  private final List<String> heard = new ArrayList<>();

  private Limiter limiter(LimitAlgorithm algorithm) {
    return Limiter.newBuilder().clock(clock).algorithm(() -> algorithm)
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 1)
        .detectors(heartbeat, gc)
        .rejectionListener((reason, priority, retryAfter) -> heard.add(reason + "/" + priority))
        .build();
  }

  @Test
  void theBuilderRefusesNullAndRepeatedDetectors() {
    Limiter.Builder builder = Limiter.newBuilder().detector(heartbeat);
    assertThatThrownBy(() -> builder.detector(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("detector must not be null");
    assertThatThrownBy(() -> builder.detectors((io.sluice.detector.OverloadDetector[]) null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("detectors must not be null");
    assertThatThrownBy(() -> builder.detectors(gc, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("detector must not be null");
    assertThatThrownBy(() -> builder.detector(heartbeat))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"heartbeat\"");
    assertThatThrownBy(() -> builder.detector(new SettableDetector("heartbeat")))
        .as("a second detector of the same name").isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"heartbeat\"");
    // gc went in before the null that failed: what was added stays, in order.
    assertThat(builder.build().snapshot().detectors()).extracting(DetectorState::name)
        .containsExactly("heartbeat", "gc");
  }

  @Test
  void severeOverloadRefusesSheddableWorkAloneWithItsReasonAndARetryAfter() {
    Limiter limiter = limiter(FixedLimit.of(100));
    gc.set(OverloadLevel.ELEVATED);
    long elevated = limiter.tryAcquire(1, Priority.SHEDDABLE);
    assertThat(Ticket.isPermit(elevated)).as("ELEVATED sheds nothing").isTrue();

    gc.set(OverloadLevel.SEVERE);
    for (int cost : new int[] {1, 3}) {
      long refused = limiter.tryAcquire(cost, Priority.SHEDDABLE);
      assertThat(Ticket.isRejection(refused)).as("SHEDDABLE of cost %d", cost).isTrue();
      assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.PROCESS_OVERLOADED);
      assertThat(Ticket.retryAfterNanos(refused)).as("Retry-After").isPositive();
    }
    List<Long> held = new ArrayList<>();
    for (Priority p : new Priority[] {Priority.CRITICAL_PLUS, Priority.CRITICAL,
        Priority.SHEDDABLE_PLUS}) {
      long permit = limiter.tryAcquire(1, p);
      assertThat(Ticket.isPermit(permit)).as("%s is not shed by the detector", p).isTrue();
      held.add(permit);
    }
    held.add(limiter.tryAcquire());
    assertThat(Ticket.isPermit(held.get(3))).as("tryAcquire(): CRITICAL").isTrue();

    assertThat(limiter.snapshot().rejected(RejectReason.PROCESS_OVERLOADED, Priority.SHEDDABLE))
        .isEqualTo(2);
    assertThat(limiter.snapshot().rejected()).isEqualTo(2);
    assertThat(heard).containsExactly("PROCESS_OVERLOADED/SHEDDABLE",
        "PROCESS_OVERLOADED/SHEDDABLE");
    LimiterSnapshot snapshot = limiter.snapshot();
    assertThat(snapshot.overload()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(snapshot.detectors()).extracting(DetectorState::level)
        .containsExactly(OverloadLevel.NONE, OverloadLevel.SEVERE);

    gc.set(OverloadLevel.NONE);
    long recovered = limiter.tryAcquire(1, Priority.SHEDDABLE);
    assertThat(Ticket.isPermit(recovered)).as("admitted once the detector clears").isTrue();
    assertThat(limiter.snapshot().overload()).isEqualTo(OverloadLevel.NONE);
    held.add(elevated);
    held.add(recovered);
    for (long permit : held) {
      assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    }
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aMonitorOnlyLimiterCountsTheOverloadRefusalAndAdmits() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(10))
        .detector(heartbeat).monitorOnly(true).build();
    heartbeat.set(OverloadLevel.SEVERE);
    long permit = limiter.tryAcquire(1, Priority.SHEDDABLE);
    assertThat(Ticket.isPermit(permit)).isTrue();
    assertThat(limiter.snapshot().rejected(RejectReason.PROCESS_OVERLOADED, Priority.SHEDDABLE))
        .isEqualTo(1);
    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(1);
    assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
  }

  static Stream<Supplier<LimitAlgorithm>> adaptive() {
    return Stream.of(
        () -> VegasLimit.newBuilder().initialLimit(20).build(),
        () -> GradientLimit.newBuilder().initialLimit(20).build(),
        () -> AimdLimit.newBuilder().initialLimit(20).build(),
        () -> AimdLimit.newBuilder().initialLimit(20).timeout(Duration.ofSeconds(1)).build());
  }

  /**
   * One window of steady work: {@code limit} requests of 10 ms each, so the limit is reached; the
   * first release after 100 ms closes the window. Returns the limit after it.
   */
  private int window(Limiter limiter) {
    int n = limiter.limit();
    long[] permits = new long[n];
    for (int i = 0; i < n; i++) {
      permits[i] = limiter.tryAcquire();
      assertThat(Ticket.isPermit(permits[i])).isTrue();
    }
    clock.advanceNanos(10 * MS);
    for (long permit : permits) {
      limiter.release(permit, Outcome.SUCCESS);
    }
    clock.advanceNanos(90 * MS);
    long closer = limiter.tryAcquire();
    clock.advanceNanos(10 * MS);
    limiter.release(closer, Outcome.SUCCESS);
    return limiter.limit();
  }

  @ParameterizedTest
  @MethodSource("adaptive")
  void eachWindowClosedWhileOverloadedBacksOffAndTheLimitRecoversAfter(
      Supplier<LimitAlgorithm> algorithm) {
    Limiter limiter = limiter(algorithm.get());
    for (int i = 0; i < 30; i++) {
      window(limiter);
    }
    int calm = limiter.limit();
    long windows = limiter.snapshot().windowsClosed();

    heartbeat.set(OverloadLevel.ELEVATED);
    int previous = calm;
    for (int i = 0; i < 5; i++) {
      int next = window(limiter);
      assertThat(next).as("window %d while overloaded (calm limit %d)", i, calm)
          .isLessThan(previous);
      previous = next;
    }
    assertThat(limiter.snapshot().windowsClosed()).isGreaterThanOrEqualTo(windows + 5);

    heartbeat.set(OverloadLevel.NONE);
    int low = limiter.limit();
    int recovered = low;
    for (int i = 0; i < 30; i++) {
      recovered = Math.max(recovered, window(limiter));
    }
    assertThat(recovered).as("after the detector cleared (from %d)", low).isGreaterThan(low);
  }

  @Test
  void theWindowTellsTheAlgorithmWhetherTheProcessWasOverloaded() {
    List<Boolean> seen = new ArrayList<>();
    LimitAlgorithm recorder = new LimitAlgorithm() {
      @Override
      public int initialLimit() {
        return 10;
      }

      @Override
      public int minLimit() {
        return 1;
      }

      @Override
      public int maxLimit() {
        return 10;
      }

      @Override
      public int update(WindowStats window) {
        seen.add(window.overloaded());
        return 10;
      }
    };
    Limiter limiter = limiter(recorder);
    window(limiter);
    gc.set(OverloadLevel.ELEVATED);
    window(limiter);
    gc.set(OverloadLevel.SEVERE);
    window(limiter);
    gc.set(OverloadLevel.NONE);
    window(limiter);
    assertThat(seen).containsExactly(false, true, true, false);
  }
}
