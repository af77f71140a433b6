package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.HeartbeatMode;
import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.Leg;
import dev.wsgate.config.TextHeartbeat;
import dev.wsgate.heartbeat.HeartbeatHandler;
import dev.wsgate.heartbeat.LegHeartbeat;
import dev.wsgate.metrics.HeartbeatMeters;
import dev.wsgate.session.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay and close state machine of one session, on two embedded channels, time moved by hand. */
class ProxySessionTest {

  /** The heartbeat has tests of its own; here it only answers pings. */
  static LegSetup noHeartbeat(Leg leg) {
    return new LegSetup(new LegHeartbeat(leg, new HeartbeatSettings(Duration.ZERO, Duration.ZERO,
        HeartbeatMode.FRAME, TextHeartbeat.defaults(), 4408), false, HeartbeatMeters.NONE), null);
  }

  private EmbeddedSession fixture;
  private EmbeddedChannel client;
  private EmbeddedChannel upstream;
  private ProxySession session;

  @BeforeEach
  void setUp() {
    fixture = new EmbeddedSession(noHeartbeat(Leg.CLIENT), noHeartbeat(Leg.UPSTREAM), SessionLimits.NONE,
        Duration.ofSeconds(5));
    client = fixture.client;
    upstream = fixture.upstream;
    // Whatever the upstream sends before the client's upgrade is held, in order.
    upstream.writeInbound(new TextWebSocketFrame("early"));
    fixture.connect();
    session = fixture.start();
  }

  @AfterEach
  void tearDown() {
    fixture.close();
  }

  /** The session ended and everything it took is back. */
  private boolean finished() {
    return fixture.released() && session.endCause() != null;
  }

  @Test
  void heldFramesComeFirstThenFramesFlowBothWaysAndAreCounted() {
    assertThat(text(client.readOutbound())).isEqualTo("early");
    client.writeInbound(new TextWebSocketFrame("to upstream"));
    assertThat(text(upstream.readOutbound())).isEqualTo("to upstream");
    upstream.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
    WebSocketFrame b = client.readOutbound();
    assertThat(b).isInstanceOf(BinaryWebSocketFrame.class);
    assertThat(b.content().readableBytes()).isEqualTo(3);
    b.release();
    assertThat(session.framesFromClient()).isEqualTo(1);
    assertThat(session.bytesFromClient()).isEqualTo(11);
    assertThat(session.framesFromUpstream()).isEqualTo(2);
    assertThat(session.bytesFromUpstream()).isEqualTo(8);
  }

  @Test
  void aRunRelayedVerbatimIsWrittenAsItCameAndCountedFrameByFrame() {
    drain(client);
    byte[] run = WireBytes.concat(WireBytes.frame(0x81, utf8("one"), 0x01020304),
        WireBytes.frame(0x02, new byte[] {1, 2}, 0x0A0B0C0D), WireBytes.frame(0x80, utf8("two"), 0x11121314));
    client.writeInbound(Unpooled.wrappedBuffer(run));
    ByteBuf out = upstream.readOutbound();
    assertThat(ByteBufUtil.getBytes(out)).as("the client's frames, its masks kept").isEqualTo(run);
    out.release();
    assertThat(session.framesFromClient()).isEqualTo(3);
    assertThat(session.bytesFromClient()).isEqualTo(8);
    assertThat((Object) client.readOutbound()).isNull();
  }

  @Test
  void aRunStopsAtTextThatIsNotUtf8AndTheFramesBeforeItGo() {
    drain(client);
    byte[] good = WireBytes.frame(0x81, utf8("fine"), 0x01020304);
    byte[] bad = WireBytes.frame(0x81, new byte[] {(byte) 0xC0, (byte) 0xAF}, 0x05060708); // an overlong "/"
    byte[] after = WireBytes.frame(0x82, new byte[] {9}, 0x090A0B0C);
    client.writeInbound(Unpooled.wrappedBuffer(WireBytes.concat(good, bad, after)));
    ByteBuf out = upstream.readOutbound();
    assertThat(ByteBufUtil.getBytes(out)).isEqualTo(good);
    out.release();
    CloseWebSocketFrame close = client.readOutbound();
    assertThat(close.statusCode()).isEqualTo(1007);
    close.release();
    assertThat(session.framesFromClient()).isEqualTo(1);
  }

  @Test
  void textCutAcrossFramesAndRunsIsCheckedAsOneMessageUnmasked() {
    drain(client);
    byte[] kappa = "κ".getBytes(StandardCharsets.UTF_8);
    byte[] first = WireBytes.frame(0x01, new byte[] {kappa[0]}, 0x7F3E2D1C);
    byte[] last = WireBytes.frame(0x80, new byte[] {kappa[1], 'x', 'y', 'z', 'z', 'y', 'x', 'w', 'v'}, 0x6A5B4C3D);
    client.writeInbound(Unpooled.wrappedBuffer(first));
    client.writeInbound(Unpooled.wrappedBuffer(last));
    for (byte[] expected : new byte[][] {first, last}) {
      ByteBuf out = upstream.readOutbound();
      assertThat(ByteBufUtil.getBytes(out)).isEqualTo(expected);
      out.release();
    }
    assertThat((Object) client.readOutbound()).as("no close: the text is valid").isNull();
    assertThat(session.endCause()).isNull();
  }

  @Test
  void aRunThatWouldPassTheMarkGoesFrameByFrameAndTheRestWaits() {
    drain(client);
    upstream.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 40));
    byte[][] frames = new byte[4][];
    for (int i = 0; i < frames.length; i++) {
      frames[i] = WireBytes.frame(0x82, new byte[10], 0x01020304 + i); // 16 bytes each
    }
    client.writeInbound(Unpooled.wrappedBuffer(WireBytes.concat(frames)));
    // 64 bytes where 40 fit: the first frame goes alone (the buffer is past the mark after it), the rest waits; the
    // flush drains the buffer (an embedded channel writes at once) and the rest goes when it is writable again: 48
    // bytes, again one frame first; then the last 32, which fit under the mark, at once.
    byte[][] expected = {frames[0], frames[1], WireBytes.concat(frames[2], frames[3])};
    for (int i = 0; i < expected.length; i++) {
      upstream.runPendingTasks();
      ByteBuf next = upstream.readOutbound();
      assertThat(ByteBufUtil.getBytes(next)).as("write %d", i).isEqualTo(expected[i]);
      next.release();
    }
    assertThat((Object) upstream.readOutbound()).isNull();
    assertThat(session.leg(Leg.UPSTREAM).waitingBytes()).isZero();
    assertThat(client.config().isAutoRead()).as("reading resumes once nothing waits").isTrue();
    assertThat(session.framesFromClient()).isEqualTo(4);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void pingsAreAnsweredOnTheirLegAndNotRelayed() {
    drain(client);
    client.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("p", StandardCharsets.UTF_8)));
    WebSocketFrame pong = client.readOutbound();
    assertThat(pong).isInstanceOf(PongWebSocketFrame.class);
    assertThat(pong.content().toString(StandardCharsets.UTF_8)).isEqualTo("p");
    pong.release();
    assertThat((Object) upstream.readOutbound()).isNull();
    upstream.writeInbound(new PongWebSocketFrame());
    assertThat((Object) client.readOutbound()).isNull();
  }

  @Test
  void anUnwritableLegStopsReadingOnTheOther() {
    assertThat(client.config().isAutoRead()).isTrue();
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    upstream.runPendingTasks(); // Netty fires writability changes as a task
    assertThat(client.config().isAutoRead()).isFalse();
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    upstream.runPendingTasks();
    assertThat(client.config().isAutoRead()).isTrue();
    client.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    client.runPendingTasks();
    assertThat(upstream.config().isAutoRead()).isFalse();
  }

  @Test
  void framesForALegPastTheMarkWaitInOrderAndGoFirstWhenItDrains() {
    drain(client);
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    upstream.runPendingTasks();
    client.writeInbound(new TextWebSocketFrame("a"), new TextWebSocketFrame("b"));
    assertThat((Object) upstream.readOutbound()).as("nothing written past the mark").isNull();
    assertThat(session.leg(Leg.UPSTREAM).waitingBytes()).isEqualTo(2);
    assertThat(client.config().isAutoRead()).isFalse();
    client.writeInbound(new TextWebSocketFrame("c")); // the rest of a read batch under way
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    upstream.runPendingTasks();
    assertThat(text(upstream.readOutbound())).isEqualTo("a");
    assertThat(text(upstream.readOutbound())).isEqualTo("b");
    assertThat(text(upstream.readOutbound())).isEqualTo("c");
    assertThat(session.leg(Leg.UPSTREAM).waitingBytes()).isZero();
    assertThat(client.config().isAutoRead()).as("reading resumes once nothing waits").isTrue();
    assertThat(session.framesFromClient()).isEqualTo(3);
  }

  @Test
  void aCloseGoesAfterTheFramesThatWaitBeforeIt() {
    drain(client);
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    upstream.runPendingTasks();
    client.writeInbound(new TextWebSocketFrame("last"), new CloseWebSocketFrame(1000, "done"));
    assertThat(text(upstream.readOutbound())).isEqualTo("last");
    CloseWebSocketFrame close = upstream.readOutbound();
    assertThat(close.statusCode()).isEqualTo(1000);
    close.release();
  }

  @Test
  void anEvictedPeerGetsItsCloseAndIsClosedAtOnceWhatWaitsForItDropped() {
    drain(client);
    client.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    client.runPendingTasks();
    upstream.writeInbound(new TextWebSocketFrame("never read"));
    client.pipeline().fireUserEventTriggered(new dev.wsgate.heartbeat.HeartbeatEvicted(Leg.CLIENT, 4408, 1));
    CloseWebSocketFrame toClient = client.readOutbound();
    assertThat(toClient.statusCode()).isEqualTo(4408);
    assertThat(toClient.reasonText()).isEqualTo("heartbeat timeout");
    toClient.release();
    assertThat((Object) client.readOutbound()).isNull();
    assertThat(client.isOpen()).as("presumed dead: closed at once").isFalse();
    CloseWebSocketFrame toUpstream = upstream.readOutbound();
    assertThat(toUpstream.statusCode()).isEqualTo(1001);
    assertThat(toUpstream.reasonText()).isEqualTo("client heartbeat timeout");
    toUpstream.release();
    upstream.writeInbound(new CloseWebSocketFrame(1001, ""));
    upstream.close();
    assertThat(finished()).isTrue();
    assertThat(session.endCause()).isEqualTo(Session.EndCause.CLIENT_HEARTBEAT);
  }

  @Test
  void aCloseCodeThatMayNotBeSentFailsTheSender() {
    drain(client);
    client.writeInbound(new CloseWebSocketFrame(true, 0, Unpooled.buffer(2).writeShort(5000)));
    assertThat((Object) client.readOutbound()).as("no answer: it sent its close").isNull();
    assertThat(client.isOpen()).isFalse();
    CloseWebSocketFrame toUpstream = upstream.readOutbound();
    assertThat(toUpstream.statusCode()).isEqualTo(1001);
    assertThat(toUpstream.reasonText()).isEqualTo("client: invalid close code 5000");
    toUpstream.release();
    assertThat(fixture.metrics.protocolErrors(Leg.CLIENT, 1002)).isEqualTo(1.0);
  }

  @Test
  void clientCloseIsRelayedAndTheAnswerClosesTheClient() {
    drain(client);
    client.writeInbound(new CloseWebSocketFrame(4001, "bye"));
    CloseWebSocketFrame atUpstream = upstream.readOutbound();
    assertThat(atUpstream.statusCode()).isEqualTo(4001);
    assertThat(atUpstream.reasonText()).isEqualTo("bye");
    atUpstream.release();
    assertThat(client.isOpen()).isTrue();
    upstream.writeInbound(new TextWebSocketFrame("still relayed until the upstream closes"));
    assertThat(text(client.readOutbound())).isEqualTo("still relayed until the upstream closes");
    upstream.writeInbound(new CloseWebSocketFrame(4001, "ok"));
    CloseWebSocketFrame atClient = client.readOutbound();
    assertThat(atClient.statusCode()).isEqualTo(4001);
    assertThat(atClient.reasonText()).isEqualTo("ok");
    atClient.release();
    client.runPendingTasks();
    assertThat(client.isOpen()).as("wsgate, the server on the client leg, closes TCP").isFalse();
    assertThat(upstream.isOpen()).as("the upstream, the server on its leg, closes first").isTrue();
    upstream.close();
    assertThat(finished()).isTrue();
    assertThat(session.closedBy()).isEqualTo(Session.Initiator.CLIENT);
    assertThat(session.closeCode()).isEqualTo(4001);
  }

  @Test
  void closeWithoutCodeIsRelayedWithoutCode() {
    drain(client);
    client.writeInbound(new CloseWebSocketFrame(true, 0, Unpooled.EMPTY_BUFFER));
    CloseWebSocketFrame atUpstream = upstream.readOutbound();
    assertThat(atUpstream.content().readableBytes()).isZero();
    atUpstream.release();
    assertThat(session.closeCode()).isEqualTo(1005);
  }

  @Test
  void upstreamGoneWithoutCloseGivesTheClient1014() {
    drain(client);
    upstream.close();
    CloseWebSocketFrame atClient = client.readOutbound();
    assertThat(atClient.statusCode()).isEqualTo(1014);
    assertThat(atClient.reasonText()).isEqualTo(CloseCodes.UPSTREAM_GONE);
    atClient.release();
    assertThat(session.closedBy()).isEqualTo(Session.Initiator.UPSTREAM);
    assertThat(session.closeCode()).isEqualTo(1006);
    client.writeInbound(new CloseWebSocketFrame(1014, ""));
    client.runPendingTasks();
    assertThat(client.isOpen()).isFalse();
    assertThat(finished()).isTrue();
  }

  @Test
  void clientGoneWithoutCloseGivesTheUpstream1001() {
    client.close();
    CloseWebSocketFrame atUpstream = upstream.readOutbound();
    assertThat(atUpstream.statusCode()).isEqualTo(1001);
    assertThat(atUpstream.reasonText()).isEqualTo(CloseCodes.CLIENT_GONE);
    atUpstream.release();
    assertThat(finished()).isFalse();
    upstream.writeInbound(new CloseWebSocketFrame(1001, ""));
    upstream.close();
    assertThat(finished()).isTrue();
  }

  @Test
  void closeTimeoutCutsAPeerThatNeverAnswersAndEchoesTheInitiator() {
    drain(client);
    client.writeInbound(new CloseWebSocketFrame(4100, "please"));
    ReferenceCountUtil.release(upstream.readOutbound());
    client.advanceTimeBy(4_999, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(upstream.isOpen()).isTrue();
    assertThat((Object) client.readOutbound()).isNull();
    client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    CloseWebSocketFrame echo = client.readOutbound();
    assertThat(echo.statusCode()).isEqualTo(4100);
    echo.release();
    assertThat(upstream.isOpen()).isFalse();
    assertThat(client.isOpen()).isFalse();
    assertThat(finished()).isTrue();
  }

  @Test
  void protocolErrorOnOneLegClosesTheOtherAndIsReportedOnce() {
    drain(client);
    client.pipeline().fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
        "too big"));
    client.pipeline().fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR,
        "again"));
    CloseWebSocketFrame atUpstream = upstream.readOutbound();
    assertThat(atUpstream.statusCode()).isEqualTo(1001);
    assertThat(atUpstream.reasonText()).isEqualTo("client: too big");
    atUpstream.release();
    assertThat(fixture.metrics.protocolErrors(Leg.CLIENT, 1009)).isEqualTo(1.0);
    assertThat(fixture.metrics.protocolErrors(Leg.CLIENT, 1002)).as("reported once").isZero();
    assertThat(session.closedBy()).isEqualTo(Session.Initiator.GATEWAY);
  }

  @Test
  void reservedBitsFailTheSenderWith1002() {
    drain(client);
    upstream.writeInbound(new TextWebSocketFrame(true, 4, Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
    CloseWebSocketFrame atUpstream = upstream.readOutbound();
    assertThat(atUpstream.statusCode()).isEqualTo(1002);
    atUpstream.release();
    upstream.runPendingTasks();
    assertThat(upstream.isOpen()).isFalse();
    CloseWebSocketFrame atClient = client.readOutbound();
    assertThat(atClient.statusCode()).isEqualTo(1014);
    assertThat(atClient.reasonText()).isEqualTo("upstream: reserved bits set without a negotiated extension");
    atClient.release();
  }

  @Test
  void textThatTurnsInvalidMidMessageFailsItsSenderWith1007AtThatFragment() {
    drain(client);
    // "€" is E2 82 AC: the first fragment ends inside it, which is fine; the second breaks it.
    client.writeInbound(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {'a', (byte) 0xE2})));
    assertThat(text(upstream.readOutbound())).as("a fragment ending inside a character is relayed").isNotNull();
    client.writeInbound(new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {(byte) 0x82,
        'b'})));
    CloseWebSocketFrame atClient = client.readOutbound();
    assertThat(atClient.statusCode()).isEqualTo(1007);
    assertThat(atClient.reasonText()).isEqualTo("bytes are not UTF-8");
    atClient.release();
    CloseWebSocketFrame atUpstream = upstream.readOutbound();
    assertThat(atUpstream.statusCode()).as("the fragment that broke it was not relayed").isEqualTo(1001);
    assertThat(atUpstream.reasonText()).isEqualTo("client: bytes are not UTF-8");
    atUpstream.release();
    assertThat(fixture.metrics.protocolErrors(Leg.CLIENT, 1007)).isEqualTo(1.0);
  }

  @Test
  void binaryAndValidFragmentedTextPassUnchecked() {
    drain(client);
    client.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF})));
    client.writeInbound(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {(byte) 0xE2})));
    client.writeInbound(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {(byte) 0x82,
        (byte) 0xAC})));
    client.writeInbound(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {(byte) 0xE2})));
    client.writeInbound(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {(byte) 0x82})));
    for (int i = 0; i < 4; i++) {
      ReferenceCountUtil.release(upstream.readOutbound());
    }
    CloseWebSocketFrame atClient = client.readOutbound();
    assertThat(atClient.statusCode()).as("a message that ends inside a character").isEqualTo(1007);
    atClient.release();
  }

  @Test
  void gatewayCloseSendsBothLegsTheirCodes() {
    drain(client);
    // As eviction or drain will: one code for each leg.
    session.close(Session.EndCause.DRAIN, new CloseCodes.Close(1001, "going away"),
        new CloseCodes.Close(1001, "going away"));
    assertThat(((CloseWebSocketFrame) client.readOutbound()).release()).isTrue();
    assertThat(((CloseWebSocketFrame) upstream.readOutbound()).release()).isTrue();
    assertThat(client.pipeline().get(HeartbeatHandler.class).state()).as("no pings after the close frame")
        .isEqualTo(HeartbeatHandler.State.CLOSING);
    assertThat(upstream.pipeline().get(HeartbeatHandler.class).state()).isEqualTo(HeartbeatHandler.State.CLOSING);
    assertThat(session.closedBy()).isEqualTo(Session.Initiator.GATEWAY);
    assertThat(session.endCause()).isEqualTo(Session.EndCause.DRAIN);
  }

  private static String text(Object frame) {
    TextWebSocketFrame f = (TextWebSocketFrame) frame;
    try {
      return f.text();
    } finally {
      f.release();
    }
  }

  private static void drain(EmbeddedChannel ch) {
    for (Object o; (o = ch.readOutbound()) != null; ) {
      ReferenceCountUtil.release(o);
    }
  }
}
