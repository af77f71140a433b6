package dev.wsgate.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wsgate health}: asks a running wsgate's admin listener whether it is alive (or ready), for container
 * health checks that have no {@code curl}. Exits 0 on HTTP 200, 1 otherwise.
 */
@Command(
    name = "health",
    mixinStandardHelpOptions = true,
    description = "Asks a running wsgate whether it is alive (/healthz) or ready (--ready, /readyz); exits 0 when it "
        + "answers 200 within the timeout, else 1. For container health checks.")
final class HealthCommand implements Callable<Integer> {

  @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = "${env:WSGATE_ADMIN:-127.0.0.1:9090}",
      description = "The admin listener (default: \\$WSGATE_ADMIN, else ${DEFAULT-VALUE}).")
  String admin;

  @Option(names = "--ready", description = "Ask /readyz instead of /healthz.")
  boolean ready;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
      description = "How long to wait for the answer (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    // A wildcard listener is asked on loopback, IPv4 or IPv6 as it was written.
    String host = admin.startsWith(":") ? "127.0.0.1" + admin
        : admin.replace("0.0.0.0:", "127.0.0.1:").replace("[::]:", "[::1]:");
    URI uri = URI.create("http://" + host + (ready ? "/readyz" : "/healthz"));
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeoutSeconds)).build();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(timeoutSeconds))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        out.print(r.body());
        out.flush();
        return 0;
      }
      err.println(uri + ": " + r.statusCode() + " " + r.body().strip());
    } catch (Exception e) {
      err.println(uri + ": " + Main.describe(e));
    } finally {
      err.flush();
    }
    return Main.EXIT_ERROR;
  }
}
