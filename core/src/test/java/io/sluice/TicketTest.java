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
  void everyValueHasAReadableFormAndABadReasonFailsClearly() {
    int reasons = RejectReason.values().length;
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < 100_000; i++) {
      long ticket = switch (i) {
        case 0 -> -9;
        case 1 -> Long.MIN_VALUE;
        case 2 -> -1;
        case 3 -> Long.MAX_VALUE;
        case 4 -> 0;
        default -> random.nextLong();
      };
      String text = Ticket.toString(ticket);
      if (Ticket.isPermit(ticket)) {
        assertThat(text).isEqualTo("permit(" + ticket + ")");
        continue;
      }
      int bits = (int) (~ticket & 31);
      String hint = "retryAfter=" + Ticket.retryAfterNanos(ticket) + "ns";
      if (bits < reasons) {
        assertThat(text).isEqualTo("rejection(" + RejectReason.values()[bits] + ", " + hint + ")");
      } else {
        assertThat(text).isEqualTo("rejection(unknown reason " + bits + ", " + hint + ")");
        assertThatThrownBy(() -> Ticket.reason(ticket))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("ticket " + ticket + " carries reason bits " + bits
                + ", which name no RejectReason (ordinals in [0, " + (reasons - 1) + "])");
      }
    }
    // Reason bits 31: unknown until there are 32 reasons (new ones are appended).
    assertThat(Ticket.toString(-32)).isEqualTo("rejection(unknown reason 31, retryAfter=0ns)");
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
