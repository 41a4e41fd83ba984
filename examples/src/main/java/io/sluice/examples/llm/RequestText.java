package io.sluice.examples.llm;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The text of a request that the gateway reads before it parses the body: the API key of the
 * {@code Authorization} field, the declared media type, the body decoded strictly as UTF-8, and
 * client text cut short to be echoed in an error. Stateless.
 */
final class RequestText {
  private RequestText() {}

  /** Returns the key of an {@code Authorization: Bearer <key>} field, or null. */
  static String bearer(String authorization) {
    if (authorization == null || authorization.length() < 8
        || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String key = authorization.substring(7).strip();
    return key.isEmpty() ? null : key;
  }

  /** Returns the media type of a {@code Content-Type} field, lower case, without parameters. */
  static String mediaType(String contentType) {
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip()
        .toLowerCase(Locale.ROOT);
  }

  /** Returns the body as text; throws a 400 error if it is not valid UTF-8. */
  static String utf8(byte[] bytes) throws ApiError {
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw ApiError.invalid(null, "invalid_json", "The body is not valid UTF-8.");
    }
  }

  /** Returns {@code s}, cut to about 64 characters to be echoed in an error. */
  static String truncate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 60) + "...";
  }
}
