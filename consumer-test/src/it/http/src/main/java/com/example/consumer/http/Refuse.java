package com.example.consumer.http;

import io.sluice.Limiter;
import io.sluice.Ticket;
import io.sluice.http.HttpRefusal;
import io.sluice.http.HttpRefusals;
import io.sluice.limit.FixedLimit;

/** A user's code outside Sluice's build: the refusal of a request over the limit. */
public final class Refuse {
  private Refuse() {}

  /** Fills a limit of one, refuses the next request, and prints the answer it would send. */
  public static void main(String[] args) {
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
    long held = limiter.tryAcquire();
    long ticket = limiter.tryAcquire();
    if (Ticket.isPermit(held) && Ticket.isRejection(ticket)) {
      HttpRefusal refusal = HttpRefusals.standard().refuse(ticket, limiter.limit());
      System.out.println("refused with " + refusal.status() + ", RateLimit-Policy: "
          + refusal.field("RateLimit-Policy"));
    }
    Module module = HttpRefusal.class.getModule();
    String where = module.isNamed() ? "module " + module.getName() : "the unnamed module";
    System.out.println("on the " + String.join(" ", args) + ": Sluice HTTP in " + where);
  }
}
