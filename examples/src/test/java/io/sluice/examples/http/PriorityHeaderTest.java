package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Priority;
import org.junit.jupiter.api.Test;

class PriorityHeaderTest {

  @Test
  void eachLevelHasItsValue() {
    assertThat(PriorityHeader.parse("critical-plus")).isEqualTo(Priority.CRITICAL_PLUS);
    assertThat(PriorityHeader.parse("critical")).isEqualTo(Priority.CRITICAL);
    assertThat(PriorityHeader.parse("sheddable-plus")).isEqualTo(Priority.SHEDDABLE_PLUS);
    assertThat(PriorityHeader.parse("sheddable")).isEqualTo(Priority.SHEDDABLE);
  }

  @Test
  void valuesAreCaseInsensitiveTrimmedAndTakeUnderscores() {
    assertThat(PriorityHeader.parse(" Sheddable ")).isEqualTo(Priority.SHEDDABLE);
    assertThat(PriorityHeader.parse("SHEDDABLE_PLUS")).isEqualTo(Priority.SHEDDABLE_PLUS);
    assertThat(PriorityHeader.parse("Critical_Plus")).isEqualTo(Priority.CRITICAL_PLUS);
  }

  @Test
  void absentOrUnknownValuesMeanTheDefaultLevel() {
    assertThat(PriorityHeader.parse(null)).isEqualTo(Priority.CRITICAL);
    assertThat(PriorityHeader.parse("")).isEqualTo(Priority.CRITICAL);
    assertThat(PriorityHeader.parse("urgent")).isEqualTo(Priority.CRITICAL);
    assertThat(PriorityHeader.parse("sheddable,critical")).isEqualTo(Priority.CRITICAL);
  }

  @Test
  void formatAndParseRoundTrip() {
    for (Priority p : Priority.values()) {
      assertThat(PriorityHeader.parse(PriorityHeader.format(p))).isEqualTo(p);
    }
    assertThat(PriorityHeader.format(Priority.SHEDDABLE_PLUS)).isEqualTo("sheddable-plus");
    assertThatThrownBy(() -> PriorityHeader.format(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priority must not be null");
  }
}
