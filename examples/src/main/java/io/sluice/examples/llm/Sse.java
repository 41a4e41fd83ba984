package io.sluice.examples.llm;

import java.util.List;
import java.util.Map;

/**
 * The chat completion's wire format, both ways: the server-sent events of a streamed answer and
 * the JSON of a whole one, as OpenAI-compatible APIs write them, and the reading of a streamed
 * answer's lines by a client.
 *
 * <p>A streamed answer is a sequence of events, each a line {@code data: <json>} followed by an
 * empty line: one {@code chat.completion.chunk} per token (the first also carrying the role),
 * one with the finish reason ({@code stop} or {@code length}) and an empty delta, one with the
 * {@code usage} counts and no choices if the request asked for it ({@code stream_options}), and
 * {@code data: [DONE]}. Lines starting with {@code :} are comments (keep-alives), which clients
 * ignore.
 *
 * <p>Stateless and thread-safe.
 */
public final class Sse {
  /** The event that ends a stream. */
  public static final String DONE = "data: [DONE]\n\n";
  /** A comment event that keeps an idle stream's connection checked. */
  public static final String KEEP_ALIVE = ": keep-alive\n\n";
  /** The media type of a stream. */
  public static final String EVENT_STREAM = "text/event-stream";

  private static final String[] WORDS = {" the", " model", " answers", " with", " a", " token",
      " at", " each", " step", " of", " its", " batch", " and", " every", " stream", " flows"};

  private Sse() {}

  /** Returns the text of token number {@code index} (from 1) of the answer {@code id}. */
  public static String tokenText(long id, int index) {
    return WORDS[(int) (Tokenizer.mix(id * 31 + index) >>> 60)];
  }

  /**
   * Returns the beginning every chunk of an answer shares: {@code data: }, then the chunk's
   * object up to its {@code "choices":} member (id, object, created, model).
   */
  static String chunkPrefix(long id, long created, String model) {
    StringBuilder out = new StringBuilder(120).append("data: {\"id\":\"chatcmpl-").append(id)
        .append("\",\"object\":\"chat.completion.chunk\",\"created\":").append(created)
        .append(",\"model\":");
    return Json.appendString(out, model).append(",\"choices\":").toString();
  }

  /** Appends the event of token number {@code index}. */
  static StringBuilder appendToken(StringBuilder out, String prefix, long id, int index) {
    out.append(prefix).append("[{\"index\":0,\"delta\":{");
    if (index == 1) {
      out.append("\"role\":\"assistant\",");
    }
    out.append("\"content\":");
    Json.appendString(out, tokenText(id, index));
    return out.append("},\"finish_reason\":null}]}\n\n");
  }

  /** Appends the events that end an answer: the finish reason, the usage if asked, [DONE]. */
  static StringBuilder appendEnd(StringBuilder out, String prefix, boolean truncated,
      boolean includeUsage, int promptTokens, int completionTokens) {
    out.append(prefix).append("[{\"index\":0,\"delta\":{},\"finish_reason\":\"")
        .append(truncated ? "length" : "stop").append("\"}]}\n\n");
    if (includeUsage) {
      out.append(prefix).append("[],\"usage\":");
      appendUsage(out, promptTokens, completionTokens).append("}\n\n");
    }
    return out.append(DONE);
  }

  /** Returns the JSON of a whole (not streamed) answer. */
  static String completion(long id, long created, String model, boolean truncated,
      int promptTokens, int completionTokens) {
    StringBuilder content = new StringBuilder(completionTokens * 6);
    for (int i = 1; i <= completionTokens; i++) {
      content.append(tokenText(id, i));
    }
    StringBuilder out = new StringBuilder(content.length() + 300).append("{\"id\":\"chatcmpl-")
        .append(id).append("\",\"object\":\"chat.completion\",\"created\":").append(created)
        .append(",\"model\":");
    Json.appendString(out, model).append(",\"choices\":[{\"index\":0,\"message\":{\"role\":"
        + "\"assistant\",\"content\":");
    Json.appendString(out, content.toString()).append("},\"finish_reason\":\"")
        .append(truncated ? "length" : "stop").append("\"}],\"usage\":");
    return appendUsage(out, promptTokens, completionTokens).append('}').toString();
  }

  private static StringBuilder appendUsage(StringBuilder out, int prompt, int completion) {
    return out.append("{\"prompt_tokens\":").append(prompt).append(",\"completion_tokens\":")
        .append(completion).append(",\"total_tokens\":").append((long) prompt + completion)
        .append('}');
  }

  /**
   * Reads a streamed answer line by line, as a client does: counts the content tokens, notes the
   * finish reason, the usage and the end. Belongs to one stream: not thread-safe, but a stream's
   * lines arrive in order on one thread at a time.
   */
  public static final class StreamReader {
    private int tokens;
    private String finishReason;
    private long promptTokens = -1;
    private long completionTokens = -1;
    private boolean done;
    private String error;

    /**
     * Reads one line (without its line terminator); returns true if it was a content token.
     * Malformed events are recorded as the stream's {@link #error()}, never thrown.
     */
    public boolean line(String line) {
      if (!line.startsWith("data:") || error != null) {
        return false; // blank separators, comments, fields other than data
      }
      String data = line.substring(line.startsWith("data: ") ? 6 : 5);
      if (done) {
        error = "data after [DONE]";
        return false;
      }
      if (data.equals("[DONE]")) {
        done = true;
        return false;
      }
      try {
        Object chunk = Json.parse(data);
        Map<?, ?> fields = (Map<?, ?>) chunk;
        if (fields.get("usage") instanceof Map) {
          Map<?, ?> usage = (Map<?, ?>) fields.get("usage");
          promptTokens = ((Json.Number) usage.get("prompt_tokens")).clampedLong();
          completionTokens = ((Json.Number) usage.get("completion_tokens")).clampedLong();
        }
        List<?> choices = (List<?>) fields.get("choices");
        if (choices.isEmpty()) {
          return false;
        }
        Map<?, ?> choice = (Map<?, ?>) choices.get(0);
        if (choice.get("finish_reason") instanceof String) {
          finishReason = (String) choice.get("finish_reason");
        }
        Object content = ((Map<?, ?>) choice.get("delta")).get("content");
        if (content instanceof String) {
          tokens++;
          return true;
        }
        return false;
      } catch (Json.JsonException | ClassCastException | NullPointerException e) {
        error = "malformed event: " + e.getMessage();
        return false;
      }
    }

    /** Returns the content tokens read. */
    public int tokens() {
      return tokens;
    }

    /** Returns the finish reason, or null if none came. */
    public String finishReason() {
      return finishReason;
    }

    /** Returns the usage's prompt tokens, or -1 if no usage came. */
    public long promptTokens() {
      return promptTokens;
    }

    /** Returns the usage's completion tokens, or -1 if no usage came. */
    public long completionTokens() {
      return completionTokens;
    }

    /** Returns whether {@code [DONE]} came. */
    public boolean done() {
      return done;
    }

    /** Returns whether the stream is complete and consistent: [DONE] after a finish reason. */
    public boolean complete() {
      return done && finishReason != null && error == null;
    }

    /** Returns what was malformed, or null. */
    public String error() {
      return error;
    }
  }
}
