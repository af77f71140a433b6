package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.wsgate.config.ConfigLoader;
import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.Transport;
import dev.wsgate.testing.JdkWebSocket;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.TestGateway;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;
import reactor.netty.resources.LoopResources;

/**
 * {@code server.transport}: wsgate proxies on each transport that loads here, both legs on it, with the socket
 * options that transport has; {@code auto} takes the first of its order that loads; and what cannot be had fails
 * start-up in one line.
 */
class TransportIT {

  /** Gateway's start-up line, and Reactor Netty's warning for a channel option the channel does not have. */
  private static final List<String> WATCHED = List.of(Gateway.class.getName(),
      "reactor.netty.transport.TransportConnector");

  private final ListAppender<ILoggingEvent> log = new ListAppender<>();

  @BeforeEach
  void watchLogs() {
    log.start();
    for (String name : WATCHED) {
      ((Logger) LoggerFactory.getLogger(name)).addAppender(log);
    }
  }

  @AfterEach
  void stopWatching() {
    for (String name : WATCHED) {
      ((Logger) LoggerFactory.getLogger(name)).detachAppender(log);
    }
    log.stop();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Transport.class, names = {"IO_URING", "EPOLL", "NIO"})
  void proxiesAnEchoOnTheTransportNamedAndSaysSo(Transport transport) throws Exception {
    assumeThat(TransportLoops.unavailabilityCause(transport)).as("%s loads here", transport).isNull();
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.start(yaml("  transport: " + transport + "\n", upstream.uri()))) {
      assertThat(gw.gateway().transport()).isEqualTo(transport);
      echo(gw);
      assertThat(lines()).anyMatch(l -> l.startsWith("wsgate listening on ws://127.0.0.1:" + gw.port() + " ("
          + transport + " transport)"));
      assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
          .anyMatch(n -> n.startsWith("wsgate-" + transport + "-"));
    }
    // Both legs' sockets took the options set for the transport (a native transport's option on another
    // transport's channel is ignored with a warning).
    assertThat(lines()).noneMatch(l -> l.contains("Unknown channel option"));
  }

  @Test
  void autoTakesTheFirstOfItsOrderThatLoads() throws Exception {
    Transport expected = TransportLoops.AUTO_ORDER.stream()
        .filter(t -> TransportLoops.unavailabilityCause(t) == null).findFirst().orElseThrow();
    assertThat(TransportLoops.AUTO_ORDER.get(0)).as("auto's first choice").isEqualTo(Transport.EPOLL);
    assumeThat(TestGateway.forcedTransport()).as(TestGateway.TRANSPORT_ENV).isNull();
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.start(yaml("", upstream.uri()))) {
      assertThat(gw.gateway().config().server().transport()).isEqualTo(Transport.AUTO);
      assertThat(gw.gateway().transport()).isEqualTo(expected);
      echo(gw);
      assertThat(lines()).anyMatch(l -> l.contains("(" + expected + " transport)"));
    }
  }

  @Test
  void reusePortOnNioFailsStartUpInOneLine() throws Exception {
    try (RawUpstream upstream = RawUpstream.echo()) {
      assertThatThrownBy(() -> TestGateway.start(yaml("  transport: nio\n  reuse-port: true\n", upstream.uri()))
          .close())
          .isInstanceOf(GatewayStartException.class)
          .hasMessage("server.reuse-port: true needs a native transport (epoll or io_uring, Linux), and wsgate runs "
              + "on nio (server.transport: nio)");
    }
  }

  @Test
  void loopsOnAnotherTransportThanTheOneNamedAreRefused() throws Exception {
    GatewayConfig config = ConfigLoader.withEnvironment(java.util.Map.of()).parse(
        yaml("  transport: nio\n", URI.create("ws://127.0.0.1:9/")), "test.yaml", Path.of("").toAbsolutePath());
    Transport other = TransportLoops.resolve(Transport.AUTO);
    assumeThat(other).as("a native transport loads here").isNotEqualTo(Transport.NIO);
    LoopResources loops = TestLoops.on("wsgate-other", other, 1);
    assertThatThrownBy(() -> Gateway.start(config, loops, true).close())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("server.transport is nio but the event loops given run " + other);
    assertThat(loops.isDisposed()).as("the gateway's own loops, disposed").isTrue();
  }

  private static void echo(TestGateway gw) throws Exception {
    try (JdkWebSocket client = JdkWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port() + "/"), null)) {
      client.sendText("hello");
      assertThat(client.next()).isEqualTo("hello");
      byte[] binary = new byte[300_000];
      new Random(42).nextBytes(binary);
      client.sendBinary(binary);
      assertThat(client.next()).isEqualTo(binary);
      client.sendClose(1000, "bye");
      assertThat(client.next()).isEqualTo(new JdkWebSocket.Close(1000, "bye"));
    }
  }

  private List<String> lines() {
    synchronized (log) { // the appender appends under its own lock
      return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  private static String yaml(String serverKeys, URI upstream) {
    return "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n" + serverKeys
        + "routes:\n  - path: /\n    upstreams: [\"" + upstream + "\"]\n";
  }
}
