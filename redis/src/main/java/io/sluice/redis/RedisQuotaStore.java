package io.sluice.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A {@link QuotaStore} on Redis (5 or later; tested on 7), through one Lettuce connection used
 * asynchronously. Each step is one {@code EVALSHA} of a Lua script that runs GCRA atomically on the
 * server (with {@code EVAL} when the server has lost the script, after a restart or a
 * {@code SCRIPT FLUSH}), so a step costs one round trip however many nodes contend for the key.
 * A bucket is one short string key with an expiry at the moment it is full again.
 *
 * <pre>{@code
 * RedisQuotaStore store = RedisQuotaStore.connect(RedisURI.create("redis://quota-redis:6379"));
 * GlobalRateLimiter quotas = GlobalRateLimiter.newBuilder()
 *     .store(store).name("api").rate(600, Duration.ofMinutes(1)).failOpen(20).build();
 * }</pre>
 *
 * <p>Lettuce sends commands from many threads over one connection (pipelining), so one store serves
 * a whole process; more connections do not make it faster. Keys are sent as given: put them in
 * one Redis Cluster slot per key, as every step touches exactly one key.
 *
 * <h2>Thread-safety contract</h2>
 * Thread-safe: {@link #take} may be called from any thread, never blocks, and never throws; a
 * failure (connection lost, server error, closed store) completes the returned stage
 * exceptionally. {@link #close()} is idempotent.
 */
public final class RedisQuotaStore implements QuotaStore {
  private final StatefulRedisConnection<String, String> connection;
  private final RedisAsyncCommands<String, String> commands;
  /** What closing this store also shuts down: the client and resources it created, or null. */
  private final RedisClient ownedClient;
  private final ClientResources ownedResources;

  private RedisQuotaStore(StatefulRedisConnection<String, String> connection,
      RedisClient ownedClient, ClientResources ownedResources) {
    this.connection = connection;
    this.commands = connection.async();
    this.ownedClient = ownedClient;
    this.ownedResources = ownedResources;
  }

  /**
   * Connects to the server at {@code uri} with a client of its own, set up for a quota store:
   * commands sent while disconnected fail at once (the limiter then falls back instead of waiting
   * for its budget), a command that gets no answer is dropped after 10 seconds, and reconnection
   * is retried every 10 ms to 1 s. Closing the store shuts that client down.
   *
   * @throws io.lettuce.core.RedisConnectionException if the server cannot be reached now (once
   *     connected, the store reconnects by itself)
   */
  public static RedisQuotaStore connect(RedisURI uri) {
    ClientResources resources = DefaultClientResources.builder()
        .ioThreadPoolSize(2)
        .computationThreadPoolSize(2)
        .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2,
            TimeUnit.MILLISECONDS))
        .build();
    RedisClient client = RedisClient.create(resources, uri);
    client.setOptions(recommendedOptions());
    try {
      return new RedisQuotaStore(client.connect(StringCodec.UTF8), client, resources);
    } catch (RuntimeException e) {
      client.shutdown();
      resources.shutdown();
      throw e;
    }
  }

  /**
   * Opens a connection of its own on {@code client}, which the caller keeps owning (closing the
   * store closes only the connection). Configure the client as {@link #recommendedOptions()} does,
   * or a store call made while Redis is unreachable waits out the limiter's budget.
   *
   * @throws io.lettuce.core.RedisConnectionException if the server cannot be reached now
   */
  public static RedisQuotaStore connect(RedisClient client) {
    return new RedisQuotaStore(client.connect(StringCodec.UTF8), null, null);
  }

  /**
   * Returns the client options a quota store wants: reconnect automatically, reject commands while
   * disconnected instead of buffering them, and drop a command after 10 seconds without an answer
   * (so a server that is paused does not make the client hold its commands forever).
   */
  public static ClientOptions recommendedOptions() {
    return ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(10)))
        .build();
  }

  @Override
  public CompletionStage<Long> take(String key, Quota quota, int min, int max, long nowNanos) {
    try {
      Step step = new Step(key, quota, min, max, nowNanos);
      CompletionStage<Long> sent =
          commands.evalsha(GcraScript.SHA1, ScriptOutputType.INTEGER, step.keys, step.args);
      return sent.exceptionallyCompose(step);
    } catch (RuntimeException e) {
      // Lettuce throws rather than fails the future in a few states (a closed connection).
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void close() {
    connection.close();
    if (ownedClient != null) {
      ownedClient.shutdown();
      ownedResources.shutdown();
    }
  }

  @Override
  public String toString() {
    return "RedisQuotaStore[" + (connection.isOpen() ? "open" : "closed") + "]";
  }

  /** One step's arguments, and the retry with EVAL when the server answers NOSCRIPT. */
  private final class Step implements Function<Throwable, CompletionStage<Long>> {
    final String[] keys;
    final String[] args;

    Step(String key, Quota quota, int min, int max, long nowNanos) {
      this.keys = new String[] {key};
      if (nowNanos == STORE_CLOCK) {
        this.args = new String[] {quota.unitsPerNanoArg, quota.intervalArg, quota.toleranceArg,
            Integer.toString(min), Integer.toString(max)};
      } else {
        this.args = new String[] {quota.unitsPerNanoArg, quota.intervalArg, quota.toleranceArg,
            Integer.toString(min), Integer.toString(max),
            Long.toString(Math.floorDiv(nowNanos, 1_000_000_000L)),
            Long.toString(Math.floorMod(nowNanos, 1_000_000_000L))};
      }
    }

    @Override
    public CompletionStage<Long> apply(Throwable failure) {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause()
          : failure;
      if (!(cause instanceof RedisNoScriptException)) {
        return CompletableFuture.failedFuture(cause);
      }
      try {
        return commands.eval(GcraScript.SOURCE, ScriptOutputType.INTEGER, keys, args);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
  }
}
