package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TicketTest {

  @Test
  void everyReasonAndRetryAfterSurvivesTheRoundTrip() {
    SplittableRandom random = new SplittableRandom(1);
    for (RejectReason reason : RejectReason.values()) {
      for (long hint : new long[] {0, 1, 999, Ticket.MAX_RETRY_AFTER_NANOS,
          random.nextLong(0, Ticket.MAX_RETRY_AFTER_NANOS)}) {
        long ticket = Ticket.rejection(reason, hint);
        assertThat(Ticket.isRejection(ticket)).isTrue();
        assertThat(Ticket.isPermit(ticket)).isFalse();
        assertThat(Ticket.reason(ticket)).isEqualTo(reason);
        assertThat(Ticket.retryAfterNanos(ticket)).isEqualTo(hint);
      }
    }
  }

  @Test
  void decodingAPermitOrEncodingOutOfRangeFails() {
    assertThatThrownBy(() -> Ticket.reason(5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be a rejection");
    assertThatThrownBy(() -> Ticket.rejection(RejectReason.QUEUE_FULL, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retryAfterNanos");
    assertThatThrownBy(() -> Ticket.rejection(null, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("reason must not be null");
  }

  @Test
  void theExceptionCarriesReasonAndRoundsRetryAfterUpToWholeSeconds() {
    AdmissionRejectedException e =
        Ticket.toException(Ticket.rejection(RejectReason.DEADLINE, 1_200_000_000L));
    assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE);
    assertThat(e.retryAfterNanos()).isEqualTo(1_200_000_000L);
    assertThat(e.retryAfterSeconds()).isEqualTo(2);
    assertThat(new AdmissionRejectedException(RejectReason.SHUTDOWN, 0).retryAfterSeconds()).isEqualTo(1);
    assertThat(e.getStackTrace()).isEmpty();
    assertThat(Ticket.toString(Ticket.rejection(RejectReason.QUEUE_FULL, 5)))
        .isEqualTo("rejection(QUEUE_FULL, retryAfter=5ns)");
  }
}
