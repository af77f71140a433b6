package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.heartbeat.HeartbeatEvicted;
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
import java.net.URI;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied session, live: relays frames between its two legs with backpressure, and relays closes faithfully.
 * It exists from the moment the upstream leg is connected; it relays once the client is upgraded
 * ({@link #start}). What it takes (permit, claim, registry entry) belongs to its {@link SessionLifecycle}.
 *
 * <p>Everything runs on one event loop, the client channel's (the upstream channel normally shares it, since
 * wsgate connects upstream from that loop); events from another loop hop onto it. The fields are confined to that
 * loop, except those {@link #leg} reads from any thread, which say so.
 *
 * <h2>Backpressure</h2>
 * A frame is written to the other leg without a copy (its buffer changes hands) and flushed at the end of the read
 * batch. Once the other leg's outbound buffer passes the write-buffer high-water mark, this leg stops reading, and
 * the rest of the read batch (the frames already decoded from the read under way) waits here, in order, instead of
 * going into that buffer; when the buffer drains below the low-water mark the waiting frames go first, then reading
 * resumes. So the outbound buffer holds at most the mark plus one frame, as Netty counts it (payload, frame header
 * and its per-message overhead), whatever the frame size; what waits here is at most one read.
 *
 * <h2>Closing</h2>
 * Each leg has a close handshake of its own. Every close frame wsgate writes goes through {@link #sendClose}, after
 * the frames that wait for that leg. A close frame from one leg is relayed to the other (codes mapped by
 * {@link CloseCodes}); that leg's answer is relayed back as the answer. A leg that ends without a close frame gets
 * the other leg a close of {@link CloseCodes#peerGone}. Once a close frame has gone both ways on the client leg,
 * wsgate (the server there) closes TCP; on the upstream leg it lets the upstream close first, as RFC 6455 asks, so
 * that TIME_WAIT stays off wsgate's ephemeral ports. A peer its heartbeat evicted is presumed dead: its close frame
 * is flushed and its connection closed at once. {@code close-timeout} after the first close, every connection still
 * open is closed.
 */
public final class ProxySession extends Session {

  private static final Logger log = LoggerFactory.getLogger(ProxySession.class);

  /** What becomes of a leg's connection once its close frame is written. */
  private enum Then {
    /** The close handshake goes on: wait for the answer (bounded by the close timer). */
    AWAIT_ANSWER,
    /** The peer broke the protocol: close TCP once the frame is flushed. */
    CLOSE_WHEN_FLUSHED,
    /** The peer is presumed dead: close TCP right away. */
    CLOSE_NOW
  }

  private static final class LegState {
    final Leg leg;
    final Channel channel;
    boolean closeSent;
    boolean closeReceived;
    boolean inactive;
    boolean flushPending;
    int receivedCode;
    String receivedReason = "";
    /** Frames from the other leg waiting until this leg's outbound buffer drains; null until the first waits. */
    ArrayDeque<WebSocketFrame> waiting;
    /** Payload bytes of the waiting frames. Written on the loop, read by {@link #leg} from any thread. */
    volatile long waitingBytes;
    /** The leg's heartbeat, once the leg is set up. Written once, read by {@link #leg} from any thread. */
    volatile HeartbeatStats heartbeat;

    LegState(Leg leg, Channel channel) {
      this.leg = leg;
      this.channel = channel;
    }

    boolean nothingWaits() {
      return waiting == null || waiting.isEmpty();
    }
  }

  private final SessionLifecycle lifecycle;
  private final LegState client;
  private final LegState upstream;
  private final FrameRelayHandler upstreamRelay;
  private final LegSetup clientSetup;
  private final EventLoop loop;
  private final Ticker ticker;
  private final long closeTimeoutNanos;
  private final long maxIdleNanos;
  private final long ageDeadlineNanos;
  private final String logId;
  private ScheduledFuture<?> closeTimer;
  private boolean started;
  private boolean protocolErrorReported;
  private boolean finished;
  private boolean dataInBatch;
  private long lastDataNanos;

  /**
   * A session whose upstream leg is connected (its pipeline set up, its relay holding what arrives) and whose client
   * is not upgraded yet.
   *
   * @param upstreamUri the upstream instance
   * @param subprotocol the subprotocol the upstream chose, or null
   */
  ProxySession(SessionLifecycle lifecycle, long id, SessionPlan plan, URI upstreamUri, String subprotocol,
      Channel client, Channel upstream, FrameRelayHandler upstreamRelay) {
    super(id, plan.requestId(), plan.route(), upstreamUri, plan.clientAddress(), subprotocol);
    this.lifecycle = lifecycle;
    this.client = new LegState(Leg.CLIENT, client);
    this.upstream = new LegState(Leg.UPSTREAM, upstream);
    this.upstream.heartbeat = upstream.pipeline().get(HeartbeatHandler.class);
    this.upstreamRelay = upstreamRelay;
    this.clientSetup = plan.clientSetup();
    this.loop = client.eventLoop();
    this.ticker = loop.ticker();
    this.closeTimeoutNanos = plan.closeTimeout().toNanos();
    this.maxIdleNanos = plan.limits().maxIdle().toNanos();
    long now = ticker.nanoTime();
    this.lastDataNanos = now;
    this.ageDeadlineNanos = plan.limits().maxAge().isZero() ? 0 : now + plan.limits().maxAge().toNanos();
    this.logId = "session " + id + " [request " + plan.requestId() + ", client " + client.id().asShortText()
        + ", upstream " + upstream.id().asShortText() + "]";
  }

  /** True when both legs run on one event loop, as they should: no frame then crosses threads. */
  boolean colocated() {
    return upstream.channel.eventLoop() == loop;
  }

  /**
   * The client is upgraded: its pipeline is set up, and relaying starts, with what the upstream sent meanwhile
   * first. Runs on the session's loop (the client's), right after the upgrade, before the client is read again.
   */
  void start() {
    if (!colocated()) {
      log.debug("{}: legs on different event loops ({} and {})", logId, loop, upstream.channel.eventLoop());
    }
    FrameRelayHandler clientRelay = ProxyPipeline.install(client.channel, Leg.CLIENT, clientSetup);
    started = true;
    client.heartbeat = client.channel.pipeline().get(HeartbeatHandler.class);
    client.channel.config().setAutoRead(upstream.channel.isWritable());
    upstream.channel.config().setAutoRead(client.channel.isWritable());
    attachUpstreamRelay();
    clientRelay.attach(this);
    log.debug("{}: started, route {} upstream {}", logId, route(), upstream());
  }

  /**
   * The client connection closed before its upgrade (it left, or its handshake was refused after the upstream
   * connected): the upstream gets 1001, and the session ends once the upstream has closed.
   */
  void clientGoneBeforeStart() {
    if (!loop.inEventLoop()) {
      loop.execute(this::clientGoneBeforeStart);
      return;
    }
    if (started || client.inactive) {
      return;
    }
    client.inactive = true;
    recordEnd(EndCause.CLIENT_LOST, CloseCodes.ABNORMAL, CloseCodes.CLIENT_LEFT_HANDSHAKE);
    sendClose(upstream, new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.CLIENT_LEFT_HANDSHAKE),
        Then.AWAIT_ANSWER);
    upstream.channel.config().setAutoRead(true);
    armCloseTimer();
    attachUpstreamRelay(); // what the upstream sent meanwhile, its answer and its end reach this session now
  }

  private void attachUpstreamRelay() {
    if (upstream.channel.eventLoop().inEventLoop()) {
      upstreamRelay.attach(this);
    } else {
      upstream.channel.eventLoop().execute(() -> upstreamRelay.attach(this));
    }
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
      countFromClient(bytes);
    } else {
      countFromUpstream(bytes);
    }
    dataInBatch = true;
    pass(from, to, frame);
  }

  private void relayControl(LegState from, WebSocketFrame frame) {
    LegState to = other(from);
    if (to.closeSent || to.inactive || from.closeReceived) {
      frame.release();
      return;
    }
    pass(from, to, frame);
  }

  /**
   * Writes a frame to {@code to}; or, when {@code to}'s outbound buffer is past the mark (or frames wait for it
   * already), keeps it waiting, in order, and stops reading {@code from}.
   */
  private void pass(LegState from, LegState to, WebSocketFrame frame) {
    if (!to.nothingWaits() || !to.channel.isWritable()) {
      if (to.waiting == null) {
        to.waiting = new ArrayDeque<>();
      }
      to.waiting.add(frame);
      to.waitingBytes += frame.content().readableBytes();
      from.channel.config().setAutoRead(false);
      return;
    }
    to.channel.write(frame, to.channel.voidPromise());
    to.flushPending = true;
    if (!to.channel.isWritable()) {
      from.channel.config().setAutoRead(false);
    }
  }

  /** Writes what waits for {@code to}: while it is writable, or all of it (before a close frame). */
  private void writeWaiting(LegState to, boolean all) {
    if (to.nothingWaits()) {
      return;
    }
    WebSocketFrame f;
    while ((all || to.channel.isWritable()) && (f = to.waiting.poll()) != null) {
      to.waitingBytes -= f.content().readableBytes();
      to.channel.write(f, to.channel.voidPromise());
      to.flushPending = true;
    }
  }

  /** Drops what waits for a leg that will never read it. */
  private static void discardWaiting(LegState l) {
    if (l.waiting != null) {
      for (WebSocketFrame f; (f = l.waiting.poll()) != null; ) {
        f.release();
      }
      l.waitingBytes = 0;
    }
  }

  void onReadComplete(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onReadComplete(leg));
      return;
    }
    LegState to = other(state(leg));
    flushIfPending(to);
    if (dataInBatch) {
      dataInBatch = false;
      lastDataNanos = ticker.nanoTime();
      if (ageDeadlineNanos != 0) {
        checkLimits(lastDataNanos); // a busy session has no idle ticks: its reads check its age
      }
    }
  }

  private static void flushIfPending(LegState to) {
    if (to.flushPending) {
      to.flushPending = false;
      to.channel.flush();
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
    if (endCause() != null) {
      return; // closing already
    }
    if (maxIdleNanos != 0 && now - lastDataNanos >= maxIdleNanos) {
      close(EndCause.MAX_IDLE, new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.IDLE),
          new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.IDLE));
    } else if (ageDeadlineNanos != 0 && now - ageDeadlineNanos >= 0) {
      close(EndCause.MAX_AGE, new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.MAX_AGE),
          new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.MAX_AGE));
    }
  }

  /**
   * The leg's heartbeat evicted its silent peer: the peer, presumed dead, gets its close frame and its connection
   * is closed at once; the other leg gets 1001 (the client died) or 1014 (the upstream died).
   */
  void onEvicted(Leg leg, int code) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onEvicted(leg, code));
      return;
    }
    LegState dead = state(leg);
    recordEnd(leg == Leg.CLIENT ? EndCause.CLIENT_HEARTBEAT : EndCause.UPSTREAM_HEARTBEAT, code,
        leg.yamlName() + " heartbeat timeout");
    // The live leg first: closing the dead one ends it, and its end must not speak for the eviction.
    sendClose(other(dead), CloseCodes.heartbeatTimeout(leg), Then.AWAIT_ANSWER);
    sendClose(dead, new CloseCodes.Close(code, HeartbeatEvicted.REASON), Then.CLOSE_NOW);
    armCloseTimer();
  }

  void onWritabilityChanged(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onWritabilityChanged(leg));
      return;
    }
    LegState changed = state(leg);
    LegState reader = other(changed);
    if (!changed.inactive && !changed.closeSent && changed.channel.isWritable()) {
      writeWaiting(changed, false);
      flushIfPending(changed);
    }
    if (!reader.inactive && (reader != client || started)) {
      reader.channel.config().setAutoRead(changed.inactive
          || changed.channel.isWritable() && changed.nothingWaits());
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
    if (code >= 0 && !CloseCodes.sendable(code)) {
      // Netty drops the connection of a peer whose close code may not be sent (1004-1006, 1015, below 3000 and
      // unassigned); it lets codes from 5000 up through, and wsgate treats them alike: no answer, since the peer
      // has sent its close already, and TCP closed.
      from.closeSent = true;
      discardWaiting(from);
      from.channel.close();
      failed(from, CloseCodes.PROTOCOL_ERROR, "invalid close code " + code);
      return;
    }
    from.receivedCode = code < 0 ? CloseCodes.NO_STATUS : code;
    from.receivedReason = reason;
    recordEnd(from.leg == Leg.CLIENT ? EndCause.CLIENT_CLOSE : EndCause.UPSTREAM_CLOSE, from.receivedCode, reason);
    sendClose(other(from), CloseCodes.relay(from.receivedCode, reason, other(from).leg), Then.AWAIT_ANSWER);
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
    discardWaiting(gone);
    LegState other = other(gone);
    if (!gone.closeReceived) {
      gone.receivedCode = CloseCodes.ABNORMAL;
      recordEnd(leg == Leg.CLIENT ? EndCause.CLIENT_LOST : EndCause.UPSTREAM_LOST, CloseCodes.ABNORMAL,
          "connection lost without a close frame");
      // Whoever started closing still gets an answer: its own close echoed.
      sendClose(other, other.closeReceived ? echo(other) : CloseCodes.peerGone(other.leg), Then.AWAIT_ANSWER);
    }
    if (other.inactive) {
      finish();
      return;
    }
    if (other != client || started) {
      other.channel.config().setAutoRead(true); // its answer, or its end, is all that is read now
    }
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
      discardWaiting(at);
      failed(at, e.closeStatus().code(), e.getMessage() != null ? e.getMessage() : e.closeStatus().reasonText());
    } else {
      log.debug("{}: {} connection failed: {}", logId, leg, cause.toString());
      at.channel.close();
    }
  }

  /** Fails a leg that broke the protocol: a close frame with {@code code}, then TCP once it is flushed. */
  private void fail(LegState at, int code, String reason) {
    sendClose(at, new CloseCodes.Close(code, reason), Then.CLOSE_WHEN_FLUSHED);
    failed(at, code, reason);
  }

  /** Records and reports a protocol failure of {@code at}, and closes the other leg with the matching code. */
  private void failed(LegState at, int code, String reason) {
    recordEnd(EndCause.ERROR, code, at.leg.yamlName() + ": " + reason);
    if (!protocolErrorReported) {
      protocolErrorReported = true;
      lifecycle.protocolError(this, at.leg, code, reason);
    }
    sendClose(other(at), CloseCodes.peerFailed(at.leg, reason), Then.AWAIT_ANSWER);
    armCloseTimer();
  }

  /**
   * Ends the session from wsgate's side (drain, an operator): a close frame with {@code code} to both legs, then
   * TCP after the close handshakes or the close timeout. Any thread; does nothing once the session is ending.
   */
  @Override
  public void close(EndCause cause, int code, String reason) {
    CloseCodes.Close close = new CloseCodes.Close(code, reason);
    close(cause, close, close);
  }

  /** Closes the session from wsgate's side (drain, idle, age): a close frame to each leg that has had none. */
  void close(EndCause cause, CloseCodes.Close toClient, CloseCodes.Close toUpstream) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> close(cause, toClient, toUpstream));
      return;
    }
    if (finished || endCause() != null) {
      return;
    }
    recordEnd(cause, toClient.code(), toClient.reason());
    sendClose(client, toClient, Then.AWAIT_ANSWER);
    sendClose(upstream, toUpstream, Then.AWAIT_ANSWER);
    armCloseTimer();
  }

  /**
   * The one method that writes a close frame, to a leg that has had none and is open, after the frames that wait
   * for it (none when its peer is presumed dead); then {@code then}. A client not upgraded yet gets none (it gets
   * an HTTP answer, or nothing if it left).
   */
  private void sendClose(LegState to, CloseCodes.Close close, Then then) {
    if (to.inactive || to == client && !started) {
      return;
    }
    if (!to.closeSent) {
      to.closeSent = true;
      if (then == Then.CLOSE_NOW) {
        discardWaiting(to);
      } else {
        writeWaiting(to, true);
      }
      to.flushPending = false;
      CloseWebSocketFrame frame = close.code() == CloseCodes.NO_STATUS
          ? new CloseWebSocketFrame(true, 0, Unpooled.EMPTY_BUFFER)
          : new CloseWebSocketFrame(close.code(), close.trimmedReason());
      if (then == Then.CLOSE_WHEN_FLUSHED) {
        to.channel.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      to.channel.writeAndFlush(frame, to.channel.voidPromise());
    }
    if (then == Then.CLOSE_NOW) {
      to.channel.close();
    } else {
      completeHandshake(to);
    }
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
      sendClose(l, l.closeReceived ? echo(l) : CloseCodes.peerGone(l.leg), Then.AWAIT_ANSWER);
      log.debug("{}: {} did not finish closing within the close timeout; closing its connection", logId, l.leg);
      l.channel.close();
    }
  }

  /** Both connections are closed: nothing of the session stays scheduled. */
  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    if (closeTimer != null) {
      closeTimer.cancel(false);
    }
    log.debug("{}: finished, {} {} {}", logId, closedBy(), closeCode(), closeReason());
  }

  /**
   * Both connections are closed, as the lifecycle saw them close: the session takes note of both ends (in case
   * their events have not reached it yet), so that its end is recorded and nothing stays scheduled. On the loop.
   */
  void connectionsClosed() {
    onInactive(Leg.CLIENT);
    onInactive(Leg.UPSTREAM);
  }

  // ------------------------------------------------------------------------------------------------ views

  @Override
  public LegStatus leg(Leg leg) {
    LegState l = state(leg);
    HeartbeatStats hb = l.heartbeat;
    long queued = pendingWriteBytes(l.channel);
    if (hb == null) {
      return new LegStatus(queued, l.waitingBytes, -1, -1, 0, 0);
    }
    long silence = l.channel.eventLoop().ticker().nanoTime() - hb.lastInboundNanos();
    return new LegStatus(queued, l.waitingBytes, silence, hb.lastRttNanos(), hb.pingsSent(), hb.pongsReceived());
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
