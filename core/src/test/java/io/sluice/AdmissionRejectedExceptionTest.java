package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.RetryAfter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AdmissionRejectedExceptionTest {
  private static final long SECOND = 1_000_000_000L;

  private static long seconds(long retryAfterNanos) {
    return new AdmissionRejectedException(RejectReason.QUEUE_FULL, retryAfterNanos)
        .retryAfterSeconds();
  }

  @Test
  void retryAfterSecondsRoundsUpToWholeSecondsAndIsAtLeastOne() {
    assertThat(seconds(0)).isEqualTo(1);
    assertThat(seconds(1)).isEqualTo(1);
    assertThat(seconds(SECOND)).isEqualTo(1);
    assertThat(seconds(SECOND + 1)).isEqualTo(2);
    assertThat(seconds(2 * SECOND - 1)).isEqualTo(2);
  }

  @Test
  void retryAfterSecondsDoesNotOverflowNearLongMaxValue() {
    // Long.MAX_VALUE ns = 9223372036.854775807 s, rounded up.
    assertThat(seconds(Long.MAX_VALUE)).isEqualTo(9_223_372_037L);
    long wholeSeconds = Long.MAX_VALUE / SECOND * SECOND;
    assertThat(seconds(wholeSeconds)).isEqualTo(9_223_372_036L);
    assertThat(seconds(wholeSeconds + 1)).isEqualTo(9_223_372_037L);
    assertThat(seconds(wholeSeconds - 1)).isEqualTo(9_223_372_036L);
  }

  @Test
  void retryAfterSecondsAgreesWithTheHeaderFormatter() {
    long[] values = {0, 1, SECOND - 1, SECOND, SECOND + 1, 123_456_789_012L,
        Long.MAX_VALUE - SECOND, Long.MAX_VALUE - 1, Long.MAX_VALUE};
    for (long nanos : values) {
      assertThat(Long.toString(seconds(nanos))).as("%d ns", nanos)
          .isEqualTo(RetryAfter.format(nanos));
    }
  }

  @Test
  void carriesReasonAndHintAndRefusesBadArguments() {
    AdmissionRejectedException e = new AdmissionRejectedException(RejectReason.DEADLINE, 1500);
    assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE);
    assertThat(e.retryAfterNanos()).isEqualTo(1500);
    assertThat(e.retryAfter()).isEqualTo(Duration.ofNanos(1500));
    assertThat(e.getStackTrace()).as("no stack walk").isEmpty();
    assertThatThrownBy(() -> new AdmissionRejectedException(RejectReason.DEADLINE, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retryAfterNanos must be in [0, 9223372036854775807] but was -1");
    assertThatThrownBy(() -> new AdmissionRejectedException(null, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("reason must not be null");
  }
}
