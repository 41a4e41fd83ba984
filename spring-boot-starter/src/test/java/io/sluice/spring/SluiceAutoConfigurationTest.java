package io.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Limiter;
import io.sluice.http.HttpRefusals;
import io.sluice.http.RouteTable;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.micrometer.SluiceMeterBinder;
import io.sluice.servlet.SluiceFilter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ContextConsumer;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The auto-configuration in real Spring application contexts: the beans and their conditions,
 * property binding, user beans that replace the starter's, and start-up failures that name the bad
 * property.
 */
@Timeout(60)
class SluiceAutoConfigurationTest {
  private static final AutoConfigurations STARTER = AutoConfigurations.of(
      SluiceAutoConfiguration.class, SluiceMetricsAutoConfiguration.class,
      SluiceHealthAutoConfiguration.class);

  private final WebApplicationContextRunner web = new WebApplicationContextRunner()
      .withConfiguration(STARTER);

  @SuppressWarnings("unchecked")
  private static RouteTable<Limiter> routes(AssertableWebApplicationContext context) {
    return context.getBean(RouteTable.class);
  }

  @Test
  void aServletAppGetsTheFilterRegisteredAsyncFirst() {
    web.run(context -> {
      assertThat(context).hasNotFailed()
          .hasSingleBean(SluiceFilter.class)
          .hasSingleBean(HttpRefusals.class)
          .hasBean(SluiceAutoConfiguration.LIMITER)
          .hasBean(SluiceAutoConfiguration.OVERLOAD_MONITOR);
      FilterRegistrationBean<?> registration = context.getBean(
          SluiceAutoConfiguration.REGISTRATION, FilterRegistrationBean.class);
      assertThat(registration.getFilter()).isSameAs(context.getBean(SluiceFilter.class));
      assertThat(registration.isAsyncSupported()).isTrue();
      assertThat(registration.getUrlPatterns()).containsExactly("/*");
      assertThat(registration.getOrder()).isEqualTo(Integer.MIN_VALUE + 100);
      Limiter limiter = context.getBean(SluiceAutoConfiguration.LIMITER, Limiter.class);
      assertThat(limiter.limit()).as("core's default initial limit").isEqualTo(20);
      assertThat(routes(context).route("/actuator/health").bypass()).isTrue();
      assertThat(routes(context).route("/orders").target()).isSameAs(limiter);
      assertThat(context.getBean(SluiceFilter.class).monitorOnly()).isFalse();
      assertThat(context.getBean(HttpRefusals.class).overloadStatus()).isEqualTo(503);
    });
  }

  @Test
  void propertiesShapeTheLimitersRoutesAndRefusals() {
    web.withPropertyValues(
        "sluice.limiter.algorithm=fixed",
        "sluice.limiter.initial-limit=7",
        "sluice.routes[0].prefix=/search",
        "sluice.routes[0].algorithm=aimd",
        "sluice.routes[0].max-limit=5",
        "sluice.routes[1].prefix=/export",
        "sluice.bypass-paths=/ping",
        "sluice.bypass-prefixes=/internal,/actuator",
        "sluice.overload-status=429",
        "sluice.trusted-sources=10.0.0.0/8",
        "sluice.filter.order=5",
        "sluice.filter.url-patterns=/api/*")
        .run(context -> {
          assertThat(context).hasNotFailed();
          RouteTable<Limiter> routes = routes(context);
          Limiter fallback = context.getBean(SluiceAutoConfiguration.LIMITER, Limiter.class);
          assertThat(fallback.limit()).isEqualTo(7);
          assertThat(fallback.snapshot().maxLimit()).as("fixed").isEqualTo(7);
          Limiter search = routes.route("/search/q").target();
          assertThat(search).isNotSameAs(fallback);
          assertThat(search.snapshot().maxLimit()).isEqualTo(5);
          assertThat(search.limit()).as("the inherited 7 clamped to its max").isEqualTo(5);
          Limiter export = routes.route("/export/all").target();
          assertThat(export).isNotSameAs(fallback).isNotSameAs(search);
          assertThat(export.limit()).as("fixed 7, inherited").isEqualTo(7);
          assertThat(routes.route("/ping").bypass()).isTrue();
          assertThat(routes.route("/internal/x").bypass()).isTrue();
          assertThat(routes.route("/actuator/health").bypass()).isTrue();
          assertThat(routes.route("/pingpong").bypass()).isFalse();
          assertThat(context.getBean(HttpRefusals.class).overloadStatus()).isEqualTo(429);
          FilterRegistrationBean<?> registration = context.getBean(
              SluiceAutoConfiguration.REGISTRATION, FilterRegistrationBean.class);
          assertThat(registration.getOrder()).isEqualTo(5);
          assertThat(registration.getUrlPatterns()).containsExactly("/api/*");
        });
  }

  @Test
  void monitorOnlyStartsInShadowMode() {
    web.withPropertyValues("sluice.monitor-only=true", "sluice.routes[0].prefix=/search")
        .run(context -> {
          SluiceFilter filter = context.getBean(SluiceFilter.class);
          assertThat(filter.monitorOnly()).isTrue();
          assertThat(routes(context).route("/search").target().monitorOnly()).isTrue();
          filter.monitorOnly(false);
          assertThat(context.getBean(SluiceAutoConfiguration.LIMITER, Limiter.class)
              .monitorOnly()).isFalse();
        });
  }

  @Test
  void disabledRegistersNothing() {
    web.withPropertyValues("sluice.enabled=false").run(context -> assertThat(context)
        .hasNotFailed()
        .doesNotHaveBean(SluiceFilter.class)
        .doesNotHaveBean(SluiceAutoConfiguration.REGISTRATION)
        .doesNotHaveBean(SluiceAutoConfiguration.LIMITER)
        .doesNotHaveBean(SluiceHealthIndicator.class)
        .doesNotHaveBean(SluiceMeterBinder.class));
  }

  @Test
  void aNonWebAppGetsNothing() {
    new ApplicationContextRunner().withConfiguration(STARTER)
        .withBean(SimpleMeterRegistry.class)
        .run(context -> assertThat(context).hasNotFailed()
            .doesNotHaveBean(SluiceFilter.class)
            .doesNotHaveBean(Limiter.class)
            .doesNotHaveBean(SluiceMeterBinder.class));
  }

  @Test
  void theApplicationsBeansReplaceTheStarters() {
    web.withUserConfiguration(UserBeans.class).run(context -> {
      assertThat(context).hasNotFailed();
      Limiter users = context.getBean(SluiceAutoConfiguration.LIMITER, Limiter.class);
      assertThat(users.limit()).isEqualTo(3);
      assertThat(routes(context).route("/any").target()).isSameAs(users);
      assertThat(context.getBean(HttpRefusals.class).overloadStatus()).isEqualTo(429);
      assertThat(context.getBean(OverloadMonitor.class))
          .isSameAs(context.getBean(SluiceAutoConfiguration.OVERLOAD_MONITOR));
    });
    web.withUserConfiguration(UserFilter.class).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(SluiceFilter.class);
      SluiceFilter filter = context.getBean(SluiceFilter.class);
      assertThat(filter.monitorOnly()).as("the user's filter").isTrue();
      assertThat(context.getBean(SluiceAutoConfiguration.REGISTRATION,
          FilterRegistrationBean.class).getFilter()).isSameAs(filter);
    });
  }

  @Test
  void metersWhenTheApplicationHasARegistry() {
    web.run(context -> assertThat(context).doesNotHaveBean(SluiceMeterBinder.class));
    web.withBean(SimpleMeterRegistry.class)
        .withPropertyValues("sluice.routes[0].prefix=/search")
        .run(context -> {
          assertThat(context).hasSingleBean(SluiceMeterBinder.class)
              .hasBean(SluiceMetricsAutoConfiguration.ROUTES_BINDER);
          SimpleMeterRegistry registry = new SimpleMeterRegistry();
          context.getBean(SluiceMeterBinder.class).bindTo(registry);
          context.getBean(SluiceMetricsAutoConfiguration.ROUTES_BINDER,
              io.micrometer.core.instrument.binder.MeterBinder.class).bindTo(registry);
          assertThat(registry.get("sluice.limiter.limit").tag("name", "default").gauge().value())
              .isEqualTo(20.0);
          assertThat(registry.get("sluice.limiter.limit").tag("name", "/search").gauge().value())
              .isEqualTo(20.0);
          assertThat(registry.get("sluice.overload.state").tag("name", "default").gauge())
              .isNotNull();
        });
  }

  @Test
  void withoutMicrometerOrTheActuatorTheFilterStillStarts() {
    web.withBean(SimpleMeterRegistry.class)
        .withClassLoader(new FilteredClassLoader("io.micrometer", "io.sluice.micrometer",
            "org.springframework.boot.health"))
        .run(context -> assertThat(context).hasNotFailed()
            .hasSingleBean(SluiceFilter.class)
            .doesNotHaveBean(SluiceMetricsAutoConfiguration.BINDER)
            .doesNotHaveBean(SluiceHealthAutoConfiguration.INDICATOR));
  }

  @Test
  void theHealthIndicatorFollowsItsSwitch() {
    web.run(context -> assertThat(context).hasSingleBean(SluiceHealthIndicator.class));
    web.withPropertyValues("management.health.sluice.enabled=false")
        .run(context -> assertThat(context).hasNotFailed()
            .doesNotHaveBean(SluiceHealthIndicator.class));
  }

  // ------------------------------------------------------------------------ bad values

  @Test
  void anUnknownAlgorithmFailsTheStartNamingTheProperty() {
    fails("sluice.limiter.algorithm", "sluice.limiter.algorithm=cubic");
  }

  @Test
  void badBoundsFailTheStartNamingTheProperty() {
    fails("sluice.limiter.min-limit", "sluice.limiter.min-limit=0");
    fails("sluice.limiter.max-limit", "sluice.limiter.max-limit=" + (1 << 21));
    fails("sluice.limiter.max-limit", "sluice.limiter.min-limit=50",
        "sluice.limiter.max-limit=10");
    fails("sluice.limiter.initial-limit", "sluice.limiter.initial-limit=100",
        "sluice.limiter.max-limit=10");
    fails("sluice.limiter.initial-limit", "sluice.limiter.algorithm=fixed",
        "sluice.limiter.initial-limit=-1");
    fails("sluice.limiter.min-limit", "sluice.limiter.min-limit=many");
  }

  @Test
  void badRoutesFailTheStartNamingTheProperty() {
    fails("sluice.routes[0].prefix", "sluice.routes[0].max-limit=5");
    fails("sluice.routes[0].prefix", "sluice.routes[0].prefix=search");
    fails("sluice.routes[1].prefix", "sluice.routes[0].prefix=/a", "sluice.routes[1].prefix=/a");
    fails("sluice.routes[0].max-limit", "sluice.routes[0].prefix=/a",
        "sluice.routes[0].max-limit=0");
    fails("sluice.routes[0].initial-limit", "sluice.routes[0].prefix=/a",
        "sluice.routes[0].initial-limit=50", "sluice.routes[0].max-limit=10");
    fails("sluice.bypass-paths[0]", "sluice.bypass-paths=health");
  }

  @Test
  void otherBadValuesFailTheStartNamingTheProperty() {
    fails("sluice.overload-status", "sluice.overload-status=500");
    fails("sluice.trusted-sources", "sluice.trusted-sources=not-an-address/99");
  }

  private void fails(String property, String... values) {
    ContextConsumer<AssertableWebApplicationContext> check = context -> {
      assertThat(context).as("%s", (Object) values).hasFailed();
      assertThat(messages(context.getStartupFailure())).as("%s", (Object) values)
          .contains(property);
    };
    web.withPropertyValues(values).run(check);
  }

  /** The messages of a failure and its causes, as a start-up report shows them. */
  private static String messages(Throwable failure) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }

  @Configuration(proxyBeanMethods = false)
  static class UserBeans {
    @Bean
    Limiter sluiceLimiter() {
      return Limiter.newBuilder().algorithm(FixedLimit.of(3)).build();
    }

    @Bean
    HttpRefusals refusals() {
      return HttpRefusals.newBuilder().overloadStatus(429).build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserFilter {
    @Bean
    SluiceFilter myFilter() {
      return SluiceFilter.newBuilder(Limiter.newBuilder().build()).monitorOnly(true).build();
    }
  }
}
