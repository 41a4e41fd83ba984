package io.sluice.examples.spring;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot application behind the Sluice starter, configured by
 * {@code application.properties} alone: {@code /hello} answers at once, {@code /report} is
 * computed on another thread (an async request, released when its future completes) behind a
 * limiter of its own, every tenant ({@code X-Tenant}) has a quota, and {@code /actuator/health}
 * bypasses admission and shows the limiter's health. The application's code knows nothing of
 * Sluice. Run it with
 * {@code mvn -B -q -pl examples-spring -am package -DskipTests} and
 * {@code java -jar examples-spring/target/sluice-spring-example.jar [--server.port=8080]}, then
 * try {@code curl -i -H 'X-Tenant: alice' http://127.0.0.1:8080/hello}.
 */
@SpringBootApplication
public class SpringExample {
  /** Creates the configuration; Spring calls it. */
  public SpringExample() {
    // Spring instantiates the configuration; nothing to set up.
  }

  /** Starts the application with these arguments ({@code --server.port=0}: any free port). */
  public static ConfigurableApplicationContext start(String... args) {
    return SpringApplication.run(SpringExample.class, args);
  }

  /** Starts the application on 127.0.0.1:8080, or as the arguments say. */
  public static void main(String[] args) {
    ConfigurableApplicationContext app = start(args);
    System.out.println("Listening on http://127.0.0.1:" + port(app)
        + "/ (hello, report, actuator/health)");
  }

  /** Returns the port the application listens on. */
  public static int port(ConfigurableApplicationContext app) {
    return ((WebServerApplicationContext) app).getWebServer().getPort();
  }

  /** The threads that compute reports: the application's own, closed with it. */
  @Bean(destroyMethod = "shutdownNow")
  ExecutorService reportWriters() {
    return Executors.newFixedThreadPool(2);
  }

  /** The application's pages. */
  @RestController
  static class Pages {
    private final ExecutorService reportWriters;

    Pages(ExecutorService reportWriters) {
      this.reportWriters = reportWriters;
    }

    @GetMapping("/hello")
    String hello() {
      return "hello";
    }

    /** Answered on another thread: Spring MVC makes it an async request. */
    @GetMapping("/report")
    CompletableFuture<String> report() {
      return CompletableFuture.supplyAsync(() -> "report", reportWriters);
    }
  }
}
