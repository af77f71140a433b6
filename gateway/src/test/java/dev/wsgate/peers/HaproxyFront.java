package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.Awaits;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real HAProxy in front of wsgate: in TCP mode, as an L4 balancer that passes each connection's bytes through to
 * one backend and announces the client with a PROXY protocol header ({@code send-proxy} for v1,
 * {@code send-proxy-v2} for v2); or in HTTP mode ({@link #startHttp}), as an L7 proxy. Run by a test in the foreground ({@code -db}) on a free loopback port, its
 * configuration in the test's directory; {@link #close()} ends it by process id.
 */
final class HaproxyFront implements AutoCloseable {

  private static final Duration STARTUP = Duration.ofSeconds(20);
  /** Attempts at a free port: another process may take the port between the probe and HAProxy's bind. */
  private static final int ATTEMPTS = 3;

  private final PeerProcess process;
  private final int port;

  private HaproxyFront(PeerProcess process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts HAProxy passing connections to {@code 127.0.0.1:backendPort} with {@code sendProxy} ({@code send-proxy}
   * or {@code send-proxy-v2}) on the server line, and waits until it listens.
   */
  static HaproxyFront start(Path haproxy, Path dir, int backendPort, String sendProxy)
      throws IOException, InterruptedException {
    return start(haproxy, dir, port -> config(port, backendPort, sendProxy),
        sendProxy + " to 127.0.0.1:" + backendPort);
  }

  /**
   * Starts HAProxy in HTTP mode: HTTP/1.1 (and WebSocket upgrades) from clients, passed to {@code 127.0.0.1:backendPort}
   * with {@code serverOptions} on its server line (such as {@code proto h2 ws h2}), and waits until it listens.
   */
  static HaproxyFront startHttp(Path haproxy, Path dir, int backendPort, String serverOptions)
      throws IOException, InterruptedException {
    return start(haproxy, dir, port -> String.join("\n",
        "global",
        "  maxconn 100",
        "defaults",
        "  mode http",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "  timeout tunnel 30s",
        "frontend front",
        "  bind 127.0.0.1:" + port,
        "  default_backend wsgate",
        "backend wsgate",
        "  server wsgate 127.0.0.1:" + backendPort + " " + serverOptions,
        ""), "http, " + serverOptions + " to 127.0.0.1:" + backendPort);
  }

  private static HaproxyFront start(Path haproxy, Path dir, java.util.function.IntFunction<String> config,
      String describe) throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      int port = NginxProxy.freePort();
      Path conf = dir.resolve("haproxy-" + attempt + ".cfg");
      Files.writeString(conf, config.apply(port), StandardCharsets.UTF_8);
      PeerProcess p = PeerProcess.start("haproxy", List.of(haproxy.toString(), "-db", "-f", conf.toString()),
          Map.of(), dir);
      try {
        Awaits.until("haproxy listening on " + port + " (or exited)", STARTUP,
            () -> p.exitCode().isPresent() || accepts(port));
      } catch (AssertionError e) {
        p.close();
        throw new AssertionError(e.getMessage() + "\n" + p.transcript(), e);
      }
      if (p.exitCode().isEmpty()) {
        System.out.println("[haproxy] listening on 127.0.0.1:" + port + ", " + describe);
        return new HaproxyFront(p, port);
      }
      p.close();
      boolean taken = String.join("\n", p.stderr()).contains("cannot bind");
      assertThat(taken && attempt < ATTEMPTS).as("haproxy exited at start-up (attempt %d)\n%s", attempt,
          p.transcript()).isTrue();
    }
  }

  private static String config(int port, int backendPort, String sendProxy) {
    return String.join("\n",
        "global",
        "  maxconn 100",
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "frontend front",
        "  bind 127.0.0.1:" + port,
        "  default_backend wsgate",
        "backend wsgate",
        "  server wsgate 127.0.0.1:" + backendPort + " " + sendProxy,
        "");
  }

  /** A connection that opens and closes: HAProxy passes it on with its header and nothing else. */
  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  @Override
  public void close() {
    process.close();
  }
}
