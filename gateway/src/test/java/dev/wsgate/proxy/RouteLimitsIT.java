package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.session.Session;
import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import dev.wsgate.testing.WsFrame;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A route's rate limit and {@code max-message-size}, end to end through wsgate: a client that sends far faster than
 * its rate is paced (its leg paused, every message relayed, in order); with {@code action: close} it gets 1008 and the
 * upstream 1001; a fragmented message streams frame by frame under the size limit, and the frame that passes it gets
 * the client 1009 and the upstream 1001. Permits and sessions are back after each.
 */
class RouteLimitsIT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private static TestGateway gateway(URI upstream, String routeKeys) {
    return TestGateway.start("server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n  max-frame-size: 64KiB\n"
        + "routes:\n  - path: /\n    upstreams: [\"" + upstream + "\"]\n" + routeKeys);
  }

  @Test
  void aClientSendingFarPastItsRateIsPacedNothingLost() throws Exception {
    int messages = 300;
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = gateway(up.uri(), """
                 rate-limit:
                   client:
                     messages-per-second: 200
                     burst-messages: 10
             """)) {
      try (RawWebSocket c = RawWebSocket.connect(gw.address(), "/")) {
        RawUpstream.Conn u = up.take();
        long start = System.nanoTime();
        for (int i = 0; i < messages; i++) {
          c.sendText("m" + i); // as fast as the socket takes them: far past 200 a second
        }
        for (int i = 0; i < messages; i++) {
          assertThat(u.readData().text()).isEqualTo("m" + i);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("rate-limit: %d messages at 200/s (burst 10) relayed in %.2f s (%.0f/s)%n", messages,
            seconds, messages / seconds);
        assertThat(gw.gateway().metrics().ratePauseCount("/", Leg.CLIENT)).as("the client leg was paused")
            .isGreaterThanOrEqualTo(1.0);
        // The other direction has no limit.
        u.sendText("down");
        assertThat(c.readData().text()).isEqualTo("down");
        WsEndpoint.closeCleanly(c, u);
      }
      gw.awaitIdle(WAIT);
    }
  }

  @Test
  void withActionCloseTheClientGets1008AndTheUpstream1001() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = gateway(up.uri(), """
                 rate-limit:
                   client:
                     messages-per-second: 1
                     burst-messages: 2
                     action: close
             """)) {
      try (RawWebSocket c = RawWebSocket.connect(gw.address(), "/")) {
        RawUpstream.Conn u = up.take();
        c.sendText("a");
        c.sendText("b");
        c.sendText("c");
        assertThat(u.readData().text()).isEqualTo("a");
        assertThat(u.readData().text()).isEqualTo("b");
        WsFrame toUpstream = u.readData();
        assertThat(toUpstream.opcode()).as("c is not relayed").isEqualTo(WsFrame.CLOSE);
        assertThat(toUpstream.closeCode()).isEqualTo(1001);
        assertThat(toUpstream.closeReason()).isEqualTo("client rate limit");
        WsFrame toClient = c.readClose();
        assertThat(toClient.closeCode()).isEqualTo(1008);
        assertThat(toClient.closeReason()).isEqualTo("rate limit");
        c.sendClose(1008, "");
        u.sendClose(1001, "");
        assertThat(c.awaitEof(WAIT)).isTrue();
        u.close();
      }
      gw.awaitIdle(WAIT);
      assertThat(gw.gateway().metrics().sessionsEnded(Session.EndCause.RATE_LIMIT)).isEqualTo(1.0);
    }
  }

  @Test
  void aFragmentedMessageStreamsUnderMaxMessageSizeAndThePartPastItGets1009() throws Exception {
    try (RawUpstream up = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = gateway(up.uri(), "    max-message-size: 100KiB\n")) {
      try (RawWebSocket c = RawWebSocket.connect(gw.address(), "/")) {
        RawUpstream.Conn u = up.take();
        // Under the limit, two frames of 60 KiB and 40 KiB: each reaches the upstream before the next is sent.
        c.send(false, WsFrame.BINARY, new byte[60 << 10]);
        WsFrame first = u.readData();
        assertThat(first.payload()).hasSize(60 << 10);
        assertThat(first.fin()).isFalse();
        c.send(true, WsFrame.CONTINUATION, new byte[40 << 10]);
        assertThat(u.readData().payload()).hasSize(40 << 10);

        // Past it: the first part streams, the one that passes 100 KiB does not.
        c.send(false, WsFrame.BINARY, new byte[60 << 10]);
        assertThat(u.readData().payload()).hasSize(60 << 10);
        c.send(false, WsFrame.CONTINUATION, new byte[(40 << 10) + 1]);
        WsFrame toUpstream = u.readData();
        assertThat(toUpstream.opcode()).isEqualTo(WsFrame.CLOSE);
        assertThat(toUpstream.closeCode()).isEqualTo(1001);
        assertThat(toUpstream.closeReason()).isEqualTo("client: message over max-message-size (102400 bytes)");
        WsFrame toClient = c.readClose();
        assertThat(toClient.closeCode()).isEqualTo(1009);
        assertThat(c.awaitEof(WAIT)).as("closed once its close is flushed").isTrue();
        u.sendClose(1001, "");
        u.close();
      }
      gw.awaitIdle(WAIT);
      assertThat(gw.gateway().metrics().protocolErrors(Leg.CLIENT, 1009)).isEqualTo(1.0);
    }
  }
}
