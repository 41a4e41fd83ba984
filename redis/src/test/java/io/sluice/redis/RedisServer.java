package io.sluice.redis;

import io.lettuce.core.RedisURI;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real redis-server (the Debian package) for the tests: started on a free loopback port with a
 * temporary directory and no persistence, and stopped afterwards. Registered as a static field it
 * serves the whole class; as an instance field, one test.
 *
 * <p>A missing redis-server fails the tests (it is not a reason to skip them): install it with
 * {@code apt-get install redis-server}, as {@code .ci/run} does.
 */
final class RedisServer
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private static final long START_TIMEOUT_SECONDS = 30;

  private final List<String> extraArgs = new ArrayList<>();
  private Path dir;
  private int port;
  private Process process;
  private boolean perClass;

  /** Adds redis-server arguments (such as {@code "--maxmemory", "100mb"}). */
  RedisServer with(String... args) {
    extraArgs.addAll(List.of(args));
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    perClass = true;
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    stop();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    if (!perClass) {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    if (!perClass) {
      stop();
    }
  }

  RedisURI uri() {
    return RedisURI.create("redis://127.0.0.1:" + port);
  }

  long pid() {
    return process.pid();
  }

  /** Starts the server, on the same port as before if it ran already. */
  void start() throws IOException {
    if (dir == null) {
      dir = Files.createTempDirectory("sluice-redis-test");
      port = freePort();
    }
    List<String> command = new ArrayList<>(List.of(executable(), "--port", Integer.toString(port),
        "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "no",
        "--logfile", "", "--loglevel", "notice", "--daemonize", "no"));
    command.addAll(extraArgs);
    process = new ProcessBuilder(command).redirectErrorStream(true).start();
    awaitReady(process);
  }

  /** Kills the server at once (SIGKILL): no shutdown, its data is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** Freezes the server (SIGSTOP): its socket stays open and nothing answers. */
  void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  /** Lets a paused server run again (SIGCONT). */
  void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  void stop() throws IOException {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(RedisServer::delete);
      }
      dir = null;
    }
  }

  private void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).start();
    if (!kill.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
    }
  }

  private static String executable() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path candidate = Path.of(dir, "redis-server");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    for (String fallback : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      if (Files.isExecutable(Path.of(fallback))) {
        return fallback;
      }
    }
    throw new IllegalStateException("redis-server is not installed, and the Redis tests need a "
        + "real server: apt-get install -y redis-server (as .ci/run does)");
  }

  /** Reads the server's log until it accepts connections; the log keeps draining afterwards. */
  private static void awaitReady(Process process) {
    CompletableFuture<Void> ready = new CompletableFuture<>();
    StringBuffer log = new StringBuffer();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (!ready.isDone()) {
            log.append(line).append('\n');
            if (line.contains("Ready to accept connections")) {
              ready.complete(null);
            }
          }
        }
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
      ready.completeExceptionally(new IllegalStateException("redis-server exited:\n" + log));
    }, "redis-server-log");
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("redis-server did not start:\n" + log, e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void delete(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
