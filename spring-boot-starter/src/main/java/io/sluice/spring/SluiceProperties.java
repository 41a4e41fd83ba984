package io.sluice.spring;

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
  private boolean enabled = true;
  private boolean monitorOnly;
  private int overloadStatus = 503;
  private final Limiter limiter = new Limiter();
  private final List<Route> routes = new ArrayList<>();
  private final List<String> bypassPaths = new ArrayList<>();
  private final List<String> bypassPrefixes = new ArrayList<>(List.of("/actuator"));
  private final List<String> trustedSources = new ArrayList<>();
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
    private Algorithm algorithm;
    private Integer initialLimit;
    private Integer minLimit;
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
    private int order = Integer.MIN_VALUE + 100;
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
}
