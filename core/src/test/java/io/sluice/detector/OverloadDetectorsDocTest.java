package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.docs.DocSnippets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The snippets of docs/14-overload-detectors.md, line for line (the last test checks the page's
 * lines are lines of this file), compiled and run: the quick start's detectors start, are read and
 * close; its request-path rule sheds only SHEDDABLE work while a detector reads SEVERE; and the
 * page's {@link PoolGauge} feeds a saturation detector, driven in virtual time.
 */
class OverloadDetectorsDocTest {

  /** A stand-in for a connection pool's counters (HikariCP's pool MXBean names them so). */
  static final class Hikari {
    volatile int active;
    volatile int awaiting;

    int getActiveConnections() {
      return active;
    }

    int getThreadsAwaitingConnection() {
      return awaiting;
    }
  }

  /** A detector that reads what the test sets. */
  static final class SetDetector implements OverloadDetector {
    private final OverloadSignal signal;

    SetDetector(OverloadLevel level) {
      this.signal = new OverloadSignal(level, level == OverloadLevel.SEVERE ? 1.0 : 0.0, 0.0, 0L);
    }

    @Override
    public String name() {
      return "set";
    }

    @Override
    public OverloadSignal signal() {
      return signal;
    }

    @Override
    public void start() {}

    @Override
    public void close() {}
  }

  private final Hikari hikari = new Hikari();

  static String reject() {
    return "503";
  }

  /** The quick start's request path: what a handler answers. */
  static String admit(Priority priority, OverloadDetector heartbeat, OverloadDetector gc) {
    // On the request path: one volatile read per detector, no allocation.
    if (priority == Priority.SHEDDABLE
        && (heartbeat.signal().level() == OverloadLevel.SEVERE
            || gc.signal().level() == OverloadLevel.SEVERE)) {
      return reject();
    }
    return "200";
  }

  @Test
  void theQuickStartsDetectorsStartAreReadAndClose() {
    OverloadDetector heartbeat = HeartbeatDetector.newBuilder().build();
    OverloadDetector gc = GcDetector.newBuilder().build();
    assertThat(heartbeat.signal().level()).as("before start").isEqualTo(OverloadLevel.NONE);
    assertThat(gc.signal().level()).as("before start").isEqualTo(OverloadLevel.NONE);
    heartbeat.start();
    gc.start();

    assertThat(admit(Priority.CRITICAL, heartbeat, gc)).as("critical work is never shed by it")
        .isEqualTo("200");

    // At shutdown.
    heartbeat.close();
    gc.close();
    assertThat(heartbeat.signal().level()).as("after close").isEqualTo(OverloadLevel.NONE);
    assertThat(gc.signal().level()).as("after close").isEqualTo(OverloadLevel.NONE);
    assertThat(admit(Priority.SHEDDABLE, heartbeat, gc)).as("closed detectors shed nothing")
        .isEqualTo("200");
    assertThatThrownBy(heartbeat::start).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void sheddableWorkIsRefusedWhileEitherDetectorReadsSevere() {
    OverloadDetector calm = new SetDetector(OverloadLevel.NONE);
    OverloadDetector elevated = new SetDetector(OverloadLevel.ELEVATED);
    OverloadDetector severe = new SetDetector(OverloadLevel.SEVERE);

    assertThat(admit(Priority.SHEDDABLE, severe, calm)).isEqualTo("503");
    assertThat(admit(Priority.SHEDDABLE, calm, severe)).isEqualTo("503");
    assertThat(admit(Priority.SHEDDABLE, elevated, elevated)).isEqualTo("200");
    assertThat(admit(Priority.SHEDDABLE, calm, calm)).isEqualTo("200");
    assertThat(admit(Priority.SHEDDABLE_PLUS, severe, severe)).isEqualTo("200");
    assertThat(admit(Priority.CRITICAL, severe, severe)).isEqualTo("200");
  }

  @Test
  void aGaugeOverAnyPoolFeedsTheSaturationDetector() throws InterruptedException {
    PoolGauge gauge = new PoolGauge() {
      public int busy() { return hikari.getActiveConnections(); }
      public int waiting() { return hikari.getThreadsAwaitingConnection(); }
    };
    PoolSaturationDetector db = PoolSaturationDetector.newBuilder(gauge).name("db-pool").build();
    assertThat(db.name()).isEqualTo("db-pool");
    assertThat(db.signal().level()).isEqualTo(OverloadLevel.NONE);
    db.close();

    // The same gauge, sampled in virtual time: 8 connections busy and 8 callers waiting through a
    // whole window (10 samples of 100 ms) is a standing queue of one round: SEVERE.
    hikari.active = 8;
    hikari.awaiting = 8;
    VirtualSleeper time = new VirtualSleeper();
    Sampler sampler = VirtualSleeper.opened(
        PoolSaturationDetector.newBuilder(gauge).time(time.clock, time).build().sampler());
    assertThat(VirtualSleeper.run(sampler, 9).level()).as("not yet a window")
        .isEqualTo(OverloadLevel.NONE);
    OverloadSignal signal = VirtualSleeper.run(sampler, 1);
    assertThat(signal.level()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(signal.value()).as("rounds").isEqualTo(1.0);

    hikari.awaiting = 0; // the queue empties once: no longer standing
    VirtualSleeper.run(sampler, 1);
    hikari.awaiting = 2;
    assertThat(VirtualSleeper.run(sampler, 9).level()).isEqualTo(OverloadLevel.NONE);
    sampler.close();
  }

  /** The wiring section's snippet: what the limiter answers a SHEDDABLE call. */
  static String wired(OverloadDetector heartbeat, OverloadDetector gc) {
    Limiter limiter = Limiter.newBuilder()
        .detectors(heartbeat, gc)
        .build();

    long permit = limiter.tryAcquire(1, Priority.SHEDDABLE);
    if (Ticket.isRejection(permit)) {
      RejectReason reason = Ticket.reason(permit);   // PROCESS_OVERLOADED while one reads SEVERE
      long retryAfterNanos = Ticket.retryAfterNanos(permit);
      return reason + " " + (retryAfterNanos > 0);
    }
    limiter.release(permit, Outcome.SUCCESS);
    return "admitted";
  }

  @Test
  void aLimiterWiredToDetectorsRefusesSheddableWorkWhileOneReadsSevere() {
    OverloadDetector calm = new SetDetector(OverloadLevel.NONE);
    OverloadDetector elevated = new SetDetector(OverloadLevel.ELEVATED);
    OverloadDetector severe = new SetDetector(OverloadLevel.SEVERE);
    assertThat(wired(calm, namedGc(calm))).isEqualTo("admitted");
    assertThat(wired(elevated, namedGc(elevated))).isEqualTo("admitted");
    assertThat(wired(calm, namedGc(severe))).isEqualTo("PROCESS_OVERLOADED true");
  }

  /** The same reading under another name: a limiter refuses two detectors of one name. */
  private static OverloadDetector namedGc(OverloadDetector reading) {
    return new OverloadDetector() {
      @Override
      public String name() {
        return "gc";
      }

      @Override
      public OverloadSignal signal() {
        return reading.signal();
      }

      @Override
      public void start() {}

      @Override
      public void close() {}
    };
  }

  @Test
  void thePageShowsTheSnippetsThisTestRuns() {
    String page = DocSnippets.page("docs/14-overload-detectors.md");
    assertThat(DocSnippets.blocks(page, "java")).hasSize(3);
    assertThat(DocSnippets.linesMissingFrom(page, Path.of("src", "test", "java", "io", "sluice",
        "detector", "OverloadDetectorsDocTest.java"))).as("documented lines not run by this test")
        .isEmpty();
  }
}
