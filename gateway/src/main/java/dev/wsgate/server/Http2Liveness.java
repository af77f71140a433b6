package dev.wsgate.server;

import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.heartbeat.OutboundProgress;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches an HTTP/2 client connection for inbound silence with HTTP/2 {@code PING} frames (RFC 9113 6.7: every
 * HTTP/2 peer answers them, whatever its WebSocket streams do): after {@code interval} of silence wsgate sends a
 * PING, and after {@code timeout} of silence the connection is dead: {@code onDead} evicts its streams' sessions
 * (each client leg as its own heartbeat would, each upstream told 1001), then the connection's TCP is closed at
 * once, without a {@code GOAWAY} or a grace the dead peer would only make wait. Without a timeout (0) it only pings,
 * after every interval of silence.
 *
 * <p>The timing is the client leg's heartbeat of the configuration ({@code heartbeat.client}, the defaults of every
 * route merged with {@code heartbeat.client}; not a route's own, since a connection carries the streams of any
 * route): the connection is the client leg's carrier, its PING must fit under {@code intermediaries.idle-timeout} as
 * the client heartbeat does, and an HTTP/2 PING is always answerable, so its {@code mode} does not matter.
 *
 * <p>Silence is as for the WebSocket heartbeat: any bytes read prove life (the PING's ACK among them), and so does
 * the peer taking what wsgate queued for it, or wsgate not reading the connection. It sits on the network side of
 * the codec, so that it sees a read, not each frame: one clock read per read batch. Only the connection's event loop
 * touches it.
 */
final class Http2Liveness extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(Http2Liveness.class);

  private final long intervalNanos;
  private final long timeoutNanos;
  private final LongConsumer onDead;
  private ChannelHandlerContext ctx;
  private Ticker ticker;
  private ScheduledFuture<?> timer;
  private boolean readInBatch;
  private long lastReadNanos;
  /** When the last PING went out; meaningful while {@link #pinged}. */
  private long lastPingNanos;
  /** A PING has gone out since the last read. */
  private boolean pinged;
  private long sequence;
  /** The outbound buffer's mark at the last check ({@link OutboundProgress}). */
  private long queuedMark;
  private boolean dead;

  /**
   * @param onDead evicts the connection's sessions, given how long it was silent; the connection is closed after
   */
  Http2Liveness(HeartbeatSettings clientHeartbeat, LongConsumer onDead) {
    if (!clientHeartbeat.enabled()) {
      throw new IllegalArgumentException("no client heartbeat: no liveness to watch with");
    }
    this.intervalNanos = clientHeartbeat.interval().toNanos();
    this.timeoutNanos = clientHeartbeat.evicts() ? clientHeartbeat.timeout().toNanos() : 0;
    this.onDead = onDead;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.ticker = ctx.executor().ticker();
    lastReadNanos = ticker.nanoTime();
    if (ctx.channel().isActive()) {
      arm(lastReadNanos + intervalNanos);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (timer == null) {
      arm(ticker.nanoTime() + intervalNanos);
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    readInBatch = true;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (readInBatch) {
      readInBatch = false;
      lastReadNanos = ticker.nanoTime(); // the batch's one clock read
      pinged = false;
    }
    ctx.fireChannelReadComplete();
  }

  private void arm(long at) {
    timer = ctx.executor().schedule(this::check, Math.max(1, at - ticker.nanoTime()), TimeUnit.NANOSECONDS);
  }

  /** At a deadline: the eviction or the PING that fell due, and the next deadline. */
  private void check() {
    timer = null;
    if (dead || !ctx.channel().isActive()) {
      return;
    }
    long now = ticker.nanoTime();
    if (readInBatch || !ctx.channel().config().isAutoRead() || peerConsumedOutput()) {
      lastReadNanos = now; // a read under way, wsgate not reading, or a peer reading what it was sent: not silence
      pinged = false;
    }
    long silence = now - lastReadNanos;
    if (timeoutNanos != 0 && silence >= timeoutNanos) {
      evict(silence);
      return;
    }
    long pingDue = !pinged ? lastReadNanos + intervalNanos
        : timeoutNanos == 0 ? lastPingNanos + intervalNanos : Long.MAX_VALUE;
    if (now - pingDue >= 0) {
      ping(now);
      pingDue = timeoutNanos == 0 ? now + intervalNanos : Long.MAX_VALUE;
    }
    long next = timeoutNanos == 0 ? pingDue : Math.min(pingDue, lastReadNanos + timeoutNanos);
    arm(next);
  }

  private void ping(long now) {
    pinged = true;
    lastPingNanos = now;
    // Through the codec (from the pipeline's tail: this handler is on its network side).
    ctx.channel().writeAndFlush(new DefaultHttp2PingFrame(++sequence), ctx.channel().voidPromise());
  }

  private void evict(long silence) {
    dead = true;
    log.debug("[{}] HTTP/2 connection silent for {} ms, PING unanswered: evicting its sessions and closing it",
        ctx.channel().id().asShortText(), silence / 1_000_000);
    try {
      onDead.accept(silence);
    } finally {
      ctx.close(); // on the network side of the codec: no GOAWAY, no graceful wait for a dead peer
    }
  }

  /**
   * True when the peer has taken some of what wsgate queued for it since the last check (as the WebSocket heartbeat
   * tells a slow reader from a dead one): the message at the head of the outbound buffer was written further, or
   * out.
   */
  private boolean peerConsumedOutput() {
    long mark = OutboundProgress.mark(ctx.channel());
    boolean moved = OutboundProgress.moved(queuedMark, mark);
    queuedMark = mark;
    return moved;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    stop();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stop();
  }

  private void stop() {
    dead = true;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
