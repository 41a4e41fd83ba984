package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.sluice.Priority;
import io.sluice.examples.http.LoadGenerator.Kind;
import io.sluice.examples.http.LoadGenerator.Sample;
import io.sluice.http.PriorityHeader;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

  @Test
  void arrivalsFollowTheScheduleAndCarryThePriorityMix() throws Exception {
    Map<String, Integer> priorities = new ConcurrentHashMap<>();
    HttpServer server = JdkStub.bind(0, 64);
    server.createContext("/", exchange -> {
      priorities.merge(exchange.getRequestHeaders().getFirst(PriorityHeader.DEFAULT_NAME), 1,
          Integer::sum);
      JdkStub.answerOk(exchange);
    });
    server.start();
    try (LoadGenerator load = LoadGenerator.newBuilder(JdkStub.uri(server, "/"))
        .criticalEvery(4).build()) {
      List<Sample> samples = load.run(200, 40).get(10, TimeUnit.SECONDS);

      assertThat(samples).hasSize(40).allSatisfy(s -> assertThat(s.answered(200)).isTrue());
      for (int i = 1; i < samples.size(); i++) {
        assertThat(samples.get(i).dueNanos() - samples.get(i - 1).dueNanos())
            .as("due times 5 ms apart, whatever the responses").isBetween(4_999_999L, 5_000_001L);
      }
      assertThat(samples).filteredOn(Sample::critical).hasSize(10);
      assertThat(priorities).containsOnly(
          Map.entry(PriorityHeader.format(Priority.CRITICAL), 10),
          Map.entry(PriorityHeader.format(Priority.SHEDDABLE), 30));
      assertThat(load.outstanding()).isZero();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void beyondMaxOutstandingRequestsAreNotSentAndUnansweredOnesTimeOut() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    HttpServer server = JdkStub.bind(0, 64);
    server.createContext("/", exchange -> {
      try {
        never.await(); // a server that never answers
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    ExecutorService threads = Executors.newCachedThreadPool();
    server.setExecutor(threads);
    server.start();
    try (LoadGenerator load = LoadGenerator.newBuilder(JdkStub.uri(server, "/"))
        .maxOutstanding(2).timeout(Duration.ofMillis(500)).build()) {
      // 10 arrivals within 9 ms, long before the first two could time out.
      List<Sample> samples = load.run(1000, 10).get(10, TimeUnit.SECONDS);

      Map<Kind, Long> kinds = samples.stream()
          .collect(Collectors.groupingBy(Sample::kind, Collectors.counting()));
      assertThat(kinds).containsOnly(Map.entry(Kind.TIMEOUT, 2L), Map.entry(Kind.NOT_SENT, 8L));
    } finally {
      never.countDown();
      server.stop(0);
      threads.shutdown();
    }
  }

  @Test
  void aRefusedConnectionIsAnErrorNotAnAnswer() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort(); // closed again: nothing listens there
    }
    try (LoadGenerator load = LoadGenerator.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/")).build()) {
      List<Sample> samples = load.run(100, 3).get(10, TimeUnit.SECONDS);
      assertThat(samples).extracting(Sample::kind).containsOnly(Kind.ERROR);
    }
  }

  @Test
  void badConfigurationIsNamed() {
    LoadGenerator.Builder b = LoadGenerator.newBuilder(URI.create("http://127.0.0.1:1/"));
    assertThatThrownBy(() -> b.maxOutstanding(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxOutstanding must be in [1, 100000] but was 0");
    assertThatThrownBy(() -> b.timeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be in [PT0.001S, PT10M] but was PT0S");
    assertThatThrownBy(() -> b.criticalEvery(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("criticalEvery must be in [0, 1000000] but was -1");
    try (LoadGenerator load = b.build()) {
      assertThatThrownBy(() -> load.run(0, 1)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("ratePerSecond must be in [0.1, 1000000.0] but was 0.0");
      assertThatThrownBy(() -> load.run(1, 0)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("count must be in [1, 10000000] but was 0");
    }
  }
}
