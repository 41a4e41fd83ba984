package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.examples.http.RawHttp.Answer;
import io.sluice.metrics.ExecutorSnapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the protected server answers to requests it must not serve (issue 17, item 16): every
 * method but GET and HEAD gets 405, every path but exactly {@code /query} gets 404, and heads
 * that are too large get 431 or 414; none of them runs a query. Real sockets on 127.0.0.1, one
 * request each, every read bounded by a 10 s timeout.
 */
class RequestValidationTest {
  private static final int READ_MILLIS = 10_000;

  private ProtectedServer server;
  private final ExecutorService writers = Executors.newSingleThreadExecutor();

  @BeforeEach
  void start() throws IOException {
    server = ProtectedServer.newBuilder(ConnectionPool.create(2, Duration.ofMillis(1)))
        .requestTimeout(Duration.ofSeconds(5))
        .observability(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .start();
  }

  @AfterEach
  void stop() {
    writers.shutdownNow();
    server.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"})
  void aMethodOtherThanGetOrHeadIs405AndRunsNoQuery(String method) throws IOException {
    Answer answer = send(RawHttp.head(method, "/query", "Content-Length: 0"));
    assertThat(answer.status()).as(method).isEqualTo(405);
    assertThat(answer.header("Allow")).isEqualTo("GET, HEAD");
    assertThat(queriesAdmitted()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/health", "/metrics"})
  void observabilityPathsTakeOnlyGetAndHead(String path) throws IOException {
    assertThat(send(RawHttp.head("POST", path, "Content-Length: 0")).status()).isEqualTo(405);
    try (RawHttp connection = new RawHttp(server.queryUri(), READ_MILLIS)) {
      connection.write(RawHttp.head("HEAD", path));
      assertThat(connection.readHeadResponse().status()).isEqualTo(200);
    }
  }

  @Test
  void getAndHeadRunTheQuery() throws IOException {
    Answer get = send(RawHttp.head("GET", "/query?any=parameter"));
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("{\"rows\":1}");
    try (RawHttp connection = new RawHttp(server.queryUri(), READ_MILLIS)) {
      connection.write(RawHttp.head("HEAD", "/query"));
      Answer head = connection.readHeadResponse();
      assertThat(head.status()).isEqualTo(200);
      connection.write(RawHttp.head("GET", "/query"));
      assertThat(connection.read().body()).as("the next response, not a HEAD's body")
          .isEqualTo("{\"rows\":1}");
    }
    assertThat(queriesAdmitted()).isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/queryfoo", "/query/", "/%71uery", "/query/../health", "/Query",
      "/query;jsessionid=1", "/"})
  void onlyExactlyQueryRunsAQuery(String path) throws IOException {
    Answer answer = send(RawHttp.head("GET", path));
    assertThat(answer.status()).as(path).isEqualTo(404);
    assertThat(queriesAdmitted()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"//query", "/.%2e/query", "/query%2fx", "/query%00"})
  void anAmbiguousPathIsRefusedBeforeRouting(String path) throws IOException {
    Answer answer = send(RawHttp.head("GET", path));
    assertThat(answer.status()).as(path).isEqualTo(400);
    assertThat(queriesAdmitted()).isZero();
  }

  @Test
  void threeHundredHeaderFieldsAre431() throws IOException {
    String[] fields = new String[300];
    for (int i = 0; i < fields.length; i++) {
      fields[i] = "X-Field-" + i + ": " + i;
    }
    Answer answer = send(RawHttp.head("GET", "/query", fields));
    assertThat(answer.status()).isEqualTo(431);
    assertThat(queriesAdmitted()).isZero();
  }

  @Test
  void aFourMegabyteHeaderFieldIs431() throws Exception {
    Answer answer = sendWhileReading(RawHttp.head("GET", "/query",
        "X-Big: " + "a".repeat(4 * 1024 * 1024)));
    assertThat(answer.status()).isEqualTo(431);
    assertThat(queriesAdmitted()).isZero();
  }

  @Test
  void aOneMegabyteUrlIs414() throws Exception {
    Answer answer = sendWhileReading(RawHttp.head("GET", "/query?q=" + "a".repeat(1024 * 1024)));
    assertThat(answer.status()).isEqualTo(414);
    assertThat(queriesAdmitted()).isZero();
  }

  /** Sends a small request on a new connection and reads its answer. */
  private Answer send(String request) throws IOException {
    try (RawHttp connection = new RawHttp(server.queryUri(), READ_MILLIS)) {
      connection.write(request);
      return connection.read();
    }
  }

  /**
   * Sends a large request from another thread while this one reads: the server answers before it
   * has read everything, and a client that only reads after writing would never see the answer.
   */
  private Answer sendWhileReading(String request) throws Exception {
    try (RawHttp connection = new RawHttp(server.queryUri(), READ_MILLIS)) {
      Future<?> writing = writers.submit(() -> {
        connection.write(request);
        return null;
      });
      Answer answer = connection.read();
      writing.cancel(true); // the server may close before the last bytes: the write may fail
      return answer;
    }
  }

  private long queriesAdmitted() {
    return server.executor().snapshot().admitted();
  }
}
