package io.sluice.http;

/**
 * A request header field that Sluice must read is malformed (repeated, empty, too long, with
 * control characters): the request cannot be mapped and deserves a {@code 400 Bad Request}, made by
 * {@link HttpRefusals#badRequest}, never a 500. Checked, so that an integration cannot forget it.
 *
 * <p>The message names the field and the rule it breaks, never the value (which may be huge, and
 * is the client's own). Immutable; the stack trace is not filled in, because hostile clients can
 * send malformed fields as often as they like and the origin is always the parser.
 */
public final class MalformedHeaderException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String fieldName;
  private final String problem;

  /**
   * Creates an exception for the field {@code fieldName} that breaks the rule {@code problem}.
   *
   * @param problem what is wrong, e.g. "more than one value"
   */
  public MalformedHeaderException(String fieldName, String problem) {
    super(Checks.notNull("fieldName", fieldName) + ": " + Checks.notNull("problem", problem));
    this.fieldName = fieldName;
    this.problem = problem;
  }

  /** Skips the stack walk: malformed fields are the client's doing and their origin is known. */
  @Override
  public Throwable fillInStackTrace() {
    return this;
  }

  /** Returns the name of the malformed field, e.g. {@code X-Tenant}. */
  public String fieldName() {
    return fieldName;
  }

  /** Returns what is wrong with it, e.g. {@code more than one value}. */
  public String problem() {
    return problem;
  }
}
