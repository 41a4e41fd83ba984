package io.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A million keys through the Redis store, pipelined: every bucket expires once it is full again,
 * so Redis ends with no key and the memory it had before. Runs on Redis's clock (the buckets refill
 * in one second of real time); the only wait is for those buckets to expire.
 */
@Tag("stress")
class KeyExpiryTest {
  private static final int KEYS = 1_000_000;
  private static final int IN_FLIGHT = 50_000;

  @RegisterExtension
  final RedisServer redis = new RedisServer();

  @Test
  @Timeout(180)
  void millionsOfKeysLeaveNothingBehindOnceTheirBucketsAreFull() throws Exception {
    // One permit a second, burst 2: each key takes one and is full again a second later.
    Quota quota = new Quota(1, TimeUnit.SECONDS.toNanos(1), 2);
    RedisClient client = RedisClient.create(redis.uri());
    try (RedisQuotaStore store = RedisQuotaStore.connect(redis.uri());
        StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> admin = connection.sync();
      long baseline = usedMemory(admin);
      long largest = 0;

      List<CompletableFuture<Long>> window = new ArrayList<>(IN_FLIGHT);
      for (int sent = 0; sent < KEYS; sent += IN_FLIGHT) {
        window.clear();
        for (int i = 0; i < IN_FLIGHT; i++) {
          window.add(store.take("expiry:" + (sent + i), quota, 1, 1, QuotaStore.STORE_CLOCK)
              .toCompletableFuture());
        }
        for (CompletableFuture<Long> reply : window) {
          assertThat(reply.get(30, TimeUnit.SECONDS)).isEqualTo(1L);
        }
        largest = Math.max(largest, admin.dbsize());
      }
      long peakMemory = usedMemory(admin);
      System.out.printf("KeyExpiryTest: %d keys sent; at most %d in Redis at once; used_memory "
          + "%d B before, %d B after sending%n", KEYS, largest, baseline, peakMemory);

      // Keys whose time has passed are deleted when touched: scan until none is left.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (admin.dbsize() > 0) {
        assertThat(System.nanoTime()).as("every bucket expires").isLessThan(deadline);
        scanAll(admin);
      }
      long after = usedMemory(admin);
      System.out.printf("KeyExpiryTest: 0 keys left; used_memory %d B%n", after);
      assertThat(after).as("memory back to what it was").isLessThan(baseline + (8 << 20));
    } finally {
      client.shutdown();
    }
  }

  private static void scanAll(RedisCommands<String, String> admin) {
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = admin.scan(cursor, ScanArgs.Builder.limit(10_000));
      cursor = page;
    } while (!cursor.isFinished());
  }

  private static long usedMemory(RedisCommands<String, String> admin) {
    for (String line : admin.info("memory").split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new IllegalStateException("INFO memory has no used_memory");
  }
}
