package dev.wsgate.heartbeat;

import dev.wsgate.config.Leg;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one leg for inbound silence: a tick every {@link HeartbeatTiming#tickNanos()} of it, in its event loop's
 * {@link TickWheel} (one timer for all the loop's legs; armed for the next tick, as Netty's {@code IdleStateHandler}
 * arms its own task, without a handler of its own in the pipeline); at the ticks it pings the peer, and it measures
 * the round trip and evicts a peer that stays silent for the timeout. Each tick also goes on to the session as a
 * reader-idle {@link IdleStateEvent} (its own limits are checked on it), also on a leg that does not ping but needs
 * the ticks.
 *
 * <h2>State machine</h2>
 * <pre>
 *   ACTIVE --(idle ticks reach pingAfterTicks: ping)--&gt; AWAITING_PONG
 *   AWAITING_PONG --(any inbound frame; a matching pong also gives the RTT)--&gt; ACTIVE
 *   ACTIVE | AWAITING_PONG --(idle ticks reach evictAfterTicks: HeartbeatEvicted)--&gt; EVICTED
 *   ACTIVE | AWAITING_PONG --(the session's close frame on the leg, or the peer's)--&gt; CLOSING
 *   any --(connection closed or handler removed)--&gt; CLOSED
 * </pre>
 * Any inbound frame proves life; so does the peer taking what wsgate queued for it (a slow reader behind a backlog
 * cannot answer a ping it has not read yet), and a tick while wsgate does not read the leg (backpressure) is no
 * silence either. Without eviction (timeout 0) the handler pings at every tick of silence.
 *
 * <h2>Frames it keeps</h2>
 * Pings from the peer are answered here (RFC 6455) and not relayed, unless the route forwards pings; pongs to its
 * own pings are consumed (others are relayed only when the route forwards pings). In
 * {@link dev.wsgate.config.HeartbeatMode#TEXT} mode it sends the text ping and consumes text messages that match the
 * pong template; with {@code answer-pings} it answers the peer's own text pings, echoing their other fields.
 * Everything else goes on to the relay, frames with reserved bits set included: compressed frames passed through
 * (which it cannot read; a leg with text heartbeats is never passed through), or bits the session fails (1002), and
 * data frames the proxy relays verbatim (a {@code ByteBuf}, whole frames as they came: a leg whose heartbeat reads
 * text has none), which prove life like any frame.
 */
public final class HeartbeatHandler extends ChannelInboundHandlerAdapter implements HeartbeatStats {

  private static final Logger log = LoggerFactory.getLogger(HeartbeatHandler.class);

  /** The heartbeat's states; see the class comment. */
  public enum State {
    ACTIVE, AWAITING_PONG, EVICTED, CLOSING, CLOSED
  }

  /** The states by ordinal, and each one's ordinal as the byte {@link #state} holds. */
  private static final State[] STATES = State.values();
  private static final byte ACTIVE = (byte) State.ACTIVE.ordinal();
  private static final byte AWAITING_PONG = (byte) State.AWAITING_PONG.ordinal();
  private static final byte EVICTED = (byte) State.EVICTED.ordinal();
  private static final byte CLOSING = (byte) State.CLOSING.ordinal();
  private static final byte CLOSED = (byte) State.CLOSED.ordinal();

  /** Ping frame payloads: an 8-byte sequence number and the 8-byte ticker time of sending. */
  static final int PING_PAYLOAD = 16;

  /**
   * Ticks fall due on a 25 ms grid of the event loop's clock, rounded up: the ticks of all the loop's legs that fall
   * due within one step run in one wake-up of the loop, and their pings leave together (a loop that woke for each
   * of thousands of ticks a second spent more CPU waking than pinging). A tick is at most one step late.
   */
  static final long TICK_GRID_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

  /** What the route's handlers of this leg share. */
  private final LegHeartbeat rules;
  /** The leg's timing, as plain values (no object a leg): 0 when the leg has no ticks. */
  private final long tickNanos;
  private final int pingAfterTicks;
  private final int evictAfterTicks;

  // Written on the channel's event loop only. The four figures read from other threads (admin, metrics) are
  // published with release stores, once per read batch or per ping and pong, never per frame.
  private ChannelHandlerContext ctx;
  private Ticker ticker = Ticker.systemTicker();
  /**
   * The {@link State}'s ordinal: a byte, since storing a reference (an enum constant) into a held session's handler,
   * which is old, is a G1 write barrier that dirties a card for the refinement threads, twice a ping and pong.
   */
  private byte state = ACTIVE;
  private int idleTicks;
  /** The sequence number of the last ping (sent as 8 bytes; an int's worth outlasts any session). */
  private int sequence;
  private long pingSentNanos;
  /** A read batch is under way: frames came in since the last {@code channelReadComplete}. */
  private boolean readInBatch;
  /** The pong to the last ping came in this read batch: its round trip is timed at the batch's end. */
  private boolean pongInBatch;
  /** Answers to the peer's pings were written in this read batch, and wait for its end to be flushed. */
  private boolean answersInBatch;
  /**
   * The loop's {@link TickWheel} (kept once found), and this leg's index in its arrays, {@link TickWheel#NIL} while
   * it holds none (before the channel is active, and after it): the wheel's.
   */
  private TickWheel wheel;
  int wheelIndex = TickWheel.NIL;
  /** When the next tick falls due, before rounding to the grid. */
  private long tickDue;
  /** The outbound buffer's mark at the last tick ({@link OutboundProgress}). */
  private long queuedMark;

  private long lastInboundNanos;
  private long lastRttNanos = -1;
  /** Counts of pings and pongs: ints (at one ping a second, 68 years of a session). */
  private int pingsSent;
  private int pongsReceived;

  private static final VarHandle LAST_INBOUND = field("lastInboundNanos", long.class);
  private static final VarHandle LAST_RTT = field("lastRttNanos", long.class);
  private static final VarHandle PINGS_SENT = field("pingsSent", int.class);
  private static final VarHandle PONGS_RECEIVED = field("pongsReceived", int.class);

  private static VarHandle field(String name, Class<?> type) {
    try {
      return MethodHandles.lookup().findVarHandle(HeartbeatHandler.class, name, type);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * @param rules  the route's heartbeat on this leg, shared by its sessions
   * @param timing the leg's ticks, or null when it needs none (the handler then only answers pings); a timing that
   *               neither pings nor evicts gives ticks for the session's own limits only
   */
  public HeartbeatHandler(LegHeartbeat rules, HeartbeatTiming timing) {
    this.rules = rules;
    this.tickNanos = timing == null ? 0 : timing.tickNanos();
    this.pingAfterTicks = timing == null ? 0 : timing.pingAfterTicks();
    this.evictAfterTicks = timing == null ? 0 : timing.evictAfterTicks();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    ticker = ctx.executor().ticker();
    LAST_INBOUND.setRelease(this, ticker.nanoTime());
    if (ctx.channel().isActive()) {
      startTicks();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    startTicks();
    ctx.fireChannelActive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    state = CLOSED;
    stopTicks();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = CLOSED;
    stopTicks();
    ctx.fireChannelInactive();
  }

  // --------------------------------------------------------------------------------------------------- ticks

  private void startTicks() {
    if (tickNanos != 0 && state != CLOSED && (wheel == null || !wheel.holdsTick(this))) {
      tickDue = (long) LAST_INBOUND.get(this) + tickNanos;
      armTick();
    }
  }

  private void stopTicks() {
    if (wheel != null) {
      wheel.remove(this);
    }
  }

  /** Puts the next tick, at {@link #tickDue} rounded up to the tick grid, into the loop's wheel. */
  private void armTick() {
    long at = Math.floorDiv(tickDue + rules.tickGridNanos - 1, rules.tickGridNanos) * rules.tickGridNanos;
    TickWheel w = wheel;
    if (w == null || w.dropped()) {
      w = wheel = TickWheel.of(ctx.executor());
    }
    w.add(this, at);
  }

  /**
   * A tick when a whole tick has passed since the last read batch, or since the last tick (none while a batch is
   * under way), and the next one put into the wheel: one tick at a time, as Netty's {@code IdleStateHandler} arms one
   * task at a time, but due on the tick grid and counted from when the tick was due, not from when the timer
   * ran, so that the grid delays no tick by more than one grid step; a timer that ran late moves the next tick as
   * late. The loop's {@link TickWheel} runs it, having taken it out of the wheel, with the clock it read once for all
   * the ticks it runs.
   */
  void tick(long now) {
    if (state == CLOSED || !ctx.channel().isOpen()) {
      return;
    }
    long due = readInBatch ? now + tickNanos : Math.max(tickDue, (long) LAST_INBOUND.get(this) + tickNanos);
    if (due - now > 0) {
      tickDue = due;
      armTick();
      return;
    }
    // The next tick a tick after this one fell due, and at least a tick (less one grid step) after this one ran: a
    // timer that ran late (a busy or stalled loop) neither catches ticks up nor gives a pinged peer less time.
    tickDue = Math.max(due + tickNanos, now + tickNanos - rules.tickGridNanos);
    armTick();
    onTick(ctx, now);
    ctx.fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
  }

  // ------------------------------------------------------------------------------------------------- inbound

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    boolean frame = msg instanceof WebSocketFrame;
    if (!frame && !(msg instanceof ByteBuf)) {
      ctx.fireChannelRead(msg);
      return;
    }
    readInBatch = true;
    idleTicks = 0;
    if (state == AWAITING_PONG) {
      state = ACTIVE;
    }
    if (!frame) {
      ctx.fireChannelRead(msg); // a data frame relayed verbatim (the proxy's WireFrameDecoder): life, nothing more
    } else if (((WebSocketFrame) msg).rsv() != 0) {
      ctx.fireChannelRead(msg); // compressed and passed through, or bits the session fails: not a heartbeat
    } else if (msg instanceof CloseWebSocketFrame) {
      if (state == ACTIVE) {
        state = CLOSING; // the peer is closing: the session's close timer bounds the rest, not the heartbeat
      }
      ctx.fireChannelRead(msg);
    } else if (msg instanceof PingWebSocketFrame) {
      onPing(ctx, (PingWebSocketFrame) msg);
    } else if (msg instanceof PongWebSocketFrame) {
      onPong(ctx, (PongWebSocketFrame) msg);
    } else if ((rules.textMode || rules.answerTextPings) && msg instanceof TextWebSocketFrame
        && ((TextWebSocketFrame) msg).isFinalFragment()
        && ((TextWebSocketFrame) msg).content().readableBytes() <= TextTemplate.MAX_LENGTH) {
      onText(ctx, (TextWebSocketFrame) msg);
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  private void onPing(ChannelHandlerContext ctx, PingWebSocketFrame ping) {
    if (rules.forwardPings) {
      ctx.fireChannelRead(ping);
    } else if (state == ACTIVE || state == AWAITING_PONG) {
      answer(ctx, new PongWebSocketFrame(ping.content()));
    } else {
      ping.release();
    }
  }

  private void onPong(ChannelHandlerContext ctx, PongWebSocketFrame pong) {
    ByteBuf p = pong.content();
    if (p.readableBytes() == PING_PAYLOAD && p.getLong(p.readerIndex()) == sequence && pingSentNanos != 0) {
      pongInBatch = true;
      pong.release();
    } else if (rules.forwardPings) {
      ctx.fireChannelRead(pong);
    } else {
      pong.release(); // unsolicited (RFC 6455 allows them as a heartbeat): life, nothing to answer
    }
  }

  private void onText(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
    if (!ByteBufUtil.isText(frame.content(), StandardCharsets.UTF_8)) {
      ctx.fireChannelRead(frame); // not UTF-8, so no heartbeat: the relay fails its sender (1007)
      return;
    }
    String text = frame.text();
    if (rules.textMode && rules.textPong.matches(text)) {
      if (pingSentNanos != 0) {
        pongInBatch = true;
      }
      frame.release();
    } else if (rules.answerTextPings && rules.textPing.matches(text)) {
      frame.release();
      if (state == ACTIVE || state == AWAITING_PONG) {
        answer(ctx, new TextWebSocketFrame(rules.textPing.answer(text, rules.textPong)));
      }
    } else {
      ctx.fireChannelRead(frame);
    }
  }

  /** Writes an answer to the peer's ping; the read batch's end flushes it, with any other answers of the batch. */
  private void answer(ChannelHandlerContext ctx, WebSocketFrame answer) {
    ctx.write(answer, ctx.voidPromise());
    answersInBatch = true;
  }

  private void roundTrip(long now) {
    long rtt = now - pingSentNanos;
    LAST_RTT.setRelease(this, rtt);
    pingSentNanos = 0;
    PONGS_RECEIVED.setRelease(this, pongsReceived + 1);
    rules.meters.pongReceived(rtt);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (readInBatch) {
      readInBatch = false;
      long now = ticker.nanoTime(); // the batch's one clock read
      LAST_INBOUND.setRelease(this, now);
      if (pongInBatch) {
        pongInBatch = false;
        roundTrip(now);
      }
    }
    if (answersInBatch) {
      answersInBatch = false;
      ctx.flush();
    }
    ctx.fireChannelReadComplete();
  }

  /** A tick of silence: counted, and the ping or the eviction it brings. */
  private void onTick(ChannelHandlerContext ctx, long now) {
    idleTicks++;
    if (peerConsumedOutput(ctx) || !ctx.channel().config().isAutoRead()) {
      // Not silence: the peer is reading what wsgate queued for it (its pong, if pinged, waits behind that), or
      // wsgate itself is not reading this leg (backpressure), so that the peer's frames wait unread.
      idleTicks = 0;
    }
    if (state == ACTIVE || state == AWAITING_PONG) {
      if (evictAfterTicks > 0 && idleTicks >= evictAfterTicks) {
        evict(ctx);
      } else if (pingAfterTicks > 0 && idleTicks >= pingAfterTicks
          && (state == ACTIVE || evictAfterTicks == 0)) {
        ping(ctx, now);
      }
    }
  }

  /**
   * True when the peer has taken some of what wsgate queued for it since the last tick: the message at the head of
   * the outbound buffer was written further, or out. Only a peer that reads makes room for that, so a live peer
   * behind a backlog (a slow reader) is not taken for a dead one; nothing is queued for an idle peer, and nothing
   * moves for a dead one.
   */
  private boolean peerConsumedOutput(ChannelHandlerContext ctx) {
    long mark = OutboundProgress.mark(ctx.channel());
    boolean moved = OutboundProgress.moved(queuedMark, mark);
    queuedMark = mark;
    return moved;
  }

  private void ping(ChannelHandlerContext ctx, long now) {
    sequence++;
    pingSentNanos = now;
    PINGS_SENT.setRelease(this, pingsSent + 1);
    rules.meters.pingSent();
    state = AWAITING_PONG;
    if (rules.textMode) {
      ctx.writeAndFlush(new TextWebSocketFrame(rules.textPing.text()), ctx.voidPromise());
    } else {
      ctx.writeAndFlush(PingFrame.encode(ctx.alloc(), rules.leg == Leg.UPSTREAM, sequence, now), ctx.voidPromise());
    }
  }

  /**
   * Only signals the eviction: the session writes the close frame (through its one method for close frames), closes
   * the connection of the peer presumed dead, and closes the other leg.
   */
  private void evict(ChannelHandlerContext ctx) {
    evict(ctx, ticker.nanoTime() - (long) LAST_INBOUND.get(this));
  }

  /**
   * What carries this leg was found dead (the HTTP/2 connection of a stream, which did not answer its PING in
   * time): the peer is evicted as by this heartbeat's own timeout, counted and signalled alike. On the leg's event
   * loop.
   *
   * @param silenceNanos how long the carrier had been silent
   * @return false when the leg is closing or closed already, and nothing was done
   */
  public boolean evictForCarrier(long silenceNanos) {
    if (ctx == null || (state != ACTIVE && state != AWAITING_PONG)) {
      return false;
    }
    evict(ctx, silenceNanos);
    return true;
  }

  private void evict(ChannelHandlerContext ctx, long silence) {
    log.debug("[{}] {} silent for {} ms: evicting it with {}", ctx.channel().id().asShortText(), rules.leg,
        silence / 1_000_000, rules.settings.closeCode());
    state = EVICTED;
    rules.meters.evicted();
    ctx.fireUserEventTriggered(new HeartbeatEvicted(rules.leg, rules.settings.closeCode(), silence));
  }

  // ------------------------------------------------------------------------------------------------ closing

  /**
   * The session is writing its close frame on this leg (through its one method for close frames): no pings, and no
   * answers to pings, from now on (RFC 6455, 5.5.1). Told, rather than watching every frame written on the leg: the
   * handler is inbound only, and frames written toward the peer do not pass it.
   */
  public void closeSent() {
    if (ctx != null && !ctx.executor().inEventLoop()) {
      ctx.executor().execute(this::closeSent);
      return;
    }
    if (state == ACTIVE || state == AWAITING_PONG) {
      state = CLOSING;
    }
  }

  // ------------------------------------------------------------------------------------------------ stats

  @Override
  public long lastInboundNanos() {
    return (long) LAST_INBOUND.getAcquire(this);
  }

  @Override
  public long lastRttNanos() {
    return (long) LAST_RTT.getAcquire(this);
  }

  @Override
  public long pingsSent() {
    return (int) PINGS_SENT.getAcquire(this);
  }

  @Override
  public long pongsReceived() {
    return (int) PONGS_RECEIVED.getAcquire(this);
  }

  @Override
  public State state() {
    return STATES[state];
  }

  public Leg leg() {
    return rules.leg;
  }

  public HeartbeatTiming timing() {
    return tickNanos == 0 ? null : new HeartbeatTiming(tickNanos, pingAfterTicks, evictAfterTicks);
  }
}
