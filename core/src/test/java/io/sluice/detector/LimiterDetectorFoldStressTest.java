package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several sampling threads publish at once, each toggling its own heartbeat between SEVERE and
 * NONE, so the limiter's fold is written by all of them together while other threads admit
 * SHEDDABLE work. After each round every detector ends at a level chosen for the round: the fold
 * must then read exactly the worst of them (a lost or reordered write would leave it stale), and
 * the admitting threads must have lost no permit.
 */
@Tag("stress")
class LimiterDetectorFoldStressTest {
  private static final int DETECTORS = 4;
  private static final int ADMITTERS = 2;
  private static final int ROUNDS = 40;
  private static final int TOGGLES = 500;

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void theFoldReadsTheWorstFinalLevelAfterConcurrentPublishers() throws Exception {
    VirtualSleeper[] time = new VirtualSleeper[DETECTORS];
    HeartbeatDetector[] detectors = new HeartbeatDetector[DETECTORS];
    for (int d = 0; d < DETECTORS; d++) {
      time[d] = new VirtualSleeper();
      detectors[d] = HeartbeatDetector.newBuilder().name("heartbeat-" + d)
          .period(Duration.ofMillis(10)).window(Duration.ofMillis(10))
          .thresholds(Duration.ofMillis(20), Duration.ofMillis(40))
          .time(time[d].clock, time[d]).build();
      VirtualSleeper.opened(detectors[d].sampler());
    }
    Limiter limiter = Limiter.newBuilder().clock(new ManualClock())
        .algorithm(() -> FixedLimit.of(1000)).detectors(detectors).build();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    LongAdder shed = new LongAdder();

    for (int round = 0; round < ROUNDS; round++) {
      // Round r: detector r % (DETECTORS + 1) ends SEVERE; the last of every cycle, none does.
      int severeAtEnd = round % (DETECTORS + 1);
      CyclicBarrier start = new CyclicBarrier(DETECTORS + ADMITTERS);
      Thread[] threads = new Thread[DETECTORS + ADMITTERS];
      for (int d = 0; d < DETECTORS; d++) {
        int index = d;
        threads[d] = new Thread(() -> {
          try {
            start.await();
            for (int i = 0; i < TOGGLES; i++) {
              time[index].late(Duration.ofMillis(i % 2 == 0 ? 50 : 0));
              detectors[index].sampler().runOnce();
            }
            time[index].late(Duration.ofMillis(index == severeAtEnd ? 50 : 0));
            detectors[index].sampler().runOnce();
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          }
        });
      }
      for (int a = 0; a < ADMITTERS; a++) {
        threads[DETECTORS + a] = new Thread(() -> {
          try {
            start.await();
            for (int i = 0; i < TOGGLES * 4; i++) {
              long ticket = limiter.tryAcquire(1, Priority.SHEDDABLE);
              if (Ticket.isRejection(ticket)) {
                assertThat(Ticket.reason(ticket)).isEqualTo(RejectReason.PROCESS_OVERLOADED);
                shed.increment();
              } else {
                assertThat(limiter.release(ticket, Outcome.SUCCESS)).isTrue();
              }
            }
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          }
        });
      }
      for (Thread thread : threads) {
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      assertThat(failure.get()).isNull();

      boolean severe = severeAtEnd < DETECTORS;
      for (int d = 0; d < DETECTORS; d++) {
        assertThat(detectors[d].signal().level())
            .isEqualTo(d == severeAtEnd ? OverloadLevel.SEVERE : OverloadLevel.NONE);
      }
      long ticket = limiter.tryAcquire(1, Priority.SHEDDABLE);
      assertThat(Ticket.isRejection(ticket)).as("round %d, detector %d SEVERE at the end",
          round, severeAtEnd).isEqualTo(severe);
      if (!severe) {
        limiter.release(ticket, Outcome.SUCCESS);
      }
      assertThat(limiter.inFlight()).as("in flight at rest").isZero();
    }
    assertThat(shed.sum()).as("the admitters saw SEVERE readings mid-round").isPositive();
  }
}
