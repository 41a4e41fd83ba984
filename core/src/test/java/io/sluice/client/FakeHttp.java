package io.sluice.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * Stands in for {@link HttpClient} in the docs' snippets and in the tests of a provider's answers:
 * {@code send} answers from a script (status, header fields, body), so the snippets read exactly
 * like code against a real client and run without a network.
 */
final class FakeHttp {
  private final Deque<HttpResponse<String>> script = new ArrayDeque<>();
  int sent;

  /** Queues a response with the given status and, if not null, a Retry-After field. */
  FakeHttp answer(int status, String retryAfter) {
    return answer(status,
        retryAfter == null ? Map.of() : Map.of("Retry-After", retryAfter),
        status == 200 ? "ok" : "busy");
  }

  /** Queues a response with the given status, header fields and body. */
  FakeHttp answer(int status, Map<String, String> fields, String body) {
    script.add(new Response(status, fields, body));
    return this;
  }

  /** Returns how many scripted responses are left. */
  int left() {
    return script.size();
  }

  /** Returns the next scripted response, as {@link HttpClient#send} would. */
  HttpResponse<String> send(HttpRequest request, HttpResponse.BodyHandler<String> handler) {
    sent++;
    HttpResponse<String> next = script.poll();
    if (next == null) {
      throw new IllegalStateException("the script has no response left for " + request);
    }
    return next;
  }

  private static final class Response implements HttpResponse<String> {
    private final int status;
    private final HttpHeaders headers;
    private final String body;

    Response(int status, Map<String, String> fields, String body) {
      this.status = status;
      Map<String, List<String>> lists = new HashMap<>();
      fields.forEach((name, value) -> lists.put(name, List.of(value)));
      this.headers = HttpHeaders.of(lists, (name, value) -> true);
      this.body = body;
    }

    @Override
    public int statusCode() {
      return status;
    }

    @Override
    public HttpRequest request() {
      return HttpRequest.newBuilder(uri()).build();
    }

    @Override
    public Optional<HttpResponse<String>> previousResponse() {
      return Optional.empty();
    }

    @Override
    public HttpHeaders headers() {
      return headers;
    }

    @Override
    public String body() {
      return body;
    }

    @Override
    public Optional<SSLSession> sslSession() {
      return Optional.empty();
    }

    @Override
    public URI uri() {
      return URI.create("http://localhost/");
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}
