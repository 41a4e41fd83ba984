package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.AdmissionRejectedException;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The default rule, reason by reason, through cause chains. */
class FailureClassifierTest {
  private final FailureClassifier rule = FailureClassifier.defaultRule();

  /**
   * Issue 17, item 13: a downstream guard's refusal counts as a drop only when it says the
   * downstream is congested; an instant LIMIT_REACHED from a pool guard, or a request's own
   * DEADLINE passing in the guard's line, does not shrink the executor's limit.
   */
  @Test
  void aDownstreamGuardsRefusalIsADropOnlyWhenItSignalsCongestion() {
    Map<RejectReason, Outcome> expected = new EnumMap<>(RejectReason.class);
    expected.put(RejectReason.LIMIT_REACHED, Outcome.IGNORED);
    expected.put(RejectReason.QUEUE_FULL, Outcome.DROPPED);
    expected.put(RejectReason.QUEUE_TIMEOUT, Outcome.DROPPED);
    expected.put(RejectReason.DEADLINE, Outcome.IGNORED);
    expected.put(RejectReason.SHUTDOWN, Outcome.IGNORED);
    expected.put(RejectReason.PRIORITY_SHED, Outcome.DROPPED);
    expected.put(RejectReason.RATE_LIMITED, Outcome.IGNORED);
    expected.put(RejectReason.CIRCUIT_OPEN, Outcome.IGNORED);
    expected.put(RejectReason.FAIR_SHARE, Outcome.IGNORED);
    expected.put(RejectReason.PROCESS_OVERLOADED, Outcome.DROPPED);
    assertThat(expected).as("every reason is decided").hasSize(RejectReason.values().length);
    for (RejectReason reason : RejectReason.values()) {
      AdmissionRejectedException refusal = new AdmissionRejectedException(reason, 1_000L);
      assertThat(rule.classify(refusal)).as("%s", reason).isEqualTo(expected.get(reason));
      assertThat(rule.classify(new ExecutionException(new CompletionException(refusal))))
          .as("%s, wrapped twice", reason).isEqualTo(expected.get(reason));
    }
  }

  @Test
  void timeoutsAndForeignRefusalsAreDropsAndAnythingElseIsIgnored() {
    assertThat(rule.classify(new TimeoutException())).isEqualTo(Outcome.DROPPED);
    assertThat(rule.classify(new IllegalStateException(new TimeoutException())))
        .isEqualTo(Outcome.DROPPED);
    assertThat(rule.classify(new RejectedExecutionException("pool full")))
        .isEqualTo(Outcome.DROPPED);
    assertThat(rule.classify(new IllegalArgumentException("bad request")))
        .isEqualTo(Outcome.IGNORED);
    assertThat(rule.classify(new OutOfMemoryError())).isEqualTo(Outcome.IGNORED);
  }

  @Test
  void theFirstSignalInTheCauseChainDecides() {
    AdmissionRejectedException limit =
        new AdmissionRejectedException(RejectReason.LIMIT_REACHED, 0L);
    limit.initCause(new TimeoutException("an older, inner timeout"));
    assertThat(rule.classify(limit)).as("the guard's own refusal decides")
        .isEqualTo(Outcome.IGNORED);
    AdmissionRejectedException shed =
        new AdmissionRejectedException(RejectReason.QUEUE_TIMEOUT, 0L);
    shed.initCause(limit);
    assertThat(rule.classify(shed)).as("the outermost refusal decides").isEqualTo(Outcome.DROPPED);
  }

  @Test
  void aCyclicCauseChainEndsAndASubclassWithoutAReasonIsIgnored() {
    IllegalStateException a = new IllegalStateException("a");
    IllegalStateException b = new IllegalStateException("b", a);
    a.initCause(b);
    assertThat(rule.classify(a)).isEqualTo(Outcome.IGNORED);
    AdmissionRejectedException hidden = new AdmissionRejectedException(RejectReason.DEADLINE, 0L) {
      private static final long serialVersionUID = 1L;

      @Override
      public RejectReason reason() {
        return null;
      }
    };
    assertThat(rule.classify(hidden)).isEqualTo(Outcome.IGNORED);
  }
}
