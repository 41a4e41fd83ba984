package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.examples.http.RawHttp.Answer;
import io.sluice.metrics.ExecutorSnapshot;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Slow and huge requests against the protected server (issue 17, item 14): clients that send a
 * head one byte at a time, or declare a body of gigabytes, must neither hold the threads that
 * decide admission nor delay {@code /health}, {@code /metrics} and {@code /query} for others; the
 * slow head is answered 408 once its deadline passes, the huge body 413 at once.
 *
 * <p>Real sockets on 127.0.0.1. A slow client's bytes are sent by a scheduled executor, one every
 * 100 ms, so that its head (about 200 bytes) would take 20 s; the server is told to wait at most
 * 1 s for a head. Every wait is bounded: 2 s for each probe, 10 s for an answer.
 */
class SlowClientTest {
  private static final int SLOW_CLIENTS = 4; // twice the front threads
  private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
  private static final int READ_MILLIS = 10_000;

  private final ScheduledExecutorService trickle = Executors.newScheduledThreadPool(1);
  private final ExecutorService readers = Executors.newCachedThreadPool();
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();
  private final List<RawHttp> connections = new ArrayList<>();

  @AfterEach
  void closeEverything() throws IOException {
    trickle.shutdownNow();
    readers.shutdownNow();
    for (RawHttp connection : connections) {
      connection.close();
    }
  }

  @Test
  @Timeout(60)
  void slowHeadsHoldNoFrontThreadAndAreAnswered408() throws Exception {
    try (ProtectedServer server = start()) {
      byte[] head = RawHttp.head("GET", "/query", "X-Padding: " + "p".repeat(150))
          .getBytes(StandardCharsets.US_ASCII);
      CountDownLatch started = new CountDownLatch(SLOW_CLIENTS);
      List<CompletableFuture<Answer>> answers = new ArrayList<>();
      List<ScheduledFuture<?>> senders = new ArrayList<>();
      for (int i = 0; i < SLOW_CLIENTS; i++) {
        RawHttp slow = open(server.queryUri());
        int[] sent = {0};
        senders.add(trickle.scheduleAtFixedRate(() -> {
          try {
            slow.write(new byte[] {head[sent[0]++]});
            if (sent[0] == 3) {
              started.countDown();
            }
          } catch (IOException e) {
            throw new IllegalStateException(e); // the server closed: stop sending
          }
        }, 0, 100, TimeUnit.MILLISECONDS));
        answers.add(CompletableFuture.supplyAsync(() -> read(slow), readers));
      }
      assertThat(started.await(10, TimeUnit.SECONDS)).as("slow clients sending").isTrue();

      // While every slow client is in the middle of its head, others are served at once.
      for (int i = 0; i < 5; i++) {
        assertThat(get(server.uri("/health"))).as("GET /health").isEqualTo(200);
        assertThat(get(server.uri("/metrics"))).as("GET /metrics").isEqualTo(200);
        assertThat(get(server.queryUri())).as("GET /query").isEqualTo(200);
      }
      for (CompletableFuture<Answer> answer : answers) {
        Answer timedOut = answer.get(10, TimeUnit.SECONDS);
        assertThat(timedOut.status()).as("a head slower than its deadline").isEqualTo(408);
        assertThat(timedOut.header("Connection")).isEqualTo("close");
      }
      for (ScheduledFuture<?> sender : senders) {
        assertThat(sender.isDone()).as("the slow head was never complete").isFalse();
        sender.cancel(false);
      }
    }
  }

  @Test
  @Timeout(60)
  void hugeDeclaredBodiesAre413AtOnceAndHoldNothing() throws Exception {
    try (ProtectedServer server = start()) {
      List<CompletableFuture<Answer>> answers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        RawHttp upload = open(server.queryUri());
        upload.write(RawHttp.head("GET", "/query", "Content-Length: 3000000000"));
        // The first megabyte of it; the rest never comes.
        readers.execute(() -> {
          try {
            upload.write(new byte[1024 * 1024]);
          } catch (IOException e) {
            // the server has answered and closed: it need not read the rest
          }
        });
        answers.add(CompletableFuture.supplyAsync(() -> read(upload), readers));
      }
      for (CompletableFuture<Answer> answer : answers) {
        assertThat(answer.get(10, TimeUnit.SECONDS).status()).isEqualTo(413);
      }
      assertThat(get(server.uri("/health"))).isEqualTo(200);
      assertThat(server.executor().snapshot().admitted()).as("no query ran").isZero();
    }
  }

  @Test
  @Timeout(60)
  void aBodyStillArrivingDoesNotDelayTheAnswer() throws Exception {
    try (ProtectedServer server = start()) {
      RawHttp slow = open(server.queryUri());
      slow.write(RawHttp.head("GET", "/query", "Content-Length: 1000"));
      AtomicInteger sent = new AtomicInteger();
      ScheduledFuture<?> sender = trickle.scheduleAtFixedRate(() -> {
        try {
          slow.write(new byte[] {'b'});
          sent.incrementAndGet();
        } catch (IOException e) {
          throw new IllegalStateException(e); // the server closed after answering: stop sending
        }
      }, 0, 100, TimeUnit.MILLISECONDS);
      Answer answer = CompletableFuture.supplyAsync(() -> read(slow), readers)
          .get(10, TimeUnit.SECONDS);
      int sentWhenAnswered = sent.get();
      sender.cancel(false);
      assertThat(answer.status()).isEqualTo(200);
      assertThat(sentWhenAnswered).as("body bytes sent before the answer").isLessThan(1000);
    }
  }

  @Test
  @Timeout(60)
  void anIdleKeepAliveConnectionIsNotTimedAsASlowHead() throws Exception {
    try (ProtectedServer server = start()) {
      RawHttp connection = open(server.queryUri());
      connection.write(RawHttp.head("GET", "/query"));
      assertThat(connection.read().status()).isEqualTo(200);
      // Idle for twice the head timeout, then the next request on the same connection.
      ScheduledFuture<Answer> next = trickle.schedule(() -> {
        connection.write(RawHttp.head("GET", "/query"));
        return connection.read();
      }, 2 * HEAD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(next.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"//query", "/queryfoo", "/query?x=1"})
  void aConnectionKeptAfterAnAnswerJettyOrARouteGaveIsNotTimedOut(String target)
      throws Exception {
    try (ProtectedServer server = start()) {
      RawHttp connection = open(server.queryUri());
      connection.write(RawHttp.head("GET", target));
      Answer first = connection.read();
      assertThat(first.status()).isIn(200, 400, 404);
      ScheduledFuture<Answer> next = trickle.schedule(() -> {
        connection.write(RawHttp.head("GET", "/query"));
        return connection.read();
      }, 2 * HEAD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if ("close".equals(first.header("Connection"))) {
        assertThat(connection.closedByServer()).as("closed as announced").isTrue();
      } else {
        assertThat(next.get(10, TimeUnit.SECONDS).status()).as("after %s", target)
            .isEqualTo(200);
      }
    }
  }

  private ProtectedServer start() throws IOException {
    return ProtectedServer.newBuilder(ConnectionPool.create(2, Duration.ofMillis(1)))
        .requestTimeout(Duration.ofSeconds(5))
        .requestHeadTimeout(HEAD_TIMEOUT)
        .observability(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .start();
  }

  private RawHttp open(URI uri) throws IOException {
    RawHttp connection = new RawHttp(uri, READ_MILLIS);
    connections.add(connection);
    return connection;
  }

  private int get(URI uri) throws IOException, InterruptedException {
    HttpResponse<Void> response = http.send(
        HttpRequest.newBuilder(uri).timeout(PROBE_TIMEOUT).build(), BodyHandlers.discarding());
    return response.statusCode();
  }

  private static Answer read(RawHttp connection) {
    try {
      return connection.read();
    } catch (IOException e) {
      throw new IllegalStateException("no HTTP answer", e);
    }
  }
}
