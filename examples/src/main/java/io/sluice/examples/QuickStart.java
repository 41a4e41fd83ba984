package io.sluice.examples;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.limit.VegasLimit;
import java.util.function.Consumer;

/**
 * The README's quick start, compiled and run by the examples' tests (which also check that the
 * README shows these very lines): guard a call with a limiter, release the permit with the call's
 * outcome, and turn a rejection into an exception carrying the reason and a Retry-After.
 */
public final class QuickStart {
  private final Consumer<String> handler;

  /** Creates a quick start whose backend work is {@code handler}. */
  public QuickStart(Consumer<String> handler) {
    this.handler = handler;
  }

  /** Builds a limiter and serves one request through it; returns the limiter. */
  public Limiter serveOne(String request) {
    Limiter limiter = Limiter.newBuilder()
        .algorithm(VegasLimit.newBuilder().maxLimit(200))
        .build();

    serve(limiter, request);
    return limiter;
  }

  /** Serves one request through {@code limiter}; throws the rejection if it is not admitted. */
  public void serve(Limiter limiter, String request) {
    long ticket = limiter.tryAcquire();
    if (Ticket.isRejection(ticket)) {
      throw Ticket.toException(ticket);        // reason + Retry-After: answer 503 with it
    }
    Outcome outcome = Outcome.DROPPED;         // a failure or timeout tells the limit to shrink
    try {
      handle(request);
      outcome = Outcome.SUCCESS;
    } finally {
      limiter.release(ticket, outcome);
    }
  }

  private void handle(String request) {
    handler.accept(request);
  }

  /** Serves one request and prints the limiter's state. */
  public static void main(String[] args) {
    Limiter limiter = new QuickStart(request -> System.out.println("served " + request))
        .serveOne("GET /");
    System.out.println("limit " + limiter.limit() + ", in flight " + limiter.inFlight());
  }
}
