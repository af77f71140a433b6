package dev.wsgate.heartbeat;

import dev.wsgate.config.HeartbeatMode;
import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.Leg;
import dev.wsgate.metrics.HeartbeatMeters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reacts to inbound silence on one leg: {@link IdleStateHandler} detects it (reader-idle events every
 * {@link HeartbeatTiming#tickNanos()}), this handler pings the peer, measures the round trip, and evicts a peer that
 * stays silent for the timeout. It has no timer of its own.
 *
 * <h2>State machine</h2>
 * <pre>
 *   ACTIVE --(idle ticks reach pingAfterTicks: ping)--&gt; AWAITING_PONG
 *   AWAITING_PONG --(any inbound frame; a matching pong also gives the RTT)--&gt; ACTIVE
 *   ACTIVE | AWAITING_PONG --(idle ticks reach evictAfterTicks: HeartbeatEvicted)--&gt; EVICTED
 *   ACTIVE | AWAITING_PONG --(a close frame written on the leg, or received from the peer)--&gt; CLOSING
 *   any --(connection closed or handler removed)--&gt; CLOSED
 * </pre>
 * Any inbound frame proves life; so does the peer taking what wsgate queued for it (a slow reader behind a backlog
 * cannot answer a ping it has not read yet), and a tick while wsgate does not read the leg (backpressure) is no
 * silence either. Without eviction (timeout 0) the handler pings at every tick of silence.
 *
 * <h2>Frames it keeps</h2>
 * Pings from the peer are answered here (RFC 6455) and not relayed, unless the route forwards pings; pongs to its
 * own pings are consumed (others are relayed only when the route forwards pings). In {@link HeartbeatMode#TEXT}
 * mode it sends the text ping and consumes text messages that match the pong template; with {@code answer-pings}
 * it answers the peer's own text pings, echoing their other fields. Everything else goes on to the relay, frames
 * with reserved bits set included (wsgate negotiates no extension: the session fails their sender with 1002).
 */
public final class HeartbeatHandler extends ChannelDuplexHandler implements HeartbeatStats {

  private static final Logger log = LoggerFactory.getLogger(HeartbeatHandler.class);

  /** The heartbeat's states; see the class comment. */
  public enum State {
    ACTIVE, AWAITING_PONG, EVICTED, CLOSING, CLOSED
  }

  /** Ping frame payloads: an 8-byte sequence number and the 8-byte ticker time of sending. */
  static final int PING_PAYLOAD = 16;

  private final Leg leg;
  private final HeartbeatSettings settings;
  private final HeartbeatTiming timing;
  private final boolean forwardPings;
  private final TextTemplate textPing;
  private final TextTemplate textPong;
  private final boolean textMode;
  private final boolean answerTextPings;
  private final HeartbeatMeters meters;

  private Ticker ticker = Ticker.systemTicker();
  private State state = State.ACTIVE;
  private int idleTicks;
  private long sequence;
  private long pingSentNanos;
  private boolean readInBatch;
  /** The outbound buffer's head at the last tick (identity hash; 0: none) and how far it was written then. */
  private int queuedHeadHash;
  private long queuedHeadProgress;

  private volatile long lastInboundNanos;
  private volatile long lastRttNanos = -1;
  private volatile long pingsSent;
  private volatile long pongsReceived;

  /**
   * @param timing the leg's timing, or null when it does not ping (the handler then only answers pings)
   * @param meters where pings, pongs, round trips and evictions are counted
   */
  public HeartbeatHandler(Leg leg, HeartbeatSettings settings, HeartbeatTiming timing, boolean forwardPings,
      HeartbeatMeters meters) {
    this.leg = leg;
    this.meters = meters;
    this.settings = settings;
    this.timing = timing;
    this.forwardPings = forwardPings;
    this.textMode = settings.enabled() && settings.mode() == HeartbeatMode.TEXT;
    this.answerTextPings = settings.text().answerPings();
    // Parsed templates only where they are used: a held session in frame mode keeps none.
    boolean texts = textMode || answerTextPings;
    this.textPing = texts ? new TextTemplate(settings.text().ping()) : null;
    this.textPong = texts ? new TextTemplate(settings.text().pong()) : null;
  }

  /** The {@code IdleStateHandler} that goes before this handler: reader-idle every tick, nothing else. */
  public static IdleStateHandler idleStateHandler(HeartbeatTiming timing) {
    return new IdleStateHandler(timing.tickNanos(), 0, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    ticker = ctx.executor().ticker();
    lastInboundNanos = ticker.nanoTime();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    state = State.CLOSED;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = State.CLOSED;
    ctx.fireChannelInactive();
  }

  // ------------------------------------------------------------------------------------------------- inbound

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    readInBatch = true;
    idleTicks = 0;
    if (state == State.AWAITING_PONG) {
      state = State.ACTIVE;
    }
    if (((WebSocketFrame) msg).rsv() != 0) {
      ctx.fireChannelRead(msg); // reserved bits without an extension: not a heartbeat; the session fails the peer
    } else if (msg instanceof CloseWebSocketFrame) {
      if (state == State.ACTIVE) {
        state = State.CLOSING; // the peer is closing: the session's close timer bounds the rest, not the heartbeat
      }
      ctx.fireChannelRead(msg);
    } else if (msg instanceof PingWebSocketFrame) {
      onPing(ctx, (PingWebSocketFrame) msg);
    } else if (msg instanceof PongWebSocketFrame) {
      onPong(ctx, (PongWebSocketFrame) msg);
    } else if ((textMode || answerTextPings) && msg instanceof TextWebSocketFrame
        && ((TextWebSocketFrame) msg).isFinalFragment()
        && ((TextWebSocketFrame) msg).content().readableBytes() <= TextTemplate.MAX_LENGTH) {
      onText(ctx, (TextWebSocketFrame) msg);
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  private void onPing(ChannelHandlerContext ctx, PingWebSocketFrame ping) {
    if (forwardPings) {
      ctx.fireChannelRead(ping);
    } else if (state == State.ACTIVE || state == State.AWAITING_PONG) {
      ctx.writeAndFlush(new PongWebSocketFrame(ping.content()), ctx.voidPromise());
    } else {
      ping.release();
    }
  }

  private void onPong(ChannelHandlerContext ctx, PongWebSocketFrame pong) {
    ByteBuf p = pong.content();
    if (p.readableBytes() == PING_PAYLOAD && p.getLong(p.readerIndex()) == sequence && pingSentNanos != 0) {
      roundTrip();
      pong.release();
    } else if (forwardPings) {
      ctx.fireChannelRead(pong);
    } else {
      pong.release(); // unsolicited (RFC 6455 allows them as a heartbeat): life, nothing to answer
    }
  }

  private void onText(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
    String text = frame.text();
    if (textMode && textPong.matches(text)) {
      if (pingSentNanos != 0) {
        roundTrip();
      }
      frame.release();
    } else if (answerTextPings && textPing.matches(text)) {
      frame.release();
      if (state == State.ACTIVE || state == State.AWAITING_PONG) {
        ctx.writeAndFlush(new TextWebSocketFrame(textPing.answer(text, textPong)), ctx.voidPromise());
      }
    } else {
      ctx.fireChannelRead(frame);
    }
  }

  private void roundTrip() {
    long rtt = ticker.nanoTime() - pingSentNanos;
    lastRttNanos = rtt;
    pingSentNanos = 0;
    pongsReceived++;
    meters.pongReceived(rtt);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (readInBatch) {
      readInBatch = false;
      lastInboundNanos = ticker.nanoTime();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && ((IdleStateEvent) evt).state() == IdleState.READER_IDLE) {
      IdleStateEvent idle = (IdleStateEvent) evt;
      idleTicks = idle.isFirst() ? 1 : idleTicks + 1;
      if (peerConsumedOutput(ctx) || !ctx.channel().config().isAutoRead()) {
        // Not silence: the peer is reading what wsgate queued for it (its pong, if pinged, waits behind that), or
        // wsgate itself is not reading this leg (backpressure), so that the peer's frames wait unread.
        idleTicks = 0;
      }
      if (timing != null && (state == State.ACTIVE || state == State.AWAITING_PONG)) {
        if (timing.evicts() && idleTicks >= timing.evictAfterTicks()) {
          evict(ctx);
        } else if (timing.pings() && idleTicks >= timing.pingAfterTicks()
            && (state == State.ACTIVE || !timing.evicts())) {
          ping(ctx);
        }
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  /**
   * True when the peer has taken some of what wsgate queued for it since the last tick: the message at the head of
   * the outbound buffer was written further, or out. Only a peer that reads makes room for that, so a live peer
   * behind a backlog (a slow reader) is not taken for a dead one; nothing is queued for an idle peer, and nothing
   * moves for a dead one.
   */
  private boolean peerConsumedOutput(ChannelHandlerContext ctx) {
    ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
    Object head = buffer == null ? null : buffer.current();
    int headHash = head == null ? 0 : System.identityHashCode(head);
    long progress = head == null ? 0 : buffer.currentProgress();
    boolean moved = queuedHeadHash != 0 && (headHash != queuedHeadHash || progress != queuedHeadProgress);
    queuedHeadHash = headHash;
    queuedHeadProgress = progress;
    return moved;
  }

  private void ping(ChannelHandlerContext ctx) {
    long now = ticker.nanoTime();
    sequence++;
    pingSentNanos = now;
    pingsSent++;
    meters.pingSent();
    state = State.AWAITING_PONG;
    if (textMode) {
      ctx.writeAndFlush(new TextWebSocketFrame(textPing.text()), ctx.voidPromise());
    } else {
      ByteBuf payload = ctx.alloc().buffer(PING_PAYLOAD);
      payload.writeLong(sequence).writeLong(now);
      ctx.writeAndFlush(new PingWebSocketFrame(payload), ctx.voidPromise());
    }
  }

  /**
   * Only signals the eviction: the session writes the close frame (through its one method for close frames), closes
   * the connection of the peer presumed dead, and closes the other leg.
   */
  private void evict(ChannelHandlerContext ctx) {
    long silence = ticker.nanoTime() - lastInboundNanos;
    log.debug("[{}] {} silent for {} ms: evicting it with {}", ctx.channel().id().asShortText(), leg,
        silence / 1_000_000, settings.closeCode());
    state = State.EVICTED;
    meters.evicted();
    ctx.fireUserEventTriggered(new HeartbeatEvicted(leg, settings.closeCode(), silence));
  }

  // ------------------------------------------------------------------------------------------------ outbound

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof CloseWebSocketFrame && (state == State.ACTIVE || state == State.AWAITING_PONG)) {
      state = State.CLOSING; // no pings, and no answers to pings, after a close frame (RFC 6455, 5.5.1)
    }
    ctx.write(msg, promise);
  }

  // ------------------------------------------------------------------------------------------------ stats

  @Override
  public long lastInboundNanos() {
    return lastInboundNanos;
  }

  @Override
  public long lastRttNanos() {
    return lastRttNanos;
  }

  @Override
  public long pingsSent() {
    return pingsSent;
  }

  @Override
  public long pongsReceived() {
    return pongsReceived;
  }

  @Override
  public State state() {
    return state;
  }

  public Leg leg() {
    return leg;
  }

  public HeartbeatTiming timing() {
    return timing;
  }
}
