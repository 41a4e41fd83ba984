package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;
import java.time.Duration;

/**
 * The simulated model server's hardware and model: how long a decode step takes, how much a prompt
 * costs to prefill, how many tokens the KV cache holds, and how long the model's answers are.
 *
 * <p>A decode step emits one token for every sequence in the batch and takes
 * {@code stepBase + stepPerSequence * batch + prefillPerToken * tokensPrefilled}: the fixed cost of
 * reading the weights once per step, a cost per sequence (attention over its cache), and the
 * prefill of the prompts that joined the batch at this step. So a bigger batch makes more tokens
 * per second in total and fewer per sequence, up to what the KV cache holds.
 *
 * <p>The length of an answer is the model's to decide, as a real model's is: log-normal around
 * {@code outputMedian} with spread {@code outputSigma}, drawn from the prompt's hash and the
 * model's seed, so the same prompt always gets the same answer length, and capped by the request's
 * {@code max_tokens} and by the context window.
 *
 * <p>Immutable and thread-safe.
 *
 * @param stepBase the fixed part of a decode step
 * @param stepPerSequence what each sequence in the batch adds to a step
 * @param prefillPerToken what each prompt token prefilled adds to its step
 * @param kvCacheTokens the tokens the KV cache holds (prompt and generated tokens of running
 *     sequences), at least the context window
 * @param maxBatch the most sequences in one batch
 * @param contextTokens the context window: prompt plus {@code max_tokens} of one request, at most
 * @param outputMedian the median answer length, in tokens
 * @param outputSigma the spread of the log-normal answer length
 * @param seed the seed of the answer lengths
 */
public record ModelConfig(Duration stepBase, Duration stepPerSequence, Duration prefillPerToken,
    int kvCacheTokens, int maxBatch, int contextTokens, double outputMedian, double outputSigma,
    long seed) {

  /** Checks the ranges of every parameter. */
  public ModelConfig {
    Checks.inRange("stepBase", stepBase, Duration.ofNanos(1), Duration.ofSeconds(10));
    Checks.inRange("stepPerSequence", stepPerSequence, Duration.ZERO, Duration.ofSeconds(1));
    Checks.inRange("prefillPerToken", prefillPerToken, Duration.ZERO, Duration.ofMillis(100));
    Checks.inRange("contextTokens", contextTokens, 2, 1 << 20);
    Checks.inRange("kvCacheTokens", kvCacheTokens, contextTokens, 1 << 26);
    Checks.inRange("maxBatch", maxBatch, 1, 65_536);
    Checks.inRange("outputMedian", outputMedian, 1, 1 << 20);
    Checks.inRange("outputSigma", outputSigma, 0, 4);
  }

  /**
   * Returns the demo's model: steps of 30 ms + 0.1 ms per sequence (decoding is bound by reading
   * the weights, so a batch of 40 costs little more than a batch of 1), prefill of 20 us per
   * prompt token, a KV cache of 16,384 tokens, batches of at most 256, a context of 8,192 tokens,
   * and answers of 40 tokens at the median (log-normal, sigma 1.0: one in a hundred is ten times
   * longer).
   */
  public static ModelConfig standard() {
    return new ModelConfig(Duration.ofMillis(30), Duration.ofNanos(100_000),
        Duration.ofNanos(20_000), 16_384, 256, 8_192, 40, 1.0, 0x5EED);
  }

  /** Returns this model with another KV cache size. */
  public ModelConfig withKvCacheTokens(int tokens) {
    return new ModelConfig(stepBase, stepPerSequence, prefillPerToken, tokens, maxBatch,
        contextTokens, outputMedian, outputSigma, seed);
  }

  /** Returns this model with other step times (base and per sequence) and prefill cost. */
  public ModelConfig withSteps(Duration base, Duration perSequence, Duration perPrefillToken) {
    return new ModelConfig(base, perSequence, perPrefillToken, kvCacheTokens, maxBatch,
        contextTokens, outputMedian, outputSigma, seed);
  }

  /** Returns this model with another answer-length distribution. */
  public ModelConfig withOutput(double median, double sigma) {
    return new ModelConfig(stepBase, stepPerSequence, prefillPerToken, kvCacheTokens, maxBatch,
        contextTokens, median, sigma, seed);
  }

  /** Returns the duration of a step of {@code batch} sequences that prefills {@code tokens}. */
  public long stepNanos(int batch, long prefillTokens) {
    return stepBase.toNanos() + stepPerSequence.toNanos() * batch
        + prefillPerToken.toNanos() * prefillTokens;
  }

  /**
   * Returns how many tokens the model answers a prompt of hash {@code promptHash} with, before
   * {@code max_tokens} caps it: in {@code [1, contextTokens]}.
   */
  public int answerTokens(long promptHash) {
    long bits = Tokenizer.mix(promptHash ^ seed);
    // Two uniform doubles in (0, 1) from the two halves, then Box-Muller.
    double u1 = ((bits >>> 32) + 0.5) / 4_294_967_296.0;
    double u2 = ((bits & 0xFFFF_FFFFL) + 0.5) / 4_294_967_296.0;
    double normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    double length = outputMedian * Math.exp(outputSigma * normal);
    return (int) Math.max(1, Math.min(contextTokens, Math.round(length)));
  }
}
