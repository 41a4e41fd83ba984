package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lifecycle and publication shared by every detector: in virtual time through runOnce, and on
 * the real sampling thread with a sleeper that waits for the test instead of the clock.
 */
class SamplerTest {
  private final VirtualSleeper time = new VirtualSleeper();

  /** A probe that returns the levels it is given and records its lifecycle. */
  static final class ScriptedProbe implements Sampler.Probe {
    final BlockingQueue<OverloadLevel> levels = new LinkedBlockingQueue<>();
    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();
    final AtomicInteger samples = new AtomicInteger();
    volatile Runnable duringSample = () -> { };
    volatile RuntimeException openFailure;

    @Override
    public void open(long nowNanos) {
      if (openFailure != null) {
        throw openFailure;
      }
      opened.incrementAndGet();
    }

    @Override
    public OverloadSignal sample(long sleptFromNanos, long nowNanos) {
      samples.incrementAndGet();
      duringSample.run();
      OverloadLevel level = levels.poll();
      return level == null ? OverloadSignal.none(nowNanos)
          : new OverloadSignal(level, level.ordinal(), level.ordinal(), nowNanos);
    }

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }

  private Sampler sampler(Sampler.Probe probe, Sleeper sleeper) {
    return new Sampler("test", time.clock, sleeper, 100, probe);
  }

  @Test
  void eachRoundSleepsOnePeriodThenPublishesTheProbesReading() throws InterruptedException {
    ScriptedProbe probe = new ScriptedProbe();
    Sampler sampler = sampler(probe, time);
    assertThat(sampler.signal().level()).isEqualTo(OverloadLevel.NONE);

    sampler.open();
    probe.levels.add(OverloadLevel.SEVERE);
    long before = time.clock.nanoTime();
    assertThat(sampler.runOnce()).isTrue();

    assertThat(sampler.signal().level()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(sampler.signal().atNanos()).isEqualTo(before + 100);
    assertThat(probe.opened).hasValue(1);
  }

  @Test
  void afterCloseTheSignalReadsNoneAndTheLoopStops() throws InterruptedException {
    ScriptedProbe probe = new ScriptedProbe();
    Sampler sampler = VirtualSleeper.opened(sampler(probe, time));
    probe.levels.add(OverloadLevel.SEVERE);
    sampler.runOnce();

    sampler.close();
    sampler.close();

    assertThat(sampler.signal().level()).isEqualTo(OverloadLevel.NONE);
    assertThat(sampler.runOnce()).isFalse();
    assertThat(probe.samples).hasValue(1);
    assertThat(probe.closed).as("closed once").hasValue(1);
  }

  @Test
  void aReadingTakenWhileClosingNeverOverwritesTheClosedSignal() throws InterruptedException {
    ScriptedProbe probe = new ScriptedProbe();
    Sampler sampler = VirtualSleeper.opened(sampler(probe, time));
    probe.levels.add(OverloadLevel.SEVERE);
    probe.duringSample = sampler::close;

    assertThat(sampler.runOnce()).isFalse();

    assertThat(sampler.signal().level()).isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void startAfterCloseFailsAndCloseBeforeStartReleasesNothing() {
    ScriptedProbe probe = new ScriptedProbe();
    Sampler sampler = sampler(probe, time);

    sampler.close();

    assertThatThrownBy(sampler::start).isInstanceOf(IllegalStateException.class)
        .hasMessage("the test detector is closed");
    assertThat(probe.opened).hasValue(0);
    assertThat(probe.closed).hasValue(0);
  }

  @Test
  void aProbeThatFailsToOpenFailsStartAndIsNotClosedLater() {
    ScriptedProbe probe = new ScriptedProbe();
    probe.openFailure = new IllegalStateException("no MXBean");
    Sampler sampler = sampler(probe, time);

    assertThatThrownBy(sampler::start).isInstanceOf(IllegalStateException.class)
        .hasMessage("no MXBean");
    sampler.close();

    assertThat(probe.closed).hasValue(0);
    assertThat(sampler.signal().level()).isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void aFailingProbeReadsNoneReportsTheFirstFailureOnceAndKeepsSampling()
      throws InterruptedException {
    List<Throwable> reported = new ArrayList<>();
    Thread current = Thread.currentThread();
    Thread.UncaughtExceptionHandler previous = current.getUncaughtExceptionHandler();
    current.setUncaughtExceptionHandler((t, e) -> reported.add(e));
    try {
      ScriptedProbe probe = new ScriptedProbe();
      Sampler sampler = VirtualSleeper.opened(sampler(probe, time));
      probe.levels.add(OverloadLevel.SEVERE);
      sampler.runOnce();
      probe.duringSample = () -> {
        throw new IllegalStateException("pool gone");
      };

      assertThat(VirtualSleeper.run(sampler, 3).level()).isEqualTo(OverloadLevel.NONE);
      assertThat(reported).singleElement().extracting(Throwable::getMessage).isEqualTo("pool gone");

      probe.duringSample = () -> { };
      probe.levels.add(OverloadLevel.ELEVATED);
      assertThat(VirtualSleeper.run(sampler, 1).level()).isEqualTo(OverloadLevel.ELEVATED);
    } finally {
      current.setUncaughtExceptionHandler(previous);
    }
  }

  /** A sleeper that tells the test each time the thread goes to sleep, and waits for its word. */
  static final class Handshake implements Sleeper {
    final BlockingQueue<Thread> asleep = new LinkedBlockingQueue<>();
    final SynchronousQueue<Boolean> wake = new SynchronousQueue<>();

    @Override
    public void sleepNanos(long nanos) throws InterruptedException {
      asleep.add(Thread.currentThread());
      wake.take();
    }

    Thread awaitAsleep() throws InterruptedException {
      Thread thread = asleep.poll(10, TimeUnit.SECONDS);
      assertThat(thread).as("the sampling thread went to sleep").isNotNull();
      return thread;
    }

    void wakeUp() throws InterruptedException {
      assertThat(wake.offer(true, 10, TimeUnit.SECONDS)).as("the thread was asleep").isTrue();
    }
  }

  @Test
  @Timeout(30)
  void theSamplingThreadIsADaemonThatPublishesEachRoundAndEndsOnClose()
      throws InterruptedException {
    ScriptedProbe probe = new ScriptedProbe();
    Handshake handshake = new Handshake();
    Sampler sampler = sampler(probe, handshake);

    sampler.start();
    sampler.start();
    Thread thread = handshake.awaitAsleep();
    assertThat(thread.getName()).isEqualTo("sluice-test-detector");
    assertThat(thread.isDaemon()).isTrue();
    assertThat(probe.opened).hasValue(1);

    probe.levels.add(OverloadLevel.ELEVATED);
    handshake.wakeUp();
    handshake.awaitAsleep();
    assertThat(sampler.signal().level()).isEqualTo(OverloadLevel.ELEVATED);

    sampler.close();
    thread.join(TimeUnit.SECONDS.toMillis(10));
    assertThat(thread.isAlive()).as("the thread ended").isFalse();
    assertThat(sampler.signal().level()).isEqualTo(OverloadLevel.NONE);
    assertThat(probe.closed).hasValue(1);
    assertThat(handshake.asleep).as("only one start took effect").isEmpty();
  }

  @Test
  @Timeout(30)
  void aSamplingThreadKilledByAnErrorLeavesNoneBehind() throws InterruptedException {
    ScriptedProbe probe = new ScriptedProbe();
    Handshake handshake = new Handshake();
    Sampler sampler = sampler(probe, handshake);
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    BlockingQueue<Throwable> died = new LinkedBlockingQueue<>();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> died.add(e));
    try {
      sampler.start();
      Thread thread = handshake.awaitAsleep();
      probe.levels.add(OverloadLevel.SEVERE);
      handshake.wakeUp();
      handshake.awaitAsleep();
      assertThat(sampler.signal().level()).isEqualTo(OverloadLevel.SEVERE);

      probe.duringSample = () -> {
        throw new OutOfMemoryError("simulated");
      };
      handshake.wakeUp();
      thread.join(TimeUnit.SECONDS.toMillis(10));

      assertThat(thread.isAlive()).isFalse();
      assertThat(died.poll(10, TimeUnit.SECONDS)).isInstanceOf(OutOfMemoryError.class);
      assertThat(sampler.signal().level()).isEqualTo(OverloadLevel.NONE);
    } finally {
      Thread.setDefaultUncaughtExceptionHandler(previous);
      sampler.close();
    }
  }

  @Test
  void theWindowHoldsWholePeriodsWithinItsBounds() {
    assertThat(Sampler.slots(Duration.ofMillis(50), Duration.ofSeconds(1)))
        .isEqualTo(20);
    assertThat(Sampler.slots(Duration.ofMillis(300), Duration.ofSeconds(1)))
        .as("rounded up").isEqualTo(4);
    assertThatThrownBy(() -> Sampler.slots(Duration.ofSeconds(1),
        Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window must be in [PT1S, 10000 periods of PT1S] but was PT0.5S");
    assertThatThrownBy(() -> Sampler.slots(Duration.ofMillis(1),
        Duration.ofSeconds(11)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("window must be in [PT0.001S, 10000 periods");
  }
}
