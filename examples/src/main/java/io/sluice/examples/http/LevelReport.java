package io.sluice.examples.http;

import io.sluice.examples.http.LoadGenerator.Kind;
import io.sluice.examples.http.LoadGenerator.Sample;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What one load level did to a server: the row of the demo's table.
 *
 * <p>Goodput counts 200s answered within the latency objective (the SLO), per second of the
 * level. A request is <em>admitted</em> if it was sent and not refused (503 or 429): the success
 * rate of admitted requests is the share of them that were good, so a server that refuses what it
 * cannot serve keeps it near 100%. Latency percentiles are those of 200s, from the time each
 * request was due; "503 p50" is the median time to a 503. The limit is the median of the server's
 * limit over the level ({@code -1} when the server has none). The generator's lag (p99 of send
 * time minus due time) tells whether the client kept up: when it is large, the figures describe the
 * client's machine as much as the server.
 *
 * @param label the level, e.g. {@code 2x}
 * @param offeredPerSecond the arrival rate asked of the generator
 * @param sentPerSecond the requests actually sent, per second of the level
 * @param goodputPerSecond 200s within the objective, per second of the level
 * @param admittedGoodRatio good requests / admitted requests, in [0, 1] (NaN if none admitted)
 * @param criticalGoodRatio good critical requests / critical requests due, in [0, 1]
 * @param refused 503 answers
 * @param quotaRefused 429 answers
 * @param timeouts requests abandoned at the client's timeout
 * @param errors requests that got no HTTP answer (connection failed or reset)
 * @param notSent requests due while the generator's outstanding bound was reached
 * @param p50Millis median latency of 200s (NaN if none)
 * @param p99Millis 99th percentile latency of 200s (NaN if none)
 * @param p999Millis 99.9th percentile latency of 200s (NaN if none)
 * @param refusalP50Millis median time to a 503 (NaN if none)
 * @param medianLimit the server's median limit over the level, -1 if it has none
 * @param sendLagP99Millis the 99th percentile of how late the generator sent (NaN if none sent)
 */
public record LevelReport(String label, double offeredPerSecond, double sentPerSecond,
    double goodputPerSecond, double admittedGoodRatio, double criticalGoodRatio, int refused,
    int quotaRefused, int timeouts, int errors, int notSent, double p50Millis, double p99Millis,
    double p999Millis, double refusalP50Millis, int medianLimit, double sendLagP99Millis) {

  /**
   * Summarises the samples of one level.
   *
   * @param seconds the length of the level, over which rates are computed
   * @param objective the latency objective of a good answer
   * @param limits the server's limit, sampled during the level (empty or -1s if it has none)
   */
  public static LevelReport of(String label, double offeredPerSecond, double seconds,
      Duration objective, List<Sample> samples, int[] limits) {
    long objectiveNanos = objective.toNanos();
    int sent = 0;
    int good = 0;
    int refused = 0;
    int quotaRefused = 0;
    int timeouts = 0;
    int errors = 0;
    int notSent = 0;
    int critical = 0;
    int criticalGood = 0;
    long[] ok = new long[samples.size()];
    int okCount = 0;
    long[] refusals = new long[samples.size()];
    int refusalCount = 0;
    long[] lags = new long[samples.size()];
    for (Sample s : samples) {
      if (s.critical()) {
        critical++;
      }
      if (s.kind() == Kind.NOT_SENT) {
        notSent++;
        continue;
      }
      lags[sent++] = s.sentNanos() - s.dueNanos();
      if (s.kind() == Kind.TIMEOUT) {
        timeouts++;
      } else if (s.kind() == Kind.ERROR) {
        errors++;
      } else if (s.status() == 503) {
        refused++;
        refusals[refusalCount++] = s.latencyNanos();
      } else if (s.status() == 429) {
        quotaRefused++;
      } else if (s.status() == 200) {
        ok[okCount++] = s.latencyNanos();
        if (s.latencyNanos() <= objectiveNanos) {
          good++;
          if (s.critical()) {
            criticalGood++;
          }
        }
      }
    }
    long[] okSorted = sorted(ok, okCount);
    int admitted = sent - refused - quotaRefused;
    return new LevelReport(label, offeredPerSecond, sent / seconds, good / seconds,
        admitted == 0 ? Double.NaN : (double) good / admitted,
        critical == 0 ? Double.NaN : (double) criticalGood / critical, refused, quotaRefused,
        timeouts, errors, notSent, millis(okSorted, 0.5), millis(okSorted, 0.99),
        millis(okSorted, 0.999), millis(sorted(refusals, refusalCount), 0.5), median(limits),
        millis(sorted(lags, sent), 0.99));
  }

  /** Returns the header and rows of a table of reports, one line each, for a terminal. */
  public static String table(List<LevelReport> reports) {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "%5s %8s %7s %8s %7s %6s %6s %6s %8s %7s %7s %8s %8s %6s %5s %8s%n", "load",
        "offered/s", "sent/s", "goodput/s", "ok%adm", "crit%", "503", "t/o", "not sent",
        "p50 ms", "p99 ms", "p99.9 ms", "503 p50", "errors", "limit", "lag p99"));
    for (LevelReport r : reports) {
      out.append(String.format(Locale.ROOT,
          "%5s %9.0f %7.0f %9.1f %7s %6s %6d %6d %8d %7s %7s %8s %8s %6d %5s %8s%n", r.label,
          r.offeredPerSecond, r.sentPerSecond, r.goodputPerSecond, percent(r.admittedGoodRatio),
          percent(r.criticalGoodRatio), r.refused + r.quotaRefused, r.timeouts, r.notSent,
          number(r.p50Millis), number(r.p99Millis), number(r.p999Millis),
          number(r.refusalP50Millis), r.errors, r.medianLimit < 0 ? "none" : r.medianLimit,
          number(r.sendLagP99Millis)));
    }
    return out.toString();
  }

  private static String percent(double ratio) {
    return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * ratio);
  }

  private static String number(double millis) {
    if (Double.isNaN(millis)) {
      return "-";
    }
    return millis < 10 ? String.format(Locale.ROOT, "%.1f", millis)
        : String.format(Locale.ROOT, "%.0f", millis);
  }

  private static long[] sorted(long[] values, int count) {
    long[] copy = Arrays.copyOf(values, count);
    Arrays.sort(copy);
    return copy;
  }

  /** Returns the {@code q} quantile of sorted nanoseconds in milliseconds (nearest rank). */
  static double millis(long[] sortedNanos, double q) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(q * sortedNanos.length);
    return sortedNanos[Math.max(0, rank - 1)] / 1e6;
  }

  private static int median(int[] values) {
    if (values.length == 0) {
      return -1;
    }
    int[] copy = values.clone();
    Arrays.sort(copy);
    return copy[(copy.length - 1) / 2];
  }
}
