package io.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.docs.DocSnippets;
import io.sluice.http.RouteTable;
import io.sluice.http.TenantHeader;
import io.sluice.limit.GradientLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.servlet.OutcomeMapping;
import io.sluice.servlet.OutcomeMapping.Ending;
import io.sluice.servlet.SluiceFilter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.health.actuate.endpoint.SimpleHttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.SimpleStatusAggregator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;

/**
 * The Java blocks of docs/23-spring-boot.md, line for line (the last test checks it), run in a
 * Spring application context with the starter; and the page's claims about Spring Boot's health
 * aggregation.
 */
@Timeout(60)
class SpringBootDocsTest {
  private final WebApplicationContextRunner web = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(SluiceAutoConfiguration.class,
          SluiceHealthAutoConfiguration.class));

  /** The page's beans, as an application would declare them. */
  @Configuration(proxyBeanMethods = false)
  static class Overrides {
    @Bean
    Limiter sluiceLimiter() {                                    // replaces sluice.limiter
      return Limiter.newBuilder()
          .algorithm(GradientLimit.newBuilder().maxLimit(200))
          .build();
    }

    @Bean
    OutcomeMapping outcomes() {
      return (ending, status, failure) -> status == 502
          ? Outcome.DROPPED                                      // our proxy's overload answer
          : OutcomeMapping.standard().outcome(ending, status, failure);
    }

    @Bean
    TenantHeader tenants() {                                     // X-Tenant, 400 if malformed
      return TenantHeader.newBuilder().build();
    }
  }

  @Test
  void theApplicationsBeansAreTheOnesUsed() {
    web.withUserConfiguration(Overrides.class).run(context -> {
      assertThat(context).hasNotFailed();
      Limiter limiter = context.getBean(SluiceAutoConfiguration.LIMITER, Limiter.class);
      assertThat(limiter.snapshot().maxLimit()).isEqualTo(200);
      @SuppressWarnings("unchecked")
      RouteTable<Limiter> routes = context.getBean(RouteTable.class);
      assertThat(routes.route("/orders").target()).isSameAs(limiter);
      OutcomeMapping outcomes = context.getBean(OutcomeMapping.class);
      assertThat(outcomes.outcome(Ending.COMPLETED, 502, null)).isEqualTo(Outcome.DROPPED);
      assertThat(outcomes.outcome(Ending.COMPLETED, 200, null)).isEqualTo(Outcome.SUCCESS);
    });
  }

  @Test
  void shadowModeThenEnforcing() {
    web.withPropertyValues("sluice.monitor-only=true").run(context -> {
      assertThat(context.getBean(SluiceFilter.class).monitorOnly()).isTrue();
      SluiceFilter filter = context.getBean(SluiceFilter.class);
      filter.monitorOnly(false);                                   // enforcing from now on
      assertThat(context.getBean(SluiceAutoConfiguration.LIMITER, Limiter.class).monitorOnly())
          .isFalse();
    });
  }

  @Test
  void degradedShowsInTheAggregateOnlyWhenRanked() {
    Status degraded = SluiceHealthIndicator.DEGRADED;
    assertThat(new SimpleStatusAggregator().getAggregateStatus(Status.UP, degraded))
        .as("Spring Boot's default order").isEqualTo(Status.UP);
    assertThat(new SimpleStatusAggregator("DOWN", "OUT_OF_SERVICE", "DEGRADED", "UP", "UNKNOWN")
        .getAggregateStatus(Status.UP, degraded)).isEqualTo(degraded);
    assertThat(new SimpleStatusAggregator().getAggregateStatus(Status.UP, Status.OUT_OF_SERVICE))
        .isEqualTo(Status.OUT_OF_SERVICE);
    SimpleHttpCodeStatusMapper http = new SimpleHttpCodeStatusMapper();
    assertThat(http.getStatusCode(degraded)).isEqualTo(200);
    assertThat(http.getStatusCode(Status.OUT_OF_SERVICE)).isEqualTo(503);
  }

  @Test
  void thePagesYamlBindsAsItSays() throws Exception {
    String yaml = DocSnippets.blocks(DocSnippets.page("docs/23-spring-boot.md"), "yaml").get(0);
    List<PropertySource<?>> sources = new YamlPropertySourceLoader()
        .load("docs", new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8)));
    web.withInitializer(context -> sources.forEach(
        source -> context.getEnvironment().getPropertySources().addFirst(source)))
        .run(context -> {
          assertThat(context).hasNotFailed();
          @SuppressWarnings("unchecked")
          RouteTable<Limiter> routes = context.getBean(RouteTable.class);
          Limiter fallback = routes.route("/orders").target();
          assertThat(fallback.snapshot().minLimit()).isEqualTo(4);
          assertThat(fallback.snapshot().maxLimit()).isEqualTo(400);
          Limiter search = routes.route("/search").target();
          assertThat(search.snapshot().maxLimit()).isEqualTo(50);
          assertThat(search.snapshot().minLimit()).as("inherited").isEqualTo(4);
          Limiter export = routes.route("/export/x").target();
          assertThat(export.limit()).isEqualTo(2);
          assertThat(export.snapshot().maxLimit()).as("fixed").isEqualTo(2);
          assertThat(routes.route("/ping").bypass()).isTrue();
          assertThat(routes.route("/internal/jobs").bypass()).isTrue();
          assertThat(routes.route("/actuator/health").bypass()).isTrue();
          assertThat(context.getBean(SluiceFilter.class).monitorOnly()).isTrue();
        });
  }

  @Test
  void theDocsShowTheseLines() {
    DocSnippets.assertShownInOrder(DocSnippets.page("docs/23-spring-boot.md"),
        Path.of("src", "test", "java", "io", "sluice", "spring", "SpringBootDocsTest.java"));
  }
}
