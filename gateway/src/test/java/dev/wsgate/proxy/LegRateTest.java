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
 * A leg's rate limit in a session on two embedded channels, time moved by hand: with {@code delay} the leg stops
 * being read at the end of the batch that put it in debt and resumes when the debt is paid, nothing lost, and the
 * write-buffer backpressure and the pause do not undo each other; with {@code close} the frame past the bucket is not
 * relayed, the sender gets 1008 and the other leg 1001.
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
  void aLegInDebtStopsBeingReadUntilItIsPaidNothingLost() {
    start(new RateLimit(10, 2, 0, 0, RateAction.DELAY)); // 10 messages a second, 2 at once
    client.writeInbound(text("a"), text("b"), text("c")); // one read batch: one message of debt
    assertThat(texts(upstream)).as("relayed, in order, nothing held").containsExactly("a", "b", "c");
    assertThat(client.config().isAutoRead()).as("paused at the end of the batch").isFalse();
    assertThat(pauses.count()).isEqualTo(1.0);

    client.advanceTimeBy(99, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.config().isAutoRead()).as("a message takes 100 ms to pay").isFalse();
    client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.config().isAutoRead()).as("the debt is paid").isTrue();
    assertThat(client.runScheduledPendingTasks()).as("no timer once not paused").isEqualTo(-1);

    // The bucket is empty now: the next message puts it in debt again, the one after it a batch later too.
    client.writeInbound(text("d"));
    assertThat(client.config().isAutoRead()).isFalse();
    assertThat(pauses.count()).isEqualTo(2.0);
    client.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.config().isAutoRead()).isTrue();
    // A quiet spell refills the bucket up to its burst, no more.
    client.advanceTimeBy(10, TimeUnit.SECONDS);
    client.writeInbound(text("e"), text("f"));
    assertThat(client.config().isAutoRead()).as("two messages: the burst").isTrue();
    assertThat(texts(upstream)).containsExactly("d", "e", "f");
    client.writeInbound(text("g"));
    assertThat(client.config().isAutoRead()).as("a third: over it").isFalse();
    assertThat(texts(upstream)).containsExactly("g");
  }

  @Test
  void bytesAreCountedAcrossFragmentsAndOnlyTheFirstFrameOfAMessageIsAMessage() {
    start(new RateLimit(1, 1, 1000, 1000, RateAction.DELAY));
    // One message of 1500 bytes in three fragments: one message, 500 bytes of debt (0.5 s at 1000 bytes a second).
    client.writeInbound(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[500])),
        new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[500])),
        new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[500])));
    assertThat(drain(upstream)).isEqualTo(3);
    assertThat(client.config().isAutoRead()).isFalse();
    client.advanceTimeBy(499, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.config().isAutoRead()).isFalse();
    client.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.config().isAutoRead()).as("the bytes paid; the one message never was in debt").isTrue();
  }

  @Test
  void theRatePauseAndTheWriteBufferDoNotUndoEachOther() {
    start(new RateLimit(10, 1, 0, 0, RateAction.DELAY));
    client.writeInbound(text("a"), text("b")); // 100 ms of debt
    drain(upstream);
    assertThat(client.config().isAutoRead()).isFalse();
    // The upstream's buffer passes the mark and drains again while the pause lasts: the client stays unread.
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    upstream.runPendingTasks();
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    upstream.runPendingTasks();
    assertThat(client.config().isAutoRead()).as("still paused for its rate").isFalse();
    // The pause ends while the upstream's buffer is past the mark: still unread, until the buffer drains.
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    upstream.runPendingTasks();
    client.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
    assertThat(client.config().isAutoRead()).as("held by the upstream's buffer").isFalse();
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    upstream.runPendingTasks();
    assertThat(client.config().isAutoRead()).as("both clear").isTrue();
  }

  @Test
  void aCloseToAPausedLegEndsItsPauseSoThatItsAnswerIsRead() {
    start(new RateLimit(1, 1, 0, 0, RateAction.DELAY));
    client.writeInbound(text("a"), text("b")); // a second of debt
    drain(upstream);
    assertThat(client.config().isAutoRead()).isFalse();
    session.close(Session.EndCause.DRAIN, CloseCodes.GOING_AWAY, CloseCodes.DRAIN);
    CloseWebSocketFrame toClient = client.readOutbound();
    assertThat(toClient.statusCode()).isEqualTo(1001);
    toClient.release();
    assertThat(client.config().isAutoRead()).as("its close answer is read").isTrue();
    assertThat(client.runScheduledPendingTasks()).as("the pause's timer is gone; the close timer is left")
        .isEqualTo(TimeUnit.SECONDS.toNanos(5));
    drain(upstream);
    client.writeInbound(new CloseWebSocketFrame(1001, ""));
    upstream.writeInbound(new CloseWebSocketFrame(1001, ""));
    upstream.close();
    assertThat(fixture.released()).isTrue();
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
  void bucketArithmetic() {
    long unit = 1_000_000_000L;
    // A bucket refills by its rate each nanosecond, up to its capacity, without overflow over any span.
    assertThat(LegRate.refilled(0, 5 * unit, 1, 1_000_000_000L)).isEqualTo(unit);
    assertThat(LegRate.refilled(-unit, 5 * unit, 10, Long.MAX_VALUE / 2)).isEqualTo(5 * unit);
    assertThat(LegRate.refilled((1L << 30) * unit - 1, (1L << 30) * unit, 1 << 30, Long.MAX_VALUE))
        .isEqualTo((1L << 30) * unit);
    assertThat(LegRate.nanosToPay(-unit, 10)).isEqualTo(100_000_000L);
    assertThat(LegRate.nanosToPay(-1, 1 << 30)).as("rounded up").isEqualTo(1);
    assertThat(LegRate.nanosToPay(0, 10)).isZero();
  }

  private static TextWebSocketFrame text(String s) {
    return new TextWebSocketFrame(s);
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
