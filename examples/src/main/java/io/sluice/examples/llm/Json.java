package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/*
 * A minimal, strict JSON reader (RFC 8259) and string writer: what the gateway needs to read a chat
 * completion request and the demo's client needs to read a chunk, without a JSON library.
 *
 * Values: objects become unmodifiable Map<String, Object> (insertion order; a repeated member
 * name keeps its last value, as most readers do), arrays unmodifiable List<Object>, strings
 * String, numbers Number (its lexeme kept as written: the caller decides what an integer is and
 * which range it accepts, so "1e999999999" is never turned into an infinity or a huge object),
 * true and false Boolean, null the NULL marker. Anything else is a JsonException with the offset:
 * leading zeros, a trailing comma, comments, single quotes, a control character or a lone
 * surrogate escape in a string, content after the value, nesting deeper than MAX_DEPTH (so that a
 * hostile document cannot overflow the stack).
 */
final class Json {
  /** The deepest nesting of arrays and objects accepted. */
  static final int MAX_DEPTH = 64;
  /** The value of JSON {@code null}. */
  static final Object NULL = new Object() {
    @Override
    public String toString() {
      return "null";
    }
  };

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /** A JSON number as written: its lexeme. */
  record Number(String lexeme) {
    /** Returns whether the lexeme is an integer: digits, an optional minus, no fraction or exponent. */
    boolean isInteger() {
      for (int i = lexeme.startsWith("-") ? 1 : 0; i < lexeme.length(); i++) {
        if (lexeme.charAt(i) < '0' || lexeme.charAt(i) > '9') {
          return false;
        }
      }
      return true;
    }

    /**
     * Returns the integer, clamped to {@code [Long.MIN_VALUE, Long.MAX_VALUE]} (a value too long
     * for a long reads as the nearest end); call only if {@link #isInteger()}.
     */
    long clampedLong() {
      boolean negative = lexeme.startsWith("-");
      int digits = lexeme.length() - (negative ? 1 : 0);
      if (digits > 18) {
        return negative ? Long.MIN_VALUE : Long.MAX_VALUE;
      }
      return Long.parseLong(lexeme);
    }

    @Override
    public String toString() {
      return lexeme;
    }
  }

  /** A document that is not JSON. */
  static final class JsonException extends Exception {
    private static final long serialVersionUID = 1L;

    JsonException(String message, int offset) {
      super(message + " at offset " + offset);
    }
  }

  /** Reads a whole document. */
  static Object parse(String text) throws JsonException {
    Json reader = new Json(Checks.notNull("text", text));
    reader.skipWhitespace();
    Object value = reader.value(0);
    reader.skipWhitespace();
    if (reader.pos != text.length()) {
      throw new JsonException("unexpected content after the value", reader.pos);
    }
    return value;
  }

  /** Appends {@code value} as a JSON string literal, quotes included. */
  static StringBuilder appendString(StringBuilder out, String value) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    return out.append('"');
  }

  /** Returns {@code value} as a JSON string literal. */
  static String quote(String value) {
    return appendString(new StringBuilder(value.length() + 2), value).toString();
  }

  private Object value(int depth) throws JsonException {
    if (pos >= text.length()) {
      throw new JsonException("unexpected end of input", pos);
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", NULL);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw new JsonException("unexpected character '" + printable(c) + "'", pos);
    }
  }

  private Map<String, Object> object(int depth) throws JsonException {
    checkDepth(depth);
    pos++;
    Map<String, Object> members = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return Collections.unmodifiableMap(members);
    }
    for (;;) {
      skipWhitespace();
      if (peek() != '"') {
        throw new JsonException("expected a member name", pos);
      }
      String name = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      members.put(name, value(depth));
      skipWhitespace();
      char c = next();
      if (c == '}') {
        return Collections.unmodifiableMap(members);
      }
      if (c != ',') {
        throw new JsonException("expected ',' or '}'", pos - 1);
      }
    }
  }

  private List<Object> array(int depth) throws JsonException {
    checkDepth(depth);
    pos++;
    List<Object> elements = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return Collections.unmodifiableList(elements);
    }
    for (;;) {
      skipWhitespace();
      elements.add(value(depth));
      skipWhitespace();
      char c = next();
      if (c == ']') {
        return Collections.unmodifiableList(elements);
      }
      if (c != ',') {
        throw new JsonException("expected ',' or ']'", pos - 1);
      }
    }
  }

  private String string() throws JsonException {
    pos++;
    StringBuilder out = null;
    int start = pos;
    for (;;) {
      if (pos >= text.length()) {
        throw new JsonException("unterminated string", start - 1);
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return out == null ? text.substring(start, pos - 1) : out.toString();
      }
      if (c < 0x20) {
        throw new JsonException("control character in a string", pos - 1);
      }
      if (c != '\\') {
        if (out != null) {
          out.append(c);
        }
        continue;
      }
      if (out == null) {
        out = new StringBuilder().append(text, start, pos - 1);
      }
      char e = next();
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.append(e);
          break;
        case 'b':
          out.append('\b');
          break;
        case 'f':
          out.append('\f');
          break;
        case 'n':
          out.append('\n');
          break;
        case 'r':
          out.append('\r');
          break;
        case 't':
          out.append('\t');
          break;
        case 'u':
          out.append(unicodeEscape());
          break;
        default:
          throw new JsonException("invalid escape '\\" + printable(e) + "'", pos - 2);
      }
    }
  }

  /** Reads the four hex digits of a \\u escape, and the low half of a surrogate pair. */
  private String unicodeEscape() throws JsonException {
    char unit = hex4();
    if (Character.isLowSurrogate(unit)) {
      throw new JsonException("lone low surrogate escape", pos - 6);
    }
    if (!Character.isHighSurrogate(unit)) {
      return String.valueOf(unit);
    }
    if (pos + 6 > text.length() || text.charAt(pos) != '\\' || text.charAt(pos + 1) != 'u') {
      throw new JsonException("lone high surrogate escape", pos - 6);
    }
    pos += 2;
    char low = hex4();
    if (!Character.isLowSurrogate(low)) {
      throw new JsonException("high surrogate escape without its low half", pos - 6);
    }
    return new String(new char[] {unit, low});
  }

  private char hex4() throws JsonException {
    if (pos + 4 > text.length()) {
      throw new JsonException("truncated \\u escape", pos);
    }
    int value = 0;
    for (int i = 0; i < 4; i++) {
      int digit = Character.digit(text.charAt(pos + i), 16);
      if (digit < 0) {
        throw new JsonException("invalid \\u escape", pos);
      }
      value = value << 4 | digit;
    }
    pos += 4;
    return (char) value;
  }

  private Number number() throws JsonException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
      if (isDigit(peek())) {
        throw new JsonException("leading zero in a number", start);
      }
    } else if (!digits()) {
      throw new JsonException("expected a digit", pos);
    }
    if (peek() == '.') {
      pos++;
      if (!digits()) {
        throw new JsonException("expected a digit after '.'", pos);
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!digits()) {
        throw new JsonException("expected a digit in the exponent", pos);
      }
    }
    return new Number(text.substring(start, pos));
  }

  private boolean digits() {
    int start = pos;
    while (isDigit(peek())) {
      pos++;
    }
    return pos > start;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private Object literal(String word, Object value) throws JsonException {
    if (!text.startsWith(word, pos)) {
      throw new JsonException("unexpected literal", pos);
    }
    pos += word.length();
    return value;
  }

  private void checkDepth(int depth) throws JsonException {
    if (depth > MAX_DEPTH) {
      throw new JsonException("nesting deeper than " + MAX_DEPTH, pos);
    }
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  /** Returns the next character without consuming it, or 0 at the end. */
  private char peek() {
    return pos < text.length() ? text.charAt(pos) : 0;
  }

  private char next() throws JsonException {
    if (pos >= text.length()) {
      throw new JsonException("unexpected end of input", pos);
    }
    return text.charAt(pos++);
  }

  private void expect(char c) throws JsonException {
    if (next() != c) {
      throw new JsonException("expected '" + c + "'", pos - 1);
    }
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\u%04x", (int) c);
  }
}
