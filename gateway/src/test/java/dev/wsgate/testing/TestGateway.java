package dev.wsgate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.server.Gateway;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** A wsgate started from YAML for one test, on loopback port 0. */
public final class TestGateway implements AutoCloseable {

  private final Gateway gateway;

  private TestGateway(Gateway gateway) {
    this.gateway = gateway;
  }

  /**
   * Starts wsgate from YAML; the listener and the admin port default to loopback port 0. {@code ${NAME}} in the
   * YAML is taken from {@code env}.
   */
  public static TestGateway start(String yaml, Map<String, String> env) {
    String withServer = yaml.contains("server:") ? yaml : "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
        + yaml;
    try {
      GatewayConfig config = ConfigLoader.withEnvironment(env).withTls(Gateway.tlsFiles())
          .parse(withServer, "test.yaml", Path.of("").toAbsolutePath());
      return new TestGateway(Gateway.start(config));
    } catch (dev.wsgate.config.ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  public static TestGateway start(String yaml) {
    return start(yaml, Map.of());
  }

  /** wsgate with one route {@code /} to {@code upstream}, and any extra YAML (top-level sections). */
  public static TestGateway proxying(java.net.URI upstream, String extraYaml) {
    return start(extraYaml + "\nroutes:\n  - path: /\n    upstreams: [\"" + upstream + "\"]\n");
  }

  public static TestGateway proxying(java.net.URI upstream) {
    return proxying(upstream, "");
  }

  public Gateway gateway() {
    return gateway;
  }

  public InetSocketAddress address() {
    return gateway.address();
  }

  public int port() {
    return gateway.address().getPort();
  }

  /** Waits, at most {@code timeout}, until no session is live and no place is held. */
  public void awaitIdle(Duration timeout) throws InterruptedException {
    Awaits.until("every session finished (live: " + gateway.sessions().size() + ", held: "
        + gateway.connectionsHeld() + ")", timeout,
        () -> gateway.sessions().size() == 0 && gateway.connectionsHeld() == 0);
  }

  /** Waits, at most {@code timeout}, until exactly {@code n} sessions are live. */
  public void awaitSessions(int n, Duration timeout) throws InterruptedException {
    Awaits.until(n + " live sessions (live: " + gateway.sessions().size() + ")", timeout,
        () -> gateway.sessions().size() == n);
  }

  @Override
  public void close() throws InterruptedException {
    try {
      awaitIdle(Duration.ofSeconds(10));
      assertThat(gateway.sessions().size()).isZero();
    } finally {
      gateway.close();
    }
  }
}
