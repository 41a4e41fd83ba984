package io.sluice.examples.llm;

import io.sluice.examples.llm.LlmLoadGenerator.Kind;
import io.sluice.examples.llm.LlmLoadGenerator.Sample;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What one load level did to one gateway: a row of the LLM demo's table.
 *
 * <p>Levels run back to back, so a level's requests may still stream after it ends. Rates of
 * tokens are therefore counted in the level's window of time, whoever asked for them: the answer
 * tokens received between the level's start and end (each stream's tokens spread evenly from its
 * first token to its end), per second. <em>Goodput</em> counts those of streams whose first token
 * came within the TTFT objective of when the request was due (retries' waits included), also as a
 * share of the model's capacity. <em>Offered</em> is what the level's requests would have
 * received had every one been served (the model's answer lengths, capped by max_tokens).
 *
 * <p>Everything else is about the level's own requests. TTFT is measured by the client, for
 * admitted streams: from when the admitted attempt was sent ({@code TTFT p50/p99}: what the gateway
 * answers for) and from when the request was due ({@code due p99}: what the user waited, retries
 * included). A stream <em>cut off</em> was admitted and ended without its finish reason, usage and
 * {@code [DONE]} (or with usage that disagrees with the tokens received); <em>abandoned</em>
 * requests got no first token within the client's patience. Clients retry refusals as OpenAI's
 * client libraries do; <em>refused</em> counts refused attempts, <em>gave up</em> requests whose
 * last attempt was refused. Refusals are timed by the client, from sending to the answer.
 *
 * <p>Fairness is measured against each key's own demand, as max-min fairness promises it: a key
 * that asks for less than its share should get all it asks. A key's <em>served</em> ratio is the
 * answer tokens of its requests that came within the TTFT objective, divided by the answer tokens
 * those requests asked for. {@code lightServed} is that ratio for the light keys together,
 * {@code worstLightServed} the smallest of one light key, {@code floodServed} the flooding key's.
 *
 * @param label the level, e.g. {@code 3x}
 * @param offeredTokensPerSecond answer tokens the level's requests asked for, per second
 * @param sentPerSecond the level's requests sent, per second
 * @param deliveredTokensPerSecond answer tokens received in the level's window, per second
 * @param goodputTokensPerSecond of those, tokens of streams that met the objective, per second
 * @param goodputOfCapacity goodput divided by the model's capacity
 * @param ttftP50Millis median TTFT of admitted streams, from the admitted attempt (NaN if none)
 * @param ttftP99Millis 99th percentile of the same (NaN if none)
 * @param dueTtftP99Millis 99th percentile TTFT of admitted streams from when they were due
 * @param completed streams completed
 * @param cutOff admitted streams cut off
 * @param abandoned requests abandoned by the client for lack of a first token
 * @param refusedAttempts attempts refused for capacity or fair share (503, 429)
 * @param gaveUp requests whose last attempt was refused
 * @param quota requests refused by a quota that no retry cures, or answered otherwise
 * @param notSent requests not sent (the generator's bound)
 * @param refusalP50Millis median time to a refusal (NaN if none)
 * @param refusalP99Millis 99th percentile time to a refusal (NaN if none)
 * @param lightServed the light keys' answer tokens served within the objective, of those asked
 * @param worstLightServed the smallest such ratio of one light key (NaN if none asked)
 * @param floodServed the flooding key's ratio (NaN if none)
 */
public record LlmLevelReport(String label, double offeredTokensPerSecond, double sentPerSecond,
    double deliveredTokensPerSecond, double goodputTokensPerSecond, double goodputOfCapacity,
    double ttftP50Millis, double ttftP99Millis, double dueTtftP99Millis, int completed,
    int cutOff, int abandoned, int refusedAttempts, int gaveUp, int quota, int notSent,
    double refusalP50Millis, double refusalP99Millis, double lightServed, double worstLightServed,
    double floodServed) {

  /**
   * Summarises one level.
   *
   * @param fromNanos the level's start, a reading of {@link System#nanoTime()}
   * @param toNanos the level's end
   * @param level the level's own requests
   * @param all every request of the run (tokens received in the window count, whoever asked)
   * @param tenants the number of tenants of the load
   * @param flood the index of the flooding tenant, or -1; every other tenant is a light one
   * @param capacity the model's capacity, answer tokens per second
   */
  public static LlmLevelReport of(String label, long fromNanos, long toNanos, Duration objective,
      List<Sample> level, List<Sample> all, int tenants, int flood, double capacity) {
    double seconds = (toNanos - fromNanos) / 1e9;
    long objectiveNanos = objective.toNanos();
    double delivered = 0;
    double good = 0;
    for (Sample s : all) {
      double tokens = tokensWithin(s, fromNanos, toNanos);
      if (tokens > 0) {
        delivered += tokens;
        if (s.ttftNanos() <= objectiveNanos) {
          good += tokens;
        }
      }
    }
    long offered = 0;
    int sent = 0;
    int[] counts = new int[Kind.values().length];
    int refused = 0;
    long[] ttfts = new long[level.size()];
    long[] dueTtfts = new long[level.size()];
    int ttftCount = 0;
    long[] refusals = new long[level.size()];
    int refusalCount = 0;
    double[] demand = new double[tenants];
    double[] served = new double[tenants];
    for (Sample s : level) {
      offered += s.plannedTokens();
      demand[s.tenant()] += s.plannedTokens();
      if (s.admitted() && s.firstTokenNanos() != 0 && s.ttftNanos() <= objectiveNanos) {
        served[s.tenant()] += s.tokens();
      }
      counts[s.kind().ordinal()]++;
      if (s.kind() != Kind.NOT_SENT) {
        sent++;
      }
      refused += s.refusals();
      if (s.refusals() > 0) {
        refusals[refusalCount++] = s.firstRefusalNanos();
      }
      if (s.admitted() && s.firstTokenNanos() != 0) {
        dueTtfts[ttftCount] = s.ttftNanos();
        ttfts[ttftCount++] = s.admittedTtftNanos();
      }
    }
    int gaveUp = 0;
    int quota = 0;
    for (Sample s : level) {
      if (s.kind() == Kind.REFUSED && s.refusals() > 0
          && (s.status() == 503 || s.status() == 429)
          && !"insufficient_quota".equals(s.errorType())) {
        gaveUp++;
      } else if (s.kind() == Kind.REFUSED || s.kind() == Kind.FAILED) {
        quota++;
      }
    }
    double lightDemand = 0;
    double lightServed = 0;
    double worst = Double.NaN;
    for (int i = 0; i < tenants; i++) {
      if (i != flood && demand[i] > 0) {
        lightDemand += demand[i];
        lightServed += served[i];
        double ratio = served[i] / demand[i];
        worst = Double.isNaN(worst) ? ratio : Math.min(worst, ratio);
      }
    }
    double floodServed = flood >= 0 && flood < tenants && demand[flood] > 0
        ? served[flood] / demand[flood] : Double.NaN;
    long[] ttftSorted = sorted(ttfts, ttftCount);
    long[] dueSorted = sorted(dueTtfts, ttftCount);
    long[] refusalSorted = sorted(refusals, refusalCount);
    return new LlmLevelReport(label, offered / seconds, sent / seconds, delivered / seconds,
        good / seconds, good / seconds / capacity, millis(ttftSorted, 0.5),
        millis(ttftSorted, 0.99), millis(dueSorted, 0.99), counts[Kind.COMPLETED.ordinal()],
        counts[Kind.CUT_OFF.ordinal()], counts[Kind.ABANDONED.ordinal()], refused, gaveUp,
        quota, counts[Kind.NOT_SENT.ordinal()], millis(refusalSorted, 0.5),
        millis(refusalSorted, 0.99), lightDemand > 0 ? lightServed / lightDemand : Double.NaN,
        worst, floodServed);
  }

  /** Returns the tokens a stream received between two instants, spread from first to last. */
  static double tokensWithin(Sample s, long fromNanos, long toNanos) {
    if (!s.admitted() || s.firstTokenNanos() == 0 || s.tokens() == 0) {
      return 0;
    }
    long first = s.firstTokenNanos();
    long last = Math.max(first + 1, s.endNanos());
    long lo = Math.max(first, fromNanos);
    long hi = Math.min(last, toNanos);
    return hi <= lo ? 0 : (double) s.tokens() * (hi - lo) / (last - first);
  }

  /** Returns the header and rows of a table of reports, one line each, for a terminal. */
  public static String table(List<LlmLevelReport> reports) {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "%5s %9s %6s %9s %8s %6s %8s %8s %8s %5s %4s %5s %7s %6s %7s %7s %5s %5s %5s%n", "load",
        "offer t/s", "req/s", "deliv t/s", "good t/s", "good/C", "TTFT p50", "TTFT p99",
        "due p99", "done", "cut", "aband", "refused", "gaveup", "ref p50", "ref p99", "light",
        "worst", "flood"));
    for (LlmLevelReport r : reports) {
      out.append(String.format(Locale.ROOT,
          "%5s %9.0f %6.1f %9.0f %8.0f %6.2f %8s %8s %8s %5d %4d %5d %7d %6d %7s %7s %5s %5s %5s%n",
          r.label, r.offeredTokensPerSecond, r.sentPerSecond, r.deliveredTokensPerSecond,
          r.goodputTokensPerSecond, r.goodputOfCapacity, number(r.ttftP50Millis),
          number(r.ttftP99Millis), number(r.dueTtftP99Millis), r.completed, r.cutOff,
          r.abandoned, r.refusedAttempts, r.gaveUp, number(r.refusalP50Millis),
          number(r.refusalP99Millis), ratio(r.lightServed), ratio(r.worstLightServed),
          ratio(r.floodServed)));
    }
    return out.toString();
  }

  private static String ratio(double r) {
    return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
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
}
