package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Retry-After in the forms of RFC 9110, against a fixed wall clock. */
class RetryAfterTest {
  private static final long SECOND = 1_000_000_000L;
  /** Sunday, 6 November 1994, 08:49:30 UTC: the RFC's example date minus 7 s. */
  private final Clock clock = Clock.fixed(Instant.parse("1994-11-06T08:49:30Z"), ZoneOffset.UTC);

  @Test
  void delaySeconds() {
    assertThat(RetryAfter.parseNanos("120", clock)).isEqualTo(120 * SECOND);
    assertThat(RetryAfter.parseNanos("0", clock)).isZero();
    assertThat(RetryAfter.parseNanos(" 5\t", clock)).as("surrounding whitespace").isEqualTo(5 * SECOND);
    assertThat(RetryAfter.parseNanos("007", clock)).isEqualTo(7 * SECOND);
  }

  @Test
  void delaySecondsTooLargeForNanosecondsSaturate() {
    assertThat(RetryAfter.parseNanos("9223372037", clock)).isEqualTo(Long.MAX_VALUE);
    assertThat(RetryAfter.parseNanos("9223372036854775807", clock)).isEqualTo(Long.MAX_VALUE);
    assertThat(RetryAfter.parseNanos("99999999999999999999999", clock)).isEqualTo(Long.MAX_VALUE);
    assertThat(RetryAfter.parseNanos("9223372035", clock)).isEqualTo(9_223_372_035L * SECOND);
  }

  /** Issue 17, item 12: the largest whole number of seconds that fits is not saturated. */
  @Test
  void theLargestDelayThatFitsInNanosecondsIsExact() {
    assertThat(RetryAfter.parseNanos("9223372036", clock)).isEqualTo(9_223_372_036L * SECOND);
    assertThat(RetryAfter.parseNanos("0009223372036", clock)).isEqualTo(9_223_372_036L * SECOND);
  }

  /**
   * Issue 17, item 12: an HTTP-date 9223372036 s ahead fits (Fri, 11 Apr 2262 23:47:16 GMT from
   * the epoch); so does one 9223372036.5 s ahead; 9223372036.9 s and 9223372037 s do not.
   */
  @Test
  void anHttpDateSaturatesOnlyWhenTheWaitDoesNotFitInNanoseconds() {
    String imf = "Fri, 11 Apr 2262 23:47:16 GMT";
    String asctime = "Fri Apr 11 23:47:16 2262";
    Instant epoch = Instant.EPOCH;
    assertThat(RetryAfter.parseNanos(imf, epoch)).isEqualTo(9_223_372_036L * SECOND);
    assertThat(RetryAfter.parseNanos(asctime, epoch)).isEqualTo(9_223_372_036L * SECOND);
    assertThat(RetryAfter.parseNanos(imf, epoch.minusMillis(500)))
        .isEqualTo(9_223_372_036_500_000_000L);
    assertThat(RetryAfter.parseNanos(imf, epoch.minusNanos(854_775_807)))
        .isEqualTo(Long.MAX_VALUE).isEqualTo(9_223_372_036L * SECOND + 854_775_807);
    assertThat(RetryAfter.parseNanos(imf, epoch.minusNanos(854_775_808)))
        .as("one nanosecond too far").isEqualTo(Long.MAX_VALUE);
    assertThat(RetryAfter.parseNanos(imf, epoch.minusMillis(900))).isEqualTo(Long.MAX_VALUE);
    assertThat(RetryAfter.parseNanos("Fri, 11 Apr 2262 23:47:17 GMT", epoch))
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void theThreeHttpDateFormats() {
    assertThat(RetryAfter.parseNanos("Sun, 06 Nov 1994 08:49:37 GMT", clock)).isEqualTo(7 * SECOND);
    assertThat(RetryAfter.parseNanos("Sunday, 06-Nov-94 08:49:37 GMT", clock)).isEqualTo(7 * SECOND);
    assertThat(RetryAfter.parseNanos("Sun Nov  6 08:49:37 1994", clock)).isEqualTo(7 * SECOND);
    assertThat(RetryAfter.parseNanos("Mon Nov 14 08:49:30 1994", clock)).isEqualTo(8 * 86_400 * SECOND);
  }

  @Test
  void aOneDigitDayAsJavasRfc1123FormatterWritesIt() {
    assertThat(RetryAfter.parseNanos("Sun, 6 Nov 1994 08:49:37 GMT", clock)).isEqualTo(7 * SECOND);
    assertThat(RetryAfter.parseNanos("Sun, 123 Nov 1994 08:49:37 GMT", clock))
        .isEqualTo(RetryAfter.ABSENT);
  }

  @Test
  void aDateInThePastMeansNow() {
    assertThat(RetryAfter.parseNanos("Sun, 06 Nov 1994 08:49:29 GMT", clock)).isZero();
  }

  @Test
  void aTwoDigitYearMoreThanFiftyYearsAheadMeansThePastCentury() {
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    // 80 -> 2080 is 50 years ahead: kept; 81 -> 2081 is more: 1981, in the past.
    assertThat(RetryAfter.parseNanos("Tuesday, 01-Jan-80 00:00:10 GMT", now))
        .isEqualTo(Duration.between(now, Instant.parse("2080-01-01T00:00:10Z")).toNanos());
    assertThat(RetryAfter.parseNanos("Wednesday, 01-Jan-81 00:00:10 GMT", now)).isZero();
    assertThat(RetryAfter.parseNanos("Sunday, 06-Nov-94 08:49:37 GMT", now)).as("1994").isZero();
  }

  @Test
  void malformedValuesAreAbsent() {
    for (String bad : new String[] {
        null, "", "  ", "-1", "1.5", "+3", "soon", "0x10",
        "Sun, 06 Nov 1994 08:49:37 gmt",     // case-sensitive
        "Sun, 31 Feb 1994 08:49:37 GMT",     // no such day
        "Sun, 06 Nov 1994 25:49:37 GMT",     // no such hour
        "Sun, 06 Nov 1994 08:49:37 +0000",
        "Funday, 06-Nov-94 08:49:37 GMT"}) {
      assertThat(RetryAfter.parseNanos(bad, clock)).as("'%s'", bad).isEqualTo(RetryAfter.ABSENT);
    }
  }

  @Test
  void aLeapSecondIsReadAsTheSecondBefore() {
    assertThat(RetryAfter.parseNanos("Sun, 06 Nov 1994 08:49:60 GMT", clock)).isEqualTo(29 * SECOND);
  }

  @Test
  void formatGivesWholeSecondsRoundedUpAndAtLeastOne() {
    assertThat(RetryAfter.format(0)).isEqualTo("1");
    assertThat(RetryAfter.format(1)).isEqualTo("1");
    assertThat(RetryAfter.format(SECOND)).isEqualTo("1");
    assertThat(RetryAfter.format(SECOND + 1)).isEqualTo("2");
    assertThat(RetryAfter.format(120 * SECOND)).isEqualTo("120");
    assertThat(RetryAfter.parseNanos(RetryAfter.format(2_500_000_000L), clock)).isEqualTo(3 * SECOND);
    assertThatThrownBy(() -> RetryAfter.format(-1))
        .hasMessage("retryAfterNanos must be in [0, 9223372036854775807] but was -1");
  }

  @Test
  void theClockIsRequired() {
    assertThatThrownBy(() -> RetryAfter.parseNanos("1", (Clock) null))
        .hasMessage("clock must not be null");
  }

  // ---------------------------------------------------------------- Providers' reset fields

  @Test
  void providerDurationsInTheFormsResetFieldsUse() {
    assertThat(RetryAfter.parseDurationNanos("1s")).isEqualTo(SECOND);
    assertThat(RetryAfter.parseDurationNanos("6m0s")).isEqualTo(360 * SECOND);
    assertThat(RetryAfter.parseDurationNanos("20ms")).isEqualTo(20_000_000L);
    assertThat(RetryAfter.parseDurationNanos("1h2m3.5s")).isEqualTo(3723 * SECOND + SECOND / 2);
    assertThat(RetryAfter.parseDurationNanos("1.5us")).isEqualTo(1500);
    assertThat(RetryAfter.parseDurationNanos("1.5\u00b5s")).as("micro sign").isEqualTo(1500);
    assertThat(RetryAfter.parseDurationNanos("7ns")).isEqualTo(7);
    assertThat(RetryAfter.parseDurationNanos("0s")).isZero();
    assertThat(RetryAfter.parseDurationNanos(" 2m30s ")).isEqualTo(150 * SECOND);
    assertThat(RetryAfter.parseDurationNanos(".5s")).isEqualTo(SECOND / 2);
    assertThat(RetryAfter.parseDurationNanos("0.5")).as("bare seconds").isEqualTo(SECOND / 2);
    assertThat(RetryAfter.parseDurationNanos("12")).isEqualTo(12 * SECOND);
  }

  @Test
  void aFractionOfANanosecondRoundsUpSoAWaitIsNeverShortened() {
    assertThat(RetryAfter.parseDurationNanos("1.0000000001s")).isEqualTo(SECOND + 1);
    assertThat(RetryAfter.parseDurationNanos("0.1ns")).isEqualTo(1);
    assertThat(RetryAfter.parseMillisNanos("0.0000001")).isEqualTo(1);
  }

  @Test
  void durationsTooLargeForNanosecondsSaturate() {
    assertThat(RetryAfter.parseDurationNanos("9999999999h")).isEqualTo(Long.MAX_VALUE);
    assertThat(RetryAfter.parseDurationNanos("99999999999999999999999999999s"))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(RetryAfter.parseDurationNanos("9223372036854775807ns")).isEqualTo(Long.MAX_VALUE);
    assertThat(RetryAfter.parseDurationNanos("9223372036854775806ns"))
        .isEqualTo(Long.MAX_VALUE - 1);
  }

  @Test
  void junkIsAbsentAndNeverThrows() {
    for (String junk : new String[] {null, "", "  ", "s", "-1s", "1x", "1e9s", "1.2.3s", "1 s",
        "s1", "1m-2s", "NaN", "Infinity", "0x10s", "1h2", "--", "1,5s", "\u0000", "9".repeat(65),
        "1s".repeat(33)}) {
      assertThat(RetryAfter.parseDurationNanos(junk)).as("'%s'", junk).isEqualTo(RetryAfter.ABSENT);
      assertThat(RetryAfter.parseMillisNanos(junk)).as("'%s'", junk).isEqualTo(RetryAfter.ABSENT);
      assertThat(RetryAfter.parseResetNanos(junk, clock.instant())).as("'%s'", junk)
          .isEqualTo(RetryAfter.ABSENT);
    }
  }

  @Test
  void retryAfterMillis() {
    assertThat(RetryAfter.parseMillisNanos("1500")).isEqualTo(1_500_000_000L);
    assertThat(RetryAfter.parseMillisNanos("20.5")).isEqualTo(20_500_000L);
    assertThat(RetryAfter.parseMillisNanos("0")).isZero();
    assertThat(RetryAfter.parseMillisNanos("-5")).isEqualTo(RetryAfter.ABSENT);
    assertThat(RetryAfter.parseMillisNanos("5ms")).isEqualTo(RetryAfter.ABSENT);
  }

  @Test
  void aResetIsADurationOrAnRfc3339DateTimeOnTheWallClock() {
    Instant now = clock.instant();
    assertThat(RetryAfter.parseResetNanos("6m0s", now)).isEqualTo(360 * SECOND);
    assertThat(RetryAfter.parseResetNanos("1994-11-06T08:50:00Z", now)).isEqualTo(30 * SECOND);
    assertThat(RetryAfter.parseResetNanos("1994-11-06T09:50:00.25+01:00", now))
        .isEqualTo(30 * SECOND + SECOND / 4);
    assertThat(RetryAfter.parseResetNanos("1994-11-06T08:00:00Z", now)).as("past").isZero();
    assertThat(RetryAfter.parseResetNanos("1994-11-06T08:50:00", now)).as("no offset")
        .isEqualTo(RetryAfter.ABSENT);
    assertThat(RetryAfter.parseResetNanos("1994-02-30T08:50:00Z", now)).as("no such day")
        .isEqualTo(RetryAfter.ABSENT);
    assertThat(RetryAfter.parseResetNanos("+999999999-12-31T23:59:59Z", now))
        .isEqualTo(Long.MAX_VALUE);
    assertThatThrownBy(() -> RetryAfter.parseResetNanos("1s", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("now must not be null");
  }
}
