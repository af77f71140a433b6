package dev.wsgate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.Transport;
import dev.wsgate.server.Gateway;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A wsgate started from YAML for one test, on loopback port 0. Where the YAML leaves {@code server.transport} at
 * {@code auto}, the environment variable {@value #TRANSPORT_ENV} (a transport's YAML name) picks the transport, so
 * that a suite can run on each: {@code WSGATE_TEST_TRANSPORT=io_uring mvn ... verify}.
 */
public final class TestGateway implements AutoCloseable {

  /** The environment variable naming the transport tests run wsgate on when their YAML does not. */
  public static final String TRANSPORT_ENV = "WSGATE_TEST_TRANSPORT";

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
      Transport forced = forcedTransport();
      if (forced != null && config.server().transport() == Transport.AUTO) {
        return new TestGateway(Gateway.start(config, Gateway.newLoops(forced), true));
      }
      return new TestGateway(Gateway.start(config));
    } catch (dev.wsgate.config.ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The transport {@value #TRANSPORT_ENV} names, or null when it is not set. */
  public static Transport forcedTransport() {
    String name = System.getenv(TRANSPORT_ENV);
    if (name == null || name.isBlank()) {
      return null;
    }
    for (Transport t : Transport.values()) {
      if (t.yamlName().equals(name.trim())) {
        return t;
      }
    }
    throw new IllegalArgumentException(TRANSPORT_ENV + "=" + name + ": not a transport; one of "
        + java.util.Arrays.toString(Transport.values()));
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
