package io.sluice.spring;

import io.sluice.Limiter;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.spring.SluiceProperties.Algorithm;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * One limiter's resolved settings: the values of its properties, else those of
 * {@code sluice.limiter}, else core's defaults. Checked here, before core's builders, so that an
 * error names the property the user wrote ({@code sluice.routes[0].max-limit}), not a builder
 * argument.
 *
 * <p>An initial limit the limiter's own properties do not set (the parent's, else core's 20) is
 * clamped into [min, max], so that {@code max-limit: 10} alone is valid; a value set for this
 * limiter itself is never moved: out of range, it fails the start.
 */
final class LimiterSettings {
  static final int DEFAULT_INITIAL = 20;
  static final int DEFAULT_MIN = 1;
  static final int DEFAULT_MAX = 1000;

  final Algorithm algorithm;
  final int initial;
  final int min;
  final int max;

  private LimiterSettings(Algorithm algorithm, int initial, int min, int max) {
    this.algorithm = algorithm;
    this.initial = initial;
    this.min = min;
    this.max = max;
  }

  /**
   * Resolves and checks the settings under {@code prefix}.
   *
   * @param parent the values an unset one falls back to, or null
   * @throws InvalidConfigurationPropertyValueException naming the first bad property
   */
  static LimiterSettings of(String prefix, SluiceProperties.Limiter own,
      SluiceProperties.Limiter parent) {
    Algorithm algorithm = pick(own.getAlgorithm(), parent == null ? null : parent.getAlgorithm(),
        Algorithm.VEGAS);
    Integer initialSet = own.getInitialLimit();
    Integer inherited = parent == null ? null : parent.getInitialLimit();
    int min = pick(own.getMinLimit(), parent == null ? null : parent.getMinLimit(), DEFAULT_MIN);
    int max = pick(own.getMaxLimit(), parent == null ? null : parent.getMaxLimit(), DEFAULT_MAX);
    if (initialSet != null) {
      inRange(prefix + ".initial-limit", initialSet);
    }
    if (algorithm == Algorithm.FIXED) {
      // A fixed limit is one number: min and max do not apply, and are not checked.
      int limit = initialSet != null ? initialSet
          : inherited != null ? inherited : DEFAULT_INITIAL;
      return new LimiterSettings(algorithm, limit, 0, 0);
    }
    inRange(prefix + ".min-limit", min);
    inRange(prefix + ".max-limit", max);
    if (max < min) {
      throw new InvalidConfigurationPropertyValueException(prefix + ".max-limit", max,
          "It must be at least min-limit (" + min + ").");
    }
    int initial;
    if (initialSet == null) {
      initial = Math.max(min, Math.min(max, inherited != null ? inherited : DEFAULT_INITIAL));
    } else if (initialSet < min || initialSet > max) {
      throw new InvalidConfigurationPropertyValueException(prefix + ".initial-limit", initialSet,
          "It must lie within [min-limit, max-limit] = [" + min + ", " + max + "].");
    } else {
      initial = initialSet;
    }
    return new LimiterSettings(algorithm, initial, min, max);
  }

  /** Builds the limiter: a fresh algorithm of its own (adaptive algorithms are stateful). */
  Limiter build() {
    return Limiter.newBuilder().algorithm(this::algorithm).build();
  }

  LimitAlgorithm algorithm() {
    switch (algorithm) {
      case FIXED:
        return FixedLimit.of(initial);
      case GRADIENT:
        return GradientLimit.newBuilder().minLimit(min).maxLimit(max).initialLimit(initial)
            .build();
      case AIMD:
        return AimdLimit.newBuilder().minLimit(min).maxLimit(max).initialLimit(initial).build();
      case VEGAS:
      default:
        return VegasLimit.newBuilder().minLimit(min).maxLimit(max).initialLimit(initial).build();
    }
  }

  private static void inRange(String property, int value) {
    if (value < 1 || value > LimitAlgorithm.MAX_SUPPORTED_LIMIT) {
      throw new InvalidConfigurationPropertyValueException(property, value,
          "A limit lies within [1, " + LimitAlgorithm.MAX_SUPPORTED_LIMIT + "].");
    }
  }

  private static <T> T pick(T own, T parent, T fallback) {
    return own != null ? own : parent != null ? parent : fallback;
  }
}
