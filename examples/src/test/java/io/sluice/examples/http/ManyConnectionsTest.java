package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.examples.http.RawHttp.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A thousand keep-alive connections to the protected server (issue 17, item 15): every request on
 * every one of them gets an HTTP answer, however many connections are idle between requests. The
 * JDK's HttpServer closed every idle connection beyond 200 as it went idle, and a client's next
 * request on it met a closed socket.
 *
 * <p>Real sockets on 127.0.0.1: 1,000 client sockets and as many on the server's side, 2,000 file
 * descriptors in one JVM (the limit here is 20,000; {@code ulimit -n} must allow it). Three rounds
 * of one request per connection: the first sequential, so that every connection is idle when it
 * ends, then two synchronized bursts, every request written before any answer is read. 3,000
 * requests in all, every read bounded by 10 s.
 */
@Tag("stress")
class ManyConnectionsTest {
  private static final int CONNECTIONS = 1000;
  private static final int READ_MILLIS = 10_000;

  @Test
  @Timeout(60)
  void everyRequestOnAThousandKeepAliveConnectionsGetsAnAnswer() throws Exception {
    ConnectionPool pool = ConnectionPool.create(16, Duration.ofMillis(1));
    List<RawHttp> connections = new ArrayList<>(CONNECTIONS);
    try (ProtectedServer server = ProtectedServer.newBuilder(pool)
        .requestTimeout(Duration.ofSeconds(5))
        .start()) {
      for (int i = 0; i < CONNECTIONS; i++) {
        connections.add(new RawHttp(server.queryUri(), READ_MILLIS));
      }
      String request = RawHttp.head("GET", "/query");
      for (RawHttp connection : connections) {
        connection.write(request);
        assertAnswered(connection.read(), "sequential");
      }
      for (String round : List.of("first burst", "second burst")) {
        for (RawHttp connection : connections) {
          connection.write(request);
        }
        int ok = 0;
        for (RawHttp connection : connections) {
          Answer answer = connection.read();
          assertAnswered(answer, round);
          ok += answer.status() == 200 ? 1 : 0;
        }
        assertThat(ok).as("queries served in the %s", round).isPositive();
      }
    } finally {
      for (RawHttp connection : connections) {
        connection.close();
      }
    }
  }

  private static void assertAnswered(Answer answer, String round) {
    assertThat(answer.status()).as("a request of the %s", round).isIn(200, 503);
    assertThat(answer.header("Connection")).as("the connection stays open").isNotEqualTo("close");
  }
}
