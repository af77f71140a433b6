package dev.wsgate.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.HeartbeatMode;
import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.Leg;
import dev.wsgate.config.TextHeartbeat;
import dev.wsgate.metrics.HeartbeatMeters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One leg's heartbeat in an embedded channel: a recorder after it, and the channel's clock moved by hand.
 */
class HeartbeatHandlerTest {

  private static final HeartbeatSettings FRAME_1S_2S = settings(1000, 2000, HeartbeatMode.FRAME, false);

  private EmbeddedChannel channel;
  private final List<Object> passedOn = new ArrayList<>();
  private final List<Object> events = new ArrayList<>();

  private static HeartbeatSettings settings(long intervalMs, long timeoutMs, HeartbeatMode mode, boolean answer) {
    return new HeartbeatSettings(Duration.ofMillis(intervalMs), Duration.ofMillis(timeoutMs), mode,
        new TextHeartbeat(TextHeartbeat.defaults().ping(), TextHeartbeat.defaults().pong(), answer), 4408);
  }

  /**
   * A leg with the given settings and no jitter: ticks of exactly timeout / n, each exactly when due (no tick grid;
   * {@link #theTickGrid} has the grid).
   */
  private HeartbeatHandler leg(HeartbeatSettings s, boolean forwardPings) {
    channel = new EmbeddedChannel();
    channel.freezeTime(); // time moves only by advance()
    return leg(s, forwardPings, 1);
  }

  /** Adds one more leg's heartbeat, on a grid of {@code gridNanos}, to the channel. */
  private HeartbeatHandler leg(HeartbeatSettings s, boolean forwardPings, long gridNanos) {
    HeartbeatTiming timing = HeartbeatTiming.of(s, 0.0);
    HeartbeatHandler handler = new HeartbeatHandler(new LegHeartbeat(Leg.CLIENT, s, forwardPings,
        HeartbeatMeters.NONE, gridNanos), timing);
    channel.pipeline().addFirst(handler);
    if (channel.pipeline().get("recorder") != null) {
      return handler;
    }
    channel.pipeline().addLast("recorder", new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        passedOn.add(msg);
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        events.add(evt);
      }
    });
    return handler;
  }

  @AfterEach
  void tearDown() {
    passedOn.forEach(ReferenceCountUtil::release);
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  /** Moves the clock in 1 ms steps, running what falls due at each, as time flows for a real event loop. */
  private void advance(long millis) {
    for (long i = 0; i < millis; i++) {
      channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
      channel.runScheduledPendingTasks();
    }
  }

  /** What the handler wrote, a ping (wire bytes, unmasked on a client leg) as its peer reads it. */
  private Object outbound() {
    Object written = channel.readOutbound();
    return written instanceof ByteBuf ? PingFrameTest.decode((ByteBuf) written, false) : written;
  }

  @Test
  void pingsAfterTheIntervalOfSilence() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    assertThat(hb.timing()).isEqualTo(new HeartbeatTiming(1_000_000_000L, 1, 2));
    advance(999);
    assertThat(outbound()).isNull();
    advance(1);
    PingWebSocketFrame ping = (PingWebSocketFrame) outbound();
    assertThat(ping.content().readableBytes()).isEqualTo(16);
    assertThat(ping.content().getLong(0)).as("sequence").isEqualTo(1);
    ping.release();
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.AWAITING_PONG);
    assertThat(hb.pingsSent()).isEqualTo(1);
  }

  @Test
  void defaultsPingAtTheFirstTickAfter25sAndEvictAt40s() {
    HeartbeatHandler hb = leg(HeartbeatSettings.defaults(), false);
    assertThat(hb.timing().tickNanos()).isEqualTo(13_333_333_333L);
    // Ticks at 13.3 s and 26.7 s (to the millisecond the clock moves by): the ping at the second.
    advance(26_660);
    assertThat(outbound()).isNull();
    advance(10);
    PingWebSocketFrame ping = (PingWebSocketFrame) outbound();
    assertThat(ping).isNotNull();
    ping.release();
    advance(39_995 - 26_670);
    assertThat(events).noneMatch(e -> e instanceof HeartbeatEvicted);
    advance(10);
    assertThat(events).filteredOn(e -> e instanceof HeartbeatEvicted).singleElement()
        .extracting(e -> ((HeartbeatEvicted) e).code()).isEqualTo(4408);
    assertThat(outbound()).as("the session writes the close frame, not the heartbeat").isNull();
  }

  @Test
  void anyFrameResetsTheSilence() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    for (int i = 0; i < 10; i++) {
      advance(900);
      channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {(byte) i})));
    }
    assertThat(outbound()).as("a talking peer is never pinged").isNull();
    assertThat(passedOn).hasSize(10).allMatch(f -> f instanceof BinaryWebSocketFrame);
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.ACTIVE);
  }

  @Test
  void noReplyEvictsWithTheConfiguredCodeAtTheTimeout() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    advance(1000);
    ReferenceCountUtil.release(outbound()); // the ping
    advance(999);
    assertThat(outbound()).isNull();
    assertThat(events).noneMatch(e -> e instanceof HeartbeatEvicted);
    advance(1);
    assertThat(outbound()).as("the heartbeat only signals; the session writes the close frame").isNull();
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.EVICTED);
    assertThat(events).filteredOn(e -> e instanceof HeartbeatEvicted).singleElement()
        .isEqualTo(new HeartbeatEvicted(Leg.CLIENT, 4408, 2_000_000_000L));
    advance(10_000);
    assertThat(outbound()).as("evicted once, no ping after").isNull();
  }

  @Test
  void aPongProvesLifeAndGivesTheRoundTrip() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    advance(1000);
    PingWebSocketFrame ping = (PingWebSocketFrame) outbound();
    advance(37);
    channel.writeInbound(new PongWebSocketFrame(ping.content()));
    assertThat(hb.lastRttNanos()).isEqualTo(37_000_000L);
    assertThat(hb.pongsReceived()).isEqualTo(1);
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.ACTIVE);
    assertThat(passedOn).as("our own pong is not relayed").isEmpty();
    // The pong reset the silence: the next ping is one interval after it, and no eviction.
    advance(999);
    assertThat(outbound()).isNull();
    advance(1);
    PingWebSocketFrame second = (PingWebSocketFrame) outbound();
    assertThat(second.content().getLong(0)).isEqualTo(2);
    second.release();
  }

  @Test
  void aPongToAnOldPingIsLifeButNoRoundTrip() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    advance(1000);
    ReferenceCountUtil.release(outbound());
    ByteBuf stale = Unpooled.buffer(16).writeLong(99).writeLong(0);
    channel.writeInbound(new PongWebSocketFrame(stale));
    assertThat(hb.lastRttNanos()).isEqualTo(-1);
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.ACTIVE);
    assertThat(passedOn).isEmpty();
  }

  @Test
  void peerPingsAreAnsweredHereAndNotRelayed() {
    leg(FRAME_1S_2S, false);
    channel.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
    PongWebSocketFrame pong = (PongWebSocketFrame) outbound();
    assertThat(pong.content().toString(StandardCharsets.UTF_8)).isEqualTo("x");
    pong.release();
    assertThat(passedOn).isEmpty();
  }

  /** The answers to a read batch's pings leave together, flushed once at the batch's end. */
  @Test
  void answersAreFlushedOnceAtTheEndOfTheReadBatch() {
    leg(FRAME_1S_2S, false);
    channel.pipeline().fireChannelRead(new PingWebSocketFrame(Unpooled.copiedBuffer("a", StandardCharsets.UTF_8)));
    channel.pipeline().fireChannelRead(new PingWebSocketFrame(Unpooled.copiedBuffer("b", StandardCharsets.UTF_8)));
    channel.runPendingTasks();
    assertThat(channel.outboundMessages()).as("nothing flushed before the batch ends").isEmpty();
    channel.pipeline().fireChannelReadComplete();
    PongWebSocketFrame a = (PongWebSocketFrame) outbound();
    PongWebSocketFrame b = (PongWebSocketFrame) outbound();
    assertThat(a.content().toString(StandardCharsets.UTF_8) + b.content().toString(StandardCharsets.UTF_8))
        .isEqualTo("ab");
    a.release();
    b.release();
  }

  @Test
  void forwardPingsRelaysPingsAndForeignPongsButKeepsItsOwn() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, true);
    channel.writeInbound(new PingWebSocketFrame(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
    assertThat(outbound()).as("not answered here").isNull();
    assertThat(passedOn).singleElement().isInstanceOf(PingWebSocketFrame.class);
    channel.writeInbound(new PongWebSocketFrame(Unpooled.copiedBuffer("y", StandardCharsets.UTF_8)));
    assertThat(passedOn).hasSize(2).last().isInstanceOf(PongWebSocketFrame.class);
    advance(1000);
    PingWebSocketFrame ping = (PingWebSocketFrame) outbound();
    channel.writeInbound(new PongWebSocketFrame(ping.content()));
    assertThat(passedOn).as("the pong to wsgate's own ping stays here").hasSize(2);
    assertThat(hb.pongsReceived()).isEqualTo(1);
  }

  @Test
  void textModeSendsTheTextPingAndKeepsMatchingPongs() {
    HeartbeatHandler hb = leg(settings(1000, 2000, HeartbeatMode.TEXT, false), false);
    advance(1000);
    TextWebSocketFrame ping = (TextWebSocketFrame) outbound();
    assertThat(ping.text()).isEqualTo("{\"type\":\"ping\"}");
    ping.release();
    advance(5);
    channel.writeInbound(new TextWebSocketFrame("{\"timestamp\": 12.5, \"type\": \"pong\"}"));
    assertThat(hb.lastRttNanos()).isEqualTo(5_000_000L);
    assertThat(passedOn).as("the pong is the heartbeat's").isEmpty();
    channel.writeInbound(new TextWebSocketFrame("{\"type\":\"chat\",\"text\":\"pong\"}"));
    channel.writeInbound(new TextWebSocketFrame("not json at all"));
    assertThat(passedOn).as("application text goes on").hasSize(2);
  }

  @Test
  void textThatIsNotUtf8IsNoHeartbeatAndGoesOnToBeFailed() {
    HeartbeatHandler hb = leg(settings(1000, 2000, HeartbeatMode.TEXT, true), false);
    advance(1000);
    ReferenceCountUtil.release(outbound());
    // A pong and a ping that match their templates once decoded with replacement characters (0xFF in a field).
    byte[] pong = "{\"type\":\"pong\",\"x\":\"?\"}".getBytes(StandardCharsets.UTF_8);
    pong[pong.length - 3] = (byte) 0xFF;
    byte[] ping = "{\"type\":\"ping\",\"x\":\"?\"}".getBytes(StandardCharsets.UTF_8);
    ping[ping.length - 3] = (byte) 0xFF;
    channel.writeInbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(pong)));
    channel.writeInbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(ping)));
    assertThat(passedOn).as("both go on, for the relay to fail their sender with 1007").hasSize(2);
    assertThat(hb.pongsReceived()).isZero();
    assertThat((Object) outbound()).as("no answer to a ping that is not UTF-8").isNull();
  }

  @Test
  void textModeEvictsAPeerThatNeverAnswers() {
    leg(settings(1000, 2000, HeartbeatMode.TEXT, false), false);
    advance(1000);
    ReferenceCountUtil.release(outbound());
    advance(999);
    assertThat(events).noneMatch(e -> e instanceof HeartbeatEvicted);
    advance(1);
    assertThat(events).filteredOn(e -> e instanceof HeartbeatEvicted).singleElement()
        .isEqualTo(new HeartbeatEvicted(Leg.CLIENT, 4408, 2_000_000_000L));
  }

  @Test
  void answersThePeersOwnTextPingEchoingItsFields() {
    leg(settings(1000, 2000, HeartbeatMode.FRAME, true), false);
    channel.writeInbound(new TextWebSocketFrame("{\"type\": \"ping\", \"timestamp\": 1234.5}"));
    TextWebSocketFrame answer = (TextWebSocketFrame) outbound();
    assertThat(answer.text()).isEqualTo("{\"type\":\"pong\",\"timestamp\":1234.5}");
    answer.release();
    assertThat(passedOn).as("answered, not relayed").isEmpty();
    channel.writeInbound(new TextWebSocketFrame("{\"type\": \"pong\"}"));
    assertThat(passedOn).as("only text mode keeps pongs").hasSize(1);
  }

  @Test
  void withoutEvictionItPingsAtEveryTickOfSilence() {
    HeartbeatHandler hb = leg(settings(1000, 0, HeartbeatMode.FRAME, false), false);
    for (int i = 1; i <= 5; i++) {
      advance(1000);
      WebSocketFrame ping = (WebSocketFrame) outbound();
      assertThat(ping).isInstanceOf(PingWebSocketFrame.class);
      ping.release();
    }
    assertThat(hb.pingsSent()).isEqualTo(5);
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.AWAITING_PONG);
  }

  @Test
  void theSessionsCloseFrameStopsTheHeartbeat() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    hb.closeSent(); // as the session's one method for close frames tells it
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.CLOSING);
    advance(5000);
    assertThat(outbound()).as("no ping, no eviction after a close frame").isNull();
    channel.writeInbound(new PingWebSocketFrame(Unpooled.EMPTY_BUFFER));
    assertThat(outbound()).as("no pong after a close frame either").isNull();
  }

  /** A peer that has sent its close is closing: the session's close timer bounds it, the heartbeat leaves it be. */
  @Test
  void aCloseFrameFromThePeerStopsTheHeartbeat() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    advance(1000);
    ReferenceCountUtil.release(outbound()); // a ping, unanswered
    channel.writeInbound(new CloseWebSocketFrame(1000, "bye"));
    assertThat(passedOn).as("the close goes on to the session").singleElement()
        .isInstanceOf(CloseWebSocketFrame.class);
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.CLOSING);
    advance(10_000);
    assertThat(outbound()).as("no ping after the peer's close").isNull();
    assertThat(events).as("no eviction of a closing peer").noneMatch(e -> e instanceof HeartbeatEvicted);
  }

  @Test
  void idleTicksGoOnToTheSession() {
    leg(FRAME_1S_2S, false);
    advance(1000);
    ReferenceCountUtil.release(outbound());
    assertThat(events).singleElement().isInstanceOf(io.netty.handler.timeout.IdleStateEvent.class);
  }

  /**
   * With the tick grid (as in a running gateway), the ticks of legs that fall due within one grid step fire together,
   * on the grid, at most one step late; later ticks count from when they were due, so the delay never adds up.
   */
  @Test
  void theTickGrid() {
    long grid = HeartbeatHandler.TICK_GRID_NANOS;
    channel = new EmbeddedChannel();
    channel.freezeTime();
    long firstDue = now() + 1_000_000_000L;
    HeartbeatHandler first = leg(FRAME_1S_2S, false, grid);
    advanceTo(now() + grid / 2);
    long secondDue = now() + 1_000_000_000L;
    HeartbeatHandler second = leg(FRAME_1S_2S, false, grid); // due half a step later
    long firstOnGrid = onGrid(firstDue, grid);
    long secondOnGrid = onGrid(secondDue, grid);
    assertThat(firstOnGrid - firstDue).isBetween(0L, grid - 1);
    assertThat(secondOnGrid - secondDue).isBetween(0L, grid - 1);
    advanceTo(firstOnGrid - 1);
    assertThat(first.pingsSent() + second.pingsSent()).as("no tick before the grid point").isZero();
    advanceTo(firstOnGrid);
    assertThat(first.pingsSent()).as("the first leg's tick, on the grid, at most a step late").isEqualTo(1);
    assertThat(second.pingsSent()).as("the second leg's too, when due by then").isEqualTo(secondOnGrid == firstOnGrid
        ? 1 : 0);
    advanceTo(secondOnGrid);
    assertThat(second.pingsSent()).isEqualTo(1);
    ReferenceCountUtil.release(outbound());
    ReferenceCountUtil.release(outbound());
    // Eviction 2 s after the start, on the grid: counted from when the first tick was due, not from when it ran.
    long evictOnGrid = onGrid(firstDue + 1_000_000_000L, grid);
    advanceTo(evictOnGrid - 1);
    assertThat(first.state()).isEqualTo(HeartbeatHandler.State.AWAITING_PONG);
    advanceTo(evictOnGrid);
    assertThat(first.state()).isEqualTo(HeartbeatHandler.State.EVICTED);
  }

  private long now() {
    return channel.eventLoop().ticker().nanoTime();
  }

  private static long onGrid(long nanos, long grid) {
    return Math.floorDiv(nanos + grid - 1, grid) * grid;
  }

  /** Moves the clock to {@code nanos} at once, and runs what fell due. */
  private void advanceTo(long nanos) {
    channel.advanceTimeBy(nanos - now(), TimeUnit.NANOSECONDS);
    channel.runScheduledPendingTasks();
  }

  /** After the event loop stalled for several ticks, one tick, then a whole tick: no ticks caught up at once. */
  @Test
  void aStalledLoopCatchesUpNoTicks() {
    HeartbeatHandler hb = leg(settings(1000, 0, HeartbeatMode.FRAME, false), false);
    channel.advanceTimeBy(5500, TimeUnit.MILLISECONDS); // nothing ran for 5.5 s
    channel.runScheduledPendingTasks();
    assertThat(hb.pingsSent()).isEqualTo(1);
    ReferenceCountUtil.release(outbound());
    advance(999);
    assertThat(hb.pingsSent()).isEqualTo(1);
    advance(1);
    assertThat(hb.pingsSent()).isEqualTo(2);
    ReferenceCountUtil.release(outbound());
  }

  /** A tick that ran late (a busy loop) pinged late: the peer still has a whole tick to answer. */
  @Test
  void aLateTickGivesThePeerAWholeTickToAnswer() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    long start = now();
    advanceTo(start + 1_900_000_000L); // the tick due at 1 s runs at 1.9 s
    PingWebSocketFrame ping = (PingWebSocketFrame) outbound();
    advance(990);
    assertThat(hb.state()).as("not evicted at 2 s, 100 ms after the ping").isEqualTo(HeartbeatHandler.State.AWAITING_PONG);
    channel.writeInbound(new PongWebSocketFrame(ping.content()));
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.ACTIVE);
    assertThat(events).noneMatch(e -> e instanceof HeartbeatEvicted);
  }

  /** The one timer a leg takes is cancelled when the connection closes: nothing of the leg stays scheduled. */
  @Test
  void closingTheConnectionCancelsTheTimer() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    assertThat(channel.runScheduledPendingTasks()).as("the tick timer, armed").isPositive();
    channel.close().syncUninterruptibly();
    assertThat(channel.runScheduledPendingTasks()).as("nothing scheduled any more").isEqualTo(-1);
    assertThat(hb.state()).isEqualTo(HeartbeatHandler.State.CLOSED);
  }

  @Test
  void lastInboundIsTheLastReadBatch() {
    HeartbeatHandler hb = leg(FRAME_1S_2S, false);
    advance(300);
    channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[1])));
    assertThat(hb.lastInboundNanos()).isEqualTo(channel.eventLoop().ticker().nanoTime());
  }
}
