package io.sluice.examples.llm;

/**
 * What a {@link SimulatedModel} tells the owner of a sequence. Every call comes from the model's
 * own thread, in order, and must not block: a listener hands the news on (a write it starts, a
 * counter it bumps) and returns. No call comes after {@link #onFinish}, nor after the sequence was
 * cancelled and the model has seen it. During a call, {@link Sequence#generated()} is the
 * sequence's progress.
 */
public interface TokenListener {
  /**
   * The step that just ended produced the sequence's next token: {@link Sequence#generated()} is
   * 1 for the first (the prompt has been prefilled, so {@link Sequence#promptTokens()} is known to
   * the model's owner from now on), and each later step adds one.
   */
  void onToken(Sequence sequence);

  /**
   * The sequence has ended after {@link Sequence#generated()} tokens; {@link Sequence#truncated()}
   * if {@code max_tokens} cut the answer short (finish reason {@code length}) rather than the
   * model ending it ({@code stop}).
   */
  void onFinish(Sequence sequence);

  /**
   * The sequence is waiting for its first token; called about once a second while it waits, so
   * that a server can notice a client that has gone (a write to a closed connection fails).
   */
  default void onWaiting(Sequence sequence) {}
}
