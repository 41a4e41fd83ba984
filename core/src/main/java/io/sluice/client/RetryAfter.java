package io.sluice.client;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes the {@code Retry-After} header field of RFC 9110, section 10.2.3: either
 * delay-seconds (a non-negative integer) or an HTTP-date, in any of the three formats that section
 * 5.6.7 obliges recipients to accept (IMF-fixdate, the obsolete RFC 850 form, and asctime).
 * Following that section's advice to be robust, an IMF-fixdate may have a one-digit day, as
 * {@link java.time.format.DateTimeFormatter#RFC_1123_DATE_TIME} writes it.
 *
 * <pre>{@code
 * long wait = RetryAfter.parseNanos(response.headers().firstValue("Retry-After").orElse(null), clock);
 * if (wait != RetryAfter.ABSENT) { ... wait at least that long ... }
 * }</pre>
 *
 * <p>An HTTP-date names a moment on the wall clock, so parsing takes a {@link Clock} (or the
 * current {@link Instant}) as input; tests pass a fixed one. A date in the past means "now" (0).
 * Stateless; every method is safe from any thread. Parsing allocates and is meant for once per
 * response, not for a hot path.
 */
public final class RetryAfter {
  /** What {@code parseNanos} returns when the field is absent or malformed. */
  public static final long ABSENT = -1L;

  private static final String MONTHS = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
  private static final String TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
  private static final Pattern DELAY_SECONDS = Pattern.compile("\\d+");
  private static final Pattern IMF_FIXDATE = Pattern.compile(
      "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{1,2}) " + MONTHS + " (\\d{4}) " + TIME + " GMT");
  private static final Pattern RFC850_DATE = Pattern.compile(
      "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-" + MONTHS
          + "-(\\d{2}) " + TIME + " GMT");
  private static final Pattern ASCTIME_DATE = Pattern.compile(
      "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) " + MONTHS + " ([ \\d]\\d) " + TIME + " (\\d{4})");
  private static final List<String> MONTH_NAMES = List.of(
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec");
  /** The most whole seconds that fit in a {@code long} of nanoseconds (9,223,372,036). */
  private static final long MAX_SECONDS = Long.MAX_VALUE / 1_000_000_000L;
  private static final Duration MAX_NANOS = Duration.ofNanos(Long.MAX_VALUE);

  private RetryAfter() {}

  /**
   * Returns the wait the field asks for, in nanoseconds (0 for a date in the past; a delay too
   * large for a {@code long} of nanoseconds saturates at {@link Long#MAX_VALUE}), or
   * {@link #ABSENT} if {@code value} is null, blank or not a valid Retry-After.
   */
  public static long parseNanos(String value, Clock clock) {
    if (clock == null) {
      throw new IllegalArgumentException("clock must not be null");
    }
    return parseNanos(value, clock.instant());
  }

  /** As {@link #parseNanos(String, Clock)}, with the current time given as an instant. */
  public static long parseNanos(String value, Instant now) {
    if (now == null) {
      throw new IllegalArgumentException("now must not be null");
    }
    if (value == null) {
      return ABSENT;
    }
    String field = value.strip();
    if (DELAY_SECONDS.matcher(field).matches()) {
      return delaySecondsToNanos(field);
    }
    Instant date = parseHttpDate(field, now);
    if (date == null) {
      return ABSENT;
    }
    Duration wait = Duration.between(now, date);
    if (wait.isNegative()) {
      return 0L;
    }
    // Saturate only what does not fit: 9223372036 s and a fraction may still be a valid long.
    return wait.compareTo(MAX_NANOS) > 0 ? Long.MAX_VALUE : wait.toNanos();
  }

  /**
   * Returns the delay-seconds form of a wait: whole seconds rounded up, and at least 1 so that a
   * refused client never returns at once (the value {@link io.sluice.AdmissionRejectedException}
   * gives too).
   *
   * @param retryAfterNanos zero or more
   */
  public static String format(long retryAfterNanos) {
    if (retryAfterNanos < 0) {
      throw new IllegalArgumentException(
          "retryAfterNanos must be in [0, " + Long.MAX_VALUE + "] but was " + retryAfterNanos);
    }
    long seconds = retryAfterNanos / 1_000_000_000L + (retryAfterNanos % 1_000_000_000L == 0 ? 0 : 1);
    return Long.toString(Math.max(1L, seconds));
  }

  private static long delaySecondsToNanos(String digits) {
    // Strip leading zeros so that the length tells whether the number can overflow.
    int start = 0;
    while (start < digits.length() - 1 && digits.charAt(start) == '0') {
      start++;
    }
    String significant = digits.substring(start);
    if (significant.length() > 18) {
      return Long.MAX_VALUE;
    }
    long seconds = Long.parseLong(significant);
    return seconds > MAX_SECONDS ? Long.MAX_VALUE : seconds * 1_000_000_000L;
  }

  /** Parses the three HTTP-date formats; returns null if {@code field} is none of them. */
  private static Instant parseHttpDate(String field, Instant now) {
    try {
      Matcher m = IMF_FIXDATE.matcher(field);
      if (m.matches()) {
        return instant(Integer.parseInt(m.group(3)), m.group(2), m.group(1), m, 4);
      }
      m = RFC850_DATE.matcher(field);
      if (m.matches()) {
        return instant(fullYear(Integer.parseInt(m.group(3)), now), m.group(2), m.group(1), m, 4);
      }
      m = ASCTIME_DATE.matcher(field);
      if (m.matches()) {
        return instant(Integer.parseInt(m.group(6)), m.group(1), m.group(2).strip(), m, 3);
      }
    } catch (DateTimeException e) {
      // A well-formed date that does not exist (31 Feb, 25:00): malformed.
    }
    return null;
  }

  private static Instant instant(int year, String month, String day, Matcher m, int timeGroup) {
    int second = Integer.parseInt(m.group(timeGroup + 2));
    LocalDateTime time = LocalDateTime.of(year, MONTH_NAMES.indexOf(month) + 1,
        Integer.parseInt(day), Integer.parseInt(m.group(timeGroup)),
        Integer.parseInt(m.group(timeGroup + 1)), Math.min(second, 59)); // 60: a leap second
    return time.toInstant(ZoneOffset.UTC);
  }

  /**
   * RFC 9110, 5.6.7: a two-digit year that would be more than 50 years in the future means the
   * most recent past year with the same last two digits.
   */
  private static int fullYear(int twoDigits, Instant now) {
    int currentYear = LocalDateTime.ofInstant(now, ZoneOffset.UTC).getYear();
    int year = currentYear - Math.floorMod(currentYear, 100) + twoDigits;
    return year > currentYear + 50 ? year - 100 : year;
  }
}
