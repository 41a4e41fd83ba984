package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The requests the demo's clients send: prompts of log-normal length, a fifth of them code (whose
 * tokens the gateway's quarter-a-character estimate counts low), and {@code max_tokens} of 128,
 * 256 or 512. The model decides how long each answer is (see {@link ModelConfig#answerTokens}).
 *
 * <p>Immutable and thread-safe; the random source is the caller's, so a seeded run repeats.
 *
 * @param promptMedian the median prompt, in tokens
 * @param promptSigma the spread of the log-normal prompt length
 * @param maxPromptTokens the longest prompt
 * @param codeShare the share of prompts that are code rather than prose
 */
public record Workload(double promptMedian, double promptSigma, int maxPromptTokens,
    double codeShare) {
  /** The {@code max_tokens} a request asks for, and how often, in per mille. */
  private static final int[] MAX_TOKENS = {128, 256, 512};
  private static final int[] MAX_TOKENS_PER_MILLE = {400, 400, 200};
  private static final String SYSTEM = "You are a helpful assistant.";
  private static final String PUNCTUATION = "(){};=+-*,.<>[]";

  /** Checks the ranges. */
  public Workload {
    Checks.inRange("promptMedian", promptMedian, 1, 1 << 20);
    Checks.inRange("promptSigma", promptSigma, 0, 4);
    Checks.inRange("maxPromptTokens", maxPromptTokens, 16, 1 << 20);
    Checks.inRange("codeShare", codeShare, 0, 1);
  }

  /**
   * Returns the demo's workload: prompts of 200 tokens at the median (log-normal, sigma 1.0, at
   * most 4,000: one in a hundred is ten times the median), 20% of them code.
   */
  public static Workload standard() {
    return new Workload(200, 1.0, 4_000, 0.2);
  }

  /** One request: its messages and its {@code max_tokens}. */
  public record Request(List<Message> messages, int maxTokens) {
    /** Returns the model's count of the prompt's tokens. */
    public int promptTokens() {
      return Message.promptTokens(messages);
    }
  }

  /**
   * Draws a request; {@code label} (a request number, a tenant) starts the user message, so
   * that no two prompts are the same.
   */
  public Request next(SplittableRandom random, String label) {
    double normal = gaussian(random);
    int target = (int) Math.max(8, Math.min(maxPromptTokens,
        Math.round(promptMedian * Math.exp(promptSigma * normal))));
    boolean code = random.nextDouble() < codeShare;
    StringBuilder text = new StringBuilder(target * 5).append(label).append(':');
    int tokens = Tokenizer.count(text);
    boolean lastWasWord = false;
    while (tokens < target) {
      if (code && random.nextInt(2) == 0) {
        text.append(PUNCTUATION.charAt(random.nextInt(PUNCTUATION.length())));
        lastWasWord = false;
      } else {
        if (lastWasWord || !code) {
          text.append(' ');
        }
        int letters = 1 + random.nextInt(code ? 6 : 5);
        for (int i = 0; i < letters; i++) {
          text.append((char) ('a' + random.nextInt(26)));
        }
        lastWasWord = true;
      }
      tokens++;
    }
    return new Request(List.of(new Message("system", SYSTEM),
        new Message("user", text.toString())), maxTokens(random));
  }

  private static int maxTokens(SplittableRandom random) {
    int pick = random.nextInt(1000);
    for (int i = 0; i < MAX_TOKENS.length; i++) {
      pick -= MAX_TOKENS_PER_MILLE[i];
      if (pick < 0) {
        return MAX_TOKENS[i];
      }
    }
    return MAX_TOKENS[MAX_TOKENS.length - 1];
  }

  private static double gaussian(SplittableRandom random) {
    double u1 = 1.0 - random.nextDouble(); // (0, 1]
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
