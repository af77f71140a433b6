package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.config.RateLimit;
import dev.wsgate.session.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A route's {@code max-message-size} in the relay: a message's fragments are added up as they pass, each relayed at
 * once while the sum is under the limit; the one that passes it is not relayed, its sender gets 1009 and the other
 * leg 1001 (1014 toward the client when the upstream sent it).
 */
class MessageSizeTest {

  private EmbeddedSession fixture;
  private EmbeddedChannel client;
  private EmbeddedChannel upstream;
  private ProxySession session;

  @BeforeEach
  void setUp() {
    fixture = new EmbeddedSession(limited(Leg.CLIENT), limited(Leg.UPSTREAM), SessionLimits.NONE,
        Duration.ofSeconds(5));
    client = fixture.client;
    upstream = fixture.upstream;
    fixture.connect();
    session = fixture.start();
  }

  private static LegSetup limited(Leg leg) {
    return new LegSetup(ProxySessionTest.noHeartbeat(leg).heartbeat(), null, 10, RateLimit.NONE, null);
  }

  @AfterEach
  void tearDown() {
    fixture.close();
  }

  @Test
  void fragmentsUnderTheLimitStreamOneByOneAndEachMessageCountsAfresh() {
    client.writeInbound(new TextWebSocketFrame(false, 0, "123456"));
    assertThat(payload(upstream.readOutbound())).as("the first fragment is relayed before the last is sent")
        .isEqualTo(6);
    client.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[100]))); // answered, not counted
    ReferenceCountUtil.release(client.readOutbound());
    client.writeInbound(new ContinuationWebSocketFrame(true, 0, "7890"));
    assertThat(payload(upstream.readOutbound())).isEqualTo(4);
    client.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[10])));
    assertThat(payload(upstream.readOutbound())).as("a new message counts from 0").isEqualTo(10);
    assertThat(session.endCause()).isNull();
  }

  @Test
  void inARunRelayedVerbatimTheFramesBeforeTheOneThatPassesTheLimitGoAndItsSenderGets1009() {
    byte[] first = WireBytes.frame(0x02, new byte[6], 0x01020304);
    byte[] second = WireBytes.frame(0x00, new byte[4], 0x05060708);
    byte[] third = WireBytes.frame(0x80, new byte[1], 0x090A0B0C);
    client.writeInbound(Unpooled.wrappedBuffer(WireBytes.concat(first, second, third)));
    ByteBuf relayed = upstream.readOutbound();
    assertThat(ByteBufUtil.getBytes(relayed)).as("the first two frames, as they came")
        .isEqualTo(WireBytes.concat(first, second));
    relayed.release();
    CloseWebSocketFrame toUpstream = upstream.readOutbound();
    assertThat(toUpstream.statusCode()).isEqualTo(1001);
    toUpstream.release();
    CloseWebSocketFrame toClient = client.readOutbound();
    assertThat(toClient.statusCode()).isEqualTo(1009);
    toClient.release();
    assertThat(session.framesFromClient()).isEqualTo(2);
    assertThat(session.bytesFromClient()).isEqualTo(10);
  }

  @Test
  void theFragmentThatPassesTheLimitIsNotRelayedAndItsSenderGets1009() {
    client.writeInbound(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[6])),
        new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[4])),
        new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[1])));
    assertThat(payload(upstream.readOutbound())).isEqualTo(6);
    assertThat(payload(upstream.readOutbound())).isEqualTo(4);
    CloseWebSocketFrame toUpstream = upstream.readOutbound();
    assertThat(toUpstream.statusCode()).isEqualTo(1001);
    assertThat(toUpstream.reasonText()).isEqualTo("client: message over max-message-size (10 bytes)");
    toUpstream.release();
    assertThat((Object) upstream.readOutbound()).as("the 11th byte never went").isNull();
    CloseWebSocketFrame toClient = client.readOutbound();
    assertThat(toClient.statusCode()).isEqualTo(1009);
    toClient.release();
    assertThat(client.isOpen()).as("closed once its close is flushed").isFalse();
    assertThat(session.endCause()).isEqualTo(Session.EndCause.ERROR);
    assertThat(fixture.metrics.protocolErrors(Leg.CLIENT, 1009)).isEqualTo(1.0);
    upstream.writeInbound(new CloseWebSocketFrame(1001, ""));
    upstream.close();
    assertThat(fixture.released()).isTrue();
  }

  @Test
  void anUpstreamMessageTooBigGetsTheClient1014() {
    upstream.writeInbound(new TextWebSocketFrame("0123456789x"));
    CloseWebSocketFrame toClient = client.readOutbound();
    assertThat(toClient.statusCode()).isEqualTo(1014);
    toClient.release();
    CloseWebSocketFrame toUpstream = upstream.readOutbound();
    assertThat(toUpstream.statusCode()).isEqualTo(1009);
    toUpstream.release();
  }

  private static int payload(Object frame) {
    WebSocketFrame f = (WebSocketFrame) frame;
    try {
      return f.content().readableBytes();
    } finally {
      f.release();
    }
  }
}
