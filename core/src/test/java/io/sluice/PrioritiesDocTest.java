package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.sluice.docs.DocSnippets;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The snippet of docs/03-priorities-and-deadlines.md ("On a plain Limiter"), line for line (the
 * last test checks that the page's lines are lines of this file), run on a manual clock against a
 * stand-in model: the limit learns the time to the first token, not the stream's length; the
 * release frees the adjusted cost; sheddable work is held to its share once critical work was
 * refused; and the page's claims about refunds and extra charges hold.
 */
class PrioritiesDocTest {
  private static final long FIRST_TOKEN_NANOS = Duration.ofMillis(50).toNanos();
  private static final long STREAM_NANOS = Duration.ofSeconds(2).toNanos();

  private final ManualClock clock = new ManualClock();
  private final List<Long> medians = new ArrayList<>();
  /** A limit of 10; a window closes on its first sample, so each sample is seen at once. */
  private final Limiter limiter = Limiter.newBuilder()
      .clock(clock)
      .algorithm(FixedLimit.of(10))
      .window(Duration.ofMillis(10), Duration.ofSeconds(10), 1)
      .listener((window, newLimit) -> medians.add(window.rttNanos(0.5)))
      .build();

  /** A generation in progress: its first token after 50 ms, its end 2 s later. */
  final class Generation {
    private final int actualCost;

    Generation(int actualCost) {
      this.actualCost = actualCost;
    }

    void awaitFirstToken() {
      clock.advanceNanos(FIRST_TOKEN_NANOS);
    }

    int awaitEnd() {
      clock.advanceNanos(STREAM_NANOS);
      return actualCost;
    }
  }

  /** A stand-in for a model server: every prompt's true cost is its length. */
  final class Model {
    Generation start(String prompt) {
      return new Generation(prompt.length());
    }
  }

  private final Model model = new Model();

  static String busy(RejectReason reason, long retryAfterNanos) {
    assertThat(retryAfterNanos).isPositive();
    return "503 " + reason;
  }

  String serve(String prompt, int estimatedCost, Priority priority) {
    // README: plain limiter
    long permit = limiter.tryAcquire(estimatedCost, priority);   // cost in [1, maxLimit]
    if (Ticket.isRejection(permit)) {                             // LIMIT_REACHED or PRIORITY_SHED
      return busy(Ticket.reason(permit), Ticket.retryAfterNanos(permit));
    }
    Outcome outcome = Outcome.DROPPED;
    try {
      Generation generation = model.start(prompt);
      generation.awaitFirstToken();
      limiter.sample(permit);                  // the latency sample: the time to the first token
      int actualCost = generation.awaitEnd();
      limiter.adjust(permit, actualCost);      // the true cost; a refund frees units at once
      outcome = Outcome.SUCCESS;
    } finally {
      limiter.release(permit, outcome);        // frees the adjusted cost; records no second sample
    }
    // README end
    return "200";
  }

  @Test
  void theLimitLearnsTheTimeToTheFirstTokenAndTheReleaseFreesTheTrueCost() {
    assertThat(serve("ab", 4, Priority.SHEDDABLE)).isEqualTo("200");

    assertThat(medians).as("one sample, taken at the first token").hasSize(1);
    assertThat((double) medians.get(0)).isCloseTo(FIRST_TOKEN_NANOS, withinPercentage(3));
    LimiterSnapshot snapshot = limiter.snapshot();
    assertThat(snapshot.rtt().count()).as("the release recorded no second sample").isEqualTo(1);
    assertThat(snapshot.succeeded()).isEqualTo(1);
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().invalidSamples()).isZero();
    assertThat(limiter.snapshot().invalidAdjustments()).isZero();
  }

  @Test
  void onceCriticalWorkIsRefusedSheddableWorkIsHeldToItsShare() {
    List<Long> held = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      held.add(limiter.tryAcquire());
    }
    assertThat(serve("critical", 1, Priority.CRITICAL)).isEqualTo("503 LIMIT_REACHED");
    for (int i = 0; i < 4; i++) {
      assertThat(limiter.release(held.remove(0), Outcome.SUCCESS)).isTrue();
    }
    // 6 in flight: a sheddable request brings 7, within 0.7 of the limit.
    assertThat(serve("s", 1, Priority.SHEDDABLE)).isEqualTo("200");
    held.add(limiter.tryAcquire());
    // 7 in flight: an eighth unit is beyond the sheddable share, within the limit itself.
    assertThat(serve("s", 1, Priority.SHEDDABLE)).isEqualTo("503 PRIORITY_SHED");
    assertThat(serve("c", 1, Priority.CRITICAL)).isEqualTo("200");
    assertThat(limiter.snapshot().rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE))
        .isEqualTo(1);
    assertThat(limiter.snapshot().rejected(RejectReason.LIMIT_REACHED, Priority.CRITICAL))
        .isEqualTo(1);
    held.forEach(permit -> assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue());
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aRefundFreesUnitsAtOnceAndAnExtraChargeExceedsTheLimitByOneChargeAtMost() {
    long big = limiter.tryAcquire(8);
    assertThat(Ticket.isRejection(limiter.tryAcquire(5))).isTrue();
    assertThat(limiter.adjust(big, 2)).as("refund").isTrue();
    long other = limiter.tryAcquire(5);
    assertThat(Ticket.isPermit(other)).as("admitted in the refunded room").isTrue();

    assertThat(limiter.adjust(big, 9)).as("7 in flight, within the limit: charged").isTrue();
    assertThat(limiter.inFlight()).isEqualTo(14);
    assertThat(limiter.adjust(other, 6)).as("14 in flight, above the limit: refused").isFalse();
    assertThat(limiter.inFlight()).isEqualTo(14);

    assertThat(limiter.release(big, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).as("the release freed the adjusted cost").isEqualTo(5);
    assertThat(limiter.adjust(big, 3)).as("a ticket no longer held").isFalse();
    assertThat(limiter.snapshot().invalidAdjustments()).isEqualTo(1);
    assertThat(limiter.release(other, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void thePageShowsTheSnippetThisTestRuns() {
    String page = DocSnippets.page("docs/03-priorities-and-deadlines.md");
    assertThat(DocSnippets.blocks(page, "java")).hasSize(1);
    assertThat(DocSnippets.linesMissingFrom(page,
            Path.of("src", "test", "java", "io", "sluice", "PrioritiesDocTest.java")))
        .as("documented lines not run by this test").isEmpty();
  }
}
