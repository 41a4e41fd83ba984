package io.sluice.client;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
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
 * <p>LLM providers also name their waits in other fields, which this class reads too:
 * {@link #parseMillisNanos} ({@code retry-after-ms}), {@link #parseDurationNanos} (durations such
 * as {@code "6m0s"} in {@code x-ratelimit-reset-tokens}) and {@link #parseResetNanos} (those, or
 * an RFC 3339 date-time as in {@code anthropic-ratelimit-tokens-reset}).
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
  private static final BigDecimal MAX_NANOS_DECIMAL = BigDecimal.valueOf(Long.MAX_VALUE);
  private static final String NUMBER = "(?:\\d+(?:\\.\\d*)?|\\.\\d+)";
  private static final String UNIT = "(?:h|ms|m|s|us|\u00b5s|\u03bcs|ns)";
  private static final Pattern DECIMAL = Pattern.compile(NUMBER);
  private static final Pattern DURATION = Pattern.compile("(?:" + NUMBER + UNIT + ")+");
  private static final Pattern DURATION_PART = Pattern.compile("(" + NUMBER + ")(" + UNIT + ")");

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

  /**
   * Returns the nanoseconds of a duration as providers write it in rate-limit reset fields: one or
   * more decimal numbers each followed by a unit, {@code h}, {@code m}, {@code s}, {@code ms},
   * {@code us} (also with the micro sign or the Greek mu) or {@code ns} ({@code "1s"},
   * {@code "6m0s"}, {@code "20ms"}, {@code "1h2m3.5s"}), or a lone decimal number of seconds
   * ({@code "0.5"}). A fraction of a nanosecond rounds up, so a wait is never shortened; a
   * duration too large for a {@code long} saturates at {@link Long#MAX_VALUE}. Returns
   * {@link #ABSENT} for null, blank, negative or malformed values, and for values longer than 64
   * characters; never throws.
   */
  public static long parseDurationNanos(String value) {
    if (value == null) {
      return ABSENT;
    }
    String field = value.strip();
    if (field.isEmpty() || field.length() > 64) {
      return ABSENT;
    }
    if (DECIMAL.matcher(field).matches()) {
      return decimalToNanos(field, 1_000_000_000L);
    }
    if (!DURATION.matcher(field).matches()) {
      return ABSENT;
    }
    Matcher part = DURATION_PART.matcher(field);
    BigDecimal total = BigDecimal.ZERO;
    while (part.find()) {
      total = total.add(new BigDecimal(part.group(1)).multiply(
          BigDecimal.valueOf(unitNanos(part.group(2)))));
    }
    return saturate(total);
  }

  /**
   * Returns the wait a rate-limit reset field names: a duration as {@link #parseDurationNanos}
   * reads it, or an RFC 3339 date-time ({@code "2026-03-01T12:00:30Z"}), which names a moment on
   * the wall clock: the wait until then, 0 if it is past. Returns {@link #ABSENT} for anything
   * else; never throws.
   */
  public static long parseResetNanos(String value, Instant now) {
    if (now == null) {
      throw new IllegalArgumentException("now must not be null");
    }
    long duration = parseDurationNanos(value);
    if (duration != ABSENT || value == null) {
      return duration;
    }
    String field = value.strip();
    if (field.length() > 64) {
      return ABSENT;
    }
    try {
      Duration wait = Duration.between(now, OffsetDateTime.parse(field).toInstant());
      if (wait.isNegative()) {
        return 0L;
      }
      return wait.compareTo(MAX_NANOS) > 0 ? Long.MAX_VALUE : wait.toNanos();
    } catch (DateTimeException | ArithmeticException e) {
      return ABSENT;
    }
  }

  /**
   * Returns the nanoseconds of a number of milliseconds written in decimal ({@code "1500"},
   * {@code "20.5"}), as in a {@code retry-after-ms} field, rounded up; {@link #ABSENT} for
   * anything else; never throws.
   */
  public static long parseMillisNanos(String value) {
    if (value == null) {
      return ABSENT;
    }
    String field = value.strip();
    if (field.length() > 64 || !DECIMAL.matcher(field).matches()) {
      return ABSENT;
    }
    return decimalToNanos(field, 1_000_000L);
  }

  private static long decimalToNanos(String decimal, long unitNanos) {
    return saturate(new BigDecimal(decimal).multiply(BigDecimal.valueOf(unitNanos)));
  }

  /** Rounds up to a whole nanosecond and saturates at {@link Long#MAX_VALUE}. */
  private static long saturate(BigDecimal nanos) {
    BigDecimal whole = nanos.setScale(0, RoundingMode.CEILING);
    return whole.compareTo(MAX_NANOS_DECIMAL) > 0 ? Long.MAX_VALUE : whole.longValueExact();
  }

  private static long unitNanos(String unit) {
    switch (unit) {
      case "h":
        return 3_600_000_000_000L;
      case "m":
        return 60_000_000_000L;
      case "s":
        return 1_000_000_000L;
      case "ms":
        return 1_000_000L;
      case "ns":
        return 1L;
      default:
        return 1_000L;   // us, with a u, the micro sign or the Greek mu
    }
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
