package io.sluice.examples.llm;

import io.sluice.NanoClock;
import io.sluice.Priority;
import io.sluice.examples.http.Checks;
import io.sluice.http.HttpRefusals;
import io.sluice.http.Tenant;
import io.sluice.rate.TokenQuota;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway's API keys: who each key belongs to (its tenant, the unit of fairness), its tier
 * (requests and tokens per minute), its default priority and, optionally, a hard spending limit in
 * tokens.
 *
 * <p>Each tier has two {@link TokenQuota}s shared by its keys, one counting requests and one
 * counting tokens, both per minute with a burst of one minute's worth: a request reserves one
 * request and its estimated tokens before it is admitted, and reconciles both when it ends (a
 * refused request is given back its reservations; an answered one is charged its actual tokens).
 * A key with a spending limit is refused with {@code insufficient_quota} once its tokens reach
 * it: a refusal no retry can cure.
 *
 * <p>Immutable once built, and thread-safe; the quotas and the spend counters are lock-free.
 */
public final class ApiKeys {
  private final Map<String, Key> keys;

  private ApiKeys(Builder b) {
    this.keys = Map.copyOf(b.keys);
  }

  /** Returns a builder of keys whose quotas run on {@code clock}. */
  public static Builder newBuilder(NanoClock clock) {
    return new Builder(clock);
  }

  /** Returns the key, or null if it is unknown. */
  public Key lookup(String apiKey) {
    return apiKey == null ? null : keys.get(apiKey);
  }

  /** Returns the keys, by API key. */
  public Map<String, Key> all() {
    return keys;
  }

  /**
   * A tier of service: the quotas of every key in it.
   *
   * @param name the tier's name, used in the RateLimit fields of its refusals
   * @param requestsPerMinute the requests each key may send per minute
   * @param tokensPerMinute the tokens (prompt and answer) each key may use per minute
   */
  public record Tier(String name, int requestsPerMinute, int tokensPerMinute) {
    /** Checks the ranges. */
    public Tier {
      Checks.notNull("name", name);
      Checks.inRange("requestsPerMinute", requestsPerMinute, 1, 100_000_000);
      Checks.inRange("tokensPerMinute", tokensPerMinute, 1, 400_000_000);
    }
  }

  /** The quotas and refusals of one tier. */
  static final class TierQuotas {
    final Tier tier;
    final TokenQuota<Key> requests;
    final TokenQuota<Key> tokens;
    final HttpRefusals requestRefusals;
    final HttpRefusals tokenRefusals;

    TierQuotas(Tier tier, NanoClock clock) {
      this.tier = tier;
      this.requests = TokenQuota.newBuilder().rate(tier.requestsPerMinute(),
          Duration.ofMinutes(1)).burst(tier.requestsPerMinute()).clock(clock).build();
      this.tokens = TokenQuota.newBuilder().rate(tier.tokensPerMinute(), Duration.ofMinutes(1))
          .burst(tier.tokensPerMinute()).clock(clock).build();
      this.requestRefusals = HttpRefusals.newBuilder()
          .quotaPolicy(tier.name() + "-requests", tier.requestsPerMinute(), Duration.ofMinutes(1))
          .build();
      this.tokenRefusals = HttpRefusals.newBuilder()
          .quotaPolicy(tier.name() + "-tokens", tier.tokensPerMinute(), Duration.ofMinutes(1))
          .build();
    }
  }

  /**
   * One API key. Thread-safe: its spend counter is atomic.
   */
  public static final class Key {
    private final String apiKey;
    private final Tenant tenant;
    private final TierQuotas quotas;
    private final Priority priority;
    private final long spendLimit;
    private final AtomicLong spent = new AtomicLong();

    Key(String apiKey, String tenant, TierQuotas quotas, Priority priority, long spendLimit) {
      this.apiKey = apiKey;
      this.tenant = Tenant.of(tenant);
      this.quotas = quotas;
      this.priority = priority;
      this.spendLimit = spendLimit;
    }

    /** Returns the API key itself. */
    public String apiKey() {
      return apiKey;
    }

    /** Returns the tenant the key belongs to: the unit of fairness and of the quotas' fields. */
    public Tenant tenant() {
      return tenant;
    }

    /** Returns the key's tier. */
    public Tier tier() {
      return quotas.tier;
    }

    /** Returns the priority of the key's requests, unless a trusted peer says otherwise. */
    public Priority priority() {
      return priority;
    }

    /** Returns the key's spending limit in tokens, or -1 if it has none. */
    public long spendLimit() {
      return spendLimit;
    }

    /** Returns the tokens the key has been charged so far. */
    public long spent() {
      return spent.get();
    }

    /** Returns whether the key has reached its spending limit. */
    public boolean spendExhausted() {
      return spendLimit >= 0 && spent.get() >= spendLimit;
    }

    /** Charges the tokens of a request that ran. */
    void charge(long tokens) {
      spent.addAndGet(tokens);
    }

    TierQuotas quotas() {
      return quotas;
    }

    @Override
    public String toString() {
      return "Key[" + tenant.displayName() + ", " + quotas.tier.name() + "]";
    }
  }

  /**
   * Configures {@link ApiKeys}. Not thread-safe; build once.
   */
  public static final class Builder {
    private final NanoClock clock;
    private final Map<Tier, TierQuotas> tiers = new HashMap<>();
    private final Map<String, Key> keys = new LinkedHashMap<>();

    private Builder(NanoClock clock) {
      this.clock = Checks.notNull("clock", clock);
    }

    /** Adds a key of {@code tenant} in {@code tier}, at priority CRITICAL, without a spend limit. */
    public Builder key(String apiKey, String tenant, Tier tier) {
      return key(apiKey, tenant, tier, Priority.CRITICAL, -1);
    }

    /**
     * Adds a key.
     *
     * @param apiKey the secret the client sends as {@code Authorization: Bearer <apiKey>}, unique
     * @param tenant the tenant's name (1 to 128 octets)
     * @param priority the priority of the key's requests
     * @param spendLimit the most tokens the key may ever use, or -1 for no limit
     */
    public Builder key(String apiKey, String tenant, Tier tier, Priority priority,
        long spendLimit) {
      Checks.notNull("apiKey", apiKey);
      Checks.notNull("tenant", tenant);
      Checks.notNull("tier", tier);
      Checks.notNull("priority", priority);
      Checks.inRange("spendLimit", spendLimit, -1, Long.MAX_VALUE);
      if (apiKey.isEmpty() || keys.containsKey(apiKey)) {
        throw new IllegalArgumentException("apiKey must be non-empty and unique but was "
            + (apiKey.isEmpty() ? "empty" : "given twice"));
      }
      TierQuotas quotas = tiers.computeIfAbsent(tier, t -> new TierQuotas(t, clock));
      keys.put(apiKey, new Key(apiKey, tenant, quotas, priority, spendLimit));
      return this;
    }

    /** Builds the keys. */
    public ApiKeys build() {
      return new ApiKeys(this);
    }
  }
}
