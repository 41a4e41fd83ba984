package io.sluice.examples.llm;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.examples.llm.LlmGateway.Protection;
import io.sluice.fair.FairShare;
import io.sluice.http.PriorityHeader;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.server.Request;

/**
 * What reaches the model, by the gateway's {@link Protection}: nothing decides ({@code NONE}), a
 * fixed count of requests in flight ({@code REQUEST_LIMIT}), or Sluice ({@code SLUICE}): a
 * {@link FairShare} gate per API key in front of an adaptive {@link Limiter}, the request costing
 * its estimated tokens in units, the latency sample taken at the first token and the cost
 * corrected to the model's count. Thread-safe: each request's {@link Admission} is used by one
 * thread at a time, handed over with a happens-before edge.
 */
final class GatewayAdmission {
  private final Protection protection;
  private final int tokensPerUnit;
  private final Limiter limiter;
  private final FairShare<ApiKeys.Key> fair;
  private final PriorityHeader priorities;
  private final LongAdder costCorrections = new LongAdder();

  /**
   * Creates the admission of {@code protection}; {@code limiter} replaces the default one (a
   * fixed limit of {@code requestLimit}, or AIMD against {@code ttftObjective}) if not null;
   * {@code priorities} reads a request's priority.
   */
  GatewayAdmission(Protection protection, ModelConfig model, Limiter limiter, int requestLimit,
      Duration ttftObjective, int tokensPerUnit, double reserve, PriorityHeader priorities) {
    this.protection = protection;
    this.priorities = priorities;
    this.tokensPerUnit = tokensPerUnit;
    switch (protection) {
      case REQUEST_LIMIT:
        this.limiter = limiter != null ? limiter
            : Limiter.newBuilder().algorithm(FixedLimit.of(requestLimit)).build();
        this.fair = null;
        break;
      case SLUICE:
        this.limiter = limiter != null ? limiter
            : defaultLimiter(model, ttftObjective, tokensPerUnit);
        this.fair = FairShare.newBuilder(this.limiter).reserve(reserve).build();
        break;
      default:
        this.limiter = null;
        this.fair = null;
    }
  }

  /**
   * Returns the default limiter of {@link Protection#SLUICE}: AIMD against an explicit
   * time-to-first-token objective (held at its 95th percentile), from a limit of one context
   * window's worth of units up to 64 times the KV cache.
   */
  private static Limiter defaultLimiter(ModelConfig model, Duration ttftObjective,
      int tokensPerUnit) {
    int oneRequest = LlmGateway.units(model.contextTokens(), tokensPerUnit);
    int ceiling = Math.max(oneRequest,
        LlmGateway.units(64L * model.kvCacheTokens(), tokensPerUnit));
    return Limiter.newBuilder()
        .algorithm(AimdLimit.newBuilder()
            .minLimit(oneRequest)
            .initialLimit(Math.min(ceiling, 2 * oneRequest))
            .maxLimit(Math.min(ceiling, 1 << 20))
            .timeout(ttftObjective)
            .latencyQuantile(0.95))
        .build();
  }

  /** Returns the limiter, or null without one ({@link Protection#NONE}). */
  Limiter limiter() {
    return limiter;
  }

  /** Returns the fair-share gate, or null unless {@link Protection#SLUICE}. */
  FairShare<ApiKeys.Key> fairShare() {
    return fair;
  }

  /** Returns how many admitted costs were corrected to the model's true prompt count. */
  long costCorrections() {
    return costCorrections.sum();
  }

  /**
   * Returns a request's priority: its key's, or the priority header's if the sender is trusted
   * or asks for less.
   */
  Priority priority(Request request, ApiKeys.Key key) {
    String field = request.getHeaders().get(priorities.name());
    if (field == null) {
      return key.priority();
    }
    boolean trusted = priorities.trustedSources().contains(Request.getRemoteAddr(request));
    Priority asked = priorities.resolve(request.getHeaders().getValuesList(priorities.name()),
        trusted);
    // An untrusted client may lower its key's priority, never raise it.
    return trusted || asked.compareTo(key.priority()) > 0 ? asked : key.priority();
  }

  /** Returns the admission ticket (0 without protection), or a rejection. */
  long admit(Admission admission) {
    switch (protection) {
      case REQUEST_LIMIT: {
        long permit = limiter.tryAcquire();
        admission.permit = permit;
        return permit;
      }
      case SLUICE: {
        int units = LlmGateway.units(admission.estimatedTokens, tokensPerUnit);
        long ticket = fair.tryAcquire(admission.key, units, admission.priority);
        admission.permit = ticket;
        admission.units = units;
        return ticket;
      }
      default:
        return 0;
    }
  }

  /** The first token: the milestone the limiter's latency sample is taken at. */
  void firstToken(Admission admission) {
    if (protection == Protection.SLUICE) {
      fair.sample(admission.permit);
    }
  }

  /**
   * Corrects the admitted cost to the model's prompt count plus max_tokens; returns false if an
   * extra charge must wait (the limit is full now), true once nothing is left to correct.
   */
  boolean correctCost(Admission admission, int promptTokens) {
    if (protection != Protection.SLUICE) {
      return true;
    }
    int units = LlmGateway.units((long) promptTokens + admission.maxTokens, tokensPerUnit);
    if (units == admission.units) {
      return true;
    }
    if (!fair.adjust(admission.permit, units)) {
      return false;
    }
    admission.units = units;
    costCorrections.increment();
    return true;
  }

  /** Releases an admitted request's permit with its outcome. Called once per request. */
  void release(Admission admission, Outcome outcome) {
    switch (protection) {
      case REQUEST_LIMIT:
        limiter.release(admission.permit, outcome);
        break;
      case SLUICE:
        fair.release(admission.permit, outcome);
        break;
      default:
        break;
    }
  }
}
