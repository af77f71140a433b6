package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.Awaits;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real nginx, run by a test as a child process in the foreground ({@code daemon off;}), reverse-proxying
 * WebSocket on a free loopback port to one backend (wsgate) with the usual upgrade headers. Its configuration,
 * error log (also copied to stderr, which the test reads), access log, pid file and temporary directories are all
 * in the test's directory. {@link #close()} ends nginx and its worker, by process id.
 */
final class NginxProxy implements AutoCloseable {

  private static final Duration STARTUP = Duration.ofSeconds(20);
  /** Attempts at a free port: another process may take the port between the probe and nginx's bind. */
  private static final int ATTEMPTS = 3;

  private final PeerProcess process;
  private final int port;
  private final Path prefix;

  private NginxProxy(PeerProcess process, int port, Path prefix) {
    this.process = process;
    this.port = port;
    this.prefix = prefix;
  }

  /**
   * Starts nginx proxying {@code /} to {@code 127.0.0.1:backendPort}, with {@code locationDirectives} (such as
   * {@code proxy_read_timeout 3s;}) added to the location, and waits until it listens.
   */
  static NginxProxy start(Path nginx, Path dir, int backendPort, String locationDirectives)
      throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      int port = freePort();
      Path prefix = Files.createDirectories(dir.resolve("nginx-" + attempt));
      Path conf = prefix.resolve("nginx.conf");
      Files.writeString(conf, config(prefix, port, backendPort, locationDirectives), StandardCharsets.UTF_8);
      PeerProcess p = PeerProcess.start("nginx", List.of(nginx.toString(), "-p", prefix + "/", "-c", conf.toString(),
          "-e", "stderr", "-g", "daemon off;"), Map.of(), prefix);
      try {
        // nginx binds its listeners before it starts its workers, and exits when a bind fails.
        Awaits.until("nginx started (or exited)", STARTUP, () -> p.exitCode().isPresent()
            || p.stderr().stream().anyMatch(l -> l.contains("start worker processes")));
      } catch (AssertionError e) {
        p.close();
        throw new AssertionError(e.getMessage() + "\n" + p.transcript(), e);
      }
      if (p.exitCode().isEmpty()) {
        System.out.println("[nginx] listening on 127.0.0.1:" + port + ", proxying to 127.0.0.1:" + backendPort);
        return new NginxProxy(p, port, prefix);
      }
      p.close();
      boolean taken = p.stderr().stream().anyMatch(l -> l.contains("Address already in use"));
      assertThat(taken && attempt < ATTEMPTS).as("nginx exited at start-up (attempt %d)\n%s", attempt,
          p.transcript()).isTrue();
    }
  }

  private static String config(Path prefix, int port, int backendPort, String locationDirectives) {
    String p = prefix.toString();
    return String.join("\n",
        "worker_processes 1;",
        "error_log " + p + "/error.log info;",
        "error_log stderr info;",
        "pid " + p + "/nginx.pid;",
        "events {",
        "  worker_connections 64;",
        "}",
        "http {",
        "  access_log " + p + "/access.log;",
        "  client_body_temp_path " + p + "/client_body;",
        "  proxy_temp_path " + p + "/proxy;",
        "  fastcgi_temp_path " + p + "/fastcgi;",
        "  uwsgi_temp_path " + p + "/uwsgi;",
        "  scgi_temp_path " + p + "/scgi;",
        "  server {",
        "    listen 127.0.0.1:" + port + ";",
        "    location / {",
        "      proxy_pass http://127.0.0.1:" + backendPort + ";",
        "      proxy_http_version 1.1;",
        "      proxy_set_header Upgrade $http_upgrade;",
        "      proxy_set_header Connection \"upgrade\";",
        "      " + locationDirectives,
        "    }",
        "  }",
        "}",
        "");
  }

  /** A loopback port free now (another process may take it before it is bound: callers retry). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  PeerProcess process() {
    return process;
  }

  /** nginx's error log so far (the copy on stderr, line by line). */
  List<String> errorLog() {
    return process.stderr();
  }

  /** nginx's access log so far. */
  List<String> accessLog() throws IOException {
    Path log = prefix.resolve("access.log");
    return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
  }

  @Override
  public void close() {
    process.close();
  }
}
