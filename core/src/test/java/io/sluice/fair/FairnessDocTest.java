package io.sluice.fair;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.docs.DocSnippets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The snippets of docs/13-fairness.md, line for line and in order, so that they compile and run:
 * a tenant beyond its share gets a 429, one within it is served.
 */
class FairnessDocTest {
  private static final String PAGE = "docs/13-fairness.md";

  @Test
  void thePageShowsTheCodeOfThisFile() {
    String page = DocSnippets.page(PAGE);
    assertThat(DocSnippets.blocks(page, "java")).hasSize(2);
    DocSnippets.assertShownInOrder(page,
        Path.of("src", "test", "java", "io", "sluice", "fair", "FairnessDocTest.java"));
  }

  @Test
  void aTenantBeyondItsShareIsToldToComeBackAndTheOthersAreServed() {
    Limiter limiter = Limiter.newBuilder().build();                // the global, adaptive limit
    FairShare<String> fair = FairShare.newBuilder(limiter)
        .weights((String apiKey) -> apiKey.startsWith("team-") ? 4 : 1)  // optional, default 1
        .build();

    // alice holds a unit; bob floods until the gate stops him short of the limit (20, Vegas's).
    long alice = fair.tryAcquire("alice");
    long last;
    do {
      last = fair.tryAcquire("bob");
    } while (Ticket.isPermit(last));
    assertThat(Ticket.reason(last)).isEqualTo(RejectReason.FAIR_SHARE);

    assertThat(handle(fair, "bob", 1)).startsWith("429 Retry-After ");
    assertThat(handle(fair, "alice", 1)).isEqualTo("200 alice 1");
    assertThat(fair.release(alice, Outcome.SUCCESS)).isTrue();
    assertThat(fair.activeWeight()).isEqualTo(1);
    assertThat(limiter.limit()).isEqualTo(20);
  }

  private static String handle(FairShare<String> fair, String apiKey, int cost) {
    long ticket = fair.tryAcquire(apiKey, cost);
    if (Ticket.isRejection(ticket)) {
      // FAIR_SHARE: this tenant holds more than its share while others need the room: 429.
      // LIMIT_REACHED: the server is full for everyone: 503.
      int status = Ticket.reason(ticket) == RejectReason.FAIR_SHARE ? 429 : 503;
      return refuse(status, Ticket.retryAfterNanos(ticket));
    }
    try {
      return serve(apiKey, cost);
    } finally {
      fair.release(ticket, Outcome.SUCCESS);
    }
  }

  private static String refuse(int status, long retryAfterNanos) {
    return status + " Retry-After " + retryAfterNanos + " ns";
  }

  private static String serve(String apiKey, int cost) {
    return "200 " + apiKey + " " + cost;
  }
}
