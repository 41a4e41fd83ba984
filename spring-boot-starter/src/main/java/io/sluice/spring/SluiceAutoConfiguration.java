package io.sluice.spring;

import io.sluice.Limiter;
import io.sluice.http.HttpRefusals;
import io.sluice.http.PriorityHeader;
import io.sluice.http.RouteTable;
import io.sluice.http.Tenant;
import io.sluice.http.TenantHeader;
import io.sluice.http.TrustedSources;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.servlet.OutcomeMapping;
import io.sluice.servlet.SluiceFilter;
import java.time.Duration;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Registers {@link SluiceFilter} in a servlet web application, built from {@link SluiceProperties}:
 * the default limiter ({@code sluiceLimiter}), the route table, the refusals, the filter, its
 * registration (async supported) and an {@link OverloadMonitor} of the default limiter; with
 * {@code sluice.quota.requests}, a quota per tenant ({@code sluiceQuotas}) read from the tenant
 * header ({@code sluiceTenantHeader}), refused with {@code 429} by the same filter. Every bean
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
  /** The name of the per-tenant quota bean, a {@code KeyedRateLimiter<Tenant>}. */
  public static final String QUOTAS = "sluiceQuotas";

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

  /**
   * The refusals: 503 (or {@code sluice.overload-status}) with Retry-After and a problem body;
   * a quota refusal, 429, advertises {@code sluice.quota} when its period is whole seconds.
   */
  @Bean
  @ConditionalOnMissingBean
  public HttpRefusals sluiceHttpRefusals(SluiceProperties properties) {
    int status = properties.getOverloadStatus();
    if (status != 503 && status != 429) {
      throw new InvalidConfigurationPropertyValueException("sluice.overload-status", status,
          "The status of an overload refusal is 503 or 429.");
    }
    HttpRefusals.Builder refusals = HttpRefusals.newBuilder().overloadStatus(status);
    SluiceProperties.Quota quota = properties.getQuota();
    Duration period = quota.getPeriod();
    if (quota.getRequests() != null && period != null && period.getNano() == 0
        && period.getSeconds() >= 1) {
      apply("sluice.quota.requests", quota.getRequests(),
          () -> refusals.quotaPolicy("tenant", quota.getRequests(), period));
    }
    return refusals.build();
  }

  /** How a request's tenant is read, from {@code sluice.tenant}: the key of its quota. */
  @Bean
  @ConditionalOnMissingBean
  @Conditional(TenantsWanted.class)
  public TenantHeader sluiceTenantHeader(SluiceProperties properties) {
    SluiceProperties.TenantField tenant = properties.getTenant();
    TenantHeader.Builder header = TenantHeader.newBuilder();
    apply("sluice.tenant.header", tenant.getHeader(), () -> header.name(tenant.getHeader()));
    apply("sluice.tenant.anonymous", tenant.getAnonymous(),
        () -> header.anonymous(tenant.getAnonymous()));
    if (tenant.isRequired()) {
      header.required();
    }
    return header.build();
  }

  /**
   * Each tenant's quota, from {@code sluice.quota}: {@code requests} per {@code period}, refused
   * with 429 and Retry-After once spent.
   */
  @Bean(name = QUOTAS)
  @ConditionalOnMissingBean(name = QUOTAS)
  @ConditionalOnProperty(prefix = "sluice.quota", name = "requests")
  public KeyedRateLimiter<Tenant> sluiceQuotas(SluiceProperties properties) {
    SluiceProperties.Quota quota = properties.getQuota();
    long requests = quota.getRequests();
    Duration period = quota.getPeriod();
    int burst = quota.getBurst() != null ? quota.getBurst()
        : (int) Math.min(requests, 1_000_000_000L); // the builder's largest burst
    var builder = KeyedRateLimiter.newBuilder();
    apply("sluice.quota.requests", requests, () -> builder.rate(requests, Duration.ofSeconds(1)));
    apply("sluice.quota.period", period, () -> builder.rate(requests, period));
    apply("sluice.quota.burst", burst, () -> builder.burst(burst));
    apply("sluice.quota.max-keys", quota.getMaxKeys(), () -> builder.maxKeys(quota.getMaxKeys()));
    try {
      return builder.build();
    } catch (IllegalArgumentException e) { // the burst takes longer than a year to refill
      throw new InvalidConfigurationPropertyValueException("sluice.quota.burst", burst,
          e.getMessage());
    }
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
      ObjectProvider<TenantHeader> tenants, ObjectProvider<OutcomeMapping> outcomes,
      ObjectProvider<KeyedRateLimiter<Tenant>> quotas) {
    SluiceFilter.Builder filter = SluiceFilter.newBuilder(routes)
        .refusals(refusals)
        .priorities(priorities.getIfAvailable(() -> priorityHeader(properties)))
        .monitorOnly(properties.isMonitorOnly());
    KeyedRateLimiter<Tenant> quota = quotas.getIfAvailable();
    TenantHeader tenant = tenants.getIfAvailable(
        () -> quota == null ? null : TenantHeader.newBuilder().build());
    if (tenant != null) {
      filter.tenants(tenant);
    }
    if (quota != null) {
      filter.quotas(quota);
    }
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

  /** Runs one step of a builder, naming the property if it refuses the value. */
  private static void apply(String property, Object value, Runnable step) {
    try {
      step.run();
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationPropertyValueException(property, value, e.getMessage());
    }
  }

  /** Tenants are read when a quota is set, or a tenant header named. */
  static final class TenantsWanted extends AnyNestedCondition {
    TenantsWanted() {
      super(ConfigurationPhase.REGISTER_BEAN);
    }

    @ConditionalOnProperty(prefix = "sluice.quota", name = "requests")
    static final class QuotaSet {
      // a condition only
    }

    @ConditionalOnProperty(prefix = "sluice.tenant", name = "header")
    static final class HeaderNamed {
      // a condition only
    }
  }
}
