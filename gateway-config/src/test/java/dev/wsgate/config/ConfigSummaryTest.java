package dev.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The summary printed by {@code check-config} is YAML that loads back to the same configuration. */
class ConfigSummaryTest {

  @ParameterizedTest
  @ValueSource(strings = {
      """
      routes: [{path: /, upstreams: [ws://a:1]}]
      """,
      """
      server:
        listen: "[::]:443"
        admin: 127.0.0.1:0
        max-connections: 0
        max-frame-size: 1000
        handshake-timeout: 2.5s
        allowed-origins: ["https://*.example.com", "*"]
        tls: {cert: tls/rsa-cert.pem, key: tls/rsa-key.pem}
        write-buffer-high-water-mark: 1MiB
        close-timeout: 1s
      upstream:
        connect-timeout: 3s
        ca-file: tls/ec-cert.pem
        failure-backoff: 0
      intermediaries:
        idle-timeout: 100s
      heartbeat:
        interval: 30s
        timeout: 45s
        mode: text
        text:
          ping: '{"type":"ping"}'
          pong: "it's alive: yes"
          answer-pings: true
        upstream: {mode: frame, close-code: 1001}
      routes:
        - path: /chat
          host: "*.example.com"
          upstreams: [ws://a:1/x, wss://b:2]
          balance: least-sessions
          headers:
            forward: [X-Tenant]
            add: {X-Gateway: "true", X-Quote: "'q'"}
          heartbeat:
            client: {interval: 500ms, timeout: 900ms}
          max-idle: 1h30m
          forward-pings: true
          max-session-age: 2h
          max-session-age-jitter: 10m
        - path: /rooms
          upstreams: [ws://c:3, ws://d:4]
          balance: hash
          hash-key: query:room
        - path: /
          upstreams: [ws://c:3]
      shutdown:
        drain-timeout: 0
      logging:
        format: json
      """})
  void summaryLoadsBackToTheSameConfiguration(String yaml) throws Exception {
    ConfigLoader loader = ConfigLoader.withEnvironment(Map.of());
    GatewayConfig original = loader.parse(yaml, "original.yaml", BadConfigTest.resourceDir());
    String summary = ConfigSummary.render(original);
    GatewayConfig reloaded = loader.parse(summary, "summary.yaml", BadConfigTest.resourceDir());
    assertThat(reloaded).isEqualTo(original);
  }

  @org.junit.jupiter.api.Test
  void summaryExplainsEachLegAgainstTheIdleTimeout() throws Exception {
    GatewayConfig c = ConfigLoader.withEnvironment(Map.of()).parse("""
        routes: [{path: /, upstreams: [ws://a:1]}]
        """, "t.yaml", BadConfigTest.resourceDir());
    assertThat(ConfigSummary.render(c))
        .contains("idle-timeout: 60s  # each leg acts within 55s (margin 5s)")
        .contains("client:  # ping after 25s of silence, evict after 40s; 20s inside the 60s idle timeout");
  }

  /** Booleans print as booleans, sizes and durations in the units users write, absent values as comments. */
  @org.junit.jupiter.api.Test
  void summaryIsTyped() throws Exception {
    GatewayConfig c = ConfigLoader.withEnvironment(Map.of()).parse("""
        server: {max-frame-size: 65536, write-buffer-high-water-mark: 1048576}
        shutdown: {drain-timeout: 5400000ms}
        routes: [{path: /, upstreams: [ws://a:1], forward-pings: true}]
        """, "t.yaml", BadConfigTest.resourceDir());
    assertThat(ConfigSummary.render(c))
        .contains("\n      answer-pings: false\n")
        .contains("\n    forward-pings: true\n")
        .contains("\n  max-frame-size: 64KiB\n")
        .contains("\n  write-buffer-high-water-mark: 1MiB\n")
        .contains("\n  drain-timeout: 1h30m\n")
        .contains("\n  # tls: none, clients connect with ws://\n")
        .contains("\n    # host: any host\n")
        .doesNotContain("'false'").doesNotContain("'true'");
  }
}
