package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;
import java.util.List;

/**
 * One chat message of a request: its role and its text.
 *
 * @param role {@code system}, {@code user}, {@code assistant}, {@code developer} or {@code tool}
 * @param content the text (parts of type {@code text} joined, for a content array)
 */
public record Message(String role, String content) {
  /** The tokens that prime the model's reply, beyond the messages. */
  public static final int REPLY_PRIMING_TOKENS = 3;

  /** Checks that neither component is null. */
  public Message {
    Checks.notNull("role", role);
    Checks.notNull("content", content);
  }

  /** Returns the model's count of the prompt tokens of {@code messages}. */
  public static int promptTokens(List<Message> messages) {
    long tokens = REPLY_PRIMING_TOKENS;
    for (Message m : messages) {
      tokens += Tokenizer.TOKENS_PER_MESSAGE + Tokenizer.count(m.content());
    }
    return (int) Math.min(Integer.MAX_VALUE, tokens);
  }

  /** Returns the gateway's estimate of the prompt tokens of {@code messages} (a quarter a char). */
  public static int estimatedPromptTokens(List<Message> messages) {
    long tokens = REPLY_PRIMING_TOKENS;
    for (Message m : messages) {
      tokens += Tokenizer.TOKENS_PER_MESSAGE + Tokenizer.estimate(m.content().length());
    }
    return (int) Math.min(Integer.MAX_VALUE, tokens);
  }

  /** Returns the hash of the prompt, from which the model draws its answer's length. */
  public static long promptHash(List<Message> messages) {
    long h = 0;
    for (Message m : messages) {
      h = Tokenizer.mix(h ^ Tokenizer.hash(m.role()) * 31 ^ Tokenizer.hash(m.content()));
    }
    return h;
  }
}
