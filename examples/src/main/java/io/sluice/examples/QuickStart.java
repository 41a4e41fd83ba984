package io.sluice.examples;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.limit.VegasLimit;
import java.util.concurrent.Callable;

/**
 * The README's quick start, compiled and run by the examples' tests: guard a call with a limiter,
 * release the permit with the call's outcome, and turn a rejection into an exception carrying the
 * reason and a Retry-After.
 */
public final class QuickStart {
  private QuickStart() {}

  /** Builds the limiter of the quick start. */
  public static Limiter newLimiter() {
    return Limiter.newBuilder()
        .algorithm(VegasLimit.newBuilder().maxLimit(200).build())
        .build();
  }

  /** Runs {@code call} if the limiter admits it; otherwise throws the rejection. */
  public static <T> T guarded(Limiter limiter, Callable<T> call) throws Exception {
    long ticket = limiter.tryAcquire();
    if (Ticket.isRejection(ticket)) {
      throw Ticket.toException(ticket); // reason + Retry-After: answer 503 with it
    }
    Outcome outcome = Outcome.DROPPED; // a failure or timeout tells the limit to shrink
    try {
      T result = call.call();
      outcome = Outcome.SUCCESS;
      return result;
    } finally {
      limiter.release(ticket, outcome);
    }
  }

  /** Guards one call and prints what happened. */
  public static void main(String[] args) throws Exception {
    Limiter limiter = newLimiter();
    String answer = guarded(limiter, () -> "served");
    System.out.println(answer + "; limit " + limiter.limit() + ", in flight " + limiter.inFlight());
  }
}
