package io.sluice.examples.llm;

import io.sluice.examples.llm.LlmLoadGenerator.Kind;
import io.sluice.examples.llm.LlmLoadGenerator.Sample;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Where the light keys' demand went at one level of the demo, for its diagnosis: the keys are
 * tenants {@code 0..keys-1} of the samples (the flooding key comes after them). Stateless.
 */
final class LightKeyFates {
  private LightKeyFates() {}

  /**
   * Returns where the light keys' demand went at one level: for all of them and for the worst,
   * the share of asked-for tokens served in time, refused to the end (by the last refusal's kind),
   * admitted but late, or lost otherwise (abandoned, cut, not sent), with the request counts;
   * served in time: a first token within {@code objectiveTtft} of when the request was due.
   */
  static String describe(List<Sample> level, int keys, Duration objectiveTtft) {
    double[][] tokens = new double[keys + 1][5]; // served, refused 429, refused 503, late, other
    int[][] requests = new int[keys + 1][5];
    StringBuilder gaveUp = new StringBuilder();
    long objective = objectiveTtft.toNanos();
    for (Sample s : level) {
      if (s.tenant() >= keys) {
        continue;
      }
      int fate;
      if (s.admitted() && s.firstTokenNanos() != 0) {
        fate = s.ttftNanos() <= objective ? 0 : 3;
      } else if (s.kind() == Kind.REFUSED && s.refusals() > 0) {
        fate = s.status() == 429 ? 1 : 2;
        gaveUp.append(String.format(Locale.ROOT, " %d:%d/%dx/%.1fs", s.tenant(),
            s.maxTokens(), s.attempts(), s.retryAfterNanos() / 1e9));
      } else {
        fate = 4;
      }
      double asked = s.plannedTokens();
      for (int row : new int[] {s.tenant(), keys}) {
        tokens[row][fate] += fate == 0 ? s.tokens() : asked;
        requests[row][fate]++;
      }
    }
    int worst = -1;
    double worstRatio = Double.MAX_VALUE;
    for (int k = 0; k < keys; k++) {
      double demand = sum(tokens[k]);
      if (demand > 0 && tokens[k][0] / demand < worstRatio) {
        worstRatio = tokens[k][0] / demand;
        worst = k;
      }
    }
    return fates("all", tokens[keys], requests[keys]) + (worst < 0 ? ""
        : "; worst, key " + worst + ": " + fates("", tokens[worst], requests[worst]))
        + (gaveUp.length() == 0 ? "" : "; gave up (key:max_tokens/attempts/last Retry-After):"
        + gaveUp);
  }

  private static String fates(String who, double[] tokens, int[] requests) {
    double demand = Math.max(1, sum(tokens));
    return String.format(Locale.ROOT, "%sserved %.2f (%d req), gave up on 429 %.2f (%d), on 503 "
        + "%.2f (%d), late %.2f (%d), other %.2f (%d)", who.isEmpty() ? "" : who + " ",
        tokens[0] / demand, requests[0], tokens[1] / demand, requests[1], tokens[2] / demand,
        requests[2], tokens[3] / demand, requests[3], tokens[4] / demand, requests[4]);
  }

  private static double sum(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum;
  }
}
