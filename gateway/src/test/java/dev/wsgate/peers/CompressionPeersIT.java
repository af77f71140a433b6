package dev.wsgate.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.BlackholeRelay;
import dev.wsgate.testing.TestGateway;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * permessage-deflate with the seeds' Python stack ({@code websockets} 10.4, compression on as it comes) on either
 * side of wsgate, each leg negotiating on its own: the client sends repetitive JSON and a fragmented message, and
 * checks every echo; a relay in front of wsgate counts the bytes of the client leg.
 */
class CompressionPeersIT {

  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final Duration RUN = Duration.ofSeconds(30);
  private static final int MESSAGES = 50;

  @TempDir
  Path dir;

  @BeforeEach
  void peersArePresent() throws InterruptedException {
    Peers.requirePythonPeers();
  }

  /** Both compress: both legs negotiate, wsgate passes the frames through compressed, a third of the bytes or less. */
  @Test
  void bothPeersCompressAndTheFramesPassThroughCompressed() throws Exception {
    Run run = run(true, true);
    assertThat(run.clientExtensions).isEqualTo("permessage-deflate; server_max_window_bits=12; "
        + "client_max_window_bits=12");
    assertThat(run.upstreamExtensions).as("the upstream's own answer, passed on").isEqualTo(run.clientExtensions);
    assertThat(run.toGateway).as("bytes from the client, for %d bytes of payload", run.payload)
        .isLessThanOrEqualTo(run.payload / 3);
    assertThat(run.fromGateway).as("bytes to the client").isLessThanOrEqualTo(run.payload / 3);
  }

  /** The client compresses, the upstream does not: wsgate inflates what the client sends and compresses the echo. */
  @Test
  void theClientCompressesAndTheUpstreamDoesNot() throws Exception {
    Run run = run(true, false);
    assertThat(run.clientExtensions).isEqualTo("permessage-deflate; server_no_context_takeover");
    assertThat(run.upstreamExtensions).isEqualTo("none");
    assertThat(run.toGateway).isLessThanOrEqualTo(run.payload / 3);
    assertThat(run.fromGateway).isLessThanOrEqualTo(run.payload / 3);
  }

  /** The upstream compresses, the client does not: the client leg is plain, the upstream leg compressed. */
  @Test
  void theUpstreamCompressesAndTheClientDoesNot() throws Exception {
    Run run = run(false, true);
    assertThat(run.clientExtensions).isEqualTo("none");
    assertThat(run.upstreamExtensions).as("wsgate's own offer, accepted")
        .startsWith("permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    assertThat(run.toGateway).isGreaterThan(run.payload);
  }

  /** Node's {@code ws} client, compressing every message, through wsgate to the Python server that compresses. */
  @Test
  void nodeWsClientThroughWsgateToThePythonServer() throws Exception {
    Path nodePeers = Peers.requireNodeWs();
    Path script = nodePeers.resolve("ws_deflate_client.js");
    Files.writeString(script, PythonScripts.resource("ws_deflate_client.js"), StandardCharsets.UTF_8);
    try (PeerProcess server = PythonScripts.start("deflate-echo", dir, "deflate_echo_server.py", "0")) {
      int port = PythonScripts.listeningPort(server, STARTUP);
      try (TestGateway gw = TestGateway.proxying(URI.create("ws://127.0.0.1:" + port));
           BlackholeRelay relay = BlackholeRelay.to(gw.address())) {
        try (PeerProcess client = PeerProcess.start("node-ws", List.of("node", script.toString(),
            "ws://127.0.0.1:" + relay.port() + "/", "" + MESSAGES), java.util.Map.of(), nodePeers)) {
          String ext = client.awaitStdout("extensions", l -> l.startsWith("EXT "), STARTUP).substring(4);
          long payload = Long.parseLong(client.awaitStdout("payload", l -> l.startsWith("PAYLOAD "), RUN)
              .substring(8));
          client.awaitStdout("every echo intact", l -> l.equals("OK"), RUN);
          assertThat(client.awaitExit(Duration.ofSeconds(15))).as(client.transcript()).isZero();
          assertThat(ext).startsWith("permessage-deflate");
          String upstreamExt = server.awaitStdout("upstream extensions", l -> l.startsWith("OPEN ext="), RUN);
          assertThat(upstreamExt).startsWith("OPEN ext=permessage-deflate");
          server.awaitStdout("the upstream saw the close", l -> l.equals("CLOSED code=1000"), RUN);
          BlackholeRelay.Link link = relay.links().get(0);
          System.out.printf("[compression] node ws client: %d bytes of payload each way; on the client leg %d bytes "
              + "to wsgate, %d from it (handshake included)%n", payload, link.bytesToTarget(), link.bytesFromTarget());
          assertThat(link.bytesToTarget()).as("compressed on the wire").isLessThanOrEqualTo(payload / 3);
          assertThat(link.bytesFromTarget()).isLessThanOrEqualTo(payload / 3);
          gw.awaitIdle(RUN);
        }
      }
    }
  }

  private record Run(String clientExtensions, String upstreamExtensions, long payload, long toGateway,
      long fromGateway) {
  }

  private Run run(boolean clientCompresses, boolean upstreamCompresses) throws Exception {
    List<String> serverArgs = new ArrayList<>(List.of("0"));
    if (!upstreamCompresses) {
      serverArgs.add("off");
    }
    try (PeerProcess server = PythonScripts.start("deflate-echo", dir, "deflate_echo_server.py",
        serverArgs.toArray(String[]::new))) {
      int port = PythonScripts.listeningPort(server, STARTUP);
      try (TestGateway gw = TestGateway.proxying(URI.create("ws://127.0.0.1:" + port));
           BlackholeRelay relay = BlackholeRelay.to(gw.address())) {
        List<String> args = new ArrayList<>(List.of("ws://127.0.0.1:" + relay.port() + "/", "" + MESSAGES));
        if (!clientCompresses) {
          args.add("off");
        }
        try (PeerProcess client = PythonScripts.start("deflate-client", dir, "deflate_client.py",
            args.toArray(String[]::new))) {
          String ext = client.awaitStdout("extensions", l -> l.startsWith("EXT "), STARTUP).substring(4);
          String payload = client.awaitStdout("payload", l -> l.startsWith("PAYLOAD "), RUN).substring(8);
          client.awaitStdout("every echo intact", l -> l.equals("OK"), RUN);
          assertThat(client.awaitExit(Duration.ofSeconds(15))).as(client.transcript()).isZero();
          String upstreamExt = server.awaitStdout("upstream extensions", l -> l.startsWith("OPEN ext="), RUN)
              .substring("OPEN ext=".length());
          server.awaitStdout("the upstream saw the close", l -> l.equals("CLOSED code=1000"), RUN);
          BlackholeRelay.Link link = relay.links().get(0);
          gw.awaitIdle(RUN);
          assertThat(gw.gateway().sessions().size()).isZero();
          System.out.printf("[compression] client %s, upstream %s: %s bytes of payload each way; on the client "
              + "leg %d bytes to wsgate, %d from it (handshake included)%n", clientCompresses ? "compresses"
              : "plain", upstreamCompresses ? "compresses" : "plain", payload, link.bytesToTarget(),
              link.bytesFromTarget());
          return new Run(ext, upstreamExt, Long.parseLong(payload), link.bytesToTarget(), link.bytesFromTarget());
        }
      }
    }
  }
}
