package dev.wsgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.Leg;
import dev.wsgate.server.Gateway;
import dev.wsgate.testing.AdminClient;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.TreeSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a running wsgate exports on {@code /metrics}: metric names and, for each, the label names its samples carry.
 * {@link #scrape} takes it from a wsgate with a session open whose heartbeats have been answered on both legs, after
 * an upstream that refused a connection (so a 502), a reload and a session that ended, so that the meters registered on
 * first use are there too.
 */
public final class LiveMetrics {

  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

  /** Labels Prometheus adds to every series it scrapes, not wsgate. */
  public static final Set<String> TARGET_LABELS = Set.of("job", "instance");

  private final Map<String, Set<String>> labels;

  private LiveMetrics(Map<String, Set<String>> labels) {
    this.labels = labels;
  }

  /** Parses a Prometheus text exposition. */
  public static LiveMetrics parse(String exposition) {
    Map<String, Set<String>> labels = new HashMap<>();
    for (String line : exposition.lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
      Set<String> names = labels.computeIfAbsent(name, n -> new TreeSet<>());
      if (brace >= 0 && brace < space) {
        Matcher m = LABEL.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return new LiveMetrics(labels);
  }

  public boolean has(String metric) {
    return labels.containsKey(metric);
  }

  /** The label names of a metric's samples; empty for a metric that is not there. */
  public Set<String> labelsOf(String metric) {
    return labels.getOrDefault(metric, Set.of());
  }

  public Set<String> metrics() {
    return labels.keySet();
  }

  /** The exposition of a wsgate that has seen the traffic described above, its session still open. */
  public static String scrape() throws Exception {
    int refusing;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      refusing = s.getLocalPort();
    }
    String yaml = """
        server: {listen: 127.0.0.1:0, admin: 127.0.0.1:0, max-connections: 100}
        heartbeat: {interval: 100ms, timeout: 2s}
        upstream: {failure-backoff: 0}
        routes:
          - path: /
            upstreams: ["%s"]
          - path: /down
            upstreams: ["ws://127.0.0.1:%d"]
        """;
    try (RawUpstream up = RawUpstream.echo();
         TestGateway gw = TestGateway.start(yaml.formatted(up.uri(), refusing))) {
      assertThat(RawWebSocket.request(gw.address(), "GET /down HTTP/1.1",
          RawWebSocket.handshakeHeaders(gw.address())).status()).isEqualTo(502);
      Gateway g = gw.gateway();
      assertThat(g.reload(ConfigLoader.withEnvironment(Map.of()).parse(yaml.formatted(up.uri(), refusing),
          "reload.yaml", Path.of("").toAbsolutePath()))).isEmpty();
      try (RawWebSocket ended = RawWebSocket.connect(gw.address(), "/")) { // a session that ended, by reason
        ended.sendClose(1000, "");
        ended.readClose();
      }
      gw.awaitIdle(Duration.ofSeconds(10));
      try (RawWebSocket c = RawWebSocket.connect(gw.address(), "/")) {
        c.sendText("hello");
        assertThat(c.readData().text()).isEqualTo("hello");
        Awaits.until("a pong on each leg", Duration.ofSeconds(10), () -> {
          var s = g.sessions().snapshot();
          return !s.isEmpty() && s.get(0).leg(Leg.CLIENT).pongsReceived() > 0
              && s.get(0).leg(Leg.UPSTREAM).pongsReceived() > 0;
        }, c);
        String body = AdminClient.get(gw, "/metrics").body();
        c.sendClose(1000, "");
        c.readClose();
        return body;
      }
    }
  }
}
