package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.wsgate.testing.JarProcess;
import dev.wsgate.testing.JdkWebSocket;
import dev.wsgate.testing.RawUpstream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code wsgate.jar} serves {@code wss://} with BoringSSL, which it carries (Linux x86-64), and says so
 * at start; where OpenSSL does not load it serves with the JDK's engine and says why, in a WARN line.
 */
class TlsEngineProcessIT {

  private static final Duration START = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  @Test
  void theJarServesWssWithBoringSslAndSaysSo() throws Exception {
    assumeThat(TlsEngines.bundled()).as("Linux x86-64, whose BoringSSL the jar carries").isTrue();
    serveAndEcho(Map.of(), "INFO  [main] d.wsgate.server.Gateway - TLS engine: OpenSSL (BoringSSL), its native "
        + "library loaded");
  }

  @Test
  void withoutOpenSslTheJarServesWssWithTheJdkEngineAndWarnsWhy() throws Exception {
    serveAndEcho(Map.of("JDK_JAVA_OPTIONS", "-Dio.netty.handler.ssl.noOpenSsl=true"), "WARN  [main] "
        + "d.wsgate.server.Gateway - TLS engine: JDK, since OpenSSL did not load: "
        + "java.lang.UnsupportedOperationException: OpenSSL was explicit disabled with "
        + "-Dio.netty.handler.ssl.noOpenSsl=true; TLS sessions take more memory, and handshakes more CPU, with it");
  }

  private void serveAndEcho(Map<String, String> env, String engineLine) throws Exception {
    Path cert = tls("ec-cert.pem");
    try (RawUpstream upstream = RawUpstream.echo()) {
      int port = JarProcess.freePort();
      Path config = dir.resolve("gateway.yaml");
      Files.writeString(config, "server:\n  listen: 127.0.0.1:" + port + "\n  admin: 127.0.0.1:"
          + JarProcess.freePort() + "\n  tls:\n    cert: \"" + cert + "\"\n    key: \"" + tls("ec-key.pem") + "\"\n"
          + "routes:\n  - path: /\n    upstreams: [\"" + upstream.uri() + "\"]\n");
      try (JarProcess wsgate = JarProcess.start(env, "--config", config.toString())) {
        wsgate.awaitStdout("the started line", START, line -> line.contains(" started; stop it with SIGINT"));
        assertThat(wsgate.stdoutLines()).as(wsgate.describe()).filteredOn(l -> l.contains("TLS engine"))
            .singleElement().satisfies(l -> assertThat(l).endsWith(engineLine));
        try (JdkWebSocket client = JdkWebSocket.connect(URI.create("wss://127.0.0.1:" + port + "/"),
            JdkWebSocket.trusting(cert))) {
          client.sendText("over " + engineLine.substring(0, 4));
          assertThat(client.next()).isEqualTo("over " + engineLine.substring(0, 4));
          client.sendClose(1000, "bye");
          assertThat(client.next()).isEqualTo(new JdkWebSocket.Close(1000, "bye"));
        }
      }
    }
  }

  private static Path tls(String name) throws Exception {
    return Path.of(TlsEngineProcessIT.class.getResource("/tls/" + name).toURI());
  }
}
