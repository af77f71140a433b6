package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.config.RateAction;
import dev.wsgate.config.RateLimit;
import dev.wsgate.session.Session;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A leg's rate limit in a session on two embedded channels, time moved by hand: with {@code delay} the frames past
 * the bucket are held and relayed at the rate while the leg is not read, nothing lost, a close going after them, and
 * the write-buffer backpressure and the pause do not undo each other; with {@code close} the frame past the bucket is
 * not relayed, the sender gets 1008 and the other leg 1001.
 */
class LegRateTest {

  private final Counter pauses = new SimpleMeterRegistry().counter("pauses");
  private EmbeddedSession fixture;
  private EmbeddedChannel client;
  private EmbeddedChannel upstream;
  private ProxySession session;

  private void start(RateLimit clientLimit) {
    LegSetup plain = ProxySessionTest.noHeartbeat(Leg.CLIENT);
    LegSetup limited = new LegSetup(plain.heartbeat(), null, 0, clientLimit, pauses);
    fixture = new EmbeddedSession(limited, ProxySessionTest.noHeartbeat(Leg.UPSTREAM), SessionLimits.NONE,
        Duration.ofSeconds(5));
    client = fixture.client;
    upstream = fixture.upstream;
    fixture.connect();
    session = fixture.start();
  }

  @AfterEach
  void tearDown() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void framesPastTheBucketAreHeldAndRelayedAtTheRateTheLegUnreadMeanwhile() {
    start(new RateLimit(10, 2, 0, 0, RateAction.DELAY)); // 10 messages a second, 2 at once
    client.writeInbound(text("a"), text("b"), text("c"), text("d")); // one read batch
    assertThat(texts(upstream)).as("the bucket's worth").containsExactly("a", "b");
    assertThat(client.config().isAutoRead()).as("paused at the end of the batch").isFalse();
    assertThat(pauses.count()).isEqualTo(1.0);

    client.advanceTimeBy(99, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(texts(upstream)).as("a message takes 100 ms").isEmpty();
    client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(texts(upstream)).containsExactly("c");
    assertThat(client.config().isAutoRead()).as("d is still held").isFalse();
    client.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(texts(upstream)).containsExactly("d");
    assertThat(client.config().isAutoRead()).as("nothing held: read again").isTrue();
    assertThat(client.runScheduledPendingTasks()).as("no timer once not paused").isEqualTo(-1);
    assertThat(session.framesFromClient()).as("counted as relayed").isEqualTo(4);

    // A quiet spell refills the bucket up to its burst, no more.
    client.advanceTimeBy(10, TimeUnit.SECONDS);
    client.writeInbound(text("e"), text("f"));
    assertThat(client.config().isAutoRead()).as("two messages: the burst").isTrue();
    client.writeInbound(text("g"));
    assertThat(client.config().isAutoRead()).as("a third: over it").isFalse();
    assertThat(texts(upstream)).containsExactly("e", "f");
    assertThat(pauses.count()).isEqualTo(2.0);
    client.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(texts(upstream)).containsExactly("g");
  }

  @Test
  void bytesAreCountedAcrossFragmentsAndOnlyTheFirstFrameOfAMessageIsAMessage() {
    start(new RateLimit(1, 1, 1000, 1000, RateAction.DELAY));
    // One message of 1500 bytes in three fragments: one message, and the third fragment waits 0.5 s for its bytes.
    client.writeInbound(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[500])),
        new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[500])),
        new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[500])));
    assertThat(drain(upstream)).isEqualTo(2);
    assertThat(client.config().isAutoRead()).isFalse();
    client.advanceTimeBy(499, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(drain(upstream)).isZero();
    client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(drain(upstream)).as("the bytes paid; a continuation costs no message").isEqualTo(1);
    assertThat(client.config().isAutoRead()).isTrue();
  }

  @Test
  void theRatePauseAndTheWriteBufferDoNotUndoEachOther() {
    start(new RateLimit(10, 1, 0, 0, RateAction.DELAY));
    client.writeInbound(text("a"), text("b")); // b held for 100 ms
    assertThat(texts(upstream)).containsExactly("a");
    assertThat(client.config().isAutoRead()).isFalse();
    // The upstream's buffer passes the mark and drains again while the pause lasts: the client stays unread.
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    upstream.runPendingTasks();
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    upstream.runPendingTasks();
    assertThat(client.config().isAutoRead()).as("still paused for its rate").isFalse();
    // The pause ends while the upstream's buffer is past the mark: b waits there, the client stays unread.
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    upstream.runPendingTasks();
    client.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.config().isAutoRead()).as("held by the upstream's buffer").isFalse();
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    upstream.runPendingTasks();
    assertThat(client.config().isAutoRead()).as("both clear").isTrue();
    assertThat(texts(upstream)).containsExactly("b");
  }

  @Test
  void aCloseEndsThePauseHeldFramesGoingFirstSoThatItsAnswerIsRead() {
    start(new RateLimit(1, 1, 0, 0, RateAction.DELAY));
    client.writeInbound(text("a"), text("b")); // b held for a second
    assertThat(texts(upstream)).containsExactly("a");
    assertThat(client.config().isAutoRead()).isFalse();
    session.close(Session.EndCause.DRAIN, CloseCodes.GOING_AWAY, CloseCodes.DRAIN);
    CloseWebSocketFrame toClient = client.readOutbound();
    assertThat(toClient.statusCode()).isEqualTo(1001);
    toClient.release();
    assertThat(client.config().isAutoRead()).as("its close answer is read").isTrue();
    assertThat(textOf(upstream.readOutbound())).as("b before the upstream's close").isEqualTo("b");
    CloseWebSocketFrame toUpstream = upstream.readOutbound();
    assertThat(toUpstream.statusCode()).isEqualTo(1001);
    toUpstream.release();
    assertThat(client.runScheduledPendingTasks()).as("the pause's timer is gone; the close timer is left")
        .isEqualTo(TimeUnit.SECONDS.toNanos(5));
    client.writeInbound(new CloseWebSocketFrame(1001, ""));
    upstream.writeInbound(new CloseWebSocketFrame(1001, ""));
    upstream.close();
    assertThat(fixture.released()).isTrue();
  }

  @Test
  void aClientCloseAfterHeldFramesGoesAfterThem() {
    start(new RateLimit(1, 1, 0, 0, RateAction.DELAY));
    client.writeInbound(text("a"), text("b"), text("c"), new CloseWebSocketFrame(1000, "bye"));
    assertThat(textOf(upstream.readOutbound())).isEqualTo("a");
    assertThat(textOf(upstream.readOutbound())).isEqualTo("b");
    assertThat(textOf(upstream.readOutbound())).isEqualTo("c");
    CloseWebSocketFrame close = upstream.readOutbound();
    assertThat(close.statusCode()).isEqualTo(1000);
    close.release();
    upstream.writeInbound(new CloseWebSocketFrame(1000, "bye"));
    ReferenceCountUtil.release(client.readOutbound());
    upstream.close();
    assertThat(fixture.released()).isTrue();
  }

  @Test
  void framesHeldWhenBothConnectionsCloseAreReleased() {
    start(new RateLimit(1, 1, 0, 0, RateAction.DELAY));
    client.writeInbound(text("a"), text("b"));
    drain(upstream);
    upstream.close();
    client.close();
    drain(client);
    assertThat(fixture.released()).isTrue();
    assertThat(client.runScheduledPendingTasks()).isEqualTo(-1);
  }

  @Test
  void withCloseTheFramePastTheBucketIsNotRelayedTheSenderGets1008AndTheOtherLeg1001() {
    start(new RateLimit(10, 2, 0, 0, RateAction.CLOSE));
    client.writeInbound(text("a"), text("b"), text("c"));
    List<Object> toUpstream = new ArrayList<>();
    for (Object o; (o = upstream.readOutbound()) != null; ) {
      toUpstream.add(o);
    }
    assertThat(toUpstream).hasSize(3);
    assertThat(((TextWebSocketFrame) toUpstream.get(0)).text()).isEqualTo("a");
    assertThat(((TextWebSocketFrame) toUpstream.get(1)).text()).isEqualTo("b");
    CloseWebSocketFrame closeUp = (CloseWebSocketFrame) toUpstream.get(2);
    assertThat(closeUp.statusCode()).isEqualTo(1001);
    assertThat(closeUp.reasonText()).isEqualTo("client rate limit");
    toUpstream.forEach(ReferenceCountUtil::release);
    CloseWebSocketFrame toClient = client.readOutbound();
    assertThat(toClient.statusCode()).isEqualTo(1008);
    assertThat(toClient.reasonText()).isEqualTo("rate limit");
    toClient.release();
    assertThat(session.endCause()).isEqualTo(Session.EndCause.RATE_LIMIT);
    assertThat(pauses.count()).as("close does not pause").isZero();
    client.writeInbound(new CloseWebSocketFrame(1008, ""));
    upstream.writeInbound(new CloseWebSocketFrame(1001, ""));
    upstream.close();
    assertThat(fixture.released()).isTrue();
  }

  @Test
  void anUpstreamPastItsLimitGets1008AndTheClient1001() {
    LegSetup plain = ProxySessionTest.noHeartbeat(Leg.UPSTREAM);
    fixture = new EmbeddedSession(ProxySessionTest.noHeartbeat(Leg.CLIENT), new LegSetup(plain.heartbeat(), null, 0,
        new RateLimit(0, 0, 1000, 1000, RateAction.CLOSE), pauses), SessionLimits.NONE, Duration.ofSeconds(5));
    client = fixture.client;
    upstream = fixture.upstream;
    fixture.connect();
    session = fixture.start();
    upstream.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[1000])),
        new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[1])));
    assertThat(drain(client, 1000)).as("the bucket's 1000 bytes").isTrue();
    CloseWebSocketFrame toClient = client.readOutbound();
    assertThat(toClient.statusCode()).isEqualTo(1001);
    assertThat(toClient.reasonText()).isEqualTo("upstream rate limit");
    toClient.release();
    CloseWebSocketFrame toUpstream = upstream.readOutbound();
    assertThat(toUpstream.statusCode()).isEqualTo(1008);
    toUpstream.release();
    assertThat(session.endCause()).isEqualTo(Session.EndCause.RATE_LIMIT);
  }

  /** Reads one binary frame of {@code bytes} off {@code ch}. */
  private static boolean drain(EmbeddedChannel ch, int bytes) {
    BinaryWebSocketFrame f = ch.readOutbound();
    try {
      return f.content().readableBytes() == bytes;
    } finally {
      f.release();
    }
  }

  @Test
  void bucketArithmetic() {
    long unit = 1_000_000_000L;
    // A bucket refills by its rate each nanosecond, up to its capacity, without overflow over any span.
    assertThat(LegRate.refilled(0, 5 * unit, 1, 1_000_000_000L)).isEqualTo(unit);
    assertThat(LegRate.refilled(-unit, 5 * unit, 10, Long.MAX_VALUE / 2)).isEqualTo(5 * unit);
    assertThat(LegRate.refilled((1L << 30) * unit - 1, (1L << 30) * unit, 1 << 30, Long.MAX_VALUE))
        .isEqualTo((1L << 30) * unit);
    assertThat(LegRate.nanosUntil(0, unit, 10)).isEqualTo(100_000_000L);
    assertThat(LegRate.nanosUntil(unit - 1, unit, 1 << 30)).as("rounded up").isEqualTo(1);
    assertThat(LegRate.nanosUntil(unit, unit, 10)).isZero();
  }

  private static TextWebSocketFrame text(String s) {
    return new TextWebSocketFrame(s);
  }

  private static String textOf(Object frame) {
    TextWebSocketFrame f = (TextWebSocketFrame) frame;
    try {
      return f.text();
    } finally {
      f.release();
    }
  }

  private static List<String> texts(EmbeddedChannel ch) {
    List<String> out = new ArrayList<>();
    for (Object o; (o = ch.readOutbound()) != null; ) {
      out.add(((TextWebSocketFrame) o).text());
      ReferenceCountUtil.release(o);
    }
    return out;
  }

  private static int drain(EmbeddedChannel ch) {
    int n = 0;
    for (Object o; (o = ch.readOutbound()) != null; n++) {
      ReferenceCountUtil.release(o);
    }
    return n;
  }
}
