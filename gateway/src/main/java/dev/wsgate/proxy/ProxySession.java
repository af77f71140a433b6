package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.heartbeat.HeartbeatHandler;
import dev.wsgate.heartbeat.HeartbeatStats;
import dev.wsgate.session.Session;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied session: relays frames between its two legs with backpressure, and relays closes faithfully.
 *
 * <p>Everything runs on one event loop, the client channel's (the upstream channel normally shares it, since
 * wsgate connects upstream from that loop); events from another loop hop onto it.
 *
 * <h2>Backpressure</h2>
 * A frame is written to the other leg without a copy (its buffer changes hands) and flushed at the end of the read
 * batch. When the other leg's outbound buffer passes the write-buffer high-water mark, this leg stops reading; it
 * reads again when that buffer drains below the low-water mark. The bytes held for a peer that does not read are
 * so bounded by the mark plus one frame, whatever the other peer sends.
 *
 * <h2>Closing</h2>
 * Each leg has a close handshake of its own. A close frame from one leg is relayed to the other (codes mapped by
 * {@link CloseCodes}); that leg's answer is relayed back as the answer. A leg that ends without a close frame gets
 * the other leg a close of {@link CloseCodes#peerGone}. Once a close frame has gone both ways on the client leg,
 * wsgate (the server there) closes TCP; on the upstream leg it lets the upstream close first, as RFC 6455 asks, so
 * that TIME_WAIT stays off wsgate's ephemeral ports. {@code close-timeout} after the first close, every connection
 * still open is closed. Both connections closed: the session is finished, once.
 */
final class ProxySession {

  private static final Logger log = LoggerFactory.getLogger(ProxySession.class);

  private static final class LegState {
    final Leg leg;
    final Channel channel;
    boolean closeSent;
    boolean closeReceived;
    boolean inactive;
    boolean flushPending;
    int receivedCode;
    String receivedReason = "";

    LegState(Leg leg, Channel channel) {
      this.leg = leg;
      this.channel = channel;
    }
  }

  private final Session session;
  private final LegState client;
  private final LegState upstream;
  private final EventLoop loop;
  private final Ticker ticker;
  private final long closeTimeoutNanos;
  private final long maxIdleNanos;
  private final long ageDeadlineNanos;
  private final SessionListener listener;
  private final String logId;
  private ScheduledFuture<?> closeTimer;
  private boolean protocolErrorReported;
  private boolean finished;
  private boolean dataInBatch;
  private long lastDataNanos;

  /**
   * @param limits the route's session limits, the age one already drawn for this session
   */
  ProxySession(Session session, Channel client, Channel upstream, Duration closeTimeout, SessionLimits limits,
      SessionListener listener) {
    this.session = session;
    this.client = new LegState(Leg.CLIENT, client);
    this.upstream = new LegState(Leg.UPSTREAM, upstream);
    this.loop = client.eventLoop();
    this.ticker = loop.ticker();
    this.closeTimeoutNanos = closeTimeout.toNanos();
    this.maxIdleNanos = limits.maxIdle().toNanos();
    long now = ticker.nanoTime();
    this.lastDataNanos = now;
    this.ageDeadlineNanos = limits.maxAge().isZero() ? 0 : now + limits.maxAge().toNanos();
    this.listener = listener;
    this.logId = "session " + session.id() + " [request " + session.requestId() + ", client "
        + client.id().asShortText() + ", upstream " + upstream.id().asShortText() + "]";
    session.bind(new Session.Control() {
      @Override
      public Session.LegStatus leg(Leg leg) {
        return status(state(leg));
      }

      @Override
      public void close(Session.EndCause cause, int code, String reason) {
        ProxySession.this.close(cause, new CloseCodes.Close(code, reason), new CloseCodes.Close(code, reason));
      }
    });
  }

  Session session() {
    return session;
  }

  /** True when both legs run on one event loop, as they should: no frame then crosses threads. */
  boolean colocated() {
    return upstream.channel.eventLoop() == loop;
  }

  /** Starts relaying: both legs attached, reading on. Runs on the session's loop. */
  void start(FrameRelayHandler clientRelay, FrameRelayHandler upstreamRelay) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> start(clientRelay, upstreamRelay));
      return;
    }
    if (!colocated()) {
      log.debug("{}: legs on different event loops ({} and {})", logId, loop, upstream.channel.eventLoop());
    }
    client.channel.config().setAutoRead(upstream.channel.isWritable());
    upstream.channel.config().setAutoRead(client.channel.isWritable());
    if (upstream.channel.eventLoop().inEventLoop()) {
      upstreamRelay.attach(this);
    } else {
      upstream.channel.eventLoop().execute(() -> upstreamRelay.attach(this));
    }
    clientRelay.attach(this);
    log.debug("{}: started, route {} upstream {}", logId, session.route(), session.upstream());
  }

  // ------------------------------------------------------------------------------------------------ frames

  void onFrame(Leg leg, WebSocketFrame frame) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onFrame(leg, frame));
      return;
    }
    LegState from = state(leg);
    if (frame instanceof CloseWebSocketFrame) {
      onCloseFrame(from, (CloseWebSocketFrame) frame);
    } else if (frame instanceof PingWebSocketFrame || frame instanceof PongWebSocketFrame) {
      // Only with forward-pings: the heartbeat handler answers and keeps them otherwise.
      relayControl(from, frame);
    } else {
      relay(from, frame);
    }
  }

  private void relay(LegState from, WebSocketFrame frame) {
    LegState to = other(from);
    if (to.closeSent || to.inactive || from.closeReceived) {
      frame.release();
      return;
    }
    if (frame.rsv() != 0) {
      // Netty lets reserved bits through when extensions are allowed; wsgate negotiates none.
      frame.release();
      fail(from, CloseCodes.PROTOCOL_ERROR, "reserved bits set without a negotiated extension");
      return;
    }
    int bytes = frame.content().readableBytes();
    if (from.leg == Leg.CLIENT) {
      session.countFromClient(bytes);
    } else {
      session.countFromUpstream(bytes);
    }
    to.channel.write(frame, to.channel.voidPromise());
    to.flushPending = true;
    dataInBatch = true;
    if (!to.channel.isWritable()) {
      from.channel.config().setAutoRead(false);
    }
  }

  private void relayControl(LegState from, WebSocketFrame frame) {
    LegState to = other(from);
    if (to.closeSent || to.inactive || from.closeReceived) {
      frame.release();
      return;
    }
    to.channel.write(frame, to.channel.voidPromise());
    to.flushPending = true;
  }

  void onReadComplete(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onReadComplete(leg));
      return;
    }
    LegState to = other(state(leg));
    if (to.flushPending) {
      to.flushPending = false;
      to.channel.flush();
    }
    if (dataInBatch) {
      dataInBatch = false;
      lastDataNanos = ticker.nanoTime();
      if (ageDeadlineNanos != 0) {
        checkLimits(lastDataNanos); // a busy session has no idle ticks: its reads check its age
      }
    }
  }

  /** An idle tick on a leg (from its {@code IdleStateHandler}): the session's own limits are checked. */
  void onIdleTick(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onIdleTick(leg));
      return;
    }
    checkLimits(ticker.nanoTime());
  }

  private void checkLimits(long now) {
    if (session.endCause() != null) {
      return; // closing already
    }
    if (maxIdleNanos != 0 && now - lastDataNanos >= maxIdleNanos) {
      close(Session.EndCause.MAX_IDLE, new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.IDLE),
          new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.IDLE));
    } else if (ageDeadlineNanos != 0 && now - ageDeadlineNanos >= 0) {
      close(Session.EndCause.MAX_AGE, new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.MAX_AGE),
          new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.MAX_AGE));
    }
  }

  /**
   * The leg's heartbeat evicted its silent peer and wrote it a close frame: the other leg gets 1001 (the client
   * died) or 1014 (the upstream died), and the evicted connection is closed after the close timeout at the latest.
   */
  void onEvicted(Leg leg, int code) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onEvicted(leg, code));
      return;
    }
    LegState dead = state(leg);
    dead.closeSent = true;
    dead.flushPending = false;
    session.recordEnd(leg == Leg.CLIENT ? Session.EndCause.CLIENT_HEARTBEAT : Session.EndCause.UPSTREAM_HEARTBEAT,
        code, leg.yamlName() + " heartbeat timeout");
    LegState other = other(dead);
    if (!other.closeSent && !other.inactive) {
      sendClose(other, CloseCodes.heartbeatTimeout(leg));
    }
    armCloseTimer();
  }

  void onWritabilityChanged(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onWritabilityChanged(leg));
      return;
    }
    LegState changed = state(leg);
    LegState reader = other(changed);
    if (!reader.inactive) {
      reader.channel.config().setAutoRead(changed.inactive || changed.channel.isWritable());
    }
  }

  // ------------------------------------------------------------------------------------------------ closing

  private void onCloseFrame(LegState from, CloseWebSocketFrame frame) {
    int code = frame.statusCode();
    String reason = code < 0 ? "" : frame.reasonText();
    frame.release();
    if (from.closeReceived) {
      return;
    }
    from.closeReceived = true;
    from.receivedCode = code < 0 ? CloseCodes.NO_STATUS : code;
    from.receivedReason = reason;
    session.recordEnd(from.leg == Leg.CLIENT ? Session.EndCause.CLIENT_CLOSE : Session.EndCause.UPSTREAM_CLOSE,
        from.receivedCode, reason);
    LegState to = other(from);
    if (!to.closeSent && !to.inactive) {
      sendClose(to, CloseCodes.relay(from.receivedCode, reason, to.leg));
    }
    completeHandshake(from);
    armCloseTimer();
  }

  void onInactive(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onInactive(leg));
      return;
    }
    LegState gone = state(leg);
    if (gone.inactive) {
      return;
    }
    gone.inactive = true;
    gone.flushPending = false;
    LegState other = other(gone);
    if (!gone.closeReceived) {
      gone.receivedCode = CloseCodes.ABNORMAL;
      session.recordEnd(leg == Leg.CLIENT ? Session.EndCause.CLIENT_LOST : Session.EndCause.UPSTREAM_LOST,
          CloseCodes.ABNORMAL, "connection lost without a close frame");
      if (!other.closeSent && !other.inactive) {
        // Whoever started closing still gets an answer: its own close echoed.
        sendClose(other, other.closeReceived ? echo(other) : CloseCodes.peerGone(other.leg));
      }
    }
    if (other.inactive) {
      finish();
      return;
    }
    other.channel.config().setAutoRead(true);
    completeHandshake(other);
    armCloseTimer();
  }

  void onError(Leg leg, Throwable cause) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onError(leg, cause));
      return;
    }
    LegState at = state(leg);
    if (cause instanceof CorruptedWebSocketFrameException) {
      CorruptedWebSocketFrameException e = (CorruptedWebSocketFrameException) cause;
      // Netty's decoder (or UTF-8 validator) has sent the close frame and closes the connection.
      at.closeSent = true;
      failed(at, e.closeStatus().code(), e.getMessage() != null ? e.getMessage() : e.closeStatus().reasonText());
    } else {
      log.debug("{}: {} connection failed: {}", logId, leg, cause.toString());
      at.channel.close();
    }
  }

  /** Fails a leg that broke the protocol: a close frame with {@code code}, then TCP once it is flushed. */
  private void fail(LegState at, int code, String reason) {
    if (!at.closeSent && !at.inactive) {
      at.closeSent = true;
      at.flushPending = false;
      at.channel.writeAndFlush(new CloseWebSocketFrame(code, CloseCodes.Utf8.truncate(reason, 123)))
          .addListener(ChannelFutureListener.CLOSE);
    }
    failed(at, code, reason);
  }

  /** Records and reports a protocol failure of {@code at}, and closes the other leg with the matching code. */
  private void failed(LegState at, int code, String reason) {
    session.recordEnd(Session.EndCause.ERROR, code, at.leg.yamlName() + ": " + reason);
    if (!protocolErrorReported) {
      protocolErrorReported = true;
      listener.protocolError(session, at.leg, code, reason);
    }
    LegState other = other(at);
    if (!other.closeSent && !other.inactive) {
      sendClose(other, CloseCodes.peerFailed(at.leg, reason));
    }
    armCloseTimer();
  }

  /**
   * Closes the session from wsgate's side (eviction, drain, idle): a close frame to each leg that has not had one,
   * then TCP after the close handshakes or the close timeout.
   */
  void close(Session.EndCause cause, CloseCodes.Close toClient, CloseCodes.Close toUpstream) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> close(cause, toClient, toUpstream));
      return;
    }
    if (finished) {
      return;
    }
    session.recordEnd(cause, toClient.code(), toClient.reason());
    if (!client.closeSent && !client.inactive) {
      sendClose(client, toClient);
    }
    if (!upstream.closeSent && !upstream.inactive) {
      sendClose(upstream, toUpstream);
    }
    armCloseTimer();
  }

  private void sendClose(LegState to, CloseCodes.Close close) {
    to.closeSent = true;
    to.flushPending = false;
    CloseWebSocketFrame frame = close.code() == CloseCodes.NO_STATUS
        ? new CloseWebSocketFrame(true, 0, Unpooled.EMPTY_BUFFER)
        : new CloseWebSocketFrame(close.code(), close.trimmedReason());
    to.channel.writeAndFlush(frame, to.channel.voidPromise());
    completeHandshake(to);
  }

  /**
   * A leg whose close frames went both ways is done. On the client leg wsgate is the server and closes TCP once
   * everything written is flushed; on the upstream leg it waits for the upstream to close (bounded by the timer).
   */
  private void completeHandshake(LegState l) {
    if (l.closeSent && l.closeReceived && !l.inactive && l.leg == Leg.CLIENT) {
      l.channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void armCloseTimer() {
    if (closeTimer == null && !finished) {
      closeTimer = loop.schedule(this::closeTimedOut, closeTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void closeTimedOut() {
    if (finished) {
      return;
    }
    for (LegState l : new LegState[] {client, upstream}) {
      if (l.inactive) {
        continue;
      }
      if (!l.closeSent) {
        sendClose(l, l.closeReceived ? echo(l) : CloseCodes.peerGone(l.leg));
      }
      log.debug("{}: {} did not finish closing within the close timeout; closing its connection", logId, l.leg);
      l.channel.close();
    }
  }

  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    if (closeTimer != null) {
      closeTimer.cancel(false);
    }
    log.debug("{}: finished, {} {} {}", logId, session.closedBy(), session.closeCode(), session.closeReason());
    listener.finished(session);
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /** A leg's status for the registry: its queue, and its heartbeat's view of the peer. */
  private static Session.LegStatus status(LegState l) {
    HeartbeatStats hb = l.channel.pipeline().get(HeartbeatHandler.class);
    Ticker ticker = l.channel.eventLoop().ticker();
    return new Session.LegStatus() {
      @Override
      public long queuedBytes() {
        return pendingWriteBytes(l.channel);
      }

      @Override
      public long silenceNanos() {
        return hb == null ? -1 : ticker.nanoTime() - hb.lastInboundNanos();
      }

      @Override
      public long lastRttNanos() {
        return hb == null ? -1 : hb.lastRttNanos();
      }

      @Override
      public long pingsSent() {
        return hb == null ? 0 : hb.pingsSent();
      }

      @Override
      public long pongsReceived() {
        return hb == null ? 0 : hb.pongsReceived();
      }
    };
  }

  /** What a channel's outbound buffer holds, read from any thread (a volatile counter); 0 once it is closed. */
  private static long pendingWriteBytes(Channel channel) {
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
    return buffer == null ? 0 : buffer.totalPendingWriteBytes();
  }

  private static CloseCodes.Close echo(LegState l) {
    return CloseCodes.relay(l.receivedCode, l.receivedReason, l.leg);
  }

  private LegState state(Leg leg) {
    return leg == Leg.CLIENT ? client : upstream;
  }

  private LegState other(LegState l) {
    return l == client ? upstream : client;
  }

  @Override
  public String toString() {
    return logId;
  }
}
