package io.sluice.examples.llm;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.examples.llm.LlmGateway.Protection;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway end to end over HTTP on 127.0.0.1, in front of a small simulated model whose answers
 * are always {@code max_tokens} long: a stream settles its permit once, whether it ends or its
 * client goes away; costs are corrected and quotas reconciled to the tokens used; a flooding key
 * does not starve another; refusals are 429 or 503 with Retry-After; in-flight returns to 0.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class LlmGatewayTest {
  /** 5 ms steps whatever the batch; a context of 1,024 tokens; answers as long as allowed. */
  private static final ModelConfig MODEL = new ModelConfig(Duration.ofMillis(5), Duration.ZERO,
      Duration.ZERO, 8_192, 64, 1_024, 100_000, 0, 1);
  private static final int TOKENS_PER_MINUTE = 1_000_000;
  /** A prompt the model counts as 200 words while the gateway estimates 100 tokens. */
  private static final String WORDY = "a ".repeat(200);

  private final ManualClock clock = new ManualClock();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .build();
  private final List<AutoCloseable> open = new ArrayList<>();
  private SimulatedModel model;
  private LlmGateway gateway;
  private Limiter limiter;

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  /** Starts a Sluice gateway over a fixed limit of 64 units of 16 tokens (1,024 tokens). */
  private void start(ApiKeys.Tier tier, double reserve) throws IOException {
    model = SimulatedModel.start(MODEL);
    open.add(model);
    limiter = Limiter.newBuilder().algorithm(FixedLimit.of(64)).build();
    ApiKeys keys = ApiKeys.newBuilder(clock).key("sk-a", "a", tier).key("sk-b", "b", tier)
        .build();
    gateway = LlmGateway.newBuilder(model, keys).protection(Protection.SLUICE).limiter(limiter)
        .tokensPerUnit(16).reserve(reserve).start();
    open.add(gateway);
  }

  private void start() throws IOException {
    start(new ApiKeys.Tier("test", 1_000, TOKENS_PER_MINUTE), 0.05);
  }

  private HttpRequest request(String key, String content, int maxTokens) {
    String body = "{\"model\":\"" + LlmGateway.DEFAULT_MODEL + "\",\"stream\":true,"
        + "\"stream_options\":{\"include_usage\":true},\"max_tokens\":" + maxTokens
        + ",\"messages\":[{\"role\":\"user\",\"content\":" + Json.quote(content) + "}]}";
    return HttpRequest.newBuilder(gateway.uri())
        .header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private static Sse.StreamReader read(InputStream body) throws IOException {
    Sse.StreamReader reader = new Sse.StreamReader();
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        reader.line(line);
      }
    }
    return reader;
  }

  private static int promptTokens(String content) {
    return Message.promptTokens(List.of(new Message("user", content)));
  }

  /** Waits for work on other threads (the settling of a stream after its last write). */
  private static void await(String what, BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(end);
      LockSupport.parkNanos(1_000_000);
    }
  }

  private ApiKeys.TierQuotas quotas() {
    return gateway.keys().lookup("sk-a").quotas();
  }

  private void assertQuiet() {
    await("every stream settled", () -> gateway.active() == 0);
    assertThat(limiter.inFlight()).as("units in flight").isZero();
    assertThat(limiter.snapshot().invalidReleases()).as("second releases").isZero();
    assertThat(gateway.fairShare().snapshot().invalidReleases()).as("second gate releases").isZero();
    assertThat(quotas().tokens.pending()).as("token reservations outstanding").isZero();
    assertThat(quotas().requests.pending()).as("request reservations outstanding").isZero();
    assertThat(quotas().tokens.snapshot().invalidReconciliations()).isZero();
    assertThat(gateway.completed() + gateway.clientGone()).isEqualTo(gateway.admitted());
  }

  @Test
  void aStreamCorrectsItsCostAtTheFirstTokenAndSettlesOnceWithTheTokensUsed() throws Exception {
    start();
    int prompt = promptTokens(WORDY);
    int estimate = Message.estimatedPromptTokens(List.of(new Message("user", WORDY)));
    assertThat(LlmGateway.units(prompt + 100, 16)).as("the true cost differs from the estimate")
        .isGreaterThan(LlmGateway.units(estimate + 100, 16));

    HttpResponse<InputStream> response = http.send(request("sk-a", WORDY, 100),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(Sse.EVENT_STREAM);
    Sse.StreamReader reader = read(response.body());

    assertThat(reader.complete()).as(reader.error()).isTrue();
    assertThat(reader.tokens()).isEqualTo(100);
    assertThat(reader.promptTokens()).isEqualTo(prompt);
    assertQuiet();
    assertThat(gateway.costCorrections()).as("estimate corrected to the model's count").isOne();
    assertThat(gateway.completed()).isOne();
    long used = prompt + 100;
    assertThat(gateway.keys().lookup("sk-a").spent()).isEqualTo(used);
    assertThat(TOKENS_PER_MINUTE - quotas().tokens.availableCost(gateway.keys().lookup("sk-a")))
        .as("the quota charged the tokens used, not the estimate").isEqualTo(used);
  }

  @Test
  void aClientThatGoesAwayMidStreamReleasesItsPermitOnceAndPaysForWhatWasGenerated()
      throws Exception {
    start();
    String body = "{\"model\":\"" + LlmGateway.DEFAULT_MODEL + "\",\"stream\":true,"
        + "\"max_tokens\":900,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    byte[] bytes = body.getBytes(UTF_8);
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.uri().getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST " + LlmGateway.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer sk-a\r\nContent-Type: application/json\r\nContent-Length: "
          + bytes.length + "\r\n\r\n").getBytes(UTF_8));
      out.write(bytes);
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
          UTF_8));
      String status = in.readLine();
      assertThat(status).startsWith("HTTP/1.1 200");
      String line;
      do {
        line = in.readLine();
      } while (line != null && !line.contains("\"content\""));
      assertThat(line).as("a first token").isNotNull();
      assertThat(limiter.inFlight()).as("the permit is held while the stream runs").isPositive();
    }

    assertQuiet();
    assertThat(gateway.clientGone()).isOne();
    assertThat(gateway.completed()).isZero();
    ApiKeys.Key key = gateway.keys().lookup("sk-a");
    int prompt = promptTokens("hello");
    assertThat(key.spent()).as("charged the prompt and the tokens generated before the end")
        .isGreaterThan(prompt).isLessThan(prompt + 900);
    assertThat(TOKENS_PER_MINUTE - quotas().tokens.availableCost(key)).isEqualTo(key.spent());
  }

  @Test
  void aFloodingKeyIsRefused429WhileAnotherKeyIsStillAdmittedUntilTheLimitAnswers503()
      throws Exception {
    // 2-unit requests (9 prompt tokens estimated + 23 max_tokens), a limit of 64 units, a quarter
    // of it kept free by a key over its share.
    start(new ApiKeys.Tier("test", 1_000, TOKENS_PER_MINUTE), 0.25);
    model.pause(); // every admitted stream holds its permit until the model resumes
    List<HttpResponse<InputStream>> admitted = new ArrayList<>();
    HttpResponse<InputStream> first = http.send(request("sk-b", "hello", 23),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(first.statusCode()).isEqualTo(200);
    admitted.add(first);

    HttpResponse<InputStream> flood;
    int flooded = 0;
    while ((flood = http.send(request("sk-a", "hello", 23),
        HttpResponse.BodyHandlers.ofInputStream())).statusCode() == 200) {
      admitted.add(flood);
      flooded++;
    }
    assertThat(flood.statusCode()).as("the flood is over its fair share").isEqualTo(429);
    assertThat(flood.headers().firstValue("Retry-After")).hasValueSatisfying(
        v -> assertThat(Long.parseLong(v)).isPositive());
    flood.body().close();
    assertThat(flooded * 2).as("the flood borrowed past its half of the limit").isGreaterThan(32)
        .isLessThanOrEqualTo(64 - 2 - 8);
    assertThat(gateway.fairShare().snapshot().fairShareRejections()).isOne();

    HttpResponse<InputStream> light = http.send(request("sk-b", "hello", 23),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(light.statusCode()).as("the other key finds the room the flood left")
        .isEqualTo(200);
    admitted.add(light);
    HttpResponse<InputStream> last;
    while ((last = http.send(request("sk-b", "hello", 23),
        HttpResponse.BodyHandlers.ofInputStream())).statusCode() == 200) {
      admitted.add(last);
    }
    assertThat(last.statusCode()).as("the limit itself is reached: no capacity")
        .isEqualTo(503);
    assertThat(last.headers().firstValue("Retry-After")).hasValueSatisfying(
        v -> assertThat(Long.parseLong(v)).isPositive());
    last.body().close();
    assertThat(limiter.inFlight()).isLessThanOrEqualTo(64);

    model.resume();
    for (HttpResponse<InputStream> r : admitted) {
      Sse.StreamReader reader = read(r.body());
      assertThat(reader.complete()).as("no admitted stream is cut off").isTrue();
      assertThat(reader.tokens()).isEqualTo(23);
    }
    assertQuiet();
    assertThat(gateway.refusedFairShare()).isOne();
    assertThat(gateway.refusedOverload()).isOne();
  }

  @Test
  void aKeyOverItsRequestsPerMinuteIsRefused429UntilItsQuotaRefills() throws Exception {
    start(new ApiKeys.Tier("test", 2, TOKENS_PER_MINUTE), 0.05);
    for (int i = 0; i < 2; i++) {
      HttpResponse<InputStream> ok = http.send(request("sk-a", "hello", 5),
          HttpResponse.BodyHandlers.ofInputStream());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(read(ok.body()).complete()).isTrue();
    }

    HttpResponse<String> refused = http.send(request("sk-a", "hello", 5),
        HttpResponse.BodyHandlers.ofString());

    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).as("a request refills in 30 s")
        .hasValue("30");
    assertThat(refused.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
    assertThat(refused.headers().firstValue("RateLimit-Policy")).isPresent();
    assertThat(http.send(request("sk-b", "hello", 5), HttpResponse.BodyHandlers.ofString())
        .statusCode()).as("another key has its own quota").isEqualTo(200);
    clock.advance(Duration.ofSeconds(30));
    HttpResponse<String> again = http.send(request("sk-a", "hello", 5),
        HttpResponse.BodyHandlers.ofString());
    assertThat(again.statusCode()).isEqualTo(200);
    assertQuiet();
  }

  @Test
  void badRequestsAreAnswered4xxAndHoldNothing() throws Exception {
    start();
    HttpRequest.Builder base = HttpRequest.newBuilder(gateway.uri())
        .header("Content-Type", "application/json");
    String ok = "{\"model\":\"sim-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    assertThat(status(base.copy().POST(HttpRequest.BodyPublishers.ofString(ok + "}"))))
        .as("no key").isEqualTo(401);
    base.header("Authorization", "Bearer sk-a");
    assertThat(status(base.copy().POST(HttpRequest.BodyPublishers.ofString("{\"model\":"))))
        .as("malformed JSON").isEqualTo(400);
    assertThat(status(base.copy().POST(HttpRequest.BodyPublishers.ofString(
        ok + ",\"max_tokens\":-1}")))).as("negative max_tokens").isEqualTo(400);
    assertThat(status(base.copy().POST(HttpRequest.BodyPublishers.ofString(
        ok + ",\"max_tokens\":100000000}")))).as("max_tokens over the context").isEqualTo(400);
    assertThat(status(base.copy().POST(HttpRequest.BodyPublishers.ofString(
        "{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))))
        .as("unknown model").isEqualTo(404);
    assertThat(status(base.copy().GET())).isEqualTo(405);
    assertThat(gateway.admitted()).isZero();
    assertQuiet();
  }

  private int status(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }
}
