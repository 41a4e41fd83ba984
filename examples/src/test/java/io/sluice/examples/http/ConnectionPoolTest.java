package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.examples.http.ConnectionPool.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionPoolTest {

  @Test
  void capacityIsConnectionsOverMeanServiceTime() {
    ConnectionPool pool = ConnectionPool.create(8, Duration.ofMillis(100));
    assertThat(pool.capacityPerSecond()).isEqualTo(80.0);
    assertThat(pool.size()).isEqualTo(8);
    assertThat(pool.maxServiceTime()).isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void thePoolLendsEachConnectionOnceAndNoneBeyondItsSize() throws InterruptedException {
    ConnectionPool pool = ConnectionPool.create(3, Duration.ofMillis(1));
    List<Connection> borrowed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      borrowed.add(pool.borrow(0));
    }
    assertThat(borrowed).doesNotContainNull().doesNotHaveDuplicates();
    assertThat(pool.borrow(0)).isNull();
    assertThat(pool.idle()).isZero();

    pool.giveBack(borrowed.get(1));
    assertThat(pool.borrow(0)).isSameAs(borrowed.get(1));
  }

  @Test
  void aConnectionOfAnotherPoolIsRefused() throws InterruptedException {
    ConnectionPool pool = ConnectionPool.create(1, Duration.ofMillis(1));
    Connection foreign = ConnectionPool.create(1, Duration.ofMillis(1)).borrow(0);
    assertThatThrownBy(() -> pool.giveBack(foreign))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("connection must belong to this pool");
  }

  @Test
  void anInterruptedQueryIsAbandoned() throws InterruptedException {
    ConnectionPool pool = ConnectionPool.create(1, Duration.ofSeconds(10));
    Connection connection = pool.borrow(0);
    Thread.currentThread().interrupt();
    assertThatThrownBy(connection::query).isInstanceOf(InterruptedException.class);
    assertThat(Thread.interrupted()).isFalse();
  }

  @Test
  void badConfigurationIsNamed() {
    assertThatThrownBy(() -> ConnectionPool.create(0, Duration.ofMillis(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connections must be in [1, 10000] but was 0");
    assertThatThrownBy(() -> ConnectionPool.create(1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("meanServiceTime must be in [PT0.0001S, PT10S] but was PT0S");
    assertThatThrownBy(() -> ConnectionPool.create(1, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("meanServiceTime");
  }
}
