package io.sluice.examples.llm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The time to first token without load: the reference of the demo's TTFT target, measured over
 * HTTP one request at a time, so that it holds the client's and the gateway's own times as the
 * loaded figures do. Stateless.
 */
final class NoLoadTtft {
  private NoLoadTtft() {}

  /**
   * Returns the TTFT p50 and p99 (milliseconds) of {@code requests} workload requests with
   * max_tokens 1, drawn from {@code seed}, sent one at a time over HTTP to an idle gateway at
   * {@code uri} with {@code apiKey}.
   */
  static double[] millis(URI uri, String apiKey, Workload workload, int requests, long seed)
      throws IOException, InterruptedException {
    SplittableRandom random = new SplittableRandom(seed);
    long[] ttft = new long[requests];
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (int i = 0; i < requests; i++) {
      Workload.Request r = workload.next(random, "no-load " + i);
      StringBuilder body = new StringBuilder("{\"model\":\"").append(LlmGateway.DEFAULT_MODEL)
          .append("\",\"max_tokens\":1,\"stream\":true,\"messages\":[");
      for (int m = 0; m < r.messages().size(); m++) {
        body.append(m == 0 ? "" : ",").append("{\"role\":")
            .append(Json.quote(r.messages().get(m).role())).append(",\"content\":")
            .append(Json.quote(r.messages().get(m).content())).append('}');
      }
      body.append("]}");
      HttpRequest request = HttpRequest.newBuilder(uri)
          .header("Authorization", "Bearer " + apiKey)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
          .build();
      long sent = System.nanoTime();
      long[] first = {0};
      Sse.StreamReader reader = new Sse.StreamReader();
      HttpResponse<java.util.stream.Stream<String>> response =
          http.send(request, HttpResponse.BodyHandlers.ofLines());
      response.body().forEach(line -> {
        if (reader.line(line) && first[0] == 0) {
          first[0] = System.nanoTime();
        }
      });
      if (response.statusCode() != 200 || first[0] == 0) {
        throw new IllegalStateException("no-load request " + i + " failed: "
            + response.statusCode());
      }
      ttft[i] = first[0] - sent;
    }
    Arrays.sort(ttft);
    return new double[] {LlmLevelReport.millis(ttft, 0.5), LlmLevelReport.millis(ttft, 0.99)};
  }
}
