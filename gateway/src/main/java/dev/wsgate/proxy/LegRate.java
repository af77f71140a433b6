package dev.wsgate.proxy;

import dev.wsgate.config.RateAction;
import dev.wsgate.config.RateLimit;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The rate limit of what one leg's peer sends, in one session: a token bucket of messages and one of payload bytes
 * ({@code routes[i].rate-limit.client} or {@code .upstream}), each off when its rate is 0. Confined to the session's
 * event loop; a session has one per limited leg, none otherwise.
 *
 * <p>Tokens are kept in billionths, so that a bucket refills by its rate (per second) each nanosecond, exactly, in
 * {@code long} arithmetic: no rounding drifts the rate. They are refilled lazily, from one clock read (the loop's
 * ticker) at the first data frame of a read batch (and one when a pause ends), not per frame. Each data frame takes
 * its payload's bytes, and the first frame of a message one message; nothing is allocated per frame.
 *
 * <p>With {@code delay}, a frame is relayed whatever the buckets hold (it is read already: holding it would hold
 * memory), and a bucket may go into debt within a read batch; at the batch's end a leg in debt stops being read
 * until the debt is paid back ({@link #endBatch}), so the rate holds over any window longer than a pause, and a burst
 * is at most the bucket plus one read. With {@code close}, the frame that takes a bucket below zero is not relayed and
 * the session closes (1008 to the peer, 1001 to the other leg): a burst is at most the bucket.
 *
 * <p>While paused, the leg has one timer on its event loop ({@link #run} when the debt is paid); none otherwise.
 */
final class LegRate implements Runnable {

  /** Billionths of a token per token. */
  private static final long UNIT = 1_000_000_000L;

  private final RateLimit limit;
  private final Counter pauses;
  private final ProxySession session;
  private final LegEnd end;
  /** The session's event loop: its clock and its timers. */
  private final EventLoop loop;
  /** The message bucket's tokens, in billionths; below 0: in debt. */
  private long messages;
  /** The byte bucket's tokens, in billionths. */
  private long bytes;
  /** When the buckets were last refilled, on the loop's ticker. */
  private long refilledAt;
  /** True from the first data frame of a read batch to its end. */
  private boolean inBatch;
  /** The pending end of a pause; null when the leg is not paused. */
  private ScheduledFuture<?> resume;

  private LegRate(RateLimit limit, Counter pauses, ProxySession session, LegEnd end, EventLoop loop) {
    this.limit = limit;
    this.pauses = pauses;
    this.session = session;
    this.end = end;
    this.loop = loop;
    this.messages = (long) limit.burstMessages() * UNIT;
    this.bytes = (long) limit.burstBytes() * UNIT;
    this.refilledAt = loop.ticker().nanoTime();
  }

  /** The rate limit of {@code end}'s peer in {@code session}, its buckets full; null when the setup has none. */
  static LegRate of(LegSetup setup, ProxySession session, LegEnd end, EventLoop loop) {
    RateLimit limit = setup.rateLimit();
    return limit.on() ? new LegRate(limit, setup.ratePauses(), session, end, loop) : null;
  }

  /** True when the limit closes the session rather than delaying the peer. */
  boolean closes() {
    return limit.action() == RateAction.CLOSE;
  }

  /** True while the leg is not read for this limit. */
  boolean paused() {
    return resume != null;
  }

  /**
   * A data frame from the peer, about to be relayed: it takes its tokens.
   *
   * @return true when both buckets held them; false when one is in debt now
   */
  boolean take(WebSocketFrame frame) {
    if (!inBatch) {
      inBatch = true;
      refill(loop.ticker().nanoTime());
    }
    if (limit.messagesPerSecond() != 0
        && (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame)) {
      messages -= UNIT;
    }
    if (limit.bytesPerSecond() != 0) {
      bytes -= frame.content().readableBytes() * UNIT;
    }
    return messages >= 0 && bytes >= 0;
  }

  /** The read batch ended: how long the leg must not be read for its debt to be paid, in nanoseconds; 0: none. */
  long endBatch() {
    inBatch = false;
    return debtNanos();
  }

  /** Stops reading the leg for {@code nanos}, with one timer (none more if it has one). On the loop. */
  void pause(long nanos) {
    end.channel.config().setAutoRead(false);
    if (resume == null) {
      pauses.increment();
      resume = loop.schedule(this, nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** The pause's timer: reading resumes once the debt is paid (a read that came after the pause began adds to it). */
  @Override
  public void run() {
    resume = null;
    refill(loop.ticker().nanoTime());
    long more = debtNanos();
    if (more > 0 && session.endCause() == null && !end.inactive) {
      resume = loop.schedule(this, more, TimeUnit.NANOSECONDS);
      return;
    }
    session.rateResumed(end);
  }

  /** Ends a pause at once (the session is closing: the peer's close must be read). @return true if it was paused */
  boolean cancel() {
    ScheduledFuture<?> r = resume;
    if (r == null) {
      return false;
    }
    resume = null;
    r.cancel(false);
    return true;
  }

  private long debtNanos() {
    return Math.max(nanosToPay(messages, limit.messagesPerSecond()), nanosToPay(bytes, limit.bytesPerSecond()));
  }

  private void refill(long now) {
    long elapsed = now - refilledAt;
    refilledAt = now;
    if (elapsed > 0) {
      messages = refilled(messages, (long) limit.burstMessages() * UNIT, limit.messagesPerSecond(), elapsed);
      bytes = refilled(bytes, (long) limit.burstBytes() * UNIT, limit.bytesPerSecond(), elapsed);
    }
  }

  /** A bucket {@code elapsed} nanoseconds later: {@code rate} billionths a nanosecond, up to {@code capacity}. */
  static long refilled(long tokens, long capacity, long rate, long elapsed) {
    long room = capacity - tokens;
    if (rate == 0 || room <= 0) {
      return tokens;
    }
    // elapsed * rate <= room here, so the product cannot overflow.
    return elapsed > room / rate ? capacity : tokens + elapsed * rate;
  }

  /** Nanoseconds until a bucket in debt is back at 0. */
  static long nanosToPay(long tokens, long rate) {
    return tokens >= 0 || rate == 0 ? 0 : (-tokens + rate - 1) / rate;
  }
}
