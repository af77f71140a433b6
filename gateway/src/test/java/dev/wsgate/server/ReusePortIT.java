package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.wsgate.config.Transport;
import dev.wsgate.testing.JdkWebSocket;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.TestGateway;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code server.reuse-port}: several wsgate processes (here two gateways) share one listen port, on either native
 * transport.
 */
class ReusePortIT {

  private static final int CLIENTS = 40;

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Transport.class, names = {"EPOLL", "IO_URING"})
  void twoGatewaysWithReusePortShareOnePortAndTheKernelSpreadsClientsOverBoth(Transport transport) throws Exception {
    assumeThat(TransportLoops.unavailabilityCause(transport)).as("%s loads here", transport).isNull();
    int port = freePort();
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway a = TestGateway.start(yaml(port, true, transport, upstream.uri()));
         TestGateway b = TestGateway.start(yaml(port, true, transport, upstream.uri()))) {
      assertThat(a.gateway().transport()).isEqualTo(transport);
      assertThat(b.gateway().transport()).isEqualTo(transport);
      assertThat(a.port()).isEqualTo(port);
      assertThat(b.port()).isEqualTo(port);
      List<JdkWebSocket> clients = new ArrayList<>();
      try {
        for (int i = 0; i < CLIENTS; i++) {
          JdkWebSocket client = JdkWebSocket.connect(URI.create("ws://127.0.0.1:" + port + "/"), null);
          clients.add(client);
          client.sendText("hello " + i);
          assertThat(client.next()).isEqualTo("hello " + i);
        }
        int onA = a.gateway().sessions().size();
        int onB = b.gateway().sessions().size();
        assertThat(onA + onB).isEqualTo(CLIENTS);
        // The kernel hashes each connection to one listener: all 40 on one side has odds of 2^-39.
        assertThat(onA).as("sessions on the first gateway").isPositive();
        assertThat(onB).as("sessions on the second gateway").isPositive();
      } finally {
        clients.forEach(JdkWebSocket::close);
      }
    }
  }

  @Test
  void withoutReusePortASecondGatewayCannotListenOnTheSamePort() throws Exception {
    int port = freePort();
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway a = TestGateway.start(yaml(port, false, Transport.AUTO, upstream.uri()))) {
      assertThat(a.port()).isEqualTo(port);
      assertThatThrownBy(() -> TestGateway.start(yaml(port, false, Transport.AUTO, upstream.uri())).close())
          .isInstanceOf(GatewayStartException.class)
          .hasMessageStartingWith("cannot listen on 127.0.0.1:" + port);
    }
  }

  private static String yaml(int port, boolean reusePort, Transport transport, URI upstream) {
    return "server:\n  listen: 127.0.0.1:" + port + "\n  admin: 127.0.0.1:0\n  reuse-port: " + reusePort
        + "\n  transport: " + transport + "\nroutes:\n  - path: /\n    upstreams: [\"" + upstream + "\"]\n";
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }
}
