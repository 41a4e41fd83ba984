package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The limiter's builder takes an algorithm factory and calls it once per limiter, so that no two
 * limiters share an algorithm's state by accident; a factory that hands out an instance a limiter
 * already owns is refused.
 */
class AlgorithmFactoryTest {
  private final ManualClock clock = new ManualClock();

  @Test
  void theFactoryIsCalledOncePerBuildAndTheBuilderMayBuildTwice() {
    AtomicInteger calls = new AtomicInteger();
    Limiter.Builder builder = Limiter.newBuilder().clock(clock).algorithm(() -> {
      calls.incrementAndGet();
      return VegasLimit.newBuilder().initialLimit(4).maxLimit(8).build();
    });
    Limiter first = builder.build();
    Limiter second = builder.build();
    assertThat(calls.get()).isEqualTo(2);
    assertThat(first.limit()).isEqualTo(4);
    assertThat(second.limit()).isEqualTo(4);
  }

  @Test
  void everyAlgorithmBuilderIsAFactoryOfFreshInstances() {
    VegasLimit.Builder vegas = VegasLimit.newBuilder();
    AimdLimit.Builder aimd = AimdLimit.newBuilder().timeout(Duration.ofMillis(50));
    GradientLimit.Builder gradient = GradientLimit.newBuilder();
    assertThat(vegas.get()).isNotSameAs(vegas.get());
    assertThat(aimd.get()).isNotSameAs(aimd.get());
    assertThat(gradient.get()).isNotSameAs(gradient.get());
    for (Supplier<? extends LimitAlgorithm> factory : List.of(vegas, aimd, gradient)) {
      Limiter.Builder builder = Limiter.newBuilder().clock(clock).algorithm(factory);
      assertThat(builder.build()).isNotSameAs(builder.build());
    }
  }

  @Test
  void anInstanceOwnedByALimiterIsRefusedByAnotherBuilder() {
    VegasLimit shared = VegasLimit.newBuilder().build();
    Limiter.newBuilder().clock(clock).algorithm(() -> shared).build();
    assertThatThrownBy(() -> Limiter.newBuilder().clock(clock).algorithm(() -> shared).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already belongs to a limiter")
        .hasMessageContaining("VegasLimit.newBuilder()");
  }

  @Test
  void aFactoryOfOneSharedInstanceIsRefusedOnItsSecondBuild() {
    AimdLimit shared = AimdLimit.newBuilder().timeout(Duration.ofMillis(50)).build();
    GradientLimit gradient = GradientLimit.newBuilder().build();
    Limiter.Builder aimdBuilder = Limiter.newBuilder().clock(clock).algorithm(() -> shared);
    Limiter.Builder gradientBuilder = Limiter.newBuilder().clock(clock).algorithm(() -> gradient);
    aimdBuilder.build();
    gradientBuilder.build();
    assertThatThrownBy(aimdBuilder::build).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already belongs to a limiter");
    assertThatThrownBy(gradientBuilder::build).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already belongs to a limiter");
  }

  @Test
  void aRefusedBuildLeavesTheInstanceUnclaimedWhenItsBoundsFail() {
    // Bounds are checked before the claim: a failed build does not make the instance unusable.
    VegasLimit vegas = VegasLimit.newBuilder().initialLimit(4).maxLimit(8).build();
    Limiter.Builder badRetryAfter = Limiter.newBuilder().clock(clock).algorithm(() -> vegas)
        .retryAfter(Duration.ofMillis(100), Duration.ofMillis(100)).retryAfterJitter(0.5);
    assertThatThrownBy(badRetryAfter::build).isInstanceOf(IllegalArgumentException.class);
    assertThat(Limiter.newBuilder().clock(clock).algorithm(() -> vegas).build().limit())
        .isEqualTo(4);
  }

  @Test
  void anImmutableFixedLimitIsItsOwnFactoryAndMayServeManyLimiters() {
    FixedLimit twenty = FixedLimit.of(20);
    assertThat(twenty.get()).isSameAs(twenty);
    Limiter a = Limiter.newBuilder().clock(clock).algorithm(twenty).build();
    Limiter b = Limiter.newBuilder().clock(clock).algorithm(twenty).build();
    assertThat(a.limit()).isEqualTo(20);
    assertThat(b.limit()).isEqualTo(20);
  }

  @Test
  void aFactoryReturningNullIsRefusedWithItsName() {
    assertThatThrownBy(() -> Limiter.newBuilder().algorithm(() -> null).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("returned null");
  }
}
