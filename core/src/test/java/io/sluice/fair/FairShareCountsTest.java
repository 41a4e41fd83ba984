package io.sluice.fair;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.Ticket;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A fair-share gate's live interface answers live state only; its counts are read from {@code
 * snapshot()}, as for every other guard (docs/api-conventions.md).
 */
class FairShareCountsTest {

  private static final String[] COUNTS =
      {"fairShareRejections", "overflowAdmissions", "evictions", "invalidReleases"};

  @Test
  void theCountsAreOnTheSnapshotOnly() {
    String[] live = Arrays.stream(FairShare.class.getMethods()).map(Method::getName).distinct()
        .toArray(String[]::new);
    assertThat(live).contains("snapshot", "tenants", "activeWeight", "held")
        .doesNotContain(COUNTS);
    String[] snapshot = Arrays.stream(FairShareSnapshot.class.getMethods()).map(Method::getName)
        .distinct().toArray(String[]::new);
    assertThat(snapshot).contains(COUNTS);
  }

  @Test
  void theBuiltGatesSnapshotCountsASecondReleaseAndTheDefaultOneCountsNothing() {
    ManualClock clock = new ManualClock();
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(4)).build();
    FairShare<String> gate = FairShare.newBuilder(limiter).clock(clock).reserve(0).build();
    long permit = gate.tryAcquire("a", 2);
    assertThat(Ticket.isPermit(permit)).isTrue();
    gate.release(permit, Outcome.SUCCESS);
    gate.release(permit, Outcome.SUCCESS);

    FairShareSnapshot s = gate.snapshot();
    assertThat(s.invalidReleases()).isEqualTo(1);
    assertThat(s.fairShareRejections()).isZero();
    assertThat(s.evictions()).isZero();
    assertThat(s.overflowAdmissions()).isZero();
    assertThat(limiter.inFlight()).isZero();

    FairShare<String> onlyLive = new ForwardingLive<>(gate);
    assertThat(onlyLive.snapshot().invalidReleases()).as("the default knows no count").isZero();
    assertThat(onlyLive.snapshot().maxTenants()).isEqualTo(gate.maxTenants());
  }

  /** A decorator that forwards the live methods only, as a user's might: the default snapshot. */
  private static final class ForwardingLive<K> implements FairShare<K> {
    private final FairShare<K> gate;

    ForwardingLive(FairShare<K> gate) {
      this.gate = gate;
    }

    @Override
    public long tryAcquire(K tenant) {
      return gate.tryAcquire(tenant);
    }

    @Override
    public long tryAcquire(K tenant, int cost) {
      return gate.tryAcquire(tenant, cost);
    }

    @Override
    public long tryAcquire(K tenant, int cost, Priority priority) {
      return gate.tryAcquire(tenant, cost, priority);
    }

    @Override
    public boolean release(long permit, Outcome outcome) {
      return gate.release(permit, outcome);
    }

    @Override
    public boolean sample(long permit) {
      return gate.sample(permit);
    }

    @Override
    public boolean adjust(long permit, int newCost) {
      return gate.adjust(permit, newCost);
    }

    @Override
    public Limiter limiter() {
      return gate.limiter();
    }

    @Override
    public long held(K tenant) {
      return gate.held(tenant);
    }

    @Override
    public long activeWeight() {
      return gate.activeWeight();
    }

    @Override
    public int tenants() {
      return gate.tenants();
    }

    @Override
    public int maxTenants() {
      return gate.maxTenants();
    }

    @Override
    public int cleanUp() {
      return gate.cleanUp();
    }
  }
}
