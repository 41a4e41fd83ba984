package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Golden serializations of RFC 9651 bare items, and the values serialization must refuse. */
class StructuredFieldsTest {

  @Test
  void stringsAreQuotedWithQuoteAndBackslashEscaped() {
    assertThat(StructuredFields.string("concurrency")).isEqualTo("\"concurrency\"");
    assertThat(StructuredFields.string("")).isEqualTo("\"\"");
    assertThat(StructuredFields.string("a \"b\" \\c")).isEqualTo("\"a \\\"b\\\" \\\\c\"");
    assertThat(StructuredFields.string(" ~")).isEqualTo("\" ~\"");
  }

  @Test
  void aStringWithAControlOrNonAsciiCharacterIsRefusedNotEscaped() {
    for (String bad : new String[] {"tab\there", "new\nline", "del\u007f", "café", "\u0000"}) {
      assertThat(StructuredFields.isString(bad)).as(bad).isFalse();
      assertThatThrownBy(() -> StructuredFields.string(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("printable ASCII");
    }
    assertThat(StructuredFields.isString(null)).isFalse();
  }

  @Test
  void integersHaveAtMostFifteenDigits() {
    assertThat(StructuredFields.integer(0)).isEqualTo("0");
    assertThat(StructuredFields.integer(-42)).isEqualTo("-42");
    assertThat(StructuredFields.integer(999_999_999_999_999L)).isEqualTo("999999999999999");
    assertThatThrownBy(() -> StructuredFields.integer(1_000_000_000_000_000L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("value must be in [-999999999999999, 999999999999999] but was"
            + " 1000000000000000");
  }

  @Test
  void byteSequencesAreStandardBase64WithPaddingBetweenColons() {
    assertThat(StructuredFields.byteSequence(new byte[0])).isEqualTo("::");
    assertThat(StructuredFields.byteSequence("alice".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(":YWxpY2U=:");
    // RFC 9651, section 3.3.5's example.
    assertThat(StructuredFields.byteSequence(
        "pretend this is binary content.".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(":cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:");
    assertThat(StructuredFields.byteSequence(new byte[] {(byte) 0xfb, (byte) 0xff}))
        .as("the standard alphabet, not the URL-safe one").isEqualTo(":+/8=:");
  }

  @Test
  void displayStringsPercentEncodeUtf8OctetsInLowercaseHex() {
    // RFC 9651, section 3.3.8's example.
    assertThat(StructuredFields.displayString("This is intended for display to übers."))
        .isEqualTo("%\"This is intended for display to %c3%bcbers.\"");
    assertThat(StructuredFields.displayString("Zoë 50% \"off\" \\o/"))
        .isEqualTo("%\"Zo%c3%ab 50%25 %22off%22 \\o/\"");
    assertThat(StructuredFields.displayString("a\tb\u007f"))
        .isEqualTo("%\"a%09b%7f\"");
    assertThat(StructuredFields.displayString("\u20ac \ud83d\ude00"))
        .as("three- and four-octet sequences").isEqualTo("%\"%e2%82%ac %f0%9f%98%80\"");
    assertThat(StructuredFields.displayString("")).isEqualTo("%\"\"");
  }

  @Test
  void aDisplayStringOfTextWithAnUnpairedSurrogateIsRefused() {
    for (String bad : new String[] {"\ud83d", "a\ude00b", "\ude00\ud83d"}) {
      assertThatThrownBy(() -> StructuredFields.displayString(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unpaired surrogate");
    }
  }
}
