package io.sluice.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.sluice.Limiter;
import io.sluice.http.RouteTable;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.micrometer.SluiceMeterBinder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Meters of the starter's limiters, when sluice-micrometer is on the class path and the
 * application has a {@link MeterRegistry}: the default limiter and its overload monitor under
 * {@code name=default}, each route's limiter under its prefix ({@code name=/search}). Spring Boot
 * binds {@link MeterBinder} beans to every registry.
 *
 * <p>Thread-safety: Spring calls the bean methods once each at start-up.
 */
@AutoConfiguration(after = SluiceAutoConfiguration.class, afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure"
        + ".CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple"
        + ".SimpleMetricsExportAutoConfiguration",
    // The same three in Spring Boot 3.5, so that the registry exists when the condition runs.
    "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics"
        + ".CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.export.simple"
        + ".SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass({SluiceMeterBinder.class, MeterRegistry.class})
@ConditionalOnBean(value = MeterRegistry.class, name = SluiceAutoConfiguration.LIMITER)
public class SluiceMetricsAutoConfiguration {
  /** The name of the default limiter's binder bean. */
  public static final String BINDER = "sluiceMeterBinder";
  /** The name of the routes' binder bean. */
  public static final String ROUTES_BINDER = "sluiceRouteMeterBinder";

  /** Creates the configuration; Spring calls it. */
  public SluiceMetricsAutoConfiguration() {
    // Spring instantiates the configuration; nothing to set up.
  }

  /** Meters of the default limiter, and of its overload monitor if there is one. */
  @Bean(name = BINDER)
  @ConditionalOnMissingBean(name = BINDER)
  public SluiceMeterBinder sluiceMeterBinder(
      @Qualifier(SluiceAutoConfiguration.LIMITER) Limiter limiter,
      @Qualifier(SluiceAutoConfiguration.OVERLOAD_MONITOR)
      ObjectProvider<OverloadMonitor> monitor) {
    SluiceMeterBinder binder = SluiceMeterBinder.limiter("default", limiter);
    monitor.ifAvailable(binder::overload);
    return binder;
  }

  /** Meters of each route's limiter, named by the route's prefix. */
  @Bean(name = ROUTES_BINDER)
  @ConditionalOnMissingBean(name = ROUTES_BINDER)
  @ConditionalOnBean(RouteTable.class)
  public MeterBinder sluiceRouteMeterBinder(RouteTable<Limiter> routes) {
    return new RouteMeterBinder(routes);
  }
}
