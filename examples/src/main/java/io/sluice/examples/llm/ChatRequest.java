package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A chat completion request, read from the JSON body of {@code POST /v1/chat/completions} and
 * checked: the OpenAI-compatible subset the gateway serves.
 *
 * <table>
 *   <caption>Fields read, and the answer to a bad one (a 400 {@code invalid_request_error} that
 *   names the field, unless said otherwise)</caption>
 *   <tr><th>field</th><th>accepted</th></tr>
 *   <tr><td>{@code model}</td><td>a non-empty string (an unknown model is the gateway's 404)</td></tr>
 *   <tr><td>{@code messages}</td><td>a non-empty array of objects with a {@code role} of
 *       {@code system}, {@code developer}, {@code user}, {@code assistant} or {@code tool} and a
 *       {@code content} that is a string, an array of {@code {"type":"text","text":...}} parts,
 *       or null (empty)</td></tr>
 *   <tr><td>{@code max_tokens} (or {@code max_completion_tokens})</td><td>an integer in
 *       {@code [1, maxTokensLimit]}; absent or null: the default. Both given and different, a
 *       fraction, an exponent, a string, zero, a negative or a huge number: 400</td></tr>
 *   <tr><td>{@code stream}</td><td>a boolean, or absent or null (false)</td></tr>
 *   <tr><td>{@code stream_options.include_usage}</td><td>a boolean: a last chunk with the usage
 *       counts</td></tr>
 *   <tr><td>{@code n}</td><td>absent, null or 1</td></tr>
 *   <tr><td>anything else</td><td>ignored (temperature, top_p, user, ...)</td></tr>
 * </table>
 *
 * <p>A body that is not JSON, or not an object, is a 400 with code {@code invalid_json}.
 *
 * @param model the model named
 * @param messages the messages, in order
 * @param maxTokens the most answer tokens
 * @param stream whether the answer streams as server-sent events
 * @param includeUsage whether a streamed answer ends with a usage chunk
 */
public record ChatRequest(String model, List<Message> messages, int maxTokens, boolean stream,
    boolean includeUsage) {
  private static final Set<String> ROLES =
      Set.of("system", "developer", "user", "assistant", "tool");

  /** Checks the components. */
  public ChatRequest {
    Checks.notNull("model", model);
    messages = List.copyOf(Checks.notNull("messages", messages));
    Checks.inRange("maxTokens", maxTokens, 1, Integer.MAX_VALUE);
  }

  /**
   * Reads and checks a request body.
   *
   * @param defaultMaxTokens the {@code max_tokens} of a request that gives none
   * @param maxTokensLimit the largest {@code max_tokens} accepted
   * @throws ApiError a 400 naming the field at fault
   */
  public static ChatRequest parse(String body, int defaultMaxTokens, int maxTokensLimit)
      throws ApiError {
    Object document;
    try {
      document = Json.parse(body);
    } catch (Json.JsonException e) {
      throw ApiError.invalid(null, "invalid_json",
          "We could not parse the JSON body of your request: " + e.getMessage() + ".");
    }
    if (!(document instanceof Map)) {
      throw ApiError.invalid(null, "invalid_json", "The request body must be a JSON object.");
    }
    Map<?, ?> fields = (Map<?, ?>) document;
    Object model = fields.get("model");
    if (!(model instanceof String) || ((String) model).isEmpty()) {
      throw ApiError.invalid("model", model == null ? "missing_required_parameter" : "invalid_type",
          "'model' must be a non-empty string.");
    }
    List<Message> messages = messages(fields.get("messages"));
    int maxTokens = maxTokens(fields, defaultMaxTokens, maxTokensLimit);
    boolean stream = bool("stream", fields.get("stream"));
    boolean includeUsage = false;
    Object options = fields.get("stream_options");
    if (options instanceof Map) {
      includeUsage = bool("stream_options.include_usage",
          ((Map<?, ?>) options).get("include_usage"));
    } else if (options != null && options != Json.NULL) {
      throw ApiError.invalid("stream_options", "invalid_type",
          "'stream_options' must be an object.");
    }
    Object n = fields.get("n");
    if (n != null && n != Json.NULL
        && !(n instanceof Json.Number && ((Json.Number) n).lexeme().equals("1"))) {
      throw ApiError.invalid("n", "unsupported_value", "Only n = 1 is supported.");
    }
    return new ChatRequest((String) model, messages, maxTokens, stream, includeUsage);
  }

  private static List<Message> messages(Object value) throws ApiError {
    if (value == null) {
      throw ApiError.invalid("messages", "missing_required_parameter",
          "'messages' is required.");
    }
    if (!(value instanceof List) || ((List<?>) value).isEmpty()) {
      throw ApiError.invalid("messages", "invalid_type",
          "'messages' must be a non-empty array.");
    }
    List<?> items = (List<?>) value;
    List<Message> messages = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      String param = "messages[" + i + "]";
      if (!(items.get(i) instanceof Map)) {
        throw ApiError.invalid(param, "invalid_type", "'" + param + "' must be an object.");
      }
      Map<?, ?> message = (Map<?, ?>) items.get(i);
      Object role = message.get("role");
      if (!(role instanceof String) || !ROLES.contains(role)) {
        throw ApiError.invalid(param + ".role", "invalid_value", "'" + param
            + ".role' must be one of system, developer, user, assistant, tool.");
      }
      messages.add(new Message((String) role, content(param, message.get("content"))));
    }
    return messages;
  }

  private static String content(String param, Object content) throws ApiError {
    if (content == null || content == Json.NULL) {
      return "";
    }
    if (content instanceof String) {
      return (String) content;
    }
    if (!(content instanceof List)) {
      throw ApiError.invalid(param + ".content", "invalid_type",
          "'" + param + ".content' must be a string or an array of text parts.");
    }
    StringBuilder text = new StringBuilder();
    for (Object part : (List<?>) content) {
      Object type = part instanceof Map ? ((Map<?, ?>) part).get("type") : null;
      Object partText = part instanceof Map ? ((Map<?, ?>) part).get("text") : null;
      if (!"text".equals(type) || !(partText instanceof String)) {
        throw ApiError.invalid(param + ".content", "unsupported_value",
            "Only content parts of type 'text' with a string 'text' are supported.");
      }
      text.append((String) partText);
    }
    return text.toString();
  }

  private static int maxTokens(Map<?, ?> fields, int defaultMaxTokens, int limit)
      throws ApiError {
    long maxTokens = integer("max_tokens", fields.get("max_tokens"), limit);
    long maxCompletion = integer("max_completion_tokens", fields.get("max_completion_tokens"),
        limit);
    if (maxTokens > 0 && maxCompletion > 0 && maxTokens != maxCompletion) {
      throw ApiError.invalid("max_completion_tokens", "invalid_value",
          "'max_tokens' and 'max_completion_tokens' differ; give one of them.");
    }
    long given = Math.max(maxTokens, maxCompletion);
    return given > 0 ? (int) given : Math.min(defaultMaxTokens, limit);
  }

  /** Returns the integer in [1, limit], or 0 if absent or null. */
  private static long integer(String param, Object value, int limit) throws ApiError {
    if (value == null || value == Json.NULL) {
      return 0;
    }
    if (!(value instanceof Json.Number) || !((Json.Number) value).isInteger()) {
      throw ApiError.invalid(param, "invalid_type", "'" + param + "' must be an integer.");
    }
    long n = ((Json.Number) value).clampedLong();
    if (n < 1) {
      throw ApiError.invalid(param, "integer_below_min_value",
          "'" + param + "' must be at least 1 but was " + shown(value) + ".");
    }
    if (n > limit) {
      throw ApiError.invalid(param, "integer_above_max_value",
          "'" + param + "' must be at most " + limit + " but was " + shown(value) + ".");
    }
    return n;
  }

  /** Returns a number as written, cut short if long: an error message never echoes a megabyte. */
  private static String shown(Object value) {
    String text = value.toString();
    return text.length() <= 24 ? text : text.substring(0, 20) + "...";
  }

  private static boolean bool(String param, Object value) throws ApiError {
    if (value == null || value == Json.NULL) {
      return false;
    }
    if (!(value instanceof Boolean)) {
      throw ApiError.invalid(param, "invalid_type", "'" + param + "' must be a boolean.");
    }
    return (Boolean) value;
  }
}
