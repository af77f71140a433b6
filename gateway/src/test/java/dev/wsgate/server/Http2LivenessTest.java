package dev.wsgate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsgate.config.HeartbeatMode;
import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.TextHeartbeat;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.Http2PingFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An HTTP/2 connection's PING liveness, with the clock moved by hand: PING after the interval of silence, eviction
 * at the timeout of silence, any read proving life. (End to end, a connection silenced by the network:
 * {@code PythonH2IT}.)
 */
class Http2LivenessTest {

  private final List<Long> evicted = new ArrayList<>();
  private EmbeddedChannel channel;

  private static HeartbeatSettings settings(long intervalMs, long timeoutMs) {
    return new HeartbeatSettings(Duration.ofMillis(intervalMs), Duration.ofMillis(timeoutMs), HeartbeatMode.TEXT,
        TextHeartbeat.defaults(), 4408);
  }

  private void start(long intervalMs, long timeoutMs) {
    channel = new EmbeddedChannel(new Http2Liveness(settings(intervalMs, timeoutMs), evicted::add));
  }

  @AfterEach
  void tearDown() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  /** Moves the clock in 10 ms steps, running what falls due at each, as time flows for a real event loop. */
  private void advance(long millis) {
    for (long i = 0; i < millis; i += 10) {
      channel.advanceTimeBy(10, TimeUnit.MILLISECONDS);
      channel.runScheduledPendingTasks();
    }
  }

  private int pings() {
    int n = 0;
    for (Object o; (o = channel.readOutbound()) != null; ) {
      assertThat(o).isInstanceOf(Http2PingFrame.class);
      assertThat(((Http2PingFrame) o).ack()).isFalse();
      n++;
    }
    return n;
  }

  /** Bytes from the client, as one read batch. */
  private void read() {
    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
    channel.releaseInbound();
  }

  @Test
  void pingsAfterTheIntervalOfSilenceAndEvictsAtTheTimeout() {
    start(1000, 3000);
    advance(990);
    assertThat(pings()).isZero();
    advance(20);
    assertThat(pings()).as("one PING after 1 s of silence").isOne();
    advance(1960);
    assertThat(pings()).as("no second PING while the first waits for its answer").isZero();
    assertThat(evicted).isEmpty();
    assertThat(channel.isActive()).isTrue();
    advance(40);
    assertThat(evicted).as("evicted after 3 s of silence").hasSize(1);
    assertThat(evicted.get(0)).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(3));
    assertThat(channel.isActive()).as("the connection closed").isFalse();
    advance(5000);
    assertThat(evicted).as("evicted once").hasSize(1);
  }

  @Test
  void anyReadProvesLifeAndTheSilenceStartsAgain() {
    start(1000, 3000);
    advance(1010);
    assertThat(pings()).isOne();
    advance(1000);
    read(); // the ACK, or anything else
    advance(2500);
    assertThat(evicted).as("2.5 s of silence since the read").isEmpty();
    assertThat(pings()).as("a new PING, 1 s after the read").isOne();
    advance(510);
    assertThat(evicted).hasSize(1);
  }

  @Test
  void withoutATimeoutItPingsAtEveryIntervalAndNeverEvicts() {
    start(1000, 0);
    advance(10_010);
    assertThat(pings()).isEqualTo(10);
    assertThat(evicted).isEmpty();
    assertThat(channel.isActive()).isTrue();
  }

  @Test
  void whileWsgateDoesNotReadTheConnectionThereIsNoSilence() {
    start(1000, 3000);
    channel.config().setAutoRead(false);
    advance(10_000);
    assertThat(pings()).isZero();
    assertThat(evicted).isEmpty();
    channel.config().setAutoRead(true);
    advance(3100);
    assertThat(evicted).hasSize(1);
  }

  @Test
  void nothingIsLeftScheduledOnceTheConnectionCloses() {
    start(1000, 3000);
    channel.close();
    advance(10_000);
    assertThat(pings()).isZero();
    assertThat(evicted).isEmpty();
  }

  @Test
  void aClientHeartbeatOfIntervalZeroHasNoLiveness() {
    assertThatThrownBy(() -> new Http2Liveness(settings(0, 0), evicted::add))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
