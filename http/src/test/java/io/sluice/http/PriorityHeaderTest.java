package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Priority;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every field value against the trust rules, with golden levels. */
class PriorityHeaderTest {
  private final PriorityHeader header = PriorityHeader.newBuilder()
      .trustedSources(TrustedSources.of("10.0.0.0/8"))
      .build();

  @Test
  void eachLevelHasItsValueAndTheValuesReadBackFromATrustedPeer() {
    assertThat(PriorityHeader.format(Priority.CRITICAL_PLUS)).isEqualTo("critical-plus");
    assertThat(PriorityHeader.format(Priority.CRITICAL)).isEqualTo("critical");
    assertThat(PriorityHeader.format(Priority.SHEDDABLE_PLUS)).isEqualTo("sheddable-plus");
    assertThat(PriorityHeader.format(Priority.SHEDDABLE)).isEqualTo("sheddable");
    for (Priority p : Priority.values()) {
      assertThat(header.resolve(PriorityHeader.format(p), true)).isEqualTo(p);
      assertThat(header.resolve(PriorityHeader.format(p), "10.1.2.3")).isEqualTo(p);
    }
  }

  @Test
  void namesAreAsciiInAnyCaseWithUnderscoresAndSurroundingWhitespace() {
    assertThat(header.resolve(" Sheddable\t", true)).isEqualTo(Priority.SHEDDABLE);
    assertThat(header.resolve("SHEDDABLE_PLUS", true)).isEqualTo(Priority.SHEDDABLE_PLUS);
    assertThat(header.resolve("Critical_Plus", true)).isEqualTo(Priority.CRITICAL_PLUS);
    assertThat(header.resolve("critical_plus,", true)).as("an empty list element is no value")
        .isEqualTo(Priority.CRITICAL_PLUS);
  }

  @Test
  void noFieldOrAValueThatNamesNoLevelIsTheDefault() {
    for (String value : Arrays.asList(null, "", " ", ",", "urgent", "critical plus",
        "critical--plus", "sheddable-plus-plus", "\"sheddable\"", "sheddable;q=1", "1",
        "sh\u0000eddable", "shéddable", "\u017fheddable", "x".repeat(1 << 20))) {
      assertThat(header.resolve(value, true)).as("%.30s", value).isEqualTo(Priority.CRITICAL);
    }
  }

  @Test
  void anUntrustedPeerCannotRaiseItsPriorityButMayLowerIt() {
    assertThat(header.resolve("critical-plus", "192.168.1.1")).isEqualTo(Priority.CRITICAL);
    assertThat(header.resolve("critical-plus", false)).isEqualTo(Priority.CRITICAL);
    assertThat(header.resolve("critical-plus", (String) null)).isEqualTo(Priority.CRITICAL);
    assertThat(header.resolve("critical-plus", "not an address")).isEqualTo(Priority.CRITICAL);
    assertThat(header.resolve("sheddable", "192.168.1.1")).isEqualTo(Priority.SHEDDABLE);
    assertThat(header.resolve("sheddable-plus", false)).isEqualTo(Priority.SHEDDABLE_PLUS);

    PriorityHeader strict = PriorityHeader.newBuilder().untrustedMayLower(false).build();
    assertThat(strict.resolve("sheddable", false)).isEqualTo(Priority.CRITICAL);
    assertThat(strict.resolve("sheddable", true)).isEqualTo(Priority.SHEDDABLE);
    assertThat(strict.untrustedMayLower()).isFalse();
  }

  @Test
  void byDefaultNoPeerIsTrusted() {
    PriorityHeader defaults = PriorityHeader.newBuilder().build();

    assertThat(defaults.trustedSources()).isSameAs(TrustedSources.none());
    assertThat(defaults.resolve("critical-plus", "127.0.0.1")).isEqualTo(Priority.CRITICAL);
    assertThat(defaults.name()).isEqualTo("X-Priority");
    assertThat(defaults.defaultPriority()).isEqualTo(Priority.CRITICAL);
  }

  @Test
  void moreThanOneValueIsTheLeastImportantNamedAndNeverAboveTheDefault() {
    // A gateway appended its level to the client's: the client's never wins.
    assertThat(header.resolve("critical-plus, sheddable", true)).isEqualTo(Priority.SHEDDABLE);
    assertThat(header.resolve("sheddable,critical-plus", true)).isEqualTo(Priority.SHEDDABLE);
    assertThat(header.resolve(List.of("critical-plus", "sheddable-plus"), true))
        .isEqualTo(Priority.SHEDDABLE_PLUS);
    assertThat(header.resolve("critical-plus, critical-plus", true))
        .as("a repeated value is not a single one").isEqualTo(Priority.CRITICAL);
    assertThat(header.resolve(List.of("critical-plus", "garbage"), true))
        .isEqualTo(Priority.CRITICAL);
    assertThat(header.resolve(List.of("sheddable", "x".repeat(100_000)), false))
        .as("a huge second value does not hide the first").isEqualTo(Priority.SHEDDABLE);
    assertThat(header.resolve(List.of(), true)).isEqualTo(Priority.CRITICAL);
    assertThat(header.resolve(Arrays.asList("sheddable", null), true))
        .isEqualTo(Priority.SHEDDABLE);
  }

  @Test
  void theDefaultIsConfigurableAndBoundsWhatUntrustedPeersGet() {
    PriorityHeader batch = PriorityHeader.newBuilder()
        .defaultPriority(Priority.SHEDDABLE_PLUS).build();

    assertThat(batch.resolve((String) null, false)).isEqualTo(Priority.SHEDDABLE_PLUS);
    assertThat(batch.resolve("critical", false)).isEqualTo(Priority.SHEDDABLE_PLUS);
    assertThat(batch.resolve("sheddable", false)).isEqualTo(Priority.SHEDDABLE);
    assertThat(batch.resolve("critical", true)).isEqualTo(Priority.CRITICAL);
    assertThat(batch.resolve("critical, critical-plus", true))
        .isEqualTo(Priority.SHEDDABLE_PLUS);
  }

  @Test
  void badConfigurationIsNamed() {
    assertThatThrownBy(() -> PriorityHeader.newBuilder().name("X-Priority:"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must be a field name (a token of RFC 9110) but was X-Priority:");
    assertThatThrownBy(() -> PriorityHeader.newBuilder().defaultPriority(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("defaultPriority must not be null");
    assertThatThrownBy(() -> PriorityHeader.newBuilder().trustedSources(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("trustedSources must not be null");
    assertThatThrownBy(() -> PriorityHeader.format(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priority must not be null");
    assertThatThrownBy(() -> header.resolve((Iterable<String>) null, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("fieldValues must not be null");
  }
}
