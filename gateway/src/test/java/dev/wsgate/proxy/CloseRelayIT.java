package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsFrame;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every close reaches the other side with a meaningful code: relayed as sent (1012-1014 and 3000-4999 included),
 * mapped when it may not travel, made up when a leg vanishes or stops answering; and after every kind of end both
 * connections are closed and the session is gone.
 */
class CloseRelayIT {

  private static final String FAST_CLOSE = "server:\n  listen: 127.0.0.1:0\n  admin: 127.0.0.1:0\n"
      + "  close-timeout: 500ms\n";

  @ParameterizedTest
  @ValueSource(ints = {1000, 1001, 1003, 1008, 1011, 1012, 1013, 1014, 3000, 4000, 4999})
  void clientCloseIsRelayedAndTheUpstreamAnswerComesBack(int code) throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendClose(code, "reason " + code);
      WsFrame atUpstream = up.readClose();
      assertThat(atUpstream.closeCode()).isEqualTo(code);
      assertThat(atUpstream.closeReason()).isEqualTo("reason " + code);
      // Until the upstream answers, what it still sends reaches the client.
      up.sendText("late data");
      assertThat(client.readData().text()).isEqualTo("late data");
      up.sendClose(code, "answer");
      WsFrame atClient = client.readClose();
      assertThat(atClient.closeCode()).isEqualTo(code);
      assertThat(atClient.closeReason()).isEqualTo("answer");
      assertThat(client.awaitEof(Duration.ofSeconds(5))).as("wsgate closes the client TCP connection").isTrue();
      up.close();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1000, 1001, 1011, 1012, 1013, 1014, 3001, 4321})
  void upstreamCloseIsRelayedAndTheClientAnswerGoesBack(int code) throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      up.sendClose(code, "going " + code);
      WsFrame atClient = client.readClose();
      assertThat(atClient.closeCode()).isEqualTo(code);
      assertThat(atClient.closeReason()).isEqualTo("going " + code);
      client.sendClose(code, "ok");
      WsFrame atUpstream = up.readClose();
      assertThat(atUpstream.closeCode()).isEqualTo(code);
      assertThat(atUpstream.closeReason()).isEqualTo("ok");
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      up.close();
    }
  }

  @Test
  void closeWithoutCodeIsRelayedWithoutCode() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendEmptyClose();
      WsFrame atUpstream = up.readClose();
      assertThat(atUpstream.payload()).isEmpty();
      up.send(true, WsFrame.CLOSE, new byte[0]);
      assertThat(client.readClose().payload()).isEmpty();
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      up.close();
    }
  }

  @Test
  void upstreamGoneWithoutCloseFrameGivesTheClient1014() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("X-Request-Id", "fin-1"))) {
      RawUpstream.Conn up = upstream.take();
      up.close(); // FIN, no close frame
      WsFrame atClient = client.readClose();
      assertThat(atClient.closeCode()).isEqualTo(1014);
      assertThat(atClient.closeReason()).isEqualTo("upstream closed the connection without a close frame");
      client.sendClose(1014, "");
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      assertThat(RecordingAppender.await(l -> l.contains("request_id=fin-1"), Duration.ofSeconds(5)))
          .contains("close_code=1006 closed_by=upstream end=upstream-lost");
    }
  }

  @Test
  void upstreamResetGivesTheClient1014() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      up.reset();
      assertThat(client.readClose().closeCode()).isEqualTo(1014);
      client.sendClose(1000, "");
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void clientGoneWithoutCloseFrameGivesTheUpstream1001() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri())) {
      RawWebSocket client = RawWebSocket.connect(gw.address(), "/");
      RawUpstream.Conn up = upstream.take();
      client.close(); // FIN, no close frame
      WsFrame atUpstream = up.readClose();
      assertThat(atUpstream.closeCode()).isEqualTo(1001);
      assertThat(atUpstream.closeReason()).isEqualTo("client closed the connection without a close frame");
      up.sendClose(1001, "");
      up.close(); // the server closes TCP first (RFC 6455, 7.1.1); TestGateway.close() checks the session ended
    }
  }

  @Test
  void clientResetGivesTheUpstream1001() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri())) {
      RawWebSocket client = RawWebSocket.connect(gw.address(), "/");
      RawUpstream.Conn up = upstream.take();
      client.reset();
      assertThat(up.readClose().closeCode()).isEqualTo(1001);
      up.close();
    }
  }

  @Test
  void upstreamThatNeverAnswersACloseIsCutAfterTheCloseTimeout() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), FAST_CLOSE);
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendClose(4100, "please close");
      assertThat(up.readClose().closeCode()).isEqualTo(4100);
      // The upstream stays silent; after close-timeout the client gets its own close back, both are closed.
      WsFrame atClient = client.readClose();
      assertThat(atClient.closeCode()).isEqualTo(4100);
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      assertThat(up.awaitEof(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void clientThatNeverAnswersACloseIsCutAfterTheCloseTimeout() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), FAST_CLOSE);
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      up.sendClose(1012, "restarting");
      assertThat(client.readClose().closeCode()).isEqualTo(1012);
      // The client stays silent; wsgate answers the upstream itself and cuts the client.
      WsFrame atUpstream = up.readClose();
      assertThat(atUpstream.closeCode()).isEqualTo(1012);
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      up.close();
    }
  }

  @Test
  void upstreamThatAnswersButNeverClosesTcpIsCutAfterTheCloseTimeout() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri(), FAST_CLOSE);
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendClose(1000, "");
      up.readClose();
      up.sendClose(1000, ""); // but keeps TCP open, as a misbehaving server would
      assertThat(client.readClose().closeCode()).isEqualTo(1000);
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      assertThat(up.awaitEof(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void simultaneousClosesFromBothSidesFinish() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendClose(1000, "client");
      up.sendClose(1001, "upstream");
      WsFrame atClient = client.readClose();
      WsFrame atUpstream = up.readClose();
      assertThat(atClient.closeCode()).isIn(1000, 1001);
      assertThat(atUpstream.closeCode()).isIn(1000, 1001);
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      up.close();
    }
  }
}
