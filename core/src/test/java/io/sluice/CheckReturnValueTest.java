package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.errorprone.annotations.CheckReturnValue;
import io.sluice.breaker.CircuitBreaker;
import io.sluice.fair.FairShare;
import io.sluice.pool.PoolGuard;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.rate.RateLimiter;
import io.sluice.rate.TokenQuota;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every public method that hands out a ticket or a permit is marked {@code @CheckReturnValue}, so
 * that Error Prone and IDEs flag a caller that drops it (a permit dropped is never released).
 */
class CheckReturnValueTest {
  private static final Set<String> ACQUIRING = Set.of("tryAcquire", "acquire", "acquireBy");

  @Test
  void everyMethodHandingOutATicketOrAPermitIsMarked() {
    List<String> acquiring = new ArrayList<>();
    List<String> unmarked = new ArrayList<>();
    for (Class<?> type : List.of(Limiter.class, CircuitBreaker.class, RateLimiter.class,
        KeyedRateLimiter.class, TokenQuota.class, FairShare.class, PoolGuard.class)) {
      for (Method m : type.getDeclaredMethods()) {
        if (Modifier.isPublic(m.getModifiers()) && ACQUIRING.contains(m.getName())) {
          acquiring.add(type.getSimpleName() + "." + m.getName());
          if (!m.isAnnotationPresent(CheckReturnValue.class)) {
            unmarked.add(m.toString());
          }
        }
      }
    }
    assertThat(acquiring).hasSize(16);
    assertThat(unmarked).isEmpty();
  }
}
