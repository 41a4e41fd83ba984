package io.sluice.examples.llm;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.Ticket;
import io.sluice.examples.http.Checks;
import io.sluice.fair.FairShare;
import io.sluice.http.HttpRefusals;
import io.sluice.http.PriorityHeader;
import io.sluice.http.TrustedSources;
import io.sluice.limit.FixedLimit;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * An OpenAI-compatible LLM gateway in front of a {@link SimulatedModel}, on embedded Jetty bound
 * to 127.0.0.1: {@code POST /v1/chat/completions}, streamed (server-sent events) or whole, with
 * per-key quotas and, depending on its {@link Protection}, admission control by Sluice.
 *
 * <h2>One request</h2>
 * <ol>
 *   <li>Route and method ({@code 404}, {@code 405}), the API key ({@code Authorization: Bearer};
 *       {@code 401} if missing or unknown), the body: at most {@link Builder#maxBodyBytes}
 *       ({@code 413}), JSON in UTF-8 ({@code 415} for another declared media type), a valid
 *       request ({@link ChatRequest}: {@code 400} naming the field), a known model ({@code 404}),
 *       a prompt estimate plus {@code max_tokens} within the context window ({@code 400}).
 *   <li>Quotas: a key at its spending limit is refused {@code 429} with error type and code
 *       {@code insufficient_quota} (never worth retrying); then the key's requests per minute and
 *       tokens per minute ({@link ApiKeys}): the request reserves 1 request and its estimated
 *       tokens (prompt estimate plus {@code max_tokens}), or is refused {@code 429} with
 *       {@code Retry-After}, the RateLimit fields and {@code x-ratelimit-*} fields. A request
 *       whose estimate exceeds a whole minute's tokens could never pass: {@code 400}.
 *   <li>Admission, by {@link Protection}: none; a fixed count of requests in flight; or Sluice:
 *       a {@link FairShare} gate per API key's tenant in front of an adaptive {@link Limiter},
 *       the request costing its estimated tokens in units of {@link Builder#tokensPerUnit}. A
 *       refusal is {@code 503} (no capacity; {@code 429} for a tenant over its fair share) with
 *       {@code Retry-After}, taken in microseconds and before the model sees anything.
 *   <li>The model: the answer streams as it is generated. The first token is the limiter's
 *       latency sample ({@link FairShare#sample}), and the moment the model's true prompt count
 *       corrects the permit's cost, for the limit and the key's share ({@link FairShare#adjust});
 *       the permit is held until the stream ends. At the end (the answer written, or the client
 *       gone, detected at the next write or keep-alive) the request settles once: the permit
 *       released, the quotas reconciled with the prompt and answer tokens the model actually
 *       processed (nothing if it never started).
 * </ol>
 *
 * <p>Thread-safe. {@link #close()} stops the server; the model is the caller's to close.
 */
public final class LlmGateway implements AutoCloseable {
  /** The one path the gateway serves. */
  public static final String PATH = "/v1/chat/completions";
  /**
   * A diagnostic request field: the client's {@link System#nanoTime()} when it sent the request,
   * meaningful only to a gateway in the same JVM (the demo's), which times the way in with it.
   */
  static final String SENT_NANOS = "x-demo-sent-nanos";
  /** The model name the gateway serves by default. */
  public static final String DEFAULT_MODEL = "sim-1";

  /** How the gateway decides what reaches the model. */
  public enum Protection {
    /** Everything that passes the quotas goes to the model, which queues what it cannot run. */
    NONE,
    /** At most a fixed number of requests in flight, whatever their size: a plain count limit. */
    REQUEST_LIMIT,
    /**
     * Sluice: token-weighted admission by an adaptive limiter sampled at the first token, shared
     * fairly between tenants.
     */
    SLUICE
  }

  private final SimulatedModel model;
  private final ApiKeys keys;
  private final Protection protection;
  private final String modelName;
  private final int tokensPerUnit;
  private final int defaultMaxTokens;
  private final int maxBodyBytes;
  private final GatewayAdmission admissions;
  private final GatewayReplies replies;
  private final HttpRefusals overloadRefusals = HttpRefusals.standard();
  private final GatewayServer server;
  private final AtomicLong ids = new AtomicLong();
  private final AtomicInteger active = new AtomicInteger();
  private final LongAdder admitted = new LongAdder();
  private final LongAdder completed = new LongAdder();
  private final LongAdder clientGone = new LongAdder();
  private final LongAdder refusedOverload = new LongAdder();
  private final LongAdder refusedFairShare = new LongAdder();
  private final LongAdder refusedQuota = new LongAdder();
  private final LongAdder refusedSpend = new LongAdder();
  private final GatewayPhases phases = new GatewayPhases();

  private LlmGateway(Builder b) throws IOException {
    this.model = b.model;
    this.keys = b.keys;
    this.protection = b.protection;
    this.modelName = b.modelName;
    this.tokensPerUnit = b.tokensPerUnit;
    this.defaultMaxTokens = b.defaultMaxTokens;
    this.maxBodyBytes = b.maxBodyBytes;
    this.admissions = new GatewayAdmission(protection, model.config(), b.limiter, b.requestLimit,
        b.ttftObjective, b.tokensPerUnit, b.reserve,
        PriorityHeader.newBuilder().trustedSources(b.trustedSources).build());
    this.replies = new GatewayReplies(maxBodyBytes, phases);
    this.server = new GatewayServer(b.frontThreads, b.port, this::handle);
  }

  /** Returns a builder of a gateway in front of {@code model}, for {@code keys}. */
  public static Builder newBuilder(SimulatedModel model, ApiKeys keys) {
    return new Builder(model, keys);
  }

  /** Returns the URI of {@code /v1/chat/completions}. */
  public URI uri() {
    return server.uri(PATH);
  }

  /** Returns the gateway's protection. */
  public Protection protection() {
    return protection;
  }

  /** Returns the admission limiter, or null without one ({@link Protection#NONE}). */
  public Limiter limiter() {
    return admissions.limiter();
  }

  /** Returns the fair-share gate, or null unless {@link Protection#SLUICE}. */
  public FairShare<ApiKeys.Key> fairShare() {
    return admissions.fairShare();
  }

  /** Returns the model behind the gateway. */
  public SimulatedModel model() {
    return model;
  }

  /** Returns the API keys. */
  public ApiKeys keys() {
    return keys;
  }

  /** Returns the tokens of one unit of the limit. */
  public int tokensPerUnit() {
    return tokensPerUnit;
  }

  /** Returns the requests admitted and not yet settled. */
  public int active() {
    return active.get();
  }

  /** Returns the requests admitted. */
  public long admitted() {
    return admitted.sum();
  }

  /** Returns the admitted requests whose answer was written to the end. */
  public long completed() {
    return completed.sum();
  }

  /** Returns the admitted requests whose client went away before the end. */
  public long clientGone() {
    return clientGone.sum();
  }

  /** Returns the requests refused for lack of capacity (503). */
  public long refusedOverload() {
    return refusedOverload.sum();
  }

  /** Returns the requests of tenants refused over their fair share (429). */
  public long refusedFairShare() {
    return refusedFairShare.sum();
  }

  /** Returns the requests refused by a requests- or tokens-per-minute quota (429). */
  public long refusedQuota() {
    return refusedQuota.sum();
  }

  /** Returns the requests of keys at their spending limit (429 insufficient_quota). */
  public long refusedSpend() {
    return refusedSpend.sum();
  }

  /** Returns the requests answered 400, 401, 404, 405, 413 or 415. */
  public long badRequests() {
    return replies.badRequests();
  }

  /** Returns how many admitted costs were corrected to the model's true prompt count. */
  public long costCorrections() {
    return admissions.costCorrections();
  }

  /**
   * Returns quantile {@code q} of the time the gateway took to refuse a request for capacity or
   * quota (from the handler's start to the refusal handed to Jetty), in nanoseconds (within 9%).
   */
  public long refusalNanos(double q) {
    return replies.refusalNanos(q);
  }

  /** Returns how many refusals {@link #refusalNanos} measured. */
  public long refusalsTimed() {
    return replies.refusalsTimed();
  }

  /** Returns where the time goes, since the last {@link GatewayPhases#reset()}. */
  GatewayPhases phases() {
    return phases;
  }

  /** Stops the server at once; streams in progress are cut (and settled). */
  @Override
  public void close() {
    server.close();
  }

  @Override
  public String toString() {
    return "LlmGateway[" + protection + ", " + uri() + ", active " + active.get()
        + (limiter() == null ? "" : ", limit " + limiter().limit() + ", in flight "
        + limiter().inFlight()) + "]";
  }

  // ---------------------------------------------------------------------------------------------

  private boolean handle(Request request, Response response, Callback callback) {
    long received = System.nanoTime();
    String sent = request.getHeaders().get(SENT_NANOS);
    if (sent != null) {
      try {
        long sentNanos = Long.parseLong(sent);
        phases.toConnector.record(request.getBeginNanoTime() - sentNanos);
        phases.toHandler.record(received - request.getBeginNanoTime());
      } catch (NumberFormatException e) {
        // not the demo's client: nothing to time
      }
    }
    if (!PATH.equals(request.getHttpURI().getPath())) {
      return replies.error(response, callback, new ApiError(404, ApiError.INVALID_REQUEST, null,
          "unknown_url", "Unknown request URL: " + request.getMethod() + " "
          + RequestText.truncate(request.getHttpURI().getPath()) + "."));
    }
    if (!"POST".equals(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, "POST");
      return replies.error(response, callback, new ApiError(405, ApiError.INVALID_REQUEST, null,
          "method_not_allowed", "Only POST is allowed on " + PATH + "."));
    }
    ApiKeys.Key key = keys.lookup(RequestText.bearer(
        request.getHeaders().get(HttpHeader.AUTHORIZATION)));
    if (key == null) {
      boolean missing = request.getHeaders().get(HttpHeader.AUTHORIZATION) == null;
      return replies.error(response, callback, new ApiError(401, ApiError.INVALID_REQUEST, null,
          missing ? null : "invalid_api_key", missing
          ? "You didn't provide an API key: send Authorization: Bearer <key>."
          : "Incorrect API key provided."));
    }
    String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (contentType != null && !RequestText.mediaType(contentType).equals("application/json")) {
      return replies.error(response, callback, new ApiError(415, ApiError.INVALID_REQUEST, null,
          "unsupported_media_type", "The body must be application/json."));
    }
    long length = request.getLength();
    if (length > maxBodyBytes) {
      return replies.error(response, callback, replies.tooLarge());
    }
    // Parsing and admission run on a pool thread (BLOCKING: never on the selector).
    Content.Source.asByteArrayAsync(request, maxBodyBytes, Promise.Invocable.from(
        Invocable.InvocationType.BLOCKING, (byte[] bytes, Throwable failure) -> {
          if (failure != null) {
            // Over the limit, or the client went away while sending.
            replies.error(response, callback, replies.tooLarge());
            return;
          }
          onBody(request, response, callback, key, bytes, received);
        }));
    return true;
  }

  private void onBody(Request request, Response response, Callback callback, ApiKeys.Key key,
      byte[] bytes, long received) {
    long bodyRead = System.nanoTime();
    phases.toBody.record(bodyRead - received);
    ChatRequest chat;
    try {
      chat = ChatRequest.parse(RequestText.utf8(bytes), defaultMaxTokens, maxTokensLimit());
      if (!modelName.equals(chat.model())) {
        throw new ApiError(404, ApiError.INVALID_REQUEST, "model", "model_not_found",
            "The model '" + RequestText.truncate(chat.model()) + "' does not exist.");
      }
    } catch (ApiError e) {
      replies.error(response, callback, e);
      return;
    }
    int promptEstimate = Message.estimatedPromptTokens(chat.messages());
    long estimate = (long) promptEstimate + chat.maxTokens();
    if (estimate > model.config().contextTokens()) {
      replies.error(response, callback, ApiError.invalid("messages", "context_length_exceeded",
          "This model's context is " + model.config().contextTokens() + " tokens; the messages ("
          + promptEstimate + " tokens, estimated) and max_tokens (" + chat.maxTokens()
          + ") exceed it."));
      return;
    }
    if (key.spendExhausted()) {
      refusedSpend.increment();
      replies.error(response, callback, new ApiError(429, ApiError.INSUFFICIENT_QUOTA, null,
          ApiError.INSUFFICIENT_QUOTA, "You exceeded your current quota: the key's spending "
          + "limit of " + key.spendLimit() + " tokens is reached."));
      return;
    }
    ApiKeys.TierQuotas quotas = key.quotas();
    if (estimate > quotas.tier.tokensPerMinute()) {
      replies.error(response, callback, ApiError.invalid("max_tokens", "request_too_large",
          "The request's " + estimate + " tokens (estimated) exceed the key's "
          + quotas.tier.tokensPerMinute() + " tokens per minute: it could never be served."));
      return;
    }
    long requestReservation = quotas.requests.tryAcquire(key, 1);
    if (Ticket.isRejection(requestReservation)) {
      refuseQuota(response, callback, key, quotas.requestRefusals, requestReservation, received);
      return;
    }
    long tokenReservation = quotas.tokens.tryAcquire(key, (int) estimate);
    if (Ticket.isRejection(tokenReservation)) {
      quotas.requests.reconcile(requestReservation, 0);
      refuseQuota(response, callback, key, quotas.tokenRefusals, tokenReservation, received);
      return;
    }
    Priority priority = admissions.priority(request, key);
    Admission admission = new Admission(key, priority, requestReservation, tokenReservation,
        chat.maxTokens(), (int) estimate, received);
    long ticket = admissions.admit(admission);
    phases.decision.record(System.nanoTime() - bodyRead);
    if (Ticket.isRejection(ticket)) {
      quotas.requests.reconcile(requestReservation, 0);
      quotas.tokens.reconcile(tokenReservation, 0);
      if (ticket != Long.MIN_VALUE) {
        boolean fairShare = Ticket.reason(ticket) == io.sluice.RejectReason.FAIR_SHARE;
        (fairShare ? refusedFairShare : refusedOverload).increment();
        replies.refuse(response, callback, overloadRefusals.refuse(ticket,
            admissions.limiter().limit()), Ticket.retryAfterNanos(ticket), null, received);
      }
      return;
    }
    admitted.increment();
    active.incrementAndGet();
    Completion completion = new Completion(this, admission, chat, response, callback,
        ids.incrementAndGet());
    request.addFailureListener(completion::fail);
    Sequence sequence;
    try {
      sequence = model.submit(chat.messages(), chat.maxTokens(), completion);
    } catch (IllegalArgumentException e) {
      // The model's true count is over the context although the estimate was not. Settled
      // through the completion, whose failure listener may be settling it at the same time.
      completion.abandon();
      replies.error(response, callback, ApiError.invalid("messages", "context_length_exceeded",
          e.getMessage() + "."));
      return;
    }
    completion.start(sequence);
  }

  /** The first token: the limiter's latency sample, and the phases' record. */
  void firstToken(Admission admission, Sequence sequence) {
    phases.firstToken(admission.receivedNanos, sequence, System.nanoTime());
    admissions.firstToken(admission);
  }

  /** Corrects the admitted cost; see {@link GatewayAdmission#correctCost}. */
  boolean correctCost(Admission admission, int promptTokens) {
    return admissions.correctCost(admission, promptTokens);
  }

  /** Puts the key's x-ratelimit-* fields (OpenAI's names) on a response. */
  void rateLimitFields(Response response, Admission admission) {
    GatewayReplies.rateLimitFields(response.getHeaders(), admission.key);
  }

  /** Settles an admitted request: permit, quotas, spend, counters. Called once per request. */
  void settle(Admission admission, Outcome outcome, long actualTokens, boolean finished) {
    admissions.release(admission, outcome);
    ApiKeys.TierQuotas quotas = admission.key.quotas();
    quotas.requests.reconcile(admission.requestReservation, 1);
    quotas.tokens.reconcile(admission.tokenReservation, (int) Math.min(Integer.MAX_VALUE,
        actualTokens));
    admission.key.charge(actualTokens);
    (finished ? completed : clientGone).increment();
    active.decrementAndGet();
  }

  private void refuseQuota(Response response, Callback callback, ApiKeys.Key key,
      HttpRefusals refusals, long rejection, long received) {
    refusedQuota.increment();
    replies.refuse(response, callback, refusals.refuse(rejection, HttpRefusals.UNKNOWN_LIMIT,
        key.tenant()), Ticket.retryAfterNanos(rejection), key, received);
  }

  private int maxTokensLimit() {
    return model.config().contextTokens() - 1;
  }

  /** Returns the units of {@code tokens}: at least 1, rounded up. */
  static int units(long tokens, int tokensPerUnit) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE,
        (tokens + tokensPerUnit - 1) / tokensPerUnit));
  }

  /**
   * Configures and starts an {@link LlmGateway}. Every setter checks its argument and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and the range. Not
   * thread-safe.
   *
   * <table>
   *   <caption>Defaults</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #protection}</td><td>SLUICE</td></tr>
   *   <tr><td>{@link #limiter}</td><td>REQUEST_LIMIT: {@code FixedLimit} of
   *       {@link #requestLimit}; SLUICE: AIMD against {@link #ttftObjective}</td></tr>
   *   <tr><td>{@link #requestLimit}</td><td>32</td></tr>
   *   <tr><td>{@link #ttftObjective}</td><td>200 ms</td></tr>
   *   <tr><td>{@link #tokensPerUnit}</td><td>16</td></tr>
   *   <tr><td>{@link #reserve}</td><td>0.05</td></tr>
   *   <tr><td>{@link #modelName}</td><td>{@value LlmGateway#DEFAULT_MODEL}</td></tr>
   *   <tr><td>{@link #defaultMaxTokens}</td><td>256</td></tr>
   *   <tr><td>{@link #maxBodyBytes}</td><td>1 MiB</td></tr>
   *   <tr><td>{@link #frontThreads}</td><td>4</td></tr>
   *   <tr><td>{@link #trustedSources}</td><td>none</td></tr>
   *   <tr><td>{@link #port}</td><td>0: an ephemeral port</td></tr>
   * </table>
   */
  public static final class Builder {
    private final SimulatedModel model;
    private final ApiKeys keys;
    private Protection protection = Protection.SLUICE;
    private Limiter limiter;
    private int requestLimit = 32;
    private Duration ttftObjective = Duration.ofMillis(200);
    private int tokensPerUnit = 16;
    private double reserve = 0.05;
    private String modelName = DEFAULT_MODEL;
    private int defaultMaxTokens = 256;
    private int maxBodyBytes = 1 << 20;
    private int frontThreads = 4;
    private TrustedSources trustedSources = TrustedSources.none();
    private int port;

    private Builder(SimulatedModel model, ApiKeys keys) {
      this.model = Checks.notNull("model", model);
      this.keys = Checks.notNull("keys", keys);
    }

    /** Sets how the gateway admits requests. */
    public Builder protection(Protection protection) {
      this.protection = Checks.notNull("protection", protection);
      return this;
    }

    /**
     * Replaces the admission limiter (REQUEST_LIMIT, SLUICE). Under SLUICE its costs are
     * units of {@link #tokensPerUnit} tokens, and its minimum limit should hold the largest
     * request (a context window's units), which it refuses otherwise.
     */
    public Builder limiter(Limiter limiter) {
      this.limiter = Checks.notNull("limiter", limiter);
      return this;
    }

    /**
     * Sets the requests in flight of the REQUEST_LIMIT protection.
     *
     * @param requests in [1, 100000]
     */
    public Builder requestLimit(int requests) {
      this.requestLimit = Checks.inRange("requestLimit", requests, 1, 100_000);
      return this;
    }

    /**
     * Sets the time to first token the default SLUICE limiter holds at its 95th percentile.
     *
     * @param objective in [1 ms, 1 min]
     */
    public Builder ttftObjective(Duration objective) {
      Checks.inRange("ttftObjective", objective, Duration.ofMillis(1), Duration.ofMinutes(1));
      this.ttftObjective = objective;
      return this;
    }

    /**
     * Sets the tokens in one unit of the SLUICE limit: a request of {@code t} estimated tokens
     * costs {@code ceil(t / tokensPerUnit)} units.
     *
     * @param tokens in [1, 4096]
     */
    public Builder tokensPerUnit(int tokens) {
      this.tokensPerUnit = Checks.inRange("tokensPerUnit", tokens, 1, 4096);
      return this;
    }

    /**
     * Sets the fair-share reserve: the share of the limit a tenant over its share leaves free.
     *
     * @param fraction in [0, 0.5]
     */
    public Builder reserve(double fraction) {
      this.reserve = Checks.inRange("reserve", fraction, 0, 0.5);
      return this;
    }

    /** Sets the model name requests must give. */
    public Builder modelName(String name) {
      this.modelName = Checks.notNull("modelName", name);
      return this;
    }

    /**
     * Sets the {@code max_tokens} of a request that gives none.
     *
     * @param tokens in [1, 1048576]
     */
    public Builder defaultMaxTokens(int tokens) {
      this.defaultMaxTokens = Checks.inRange("defaultMaxTokens", tokens, 1, 1 << 20);
      return this;
    }

    /**
     * Sets the largest request body; a larger one is answered 413.
     *
     * @param bytes in [1024, 67108864]
     */
    public Builder maxBodyBytes(int bytes) {
      this.maxBodyBytes = Checks.inRange("maxBodyBytes", bytes, 1024, 1 << 26);
      return this;
    }

    /**
     * Sets the threads that run the handler (admission decisions, parsing).
     *
     * @param threads in [1, 256]
     */
    public Builder frontThreads(int threads) {
      this.frontThreads = Checks.inRange("frontThreads", threads, 1, 256);
      return this;
    }

    /** Sets the peers whose {@code X-Priority} may raise a request above its key's priority. */
    public Builder trustedSources(TrustedSources sources) {
      this.trustedSources = Checks.notNull("trustedSources", sources);
      return this;
    }

    /**
     * Sets the port on 127.0.0.1; 0 picks a free one.
     *
     * @param port in [0, 65535]
     */
    public Builder port(int port) {
      this.port = Checks.inRange("port", port, 0, 65_535);
      return this;
    }

    /**
     * Binds and starts the gateway.
     *
     * @throws IOException if the port cannot be bound
     */
    public LlmGateway start() throws IOException {
      return new LlmGateway(this);
    }
  }
}
