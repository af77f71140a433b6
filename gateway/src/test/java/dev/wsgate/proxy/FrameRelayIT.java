package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.testing.RawUpstream;
import dev.wsgate.testing.RawWebSocket;
import dev.wsgate.testing.RecordingAppender;
import dev.wsgate.testing.TestGateway;
import dev.wsgate.testing.WsEndpoint;
import dev.wsgate.testing.WsFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Frames go through wsgate in order and unchanged, both ways: text, binary, empty, fragmented. */
class FrameRelayIT {

  /**
   * Data frames are relayed as they came (RFC 6455 5.7's masked "Hello" from the client, its unmasked one from the
   * upstream): the client's masking key reaches the upstream, as through nginx or HAProxy.
   */
  @Test
  void dataFramesArriveByteForByteTheClientsMaskingKeyKept() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      byte[] masked = {(byte) 0x81, (byte) 0x85, 0x37, (byte) 0xfa, 0x21, 0x3d, 0x7f, (byte) 0x9f, 0x4d, 0x51, 0x58};
      client.sendBytes(masked);
      assertThat(up.readBytes(masked.length)).isEqualTo(masked);
      byte[] unmasked = {(byte) 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
      up.sendBytes(unmasked);
      assertThat(client.readBytes(unmasked.length)).isEqualTo(unmasked);
      WsEndpoint.closeCleanly(client, up);
    }
  }

  @Test
  void textBinaryEmptyAndFragmentedFramesArriveUnchangedAndInOrder() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      byte[] binary = new byte[70_000];
      new Random(1).nextBytes(binary);

      // client -> upstream
      client.sendText("hello");
      client.sendBinary(binary);
      client.send(true, WsFrame.TEXT, new byte[0]);
      client.send(false, WsFrame.TEXT, "frag-1 ".getBytes(StandardCharsets.UTF_8));
      client.send(false, WsFrame.CONTINUATION, "frag-2 ".getBytes(StandardCharsets.UTF_8));
      client.send(true, WsFrame.CONTINUATION, "frag-3".getBytes(StandardCharsets.UTF_8));
      assertThat(up.readData()).isEqualTo(frameOf(true, WsFrame.TEXT, "hello"));
      WsFrame b = up.readData();
      assertThat(b.opcode()).isEqualTo(WsFrame.BINARY);
      assertThat(b.payload()).isEqualTo(binary);
      assertThat(up.readData()).isEqualTo(frameOf(true, WsFrame.TEXT, ""));
      assertThat(up.readData()).isEqualTo(frameOf(false, WsFrame.TEXT, "frag-1 "));
      assertThat(up.readData()).isEqualTo(frameOf(false, WsFrame.CONTINUATION, "frag-2 "));
      assertThat(up.readData()).isEqualTo(frameOf(true, WsFrame.CONTINUATION, "frag-3"));

      // upstream -> client
      up.sendText("world");
      up.send(false, WsFrame.BINARY, new byte[] {1, 2});
      up.send(false, WsFrame.CONTINUATION, new byte[0]);
      up.send(true, WsFrame.CONTINUATION, new byte[] {3});
      up.send(true, WsFrame.BINARY, new byte[0]);
      assertThat(client.readData()).isEqualTo(frameOf(true, WsFrame.TEXT, "world"));
      assertThat(client.readData()).isEqualTo(new WsFrame(false, 0, WsFrame.BINARY, new byte[] {1, 2}));
      assertThat(client.readData()).isEqualTo(new WsFrame(false, 0, WsFrame.CONTINUATION, new byte[0]));
      assertThat(client.readData()).isEqualTo(new WsFrame(true, 0, WsFrame.CONTINUATION, new byte[] {3}));
      assertThat(client.readData()).isEqualTo(new WsFrame(true, 0, WsFrame.BINARY, new byte[0]));

      client.sendClose(1000, "done");
      assertThat(up.readClose().closeCode()).isEqualTo(1000);
      up.sendClose(1000, "done");
      assertThat(client.readClose().closeCode()).isEqualTo(1000);
      assertThat(client.awaitEof(Duration.ofSeconds(5))).isTrue();
      up.close();
    }
  }

  @Test
  void manyInterleavedMessagesKeepTheirOrderInEachDirection() throws Exception {
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      int n = 2_000;
      Thread writer = new Thread(() -> {
        try {
          for (int i = 0; i < n; i++) {
            client.sendText("m" + i);
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      writer.start();
      for (int i = 0; i < n; i++) {
        assertThat(client.readData().text()).isEqualTo("m" + i);
      }
      writer.join(10_000);
      client.sendClose(1000, "");
      assertThat(client.readClose().closeCode()).isEqualTo(1000);
    }
  }

  @Test
  void subprotocolIsTheOneTheUpstreamChose() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade(offered -> "chat.v2"));
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/",
             Map.of("Sec-WebSocket-Protocol", "chat.v1, chat.v2"))) {
      RawUpstream.Conn up = upstream.take();
      assertThat(up.request().header("sec-websocket-protocol")).isEqualTo("chat.v1,chat.v2");
      assertThat(client.response().header("sec-websocket-protocol")).isEqualTo("chat.v2");
      client.sendClose(1000, "");
      up.readClose();
      up.sendClose(1000, "");
      client.readClose();
      up.close();
    }
  }

  @Test
  void noSubprotocolWhenTheUpstreamChoseNone() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/", Map.of("Sec-WebSocket-Protocol", "a, b"))) {
      RawUpstream.Conn up = upstream.take();
      assertThat(client.response().header("sec-websocket-protocol")).isNull();
      client.sendClose(1000, "");
      up.readClose();
      up.sendClose(1000, "");
      client.readClose();
      up.close();
    }
  }

  @Test
  void oneAccessLogLinePerSession() throws Exception {
    try (RawUpstream upstream = RawUpstream.echo();
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/x?y=1",
             Map.of("X-Request-Id", "req-access-log-1", "Sec-WebSocket-Protocol", "p"))) {
      client.sendText("12345");
      client.readData();
      client.sendClose(4001, "bye");
      assertThat(client.readClose().closeCode()).isEqualTo(4001);
      String line = RecordingAppender.await(l -> l.contains("request_id=req-access-log-1"), Duration.ofSeconds(10));
      assertThat(line)
          .contains(" client=127.0.0.1:")
          .contains(" client_protocol=http/1.1 ")
          .contains(" route=/ ")
          .contains(" upstream=" + upstream.uri())
          .contains(" subprotocol=-")
          .contains(" frames_in=1 bytes_in=5 frames_out=1 bytes_out=5")
          .contains(" close_code=4001 closed_by=client end=client-close close_reason=bye")
          .containsPattern(" duration_ms=\\d+");
    }
  }

  @Test
  void pingsAreAnsweredHopByHopByDefault() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.proxying(upstream.uri());
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendPing("from the client".getBytes(StandardCharsets.UTF_8));
      WsFrame pong = client.read();
      assertThat(pong.opcode()).isEqualTo(WsFrame.PONG);
      assertThat(pong.text()).isEqualTo("from the client");
      up.send(true, WsFrame.PING, "from the upstream".getBytes(StandardCharsets.UTF_8));
      WsFrame upPong = up.read();
      assertThat(upPong.opcode()).isEqualTo(WsFrame.PONG);
      assertThat(upPong.text()).isEqualTo("from the upstream");
      // Neither ping crossed: the next thing each side sees is the other's data.
      client.sendText("after");
      assertThat(up.read()).isEqualTo(frameOf(true, WsFrame.TEXT, "after"));
      up.sendText("after too");
      assertThat(client.read()).isEqualTo(frameOf(true, WsFrame.TEXT, "after too"));
      WsEndpoint.closeCleanly(client, up);
    }
  }

  @Test
  void forwardPingsRelaysPingsAndPongsEndToEnd() throws Exception {
    try (RawUpstream upstream = RawUpstream.start(RawUpstream.Answer.upgrade());
         TestGateway gw = TestGateway.start("routes:\n  - path: /\n    forward-pings: true\n    upstreams: [\""
             + upstream.uri() + "\"]\n");
         RawWebSocket client = RawWebSocket.connect(gw.address(), "/")) {
      RawUpstream.Conn up = upstream.take();
      client.sendPing("p1".getBytes(StandardCharsets.UTF_8));
      WsFrame atUpstream = up.read();
      assertThat(atUpstream.opcode()).isEqualTo(WsFrame.PING);
      assertThat(atUpstream.text()).isEqualTo("p1");
      up.send(true, WsFrame.PONG, atUpstream.payload());
      WsFrame atClient = client.read();
      assertThat(atClient.opcode()).isEqualTo(WsFrame.PONG);
      assertThat(atClient.text()).isEqualTo("p1");
      up.send(true, WsFrame.PING, "p2".getBytes(StandardCharsets.UTF_8));
      WsFrame relayed = client.read();
      assertThat(relayed.opcode()).isEqualTo(WsFrame.PING);
      client.send(true, WsFrame.PONG, relayed.payload());
      assertThat(up.read().opcode()).isEqualTo(WsFrame.PONG);
      WsEndpoint.closeCleanly(client, up);
    }
  }

  private static WsFrame frameOf(boolean fin, int opcode, String text) {
    return new WsFrame(fin, 0, opcode, text.getBytes(StandardCharsets.UTF_8));
  }
}
