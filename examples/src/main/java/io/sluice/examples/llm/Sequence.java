package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;

/**
 * One request inside the {@link SimulatedModel}: its prompt, how long its answer will be, and
 * where it stands. Made by {@link SimulatedModel#submit} (or, in virtual time, by the capacity
 * sweep).
 *
 * <p>The prompt's token count and the answer's length are fixed at construction and safe to read
 * from any thread; the progress fields belong to the model's thread. {@link #cancel()} may be
 * called from any thread, any number of times.
 */
public final class Sequence {
  private final int promptTokens;
  private final int maxTokens;
  private final int answerTokens;
  private final TokenListener listener;
  private final long submittedNanos;

  /** Set by any thread; the model drops a cancelled sequence at its next step. */
  private volatile boolean cancelled;

  // The model thread's own state.
  volatile int generated;
  /** KV-cache tokens held while running: prompt and generated tokens. */
  long kvHeld;
  boolean running;
  boolean preempted;
  boolean done;
  /** When it first joined the batch (the step that prefills it began), on the model's clock. */
  long joinedNanos;

  /**
   * Creates a sequence.
   *
   * @param promptTokens the prompt's tokens, at least 1
   * @param maxTokens the most tokens the answer may have, at least 1
   * @param plannedAnswer the tokens the model would answer with, before {@code maxTokens}
   * @param submittedNanos when it was submitted (a reading of the model's clock)
   */
  Sequence(int promptTokens, int maxTokens, int plannedAnswer, TokenListener listener,
      long submittedNanos) {
    this.promptTokens = Checks.inRange("promptTokens", promptTokens, 1, Integer.MAX_VALUE);
    this.maxTokens = Checks.inRange("maxTokens", maxTokens, 1, Integer.MAX_VALUE);
    this.answerTokens = Math.min(maxTokens, Math.max(1, plannedAnswer));
    this.listener = Checks.notNull("listener", listener);
    this.submittedNanos = submittedNanos;
  }

  /** Returns the prompt's token count, as the model counts it. */
  public int promptTokens() {
    return promptTokens;
  }

  /** Returns the request's {@code max_tokens}. */
  public int maxTokens() {
    return maxTokens;
  }

  /** Returns how many tokens the answer will have: the model's length, capped by max_tokens. */
  public int answerTokens() {
    return answerTokens;
  }

  /** Returns whether {@code max_tokens} cuts the model's answer short. */
  public boolean truncated() {
    return answerTokens == maxTokens;
  }

  /**
   * Returns the tokens generated so far; exact on the model's thread (in a {@link TokenListener}
   * call), a recent value elsewhere.
   */
  public int generated() {
    return generated;
  }

  /** Returns when the sequence was submitted, on the model's clock. */
  public long submittedNanos() {
    return submittedNanos;
  }

  /** Returns when it first joined the batch, on the model's clock; 0 before. Model thread only. */
  public long joinedNanos() {
    return joinedNanos;
  }

  /** Asks the model to drop the sequence (the client has gone); idempotent. */
  public void cancel() {
    cancelled = true;
  }

  /** Returns whether {@link #cancel()} was called. */
  public boolean cancelled() {
    return cancelled;
  }

  TokenListener listener() {
    return listener;
  }

  @Override
  public String toString() {
    return "Sequence[prompt " + promptTokens + ", answer " + answerTokens + "/" + maxTokens + "]";
  }
}
