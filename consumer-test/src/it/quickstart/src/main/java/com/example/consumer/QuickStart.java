package com.example.consumer;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.limit.VegasLimit;

/** The README's quick start, as a user's code outside Sluice's build. */
public final class QuickStart {
  private QuickStart() {}

  private static void handle(String request) {
    System.out.println("served " + request);
  }

  /** Serves one request through a limiter and prints how it ran. */
  public static void main(String[] args) {
    String request = "GET /";
    Limiter limiter = Limiter.newBuilder()
        .algorithm(VegasLimit.newBuilder().maxLimit(200))
        .build();

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
    Module module = Limiter.class.getModule();
    String where = module.isNamed() ? "module " + module.getName() : "the unnamed module";
    System.out.println("on the " + String.join(" ", args) + ": in flight " + limiter.inFlight()
        + ", Sluice in " + where);
  }
}
