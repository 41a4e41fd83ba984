package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.examples.http.ConnectionPool.Connection;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class UnprotectedServerTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aQueryIsServedAndAnEmptyPoolTimesOutWithAPlain503() throws Exception {
    ConnectionPool pool = ConnectionPool.create(1, Duration.ofMillis(1));
    try (UnprotectedServer server = UnprotectedServer.start(pool, 4, Duration.ofMillis(5))) {
      HttpRequest request = HttpRequest.newBuilder(server.queryUri())
          .timeout(Duration.ofSeconds(5)).build();
      assertThat(http.send(request, BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      assertThat(server.limit()).isEqualTo(-1);

      Connection held = pool.borrow(0); // the only connection: the server's borrow must time out
      try {
        HttpResponse<String> busy = http.send(request, BodyHandlers.ofString());
        assertThat(busy.statusCode()).isEqualTo(503);
        assertThat(busy.headers().firstValue("Retry-After")).isEmpty();
        assertThat(busy.body()).isEqualTo("no database connection available in time");
      } finally {
        pool.giveBack(held);
      }
      assertThat(http.send(request, BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void badConfigurationIsNamed() {
    ConnectionPool pool = ConnectionPool.create(1, Duration.ofMillis(1));
    assertThatThrownBy(() -> UnprotectedServer.start(pool, 0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("threadCount must be in [1, 4096] but was 0");
    assertThatThrownBy(() -> UnprotectedServer.start(pool, 1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("poolTimeout must be in [PT0.001S, PT1M] but was PT0S");
  }
}
