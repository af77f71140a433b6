package dev.wsgate.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.testing.IptablesDrop;
import dev.wsgate.testing.LivePeer;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Silent death as the kernel sees it: {@code iptables} DROP rules on the loopback interface swallow every packet of one
 * TCP connection, both ways, so nothing is acknowledged, the senders retransmit into the void, and neither end gets a
 * FIN or a RST. wsgate must evict the dead peer by its heartbeat within {@code [timeout, timeout + 1 s]}, exactly as
 * with {@link dev.wsgate.testing.BlackholeRelay}; this is the truer model of a dead path (see the relay's comment).
 *
 * <p>The rules match one connection by its port on the side that is not a listener (a rule on wsgate's listen port
 * would also drop new connections): the client's ephemeral port for the client leg, wsgate's ephemeral port toward
 * the upstream for the upstream leg, as {@code --sport} (one direction) and {@code --dport} (the other). They are
 * always deleted, in {@code finally} and by a shutdown hook should the JVM be stopped.
 *
 * <p>Needs root and {@code iptables}; skipped with a message without them, except under {@code CI=true}, where it
 * fails.
 */
class IptablesEvictionIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(1);

  @BeforeEach
  void requireIptables() {
    IptablesDrop.requireOrSkip("IptablesEvictionIT");
  }

  @Test
  void clientDroppedByIptablesIsEvictedAndTheUpstreamGets1001() throws Exception {
    String requestId = "iptables-client";
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), EvictionIT.bothLegs());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("X-Request-Id", requestId))) {
      RawUpstream.Conn up = upstream.take();
      EvictionIT.Eviction eviction = new EvictionIT.Eviction(Leg.CLIENT, EvictionIT.session(gw, requestId));

      eviction.lastFrameSent();
      client.sendText("last words");
      assertThat(up.readData().text()).isEqualTo("last words");
      eviction.lastFrameArrived();
      client.socket().setSoTimeout(30_000); // TCP's retransmission backoff may take a while once the path is back
      LivePeer dying = LivePeer.of(client); // it would answer wsgate's pings: only the dropped packets silence it
      try (IptablesDrop drop = IptablesDrop.connectionOn(client.socket().getLocalPort())) {
        assertThat(Duration.ofNanos(drop.inPlaceAt() - eviction.tRecv)).as("the rules were in place before the first"
            + " ping could go out").isLessThan(INTERVAL);

        WsFrame close = up.readClose(); // answers wsgate's pings on the upstream leg meanwhile
        eviction.closeArrived(System.nanoTime());
        assertThat(close.closeCode()).isEqualTo(1001);
        assertThat(close.closeReason()).isEqualTo("client heartbeat timeout");
        eviction.assertInWindow(TIMEOUT);
        System.out.println("EVICTION BY IPTABLES (client leg, timeout 2 s): " + eviction);

        up.sendClose(1001, "");
        up.close();
        gw.awaitIdle(CLOSE_TIMEOUT.plusSeconds(2));
        assertThat(RecordingAppender.await(l -> l.contains("request_id=" + requestId), Duration.ofSeconds(5)))
            .contains("close_code=4408", "closed_by=gateway", "end=client-heartbeat");
        assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.CLIENT_HEARTBEAT)).isEqualTo(1.0);
        assertThat(dying.queued()).as("nothing reached the client through the dropped path").isZero();
        assertThat(dying.reading()).as("no FIN or RST reached the client through the dropped path").isTrue();
        dying.stopAnswering();
      }
      // The path is back: TCP retransmits what wsgate sent the dead client: the ping, the close frame, the FIN.
      EvictionIT.assertHeldForTheDead(dying);
    }
  }

  @Test
  void upstreamDroppedByIptablesIsEvictedAndTheClientGets1014() throws Exception {
    String requestId = "iptables-upstream";
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), EvictionIT.bothLegs());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("X-Request-Id", requestId))) {
      RawUpstream.Conn up = upstream.take();
      EvictionIT.Eviction eviction = new EvictionIT.Eviction(Leg.UPSTREAM, EvictionIT.session(gw, requestId));

      eviction.lastFrameSent();
      up.sendText("last words");
      assertThat(client.readData().text()).isEqualTo("last words");
      eviction.lastFrameArrived();
      up.socket().setSoTimeout(30_000); // TCP's retransmission backoff may take a while once the path is back
      LivePeer dying = LivePeer.of(up); // it would answer wsgate's pings: only the dropped packets silence it
      // wsgate's end of the upstream connection: its ephemeral port, as the upstream sees it.
      try (IptablesDrop drop = IptablesDrop.connectionOn(up.socket().getPort())) {
        assertThat(Duration.ofNanos(drop.inPlaceAt() - eviction.tRecv)).as("the rules were in place before the first"
            + " ping could go out").isLessThan(INTERVAL);

        WsFrame close = client.readClose(); // answers wsgate's pings on the client leg meanwhile
        eviction.closeArrived(System.nanoTime());
        assertThat(close.closeCode()).isEqualTo(1014);
        assertThat(close.closeReason()).isEqualTo("upstream heartbeat timeout");
        eviction.assertInWindow(TIMEOUT);
        System.out.println("EVICTION BY IPTABLES (upstream leg, timeout 2 s): " + eviction);

        client.sendClose(1014, "");
        assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
        gw.awaitIdle(CLOSE_TIMEOUT.plusSeconds(2));
        assertThat(RecordingAppender.await(l -> l.contains("request_id=" + requestId), Duration.ofSeconds(5)))
            .contains("close_code=4408", "closed_by=gateway", "end=upstream-heartbeat");
        assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.UPSTREAM_HEARTBEAT)).isEqualTo(1.0);
        assertThat(dying.queued()).as("nothing reached the upstream through the dropped path").isZero();
        assertThat(dying.reading()).as("no FIN or RST reached the upstream through the dropped path").isTrue();
        dying.stopAnswering();
      }
      EvictionIT.assertHeldForTheDead(dying);
    }
  }

  /** An upstream whose SYNs are dropped: 504 at the connect timeout, and nothing of the attempt is left. */
  @Test
  void upstreamThatNeverAcceptsIs504AtTheConnectTimeout() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), "upstream:\n  connect-timeout: 700ms\n");
         IptablesDrop drop = IptablesDrop.connectionOn(upstream.uri().getPort())) {
      long start = System.nanoTime();
      RawWebSocket.Response r = RawWebSocket.request(gw.address(), "GET / HTTP/1.1",
          RawWebSocket.handshakeHeaders(gw.address()));
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.body()).isEqualTo("504 Gateway Timeout: upstream " + upstream.uri()
          + "/ did not accept the connection within 700ms\n");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(700));
      gw.awaitIdle(Duration.ofSeconds(5));
    }
  }
}
