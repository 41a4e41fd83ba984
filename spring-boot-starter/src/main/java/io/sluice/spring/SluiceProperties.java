package io.sluice.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code sluice.*} properties of the starter: the limiter in front of every request, the
 * routes with limiters of their own, the paths that bypass admission and shadow mode. Checked when
 * the beans are built: a bad value fails the start, naming the property.
 *
 * <p>Not thread-safe: Spring binds it once at start-up; the beans read it then and never again.
 */
@ConfigurationProperties("sluice")
public class SluiceProperties {
  /** Whether the starter registers anything. */
  private boolean enabled = true;
  /** Whether the limiters start monitor-only: they count what they would refuse, and admit it. */
  private boolean monitorOnly;
  /** The status of an overload refusal: 503 or 429. */
  private int overloadStatus = 503;
  private final Limiter limiter = new Limiter();
  /** Path prefixes with limiters of their own; their unset values are sluice.limiter's. */
  private final List<Route> routes = new ArrayList<>();
  /** Exact paths that bypass admission: never admitted, never refused. */
  private final List<String> bypassPaths = new ArrayList<>();
  /** Path prefixes that bypass admission; setting the list replaces the default. */
  private final List<String> bypassPrefixes = new ArrayList<>(List.of("/actuator"));
  /** Addresses or CIDR blocks whose X-Priority header is believed; from others, the default. */
  private final List<String> trustedSources = new ArrayList<>();
  private final TenantField tenant = new TenantField();
  private final Quota quota = new Quota();
  private final Filter filter = new Filter();

  /** Returns whether the starter registers anything (default true). */
  public boolean isEnabled() {
    return enabled;
  }

  /** Sets whether the starter registers anything. */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** Returns whether the limiters start monitor-only: counting, refusing nothing (shadow mode). */
  public boolean isMonitorOnly() {
    return monitorOnly;
  }

  /** Sets whether the limiters start monitor-only (shadow mode). */
  public void setMonitorOnly(boolean monitorOnly) {
    this.monitorOnly = monitorOnly;
  }

  /** Returns the status of an overload refusal: 503 (the default) or 429. */
  public int getOverloadStatus() {
    return overloadStatus;
  }

  /** Sets the status of an overload refusal: 503 or 429. */
  public void setOverloadStatus(int overloadStatus) {
    this.overloadStatus = overloadStatus;
  }

  /** Returns the limiter of every path that no route names. */
  public Limiter getLimiter() {
    return limiter;
  }

  /** Returns the routes: a path prefix and a limiter of its own, in the order given. */
  public List<Route> getRoutes() {
    return routes;
  }

  /** Returns the exact paths that bypass admission: never admitted, never refused. */
  public List<String> getBypassPaths() {
    return bypassPaths;
  }

  /** Returns the path prefixes that bypass admission ({@code /actuator} by default). */
  public List<String> getBypassPrefixes() {
    return bypassPrefixes;
  }

  /**
   * Returns the peers (addresses or CIDR blocks) whose {@code X-Priority} header is believed;
   * empty by default: every request has the default priority.
   */
  public List<String> getTrustedSources() {
    return trustedSources;
  }

  /** Returns how a request's tenant is read: the key of its quota. */
  public TenantField getTenant() {
    return tenant;
  }

  /** Returns the quota every tenant has: off unless {@code sluice.quota.requests} is set. */
  public Quota getQuota() {
    return quota;
  }

  /** Returns the registration of the filter. */
  public Filter getFilter() {
    return filter;
  }

  /** The limit algorithms a property may name. */
  public enum Algorithm {
    /** {@link io.sluice.limit.VegasLimit}: queueing delay over the no-load latency (default). */
    VEGAS,
    /** {@link io.sluice.limit.GradientLimit}: the ratio of the no-load latency to the latest. */
    GRADIENT,
    /** {@link io.sluice.limit.AimdLimit}: additive increase, multiplicative decrease on drops. */
    AIMD,
    /** {@link io.sluice.limit.FixedLimit}: a limit that never moves, {@code initial-limit}. */
    FIXED
  }

  /**
   * A limiter's algorithm and bounds. Unset values of {@code sluice.limiter} take core's defaults
   * (vegas, initial 20, min 1, max 1000); unset values of a route take {@code sluice.limiter}'s.
   *
   * <p>Not thread-safe: bound once at start-up.
   */
  public static class Limiter {
    /** The limit algorithm: vegas (the default), gradient, aimd or fixed. */
    private Algorithm algorithm;
    /** The limit at start, clamped into [min, max] (20 by default); for fixed, the limit. */
    private Integer initialLimit;
    /** The lowest limit an adaptive algorithm reaches (1 by default). */
    private Integer minLimit;
    /** The highest limit an adaptive algorithm reaches (1000 by default). */
    private Integer maxLimit;

    /** Returns the algorithm, or null if unset. */
    public Algorithm getAlgorithm() {
      return algorithm;
    }

    /** Sets the algorithm. */
    public void setAlgorithm(Algorithm algorithm) {
      this.algorithm = algorithm;
    }

    /** Returns the limit at start (the limit itself for {@code fixed}), or null if unset. */
    public Integer getInitialLimit() {
      return initialLimit;
    }

    /** Sets the limit at start (the limit itself for {@code fixed}). */
    public void setInitialLimit(Integer initialLimit) {
      this.initialLimit = initialLimit;
    }

    /** Returns the lowest limit an adaptive algorithm may reach, or null if unset. */
    public Integer getMinLimit() {
      return minLimit;
    }

    /** Sets the lowest limit an adaptive algorithm may reach. */
    public void setMinLimit(Integer minLimit) {
      this.minLimit = minLimit;
    }

    /** Returns the highest limit an adaptive algorithm may reach, or null if unset. */
    public Integer getMaxLimit() {
      return maxLimit;
    }

    /** Sets the highest limit an adaptive algorithm may reach. */
    public void setMaxLimit(Integer maxLimit) {
      this.maxLimit = maxLimit;
    }
  }

  /**
   * A route: the requests whose path starts with {@code prefix} go through a limiter of their
   * own, whose unset values are {@code sluice.limiter}'s.
   *
   * <p>Not thread-safe: bound once at start-up.
   */
  public static class Route extends Limiter {
    /** The path prefix, such as /search: the path itself and everything under it. */
    private String prefix;

    /** Returns the path prefix, such as {@code /search}. */
    public String getPrefix() {
      return prefix;
    }

    /** Sets the path prefix. */
    public void setPrefix(String prefix) {
      this.prefix = prefix;
    }
  }

  /**
   * How the filter is registered with the servlet container.
   *
   * <p>Not thread-safe: bound once at start-up.
   */
  public static class Filter {
    /** The filter's place in the chain: early, so that a refusal costs the least. */
    private int order = Integer.MIN_VALUE + 100;
    /** The URL patterns the filter is mapped to. */
    private final List<String> urlPatterns = new ArrayList<>(List.of("/*"));

    /** Returns the filter's order: early by default, so that a refusal costs the least. */
    public int getOrder() {
      return order;
    }

    /** Sets the filter's order. */
    public void setOrder(int order) {
      this.order = order;
    }

    /** Returns the URL patterns the filter is mapped to ({@code /*} by default). */
    public List<String> getUrlPatterns() {
      return urlPatterns;
    }
  }

  /**
   * How a request's tenant is read, for its quota and the request attribute: a
   * {@link io.sluice.http.TenantHeader} built from these values. Read when a quota is set or
   * {@code sluice.tenant.header} is; a {@code TenantHeader} bean of the application's wins.
   *
   * <p>Not thread-safe: bound once at start-up.
   */
  public static class TenantField {
    /** The header field that names the tenant. */
    private String header = "X-Tenant";
    /** The tenant of a request without the field. */
    private String anonymous = "anonymous";
    /** Whether a request without the field is answered 400 rather than counted as anonymous. */
    private boolean required;

    /** Returns the header field that names the tenant ({@code X-Tenant} by default). */
    public String getHeader() {
      return header;
    }

    /** Sets the header field that names the tenant. */
    public void setHeader(String header) {
      this.header = header;
    }

    /** Returns the tenant of a request without the field ({@code anonymous} by default). */
    public String getAnonymous() {
      return anonymous;
    }

    /** Sets the tenant of a request without the field. */
    public void setAnonymous(String anonymous) {
      this.anonymous = anonymous;
    }

    /** Returns whether a request without the field is answered 400 (false by default). */
    public boolean isRequired() {
      return required;
    }

    /** Sets whether a request without the field is answered 400. */
    public void setRequired(boolean required) {
      this.required = required;
    }
  }

  /**
   * The quota of every tenant: {@code requests} per {@code period}, at most {@code burst} at once,
   * kept for up to {@code max-keys} tenants at a time. A tenant over it gets {@code 429} with
   * {@code Retry-After}.
   *
   * <p>Not thread-safe: bound once at start-up.
   */
  public static class Quota {
    /** Requests per period allowed to each tenant; unset: no quota. */
    private Long requests;
    /** The period of the quota. */
    private Duration period = Duration.ofSeconds(1);
    /** The most requests a tenant may send at once after a quiet spell; unset: requests. */
    private Integer burst;
    /** The most tenants tracked at once; an idle tenant is forgotten first. */
    private int maxKeys = 10_000;

    /** Returns the requests per period allowed to each tenant, or null: no quota. */
    public Long getRequests() {
      return requests;
    }

    /** Sets the requests per period allowed to each tenant. */
    public void setRequests(Long requests) {
      this.requests = requests;
    }

    /** Returns the period of the quota (1 s by default). */
    public Duration getPeriod() {
      return period;
    }

    /** Sets the period of the quota. */
    public void setPeriod(Duration period) {
      this.period = period;
    }

    /** Returns the burst, or null: as many as {@link #getRequests()}. */
    public Integer getBurst() {
      return burst;
    }

    /** Sets the burst: the most requests a tenant may send at once after a quiet spell. */
    public void setBurst(Integer burst) {
      this.burst = burst;
    }

    /** Returns the most tenants tracked at once (10,000 by default). */
    public int getMaxKeys() {
      return maxKeys;
    }

    /** Sets the most tenants tracked at once. */
    public void setMaxKeys(int maxKeys) {
      this.maxKeys = maxKeys;
    }
  }
}
