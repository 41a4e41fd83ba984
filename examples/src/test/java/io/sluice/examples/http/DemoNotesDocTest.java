package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.docs.DocSnippets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The snippet of docs/notes-demo.md, line for line (the second test checks it), compiled and run:
 * a server with every request limit at its default answers a query.
 */
class DemoNotesDocTest {

  @Test
  void theNotesSnippetStartsAServerThatAnswers() throws Exception {
    ConnectionPool pool = ConnectionPool.create(2, Duration.ofMillis(1));
    ProtectedServer server = ProtectedServer.newBuilder(pool)
        .requestHeadTimeout(Duration.ofSeconds(10))  // 408 after this, from a head's first byte
        .maxHeaderBytes(8 * 1024)                    // 414 / 431 beyond it
        .maxHeaderFields(100)                        // 431 beyond it
        .maxBodyBytes(1024 * 1024)                   // 413 for a longer declared body
        .idleTimeout(Duration.ofSeconds(30))         // idle keep-alive connections closed after it
        .start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      assertThat(http.send(HttpRequest.newBuilder(server.queryUri())
          .timeout(Duration.ofSeconds(5)).build(), BodyHandlers.discarding()).statusCode())
          .isEqualTo(200);
    } finally {
      server.close();
    }
  }

  @Test
  void theNotesShowTheseLines() {
    DocSnippets.assertShownInOrder(DocSnippets.page("docs/notes-demo.md"), Path.of("src", "test",
        "java", "io", "sluice", "examples", "http", "DemoNotesDocTest.java"));
  }
}
