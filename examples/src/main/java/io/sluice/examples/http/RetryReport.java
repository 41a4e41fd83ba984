package io.sluice.examples.http;

import io.sluice.client.RetryAfter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the {@link RetryingClient} did in the demo: how many logical calls succeeded at once, how
 * many retries it sent, how many calls succeeded after waiting out a {@code Retry-After}, how many
 * gave up, how many attempts it refused itself (adaptive throttle), the median Retry-After it was
 * given, and the smallest margin by which a retry followed its Retry-After (never negative: the
 * client never retries sooner than asked).
 *
 * @param calls logical calls
 * @param okFirstTry calls that succeeded on their first attempt
 * @param retriesSent attempts sent after a call's first
 * @param okAfterRetryAfter calls that succeeded after at least one refusal with a Retry-After
 * @param gaveUp calls that did not succeed
 * @param locallyRefused attempts refused by the client itself, never sent
 * @param retryAfterP50Seconds the median last Retry-After of refused calls (NaN if none)
 * @param minSlackMillis the smallest wait before a retry minus its Retry-After (NaN if none)
 */
public record RetryReport(int calls, int okFirstTry, int retriesSent, int okAfterRetryAfter,
    int gaveUp, int locallyRefused, double retryAfterP50Seconds, double minSlackMillis) {

  /** Summarises the results of a run of calls. */
  public static RetryReport of(List<RetryingClient.Result> results) {
    int okFirst = 0;
    int retries = 0;
    int okAfter = 0;
    int gaveUp = 0;
    int local = 0;
    long slack = Long.MAX_VALUE;
    long[] retryAfters = new long[results.size()];
    int refused = 0;
    for (RetryingClient.Result r : results) {
      if (r.succeeded() && r.attempts() == 1) {
        okFirst++;
      }
      if (r.succeededAfterRetryAfter()) {
        okAfter++;
      }
      if (!r.succeeded()) {
        gaveUp++;
      }
      retries += r.retriesSent();
      local += r.locallyRefused();
      slack = Math.min(slack, r.minSlackNanos());
      if (r.lastRetryAfterNanos() != RetryAfter.ABSENT) {
        retryAfters[refused++] = r.lastRetryAfterNanos();
      }
    }
    long[] sorted = Arrays.copyOf(retryAfters, refused);
    Arrays.sort(sorted);
    return new RetryReport(results.size(), okFirst, retries, okAfter, gaveUp, local,
        refused == 0 ? Double.NaN : LevelReport.millis(sorted, 0.5) / 1e3,
        slack == Long.MAX_VALUE ? Double.NaN : slack / 1e6);
  }

  /** Returns a two-line table: header and figures. */
  public static String table(RetryReport r) {
    return String.format(Locale.ROOT, "%6s %11s %13s %21s %8s %18s %16s %18s%n", "calls",
        "ok 1st try", "retries sent", "ok after Retry-After", "gave up", "refused by client",
        "Retry-After p50", "min wait - R-A")
        + String.format(Locale.ROOT, "%6d %11d %13d %21d %8d %18d %15.1fs %16.0fms%n", r.calls,
        r.okFirstTry, r.retriesSent, r.okAfterRetryAfter, r.gaveUp, r.locallyRefused,
        r.retryAfterP50Seconds, r.minSlackMillis);
  }
}
