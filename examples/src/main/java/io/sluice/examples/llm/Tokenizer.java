package io.sluice.examples.llm;

/**
 * The simulated model's tokenizer, and the gateway's estimate of it.
 *
 * <p>The model counts a token for every run of letters or digits and for every other character
 * that is not white space: {@code "for (i = 0; i < n; i++)"} is 15 tokens in 23 characters, while
 * plain prose runs about four characters a token. The gateway cannot afford to tokenize: it
 * estimates a quarter of a token per character ({@link #estimate}), as the rule of thumb for
 * English text says, which is close for prose and low for code. The model reports the true count
 * with the first token, and the gateway corrects its charge then.
 *
 * <p>Stateless; every method is a pure function, safe from any thread.
 */
public final class Tokenizer {
  /** The characters per token of the gateway's estimate. */
  public static final int CHARS_PER_TOKEN = 4;
  /** The tokens a chat message costs beyond its content (role and separators). */
  public static final int TOKENS_PER_MESSAGE = 4;

  private Tokenizer() {}

  /** Returns the model's token count of {@code text}. */
  public static int count(CharSequence text) {
    int tokens = 0;
    boolean inWord = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isLetterOrDigit(c)) {
        if (!inWord) {
          tokens++;
          inWord = true;
        }
      } else {
        inWord = false;
        if (!Character.isWhitespace(c)) {
          tokens++;
        }
      }
    }
    return tokens;
  }

  /** Returns the gateway's estimate of the tokens of {@code chars} characters of content. */
  public static int estimate(long chars) {
    return (int) Math.min(Integer.MAX_VALUE, (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN);
  }

  /** Returns a 64-bit hash of {@code text} (FNV-1a over its UTF-16 units, then mixed). */
  public static long hash(CharSequence text) {
    long h = 0xCBF2_9CE4_8422_2325L;
    for (int i = 0; i < text.length(); i++) {
      h ^= text.charAt(i);
      h *= 0x0100_0000_01B3L;
    }
    return mix(h);
  }

  /** Returns SplitMix64's finalizer of {@code z}: every input bit moves every output bit. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
    return z ^ (z >>> 31);
  }
}
