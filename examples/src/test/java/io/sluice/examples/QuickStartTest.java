package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.docs.DocSnippets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuickStartTest {

  @Test
  void aGuardedCallRunsAndReleasesItsPermit() {
    List<String> served = new ArrayList<>();
    Limiter limiter = new QuickStart(served::add).serveOne("GET /");
    assertThat(served).containsExactly("GET /");
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aFailingCallStillReleasesItsPermit() {
    QuickStart quickStart = new QuickStart(request -> {
      throw new UncheckedIOException(new IOException("backend down"));
    });
    Limiter limiter = Limiter.newBuilder().build();
    assertThatThrownBy(() -> quickStart.serve(limiter, "GET /")).isInstanceOf(UncheckedIOException.class);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aCallBeyondTheLimitIsRejectedWithReasonAndRetryAfter() {
    Limiter limiter = Limiter.newBuilder().build();
    for (int i = 0; i < limiter.limit(); i++) {
      assertThat(Ticket.isPermit(limiter.tryAcquire())).isTrue();
    }
    List<String> served = new ArrayList<>();
    assertThatThrownBy(() -> new QuickStart(served::add).serve(limiter, "GET /"))
        .isInstanceOfSatisfying(AdmissionRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectReason.LIMIT_REACHED);
          assertThat(e.retryAfterNanos()).isPositive();
        });
    assertThat(served).isEmpty();
  }

  @Test
  void theReadmeQuickStartIsTheCodeThatRuns() throws IOException {
    DocSnippets.assertShownInOrder(DocSnippets.section("README.md", "## Quick start"),
        Path.of("src", "main", "java", "io", "sluice", "examples", "QuickStart.java"));
  }

  @Test
  void theMainMethodRuns() {
    QuickStart.main(new String[0]);
  }
}
