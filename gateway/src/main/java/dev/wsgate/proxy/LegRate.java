package dev.wsgate.proxy;

import dev.wsgate.config.RateAction;
import dev.wsgate.config.RateLimit;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The rate limit of what one leg's peer sends, in one session: a token bucket of messages and one of payload bytes
 * ({@code routes[i].rate-limit.client} or {@code .upstream}), each off when its rate is 0. Confined to the session's
 * event loop; a session has one per limited leg, none otherwise.
 *
 * <p>Tokens are kept in billionths, so that a bucket refills by its rate (per second) each nanosecond, exactly, in
 * {@code long} arithmetic: no rounding drifts the rate. They are refilled lazily, from one clock read (the loop's
 * ticker) at the first data frame of a read batch and one each time the timer fires, not per frame. Each data frame
 * takes its payload's bytes, and the first frame of a message one message; nothing is allocated per frame.
 *
 * <p>With {@code delay}, a data frame the buckets cannot pay for now is held, in order, with every data frame after
 * it, and at the end of the read batch the leg stops being read (auto-read off, as the write-buffer backpressure
 * does). A timer fires when the first held frame can be paid for, relays what the buckets pay for, and comes back for
 * the rest; once nothing is held the leg is read again. What is held is at most one read (the frames decoded from the
 * read under way), and the other leg gets frames at the rate, a bucket at most at once. A full bucket pays for any
 * frame, since the configuration keeps the byte bucket at least {@code server.max-frame-size} and the message bucket
 * at least 1. With {@code close}, the frame that takes a bucket below zero is not relayed and the session closes
 * (1008 to the peer, 1001 to the other leg).
 *
 * <p>While frames are held, the leg has one timer on its event loop; none otherwise.
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
  /** The message bucket's tokens, in billionths. */
  private long messages;
  /** The byte bucket's tokens, in billionths. */
  private long bytes;
  /** When the buckets were last refilled, on the loop's ticker. */
  private long refilledAt;
  /** True from the first data frame of a read batch to its end. */
  private boolean inBatch;
  /** Data frames waiting for tokens, in order; null until the first waits. */
  private ArrayDeque<WebSocketFrame> held;
  /** The timer that relays held frames; null when none are held. */
  private ScheduledFuture<?> timer;

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

  /** True while the leg is not read for this limit: frames are held. */
  boolean paused() {
    return held != null && !held.isEmpty();
  }

  /**
   * A data frame from the peer: paid for, or held.
   *
   * @return true when the frame is the caller's to relay; false when it is held (delay) or must not be relayed, the
   *     session closing (close)
   */
  boolean admit(WebSocketFrame frame) {
    if (!inBatch) {
      inBatch = true;
      refill(loop.ticker().nanoTime());
    }
    if (limit.action() == RateAction.CLOSE) {
      take(frame);
      if (messages >= 0 && bytes >= 0) {
        return true;
      }
      frame.release();
      session.rateExceeded(end);
      return false;
    }
    if (!paused() && affordable(frame)) {
      take(frame);
      return true;
    }
    if (held == null) {
      held = new ArrayDeque<>();
    }
    held.add(frame);
    return false;
  }

  /** The read batch ended: with frames held, the leg stops being read until the timer has relayed them. */
  void endBatch() {
    inBatch = false;
    if (paused() && timer == null) {
      end.channel.config().setAutoRead(false);
      pauses.increment();
      schedule();
    }
  }

  /** The timer: relays the held frames the buckets pay for, then comes back for the rest, or resumes reading. */
  @Override
  public void run() {
    timer = null;
    long now = loop.ticker().nanoTime();
    refill(now);
    WebSocketFrame f;
    while ((f = held.peek()) != null && affordable(f)) {
      take(f);
      held.poll();
      session.relay(end, f);
    }
    session.heldRelayed(end, now);
    if (paused()) {
      schedule();
    } else {
      session.updateReading(end);
    }
  }

  /**
   * Relays every held frame at once, paid for or not, and ends the pause: the session is closing and its close frame
   * goes after them. Returns true when the leg was paused.
   */
  boolean releaseAll() {
    cancelTimer();
    if (!paused()) {
      return false;
    }
    for (WebSocketFrame f; (f = held.poll()) != null; ) {
      take(f);
      session.relay(end, f);
    }
    return true;
  }

  /** Both connections are closed: what is held is released, nothing stays scheduled. */
  void discard() {
    cancelTimer();
    if (held != null) {
      for (WebSocketFrame f; (f = held.poll()) != null; ) {
        f.release();
      }
    }
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** One timer, for when the first held frame can be paid for. */
  private void schedule() {
    WebSocketFrame head = held.peek();
    long nanos = Math.max(nanosUntil(messages, messageCost(head), limit.messagesPerSecond()),
        nanosUntil(bytes, byteCost(head), limit.bytesPerSecond()));
    timer = loop.schedule(this, Math.max(1, nanos), TimeUnit.NANOSECONDS);
  }

  private boolean affordable(WebSocketFrame frame) {
    return messages >= messageCost(frame) && bytes >= byteCost(frame);
  }

  private void take(WebSocketFrame frame) {
    messages -= messageCost(frame);
    bytes -= byteCost(frame);
  }

  /** A message's first frame costs a message, when messages are limited. */
  private long messageCost(WebSocketFrame frame) {
    return limit.messagesPerSecond() != 0
        && (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) ? UNIT : 0;
  }

  private long byteCost(WebSocketFrame frame) {
    return limit.bytesPerSecond() != 0 ? frame.content().readableBytes() * UNIT : 0;
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

  /** Nanoseconds until a bucket holds {@code cost}, refilling by {@code rate} billionths a nanosecond. */
  static long nanosUntil(long tokens, long cost, long rate) {
    long missing = cost - tokens;
    return missing <= 0 || rate == 0 ? 0 : (missing + rate - 1) / rate;
  }
}
