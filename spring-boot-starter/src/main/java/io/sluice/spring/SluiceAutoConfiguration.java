package io.sluice.spring;

import io.sluice.Limiter;
import io.sluice.http.HttpRefusals;
import io.sluice.http.PriorityHeader;
import io.sluice.http.RouteTable;
import io.sluice.http.TenantHeader;
import io.sluice.http.TrustedSources;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.servlet.OutcomeMapping;
import io.sluice.servlet.SluiceFilter;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * Registers {@link SluiceFilter} in a servlet web application, built from {@link SluiceProperties}:
 * the default limiter ({@code sluiceLimiter}), the route table, the refusals, the filter, its
 * registration (async supported) and an {@link OverloadMonitor} of the default limiter. Every bean
 * steps aside for one of the application's: the named beans for a bean of the same name, the
 * others for a bean of the same type. {@code sluice.enabled=false} turns it all off.
 *
 * <p>Thread-safety: Spring calls the bean methods once each at start-up; the beans they return are
 * thread-safe.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({SluiceFilter.class, FilterRegistrationBean.class})
@ConditionalOnProperty(prefix = "sluice", name = "enabled", havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(SluiceProperties.class)
public class SluiceAutoConfiguration {
  /** The name of the default limiter bean; a bean of the application's by that name replaces it. */
  public static final String LIMITER = "sluiceLimiter";
  /** The name of the overload monitor bean of the default limiter. */
  public static final String OVERLOAD_MONITOR = "sluiceOverloadMonitor";
  /** The name of the filter's registration bean. */
  public static final String REGISTRATION = "sluiceFilterRegistration";

  /** Creates the configuration; Spring calls it. */
  public SluiceAutoConfiguration() {
    // Spring instantiates the configuration; nothing to set up.
  }

  /** The limiter of every path that no route names, from {@code sluice.limiter}. */
  @Bean(name = LIMITER)
  @ConditionalOnMissingBean(name = LIMITER)
  public Limiter sluiceLimiter(SluiceProperties properties) {
    return LimiterSettings.of("sluice.limiter", properties.getLimiter(), null).build();
  }

  /** The routes: {@code sluice.routes}, then the bypassed paths, around the default limiter. */
  @Bean
  @ConditionalOnMissingBean
  public RouteTable<Limiter> sluiceRouteTable(SluiceProperties properties,
      @Qualifier(LIMITER) Limiter limiter) {
    RouteTable.Builder<Limiter> routes = RouteTable.newBuilder(limiter);
    List<SluiceProperties.Route> configured = properties.getRoutes();
    for (int i = 0; i < configured.size(); i++) {
      SluiceProperties.Route route = configured.get(i);
      String name = "sluice.routes[" + i + "]";
      Limiter own = LimiterSettings.of(name, route, properties.getLimiter()).build();
      String prefix = route.getPrefix();
      if (prefix == null) {
        throw new InvalidConfigurationPropertyValueException(name + ".prefix", null,
            "Every route needs a path prefix, such as /search.");
      }
      apply(name + ".prefix", prefix, () -> routes.prefix(prefix, own));
    }
    List<String> paths = properties.getBypassPaths();
    for (int i = 0; i < paths.size(); i++) {
      String path = paths.get(i);
      apply("sluice.bypass-paths[" + i + "]", path, () -> routes.bypass(path));
    }
    List<String> prefixes = properties.getBypassPrefixes();
    for (int i = 0; i < prefixes.size(); i++) {
      String prefix = prefixes.get(i);
      apply("sluice.bypass-prefixes[" + i + "]", prefix, () -> routes.bypassPrefix(prefix));
    }
    return routes.build();
  }

  /** The refusals: 503 (or {@code sluice.overload-status}) with Retry-After and a problem body. */
  @Bean
  @ConditionalOnMissingBean
  public HttpRefusals sluiceHttpRefusals(SluiceProperties properties) {
    int status = properties.getOverloadStatus();
    if (status != 503 && status != 429) {
      throw new InvalidConfigurationPropertyValueException("sluice.overload-status", status,
          "The status of an overload refusal is 503 or 429.");
    }
    return HttpRefusals.newBuilder().overloadStatus(status).build();
  }

  /**
   * The filter. Beans of the application's of type {@link PriorityHeader}, {@link TenantHeader}
   * or {@link OutcomeMapping} are used if present; otherwise the priority header is believed from
   * {@code sluice.trusted-sources} only.
   */
  @Bean
  @ConditionalOnMissingBean
  public SluiceFilter sluiceFilter(SluiceProperties properties, RouteTable<Limiter> routes,
      HttpRefusals refusals, ObjectProvider<PriorityHeader> priorities,
      ObjectProvider<TenantHeader> tenants, ObjectProvider<OutcomeMapping> outcomes) {
    SluiceFilter.Builder filter = SluiceFilter.newBuilder(routes)
        .refusals(refusals)
        .priorities(priorities.getIfAvailable(() -> priorityHeader(properties)))
        .monitorOnly(properties.isMonitorOnly());
    tenants.ifAvailable(filter::tenants);
    outcomes.ifAvailable(filter::outcomes);
    return filter.build();
  }

  /** Registers the filter for first dispatches, async supported, early in the chain. */
  @Bean(name = REGISTRATION)
  @ConditionalOnMissingBean(name = REGISTRATION)
  public FilterRegistrationBean<SluiceFilter> sluiceFilterRegistration(SluiceFilter filter,
      SluiceProperties properties) {
    FilterRegistrationBean<SluiceFilter> registration = new FilterRegistrationBean<>(filter);
    registration.setName("sluice");
    registration.setAsyncSupported(true);
    registration.setOrder(properties.getFilter().getOrder());
    registration.setUrlPatterns(properties.getFilter().getUrlPatterns());
    return registration;
  }

  /** The overload monitor of the default limiter, read by the health indicator and the meters. */
  @Bean(name = OVERLOAD_MONITOR)
  @ConditionalOnMissingBean(name = OVERLOAD_MONITOR)
  public OverloadMonitor sluiceOverloadMonitor(@Qualifier(LIMITER) Limiter limiter) {
    return OverloadMonitor.newBuilder(limiter).build();
  }

  private static PriorityHeader priorityHeader(SluiceProperties properties) {
    List<String> trusted = properties.getTrustedSources();
    if (trusted.isEmpty()) {
      return PriorityHeader.newBuilder().build();
    }
    TrustedSources sources;
    try {
      sources = TrustedSources.of(trusted.toArray(new String[0]));
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationPropertyValueException("sluice.trusted-sources", trusted,
          e.getMessage());
    }
    return PriorityHeader.newBuilder().trustedSources(sources).build();
  }

  /** Runs one step of the route table's builder, naming the property if it refuses the value. */
  private static void apply(String property, String value, Runnable step) {
    try {
      step.run();
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationPropertyValueException(property, value, e.getMessage());
    }
  }
}
