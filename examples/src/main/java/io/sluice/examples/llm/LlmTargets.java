package io.sluice.examples.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The targets for the Sluice gateway at 3x and 10x, judged on the demo's reports. */
final class LlmTargets {
  private LlmTargets() {}

  /**
   * Returns each of Sluice's targets at 3x and 10x, with what was measured and a verdict; {@code
   * serverRefusalP99Millis} gives by level label the gateway's own p99 time to a refusal, shown
   * beside the client's (the target's measure), or has no entry.
   */
  static List<String> of(List<LlmLevelReport> sluice, double noLoadP99Millis,
      Map<String, Double> serverRefusalP99Millis) {
    List<String> lines = new ArrayList<>();
    for (LlmLevelReport r : sluice) {
      if (!r.label().equals("3x") && !r.label().equals("10x")) {
        continue;
      }
      lines.add(String.format(Locale.ROOT, "%-4s goodput %.2f of capacity (target >= 0.9): %s",
          r.label(), r.goodputOfCapacity(), verdict(r.goodputOfCapacity() >= 0.9)));
      lines.add(String.format(Locale.ROOT, "%-4s TTFT p99 %.0f ms = %.2fx the no-load p99 "
          + "(target <= 2x): %s", r.label(), r.ttftP99Millis(), r.ttftP99Millis()
          / noLoadP99Millis, verdict(r.ttftP99Millis() <= 2 * noLoadP99Millis)));
      lines.add(String.format(Locale.ROOT, "%-4s light keys (within their share) served %.2f of "
          + "their demand in time, the worst key %.2f (target >= 0.9): %s", r.label(),
          r.lightServed(), r.worstLightServed(), verdict(r.worstLightServed() >= 0.9)));
      lines.add(String.format(Locale.ROOT, "%-4s admitted streams cut off: %d (target 0): %s",
          r.label(), r.cutOff(), verdict(r.cutOff() == 0)));
      Double server = serverRefusalP99Millis.get(r.label());
      lines.add(String.format(Locale.ROOT, "%-4s refusals at the client in p50 %.1f ms, p99 %.1f "
          + "ms (target < 5 ms): %s%s", r.label(), r.refusalP50Millis(), r.refusalP99Millis(),
          verdict(r.refusalP99Millis() < 5), server == null ? "" : String.format(Locale.ROOT,
          " (the gateway's own part: p99 %.1f ms)", server)));
    }
    return lines;
  }

  private static String verdict(boolean met) {
    return met ? "met" : "MISSED";
  }
}
