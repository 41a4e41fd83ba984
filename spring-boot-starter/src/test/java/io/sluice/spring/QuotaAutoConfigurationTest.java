package io.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.http.HttpRefusals;
import io.sluice.http.Tenant;
import io.sluice.http.TenantHeader;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.servlet.SluiceFilter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.ContextConsumer;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Per-tenant quotas from {@code sluice.quota} and {@code sluice.tenant} in real application
 * contexts: the beans appear only when asked for, their settings come from the properties, the
 * application's beans replace them, and bad values fail the start naming the property.
 */
@Timeout(60)
class QuotaAutoConfigurationTest {
  private final WebApplicationContextRunner web = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(SluiceAutoConfiguration.class));

  @Test
  void withoutAQuotaNoTenantIsReadAndNoQuotaKept() {
    web.run(context -> assertThat(context).hasNotFailed()
        .doesNotHaveBean(SluiceAutoConfiguration.QUOTAS)
        .doesNotHaveBean(TenantHeader.class)
        .doesNotHaveBean(KeyedRateLimiter.class));
  }

  @Test
  void aQuotaFromThePropertiesIsKeptPerTenant() {
    web.withPropertyValues("sluice.quota.requests=3", "sluice.quota.period=1m",
        "sluice.tenant.header=X-Customer").run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(TenantHeader.class);
          KeyedRateLimiter<Tenant> quotas = quotas(context);
          assertThat(quotas.burst()).as("the burst defaults to the requests").isEqualTo(3);
          assertThat(quotas.maxKeys()).isEqualTo(10_000);
          assertThat(context.getBean(TenantHeader.class).name()).isEqualTo("X-Customer");
          assertThat(context.getBean(SluiceFilter.class).toString())
              .contains("X-Customer").contains("quotas");
          assertThat(context.getBean(HttpRefusals.class).toString())
              .as("a 429 advertises the quota").contains("tenant").contains("60");
        });
    web.withPropertyValues("sluice.quota.requests=100", "sluice.quota.burst=10",
        "sluice.quota.max-keys=50").run(context -> {
          KeyedRateLimiter<Tenant> quotas = quotas(context);
          assertThat(quotas.burst()).isEqualTo(10);
          assertThat(quotas.maxKeys()).isEqualTo(50);
          assertThat(context.getBean(TenantHeader.class).name()).isEqualTo("X-Tenant");
        });
  }

  @Test
  void aTenantHeaderAloneReadsTenantsWithoutAQuota() {
    web.withPropertyValues("sluice.tenant.header=X-Customer", "sluice.tenant.required=true")
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(TenantHeader.class)
              .doesNotHaveBean(SluiceAutoConfiguration.QUOTAS);
          assertThat(context.getBean(SluiceFilter.class).toString()).contains("X-Customer")
              .doesNotContain("quotas");
        });
  }

  @Test
  void theApplicationsQuotaAndTenantHeaderReplaceTheStarters() {
    web.withPropertyValues("sluice.quota.requests=3").withUserConfiguration(UserQuota.class)
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(TenantHeader.class);
          assertThat(quotas(context).burst()).isEqualTo(7);
          assertThat(context.getBean(TenantHeader.class).name()).isEqualTo("X-Org");
          assertThat(context.getBean(SluiceFilter.class).toString()).contains("X-Org");
        });
  }

  @Test
  void aQuotaBeanWithoutATenantHeaderReadsTheDefaultOne() {
    web.withUserConfiguration(OnlyQuota.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(SluiceFilter.class).toString()).contains("X-Tenant")
          .contains("quotas");
    });
  }

  @Test
  void badQuotaValuesFailTheStartNamingTheProperty() {
    fails("sluice.quota.requests", "sluice.quota.requests=0");
    fails("sluice.quota.requests", "sluice.quota.requests=2000000000");
    fails("sluice.quota.period", "sluice.quota.requests=5", "sluice.quota.period=0s");
    fails("sluice.quota.period", "sluice.quota.requests=5", "sluice.quota.period=30d");
    fails("sluice.quota.burst", "sluice.quota.requests=5", "sluice.quota.burst=0");
    fails("sluice.quota.max-keys", "sluice.quota.requests=5", "sluice.quota.max-keys=0");
    fails("sluice.tenant.header", "sluice.tenant.header=X Tenant");
    fails("sluice.tenant.anonymous", "sluice.quota.requests=5", "sluice.tenant.anonymous=");
  }

  @SuppressWarnings("unchecked")
  private static KeyedRateLimiter<Tenant> quotas(AssertableWebApplicationContext context) {
    return context.getBean(SluiceAutoConfiguration.QUOTAS, KeyedRateLimiter.class);
  }

  private void fails(String property, String... values) {
    ContextConsumer<AssertableWebApplicationContext> check = context -> {
      assertThat(context).as("%s", (Object) values).hasFailed();
      StringBuilder messages = new StringBuilder();
      for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
        messages.append(t.getMessage()).append('\n');
      }
      assertThat(messages.toString()).as("%s", (Object) values).contains(property);
    };
    web.withPropertyValues(values).run(check);
  }

  @Configuration(proxyBeanMethods = false)
  static class UserQuota {
    @Bean
    KeyedRateLimiter<Tenant> sluiceQuotas() {
      return KeyedRateLimiter.newBuilder().rate(7, Duration.ofSeconds(1)).burst(7).build();
    }

    @Bean
    TenantHeader organisations() {
      return TenantHeader.newBuilder().name("X-Org").build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OnlyQuota {
    @Bean
    KeyedRateLimiter<Tenant> myQuotas() {
      return KeyedRateLimiter.newBuilder().rate(7, Duration.ofSeconds(1)).burst(7).build();
    }
  }
}
