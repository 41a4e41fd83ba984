package io.sluice.spring;

import io.sluice.metrics.OverloadMonitor;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code sluice} health indicator, when Spring Boot's health support (the actuator) is on the
 * class path: the overload monitor of the default limiter, mapped as {@link SluiceHealthIndicator}
 * says. {@code management.health.sluice.enabled=false} turns it off.
 *
 * <p>Thread-safety: Spring calls the bean method once at start-up.
 */
@AutoConfiguration(after = SluiceAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(name = SluiceAutoConfiguration.OVERLOAD_MONITOR)
public class SluiceHealthAutoConfiguration {
  /** The name of the health indicator bean, and so of its entry under /actuator/health. */
  public static final String INDICATOR = "sluiceHealthIndicator";

  /** Creates the configuration; Spring calls it. */
  public SluiceHealthAutoConfiguration() {
    // Spring instantiates the configuration; nothing to set up.
  }

  /** The health of the default limiter, judged by its overload monitor. */
  @Bean(name = INDICATOR)
  @ConditionalOnMissingBean(name = INDICATOR)
  // On the method, not the class: the class's @ConditionalOnClass must rule first, or an
  // application without the actuator fails to resolve this condition's class.
  @ConditionalOnEnabledHealthIndicator("sluice")
  public SluiceHealthIndicator sluiceHealthIndicator(
      @Qualifier(SluiceAutoConfiguration.OVERLOAD_MONITOR) OverloadMonitor monitor) {
    return new SluiceHealthIndicator(monitor);
  }
}
