package dev.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  private static GatewayConfig parse(String yaml) throws Exception {
    return parse(yaml, Map.of());
  }

  private static GatewayConfig parse(String yaml, Map<String, String> env) throws Exception {
    return ConfigLoader.withEnvironment(env).parse(yaml, "test.yaml", BadConfigTest.resourceDir());
  }

  @Test
  void minimalConfigGetsEveryDefault() throws Exception {
    GatewayConfig c = parse("""
        routes:
          - path: /chat
            upstreams: [ws://backend:8000]
        """);
    assertThat(c.server()).isEqualTo(ServerConfig.defaults());
    assertThat(c.upstream()).isEqualTo(UpstreamConfig.defaults());
    assertThat(c.intermediaries()).isEqualTo(IntermediariesConfig.defaults());
    assertThat(c.shutdown()).isEqualTo(ShutdownConfig.defaults());
    assertThat(c.logging()).isEqualTo(LoggingConfig.defaults());
    assertThat(c.heartbeat()).isEqualTo(Heartbeats.defaults());
    RouteConfig r = c.routes().get(0);
    assertThat(r.path()).isEqualTo("/chat");
    assertThat(r.host()).isEmpty();
    assertThat(r.upstreams()).containsExactly(URI.create("ws://backend:8000"));
    assertThat(r.balance()).isEqualTo(Balance.ROUND_ROBIN);
    assertThat(r.headers()).isEqualTo(HeaderRules.none());
    assertThat(r.heartbeat()).isEqualTo(Heartbeats.defaults());
    assertThat(r.maxIdle()).isEqualTo(Duration.ZERO);
    assertThat(r.forwardPings()).isFalse();
    assertThat(r.maxSessionAge()).isEqualTo(Duration.ZERO);
    assertThat(r.maxSessionAgeJitter()).isEqualTo(Duration.ZERO);
    assertThat(r.id()).isEqualTo("/chat");
  }

  @Test
  void defaultsAreTheDocumentedValues() {
    HeartbeatSettings h = HeartbeatSettings.defaults();
    assertThat(h.interval()).isEqualTo(Duration.ofSeconds(25));
    assertThat(h.timeout()).isEqualTo(Duration.ofSeconds(40));
    assertThat(h.mode()).isEqualTo(HeartbeatMode.FRAME);
    assertThat(h.closeCode()).isEqualTo(4408);
    assertThat(IntermediariesConfig.defaults().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(HeartbeatBudget.fits(h, IntermediariesConfig.defaults())).isTrue();
  }

  @Test
  void heartbeatLayersFromDefaultsToRouteLeg() throws Exception {
    GatewayConfig c = parse("""
        heartbeat:
          interval: 20s          # both legs, every route
          timeout: 30s
          upstream:
            interval: 10s        # upstream leg, every route
            timeout: 15s
        routes:
          - path: /a
            upstreams: [ws://a:1]
          - path: /b
            upstreams: [ws://b:1]
            heartbeat:
              mode: text         # both legs of /b
              text:
                ping: ping
                answer-pings: true
              client:
                interval: 5s     # client leg of /b only
                timeout: 8s
                close-code: 4000
        """);
    assertThat(c.heartbeat().client().interval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.heartbeat().upstream().interval()).isEqualTo(Duration.ofSeconds(10));

    RouteConfig a = c.routes().get(0);
    assertThat(a.heartbeat()).isEqualTo(c.heartbeat());

    RouteConfig b = c.routes().get(1);
    HeartbeatSettings bClient = b.heartbeat().client();
    assertThat(bClient.interval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(bClient.timeout()).isEqualTo(Duration.ofSeconds(8));
    assertThat(bClient.mode()).isEqualTo(HeartbeatMode.TEXT);
    assertThat(bClient.text()).isEqualTo(new TextHeartbeat("ping", "{\"type\":\"pong\"}", true));
    assertThat(bClient.closeCode()).isEqualTo(4000);
    HeartbeatSettings bUpstream = b.heartbeat().upstream();
    assertThat(bUpstream.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(bUpstream.timeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(bUpstream.mode()).isEqualTo(HeartbeatMode.TEXT);
    assertThat(bUpstream.closeCode()).isEqualTo(4408);
  }

  /** The bound the budget's messages name is the bound its rules keep: at the limit is fine, past it is not. */
  @Test
  void theBudgetAcceptsItsOwnLimitAndRefusesPastIt() throws Exception {
    // idle-timeout 3s: margin min(5s, 600ms) = 600ms, limit 2.4s.
    parse("intermediaries:\n  idle-timeout: 3s\nheartbeat:\n  interval: 2.4s\n  timeout: 0\n"
        + "routes:\n  - path: /\n    upstreams: [ws://b:1]\n");
    parse("intermediaries:\n  idle-timeout: 3s\nheartbeat:\n  interval: 1s\n  timeout: 2.4s\n"
        + "routes:\n  - path: /\n    upstreams: [ws://b:1]\n");
    assertThatThrownBy(() -> parse("intermediaries:\n  idle-timeout: 3s\nheartbeat:\n  interval: 1s\n"
        + "  timeout: 2401ms\nroutes:\n  - path: /\n    upstreams: [ws://b:1]\n"))
        .hasMessageContaining("(expected: timeout <= 2.4s)");
    assertThatThrownBy(() -> parse("intermediaries:\n  idle-timeout: 3s\nheartbeat:\n  interval: 2401ms\n"
        + "  timeout: 0\nroutes:\n  - path: /\n    upstreams: [ws://b:1]\n"))
        .hasMessageContaining("(expected: interval <= 2.4s)");
  }

  @Test
  void compressionIsOnByDefaultAndARouteSetsItPerLeg() throws Exception {
    GatewayConfig c = parse("""
        routes:
          - path: /a
            upstreams: [ws://a:1]
          - path: /b
            upstreams: [ws://b:1]
            compression:
              context-takeover: true
              max-message-size: 4MiB
              client:
                max-window-bits: 10
              upstream:
                enabled: false
        """);
    assertThat(c.routes().get(0).compression()).isEqualTo(Compressions.defaults());
    assertThat(c.routes().get(0).compression().client())
        .isEqualTo(new CompressionSettings(true, false, 15, 1 << 20));
    Compressions b = c.routes().get(1).compression();
    assertThat(b.client()).isEqualTo(new CompressionSettings(true, true, 10, 4 << 20));
    assertThat(b.upstream()).isEqualTo(new CompressionSettings(false, true, 15, 4 << 20));
  }

  @Test
  void limitsAreOffByDefaultAndARouteSetsThemPerSender() throws Exception {
    GatewayConfig c = parse("""
        server:
          max-connections-per-address: 20
        routes:
          - path: /a
            upstreams: [ws://a:1]
          - path: /b
            upstreams: [ws://b:1]
            max-message-size: 16MiB
            rate-limit:
              client:
                messages-per-second: 100
                bytes-per-second: 2MiB
                burst-bytes: 4MiB
                action: close
              upstream:
                messages-per-second: 10
                burst-messages: 1
        """);
    assertThat(c.server().maxConnectionsPerAddress()).isEqualTo(20);
    assertThat(c.routes().get(0).maxMessageSize()).isZero();
    assertThat(c.routes().get(0).rateLimit()).isEqualTo(RateLimits.NONE);
    assertThat(c.routes().get(0).rateLimit().client().on()).isFalse();
    RouteConfig b = c.routes().get(1);
    assertThat(b.maxMessageSize()).isEqualTo(16 << 20);
    // Bursts left out are one second's worth.
    assertThat(b.rateLimit().client()).isEqualTo(new RateLimit(100, 100, 2 << 20, 4 << 20, RateAction.CLOSE));
    assertThat(b.rateLimit().upstream()).isEqualTo(new RateLimit(10, 1, 0, 0, RateAction.DELAY));
    assertThat(parse(ConfigSummary.render(c))).isEqualTo(c);
  }

  @Test
  void heartbeatOffIsAllowedWhenNothingCutsIdleConnections() throws Exception {
    GatewayConfig c = parse("""
        intermediaries:
          idle-timeout: 0
        heartbeat:
          interval: 0
        routes:
          - path: /
            upstreams: [ws://a:1]
        """);
    assertThat(c.routes().get(0).heartbeat().client().enabled()).isFalse();
    assertThat(c.intermediaries().present()).isFalse();
  }

  @Test
  void shortIdleTimeoutWithScaledMargin() throws Exception {
    // The set-up of the nginx test: proxy_read_timeout 3s, ping every 1s, evict after 2s.
    GatewayConfig c = parse("""
        intermediaries:
          idle-timeout: 3s
        heartbeat:
          interval: 1s
          timeout: 2s
        routes:
          - path: /
            upstreams: [ws://a:1]
        """);
    assertThat(HeartbeatBudget.margin(c.intermediaries().idleTimeout())).isEqualTo(Duration.ofMillis(600));
    assertThat(HeartbeatBudget.fits(c.routes().get(0).heartbeat().client(), c.intermediaries())).isTrue();
  }

  @Test
  void everyServerKey() throws Exception {
    GatewayConfig c = parse("""
        server:
          listen: "[::1]:0"
          admin: :0
          max-connections: 1_000
          max-frame-size: 64KiB
          handshake-timeout: 1500ms
          allowed-origins: [HTTPS://App.Example.com/, "https://*.example.com:8443", "*"]
          tls:
            cert: tls/ec-cert.pem
            key: tls/ec-key.pem
        routes:
          - path: /
            upstreams: [ws://a:1]
        """);
    ServerConfig s = c.server();
    assertThat(s.listen()).isEqualTo(new ListenAddress("::1", 0));
    assertThat(s.listen()).hasToString("[::1]:0");
    assertThat(s.admin()).isEqualTo(new ListenAddress("0.0.0.0", 0));
    assertThat(s.maxConnections()).isEqualTo(1000);
    assertThat(s.maxFrameSize()).isEqualTo(65536);
    assertThat(s.handshakeTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(s.allowedOrigins()).containsExactly("https://app.example.com", "https://*.example.com:8443", "*");
    Path dir = BadConfigTest.resourceDir();
    assertThat(s.tls()).contains(new TlsConfig(dir.resolve("tls/ec-cert.pem"), dir.resolve("tls/ec-key.pem")));
  }

  @Test
  void rsaCertificateAndKey() throws Exception {
    GatewayConfig c = parse("""
        server:
          tls: {cert: tls/rsa-cert.pem, key: tls/rsa-key.pem}
        routes: [{path: /, upstreams: [wss://a:443]}]
        """);
    assertThat(c.server().tls()).isPresent();
  }

  @Test
  void routeKeys() throws Exception {
    GatewayConfig c = parse("""
        routes:
          - path: /chat/
            host: "*.Example.com"
            upstreams: [ws://a:1/ws, wss://b:443]
            balance: least-sessions
            headers:
              forward: [X-Tenant, Accept-Language]
              add:
                X-Gateway: wsgate
                Authorization: Bearer ${TOKEN}
            max-idle: 10m
            forward-pings: true
            max-session-age: 1h
            max-session-age-jitter: 5m
        """, Map.of("TOKEN", "s3cret"));
    RouteConfig r = c.routes().get(0);
    assertThat(r.path()).isEqualTo("/chat");
    assertThat(r.host()).contains("*.example.com");
    assertThat(r.upstreams()).containsExactly(URI.create("ws://a:1/ws"), URI.create("wss://b:443"));
    assertThat(r.balance()).isEqualTo(Balance.LEAST_SESSIONS);
    assertThat(r.headers().forward()).containsExactly("X-Tenant", "Accept-Language");
    assertThat(r.headers().add()).containsExactly(Map.entry("X-Gateway", "wsgate"),
        Map.entry("Authorization", "Bearer s3cret"));
    assertThat(r.maxIdle()).isEqualTo(Duration.ofMinutes(10));
    assertThat(r.forwardPings()).isTrue();
    assertThat(r.maxSessionAge()).isEqualTo(Duration.ofHours(1));
    assertThat(r.maxSessionAgeJitter()).isEqualTo(Duration.ofMinutes(5));
    assertThat(r.id()).isEqualTo("*.example.com/chat");
  }

  @Test
  void hashKeys() throws Exception {
    GatewayConfig c = parse("""
        routes:
          - {path: /h, upstreams: [ws://a:1, ws://b:2], balance: hash, hash-key: header:X-User-Id}
          - {path: /c, upstreams: [ws://a:1, ws://b:2], balance: hash, hash-key: ' Cookie : session '}
          - {path: /q, upstreams: [ws://a:1, ws://b:2], balance: hash, hash-key: query:room}
          - {path: /a, upstreams: [ws://a:1, ws://b:2], balance: hash, hash-key: client-address}
          - {path: /r, upstreams: [ws://a:1, ws://b:2]}
        """, Map.of());
    assertThat(c.routes()).extracting(RouteConfig::balance).containsExactly(Balance.HASH, Balance.HASH,
        Balance.HASH, Balance.HASH, Balance.ROUND_ROBIN);
    assertThat(c.routes()).extracting(RouteConfig::hashKey).containsExactly(
        Optional.of(new HashKey(HashKey.Source.HEADER, "X-User-Id")),
        Optional.of(new HashKey(HashKey.Source.COOKIE, "session")),
        Optional.of(new HashKey(HashKey.Source.QUERY, "room")),
        Optional.of(new HashKey(HashKey.Source.CLIENT_ADDRESS, "")),
        Optional.empty());
    assertThat(c.routes().get(1).hashKey().get()).hasToString("cookie:session");
  }

  @Test
  void environmentVariables() throws Exception {
    GatewayConfig c = parse("""
        server:
          listen: ${HOST:-127.0.0.1}:${PORT}
          admin: 127.0.0.1:${ADMIN_PORT:-9999}
        routes:
          - path: /
            upstreams: ["${UPSTREAM}"]
            headers:
              add:
                X-Literal: $${NOT_A_VARIABLE}
        """, Map.of("PORT", "7000", "UPSTREAM", "ws://up:1", "ADMIN_PORT", ""));
    assertThat(c.server().listen()).isEqualTo(new ListenAddress("127.0.0.1", 7000));
    assertThat(c.server().admin()).isEqualTo(new ListenAddress("127.0.0.1", 9999));
    assertThat(c.routes().get(0).upstreams()).containsExactly(URI.create("ws://up:1"));
    assertThat(c.routes().get(0).headers().add()).containsEntry("X-Literal", "${NOT_A_VARIABLE}");
  }

  @Test
  void shortDrainTimeoutTakesTheWholeWindow() throws Exception {
    GatewayConfig c = parse("""
        shutdown: {drain-timeout: 4s}
        logging: {format: json}
        routes: [{path: /, upstreams: [ws://a:1]}]
        """);
    assertThat(c.shutdown()).isEqualTo(new ShutdownConfig(Duration.ofSeconds(4), Duration.ofSeconds(4)));
    assertThat(c.logging().format()).isEqualTo(LoggingConfig.LogFormat.JSON);
  }

  @Test
  void aliasesShareBlocks() throws Exception {
    GatewayConfig c = parse("""
        routes:
          - path: /a
            upstreams: &pool [ws://a:1, ws://b:1]
            heartbeat: &fast {interval: 5s, timeout: 8s}
          - path: /b
            upstreams: *pool
            heartbeat: *fast
        """);
    assertThat(c.routes().get(1).upstreams()).isEqualTo(c.routes().get(0).upstreams());
    assertThat(c.routes().get(1).heartbeat()).isEqualTo(c.routes().get(0).heartbeat());
  }

  @Test
  void loadsAFileAndResolvesPathsAgainstItsDirectory(@TempDir Path dir) throws Exception {
    Path tls = Files.createDirectories(dir.resolve("certs"));
    Files.copy(BadConfigTest.resourceDir().resolve("tls/rsa-cert.pem"), tls.resolve("cert.pem"));
    Files.copy(BadConfigTest.resourceDir().resolve("tls/rsa-key.pem"), tls.resolve("key.pem"));
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(file, """
        server:
          tls: {cert: certs/cert.pem, key: certs/key.pem}
        routes: [{path: /, upstreams: [ws://a:1]}]
        """);
    GatewayConfig c = ConfigLoader.withEnvironment(Map.of()).load(file);
    assertThat(c.server().tls()).contains(new TlsConfig(tls.resolve("cert.pem"), tls.resolve("key.pem")));
  }

  @Test
  void utf8ByteOrderMarkIsAccepted(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bom.yaml");
    Files.write(file, ("\uFEFFroutes: [{path: /, upstreams: [ws://a:1]}]\n").getBytes(
        java.nio.charset.StandardCharsets.UTF_8));
    assertThat(ConfigLoader.withEnvironment(Map.of()).load(file).routes()).hasSize(1);
  }

  @Test
  void configIsImmutable() throws Exception {
    GatewayConfig c = parse("""
        routes:
          - path: /
            upstreams: [ws://a:1]
            headers: {add: {X-A: b}}
        """);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.routes().add(null))
        .isInstanceOf(UnsupportedOperationException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.routes().get(0).upstreams().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.routes().get(0).headers().add().put("k", "v"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(c.server().tls()).isEqualTo(Optional.empty());
    assertThat(c.server().allowedOrigins()).isEqualTo(List.of());
  }
}
