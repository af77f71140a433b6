package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.heartbeat.HeartbeatHandler;
import dev.wsgate.session.Session;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtension;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Ticker;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied session, live: relays frames between its two legs with backpressure; its closes are
 * {@link CloseHandshakes}'. It exists from the moment the upstream leg is connected and relays once the client is
 * upgraded ({@link #start}). What it takes (permit, claim, registry entry) belongs to its {@link SessionLifecycle}.
 *
 * <p>Everything runs on one event loop, the client channel's (the upstream channel normally shares it, since
 * wsgate connects upstream from that loop); events from another loop hop onto it. The fields are confined to that
 * loop; {@link #leg} reads what {@link LegEnd#status} allows from any thread.
 *
 * <h2>Backpressure</h2>
 * A frame is written to the other leg without a copy (its buffer changes hands) and flushed at the end of the read
 * batch. Once the other leg's outbound buffer passes the write-buffer high-water mark, this leg stops reading, and
 * the rest of the read batch (the frames already decoded from the read under way) waits in the other leg's
 * {@link LegEnd}, in order, instead of going into that buffer; when the buffer drains below the low-water mark the
 * waiting frames go first, then reading resumes. A run of frames relayed verbatim that would pass the mark is written
 * frame by frame up to it, and the rest of it waits the same way ({@link LegEnd#pass}). So the outbound buffer holds
 * at most the mark plus one frame, as
 * Netty counts it (payload, frame header and its per-message overhead), whatever the frame size; what waits is at
 * most one read.
 *
 * <h2>Rate limits</h2>
 * A leg whose peer sends past its route's rate limit ({@link LegRate}, {@code action: delay}) has the frames its
 * buckets cannot pay for held, in order, and stops being read the same way, with auto-read off, at the end of the
 * read batch, until its timer has relayed them at the rate. The two causes do not fight: a leg is read again only
 * when neither holds it (the writability change that clears one checks the other, and so does the end of a pause).
 * Before any close frame goes to a leg, the frames held for it go first, and a leg that gets a close frame has its
 * held frames relayed and its pause ended, so that its answer is read.
 */
public final class ProxySession extends Session {

  private static final Logger log = LoggerFactory.getLogger(ProxySession.class);

  private final SessionLifecycle lifecycle;
  private final LegEnd client;
  private final LegEnd upstream;
  private final CloseHandshakes closes;
  private final FrameRelayHandler upstreamRelay;
  /** How to set up the client leg; null once {@link #start} has (its timing is then the leg's heartbeat's). */
  private LegSetup clientSetup;
  private final EventLoop loop;
  private final Ticker ticker;
  private final long maxIdleNanos;
  private final long ageDeadlineNanos;
  private boolean started;
  private boolean dataInBatch;
  /** Both legs pass compressed frames through: RSV1 is allowed on the first frame of a message. */
  private final boolean compressedFrames;
  /** What permessage-deflate each leg runs with, and the client's answer, until the client is upgraded; null then. */
  private DeflateNegotiation.Decision deflate;
  private long lastDataNanos;

  /**
   * A session whose upstream leg is connected (its pipeline set up, its relay holding what arrives) and whose client
   * is not upgraded yet.
   *
   * @param upstreamUri the upstream instance
   * @param subprotocol the subprotocol the upstream chose, or null
   * @param deflate     what permessage-deflate each leg runs with
   */
  ProxySession(SessionLifecycle lifecycle, long id, SessionPlan plan, URI upstreamUri, String subprotocol,
      Channel client, Channel upstream, FrameRelayHandler upstreamRelay, DeflateNegotiation.Decision deflate) {
    super(id, plan.requestId(), plan.route(), upstreamUri, plan.clientAddress(), subprotocol);
    this.lifecycle = lifecycle;
    this.client = new LegEnd(Leg.CLIENT, client);
    this.upstream = new LegEnd(Leg.UPSTREAM, upstream);
    this.upstream.setUp(upstream.pipeline().get(HeartbeatHandler.class));
    this.upstreamRelay = upstreamRelay;
    this.compressedFrames = deflate.passThrough();
    this.deflate = deflate;
    this.clientSetup = plan.clientSetup();
    this.loop = client.eventLoop();
    this.ticker = loop.ticker();
    this.closes = new CloseHandshakes(this, this.client, this.upstream, loop, plan.closeTimeout().toNanos());
    this.client.rate = LegRate.of(plan.clientSetup(), this, this.client, loop);
    this.upstream.rate = LegRate.of(plan.upstreamSetup(), this, this.upstream, loop);
    this.maxIdleNanos = plan.limits().maxIdle().toNanos();
    long now = ticker.nanoTime();
    this.lastDataNanos = now;
    this.ageDeadlineNanos = plan.limits().maxAge().isZero() ? 0 : now + plan.limits().maxAge().toNanos();
  }

  @Override
  public String clientProtocol() {
    return client.channel instanceof Http2StreamChannel ? "h2" : "http/1.1";
  }

  /** True when both legs run on one event loop, as they should: no frame then crosses threads. */
  boolean colocated() {
    return upstream.channel.eventLoop() == loop;
  }

  /** The {@code Sec-WebSocket-Extensions} of the client's {@code 101}, or null; until the client is upgraded. */
  public String clientExtensions() {
    DeflateNegotiation.Decision d = deflate;
    return d == null ? null : d.clientAnswer();
  }

  /** True once the client is upgraded and the session relays. */
  boolean started() {
    return started;
  }

  /**
   * The client is upgraded: its pipeline is set up, and relaying starts, with what the upstream sent meanwhile
   * first. Runs on the session's loop (the client's), right after the upgrade, before the client is read again.
   */
  void start() {
    if (!colocated()) {
      log.debug("{}: legs on different event loops ({} and {})", this, loop, upstream.channel.eventLoop());
    }
    FrameRelayHandler clientRelay = ProxyPipeline.install(client.channel, Leg.CLIENT, clientSetup, deflate);
    clientSetup = null;
    deflate = null;
    ProxyPipeline.leaveReactor(client.channel);
    lifecycle.sessionStarted();
    started = true;
    client.setUp(client.channel.pipeline().get(HeartbeatHandler.class));
    client.channel.config().setAutoRead(upstream.channel.isWritable());
    upstream.channel.config().setAutoRead(client.channel.isWritable());
    attachUpstreamRelay();
    clientRelay.attach(this);
    log.debug("{}: started, route {} upstream {}", this, route(), upstream());
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
    closes.clientGoneBeforeStart();
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
    LegEnd from = end(leg);
    if (frame.rsv() != 0 && !(compressedFrames && compressedStart(frame.rsv(), frame instanceof TextWebSocketFrame
        || frame instanceof BinaryWebSocketFrame))) {
      frame.release();
      reservedBits(from);
    } else if (frame instanceof CloseWebSocketFrame) {
      releaseHeld(from); // the data its peer sent before its close goes first; its end is read
      CloseWebSocketFrame close = (CloseWebSocketFrame) frame;
      int code = close.statusCode();
      String reason = code < 0 ? "" : close.reasonText();
      close.release();
      closes.received(from, code, reason);
    } else if (frame instanceof PingWebSocketFrame || frame instanceof PongWebSocketFrame) {
      // Only with forward-pings: the heartbeat handler answers and keeps them otherwise.
      pass(from, frame);
    } else {
      int bytes = frame.content().readableBytes(); // before the frame changes hands
      LegRate rate = from.rate;
      if (rate != null && !rate.admit(frame)) {
        dataInBatch = true; // held for its tokens (or refused, the session closing)
      } else if (pass(from, frame)) {
        count(leg, 1, bytes);
        dataInBatch = true;
      }
    }
  }

  /**
   * A run of data frames relayed verbatim ({@link WireFrameDecoder}): {@code frames} whole frames as they came, with
   * {@code payloads} bytes of payload, which the other leg writes as they are. The decoder relays only frames whose
   * reserved bits the session allows, on a leg without a rate limit ({@link ProxyPipeline#relaysVerbatim}).
   */
  void onWire(Leg leg, ByteBuf run, int frames, int payloads) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onWire(leg, run, frames, payloads));
      return;
    }
    if (pass(end(leg), run)) {
      count(leg, frames, payloads);
      dataInBatch = true;
    }
  }

  /**
   * A frame from {@code from}'s peer has reserved bits set that nothing allows: 1002. Netty lets reserved bits
   * through, on any frame, when extensions are allowed; wsgate's inflater clears RSV1 of what it inflates, and only
   * frames passed through compressed may keep it, on a message's first frame.
   */
  private void reservedBits(LegEnd from) {
    closes.fail(from, CloseCodes.PROTOCOL_ERROR, compressedFrames ? "reserved bits other than RSV1 on the first "
        + "frame of a compressed message" : "reserved bits set without a negotiated extension");
  }

  private void count(Leg leg, int frames, int bytes) {
    if (leg == Leg.CLIENT) {
      countFromClient(frames, bytes);
    } else {
      countFromUpstream(frames, bytes);
    }
  }

  /** A data frame {@link LegRate} held for its tokens: relayed now (not flushed: {@link #flushTowards}). */
  void relay(LegEnd from, WebSocketFrame frame) {
    int bytes = frame.content().readableBytes();
    if (pass(from, frame)) {
      count(from.leg, 1, bytes);
    }
  }

  /**
   * {@link LegRate}'s timer relayed held frames of {@code from}'s peer at {@code now}: flushed, and application data
   * for {@code max-idle}, since the leg is not read meanwhile.
   */
  void heldRelayed(LegEnd from, long now) {
    other(from).flushIfPending();
    lastDataNanos = now;
  }

  /** {@code from}'s peer sent past its rate limit, whose action is close: 1008 to it, 1001 to the other leg. */
  void rateExceeded(LegEnd from) {
    Leg leg = from.leg;
    closes.close(EndCause.RATE_LIMIT, leg == Leg.CLIENT ? CloseCodes.rateLimited() : CloseCodes.peerRateLimited(leg),
        leg == Leg.UPSTREAM ? CloseCodes.rateLimited() : CloseCodes.peerRateLimited(leg));
  }

  /**
   * The first frame of a message compressed with permessage-deflate: RSV1 and no other reserved bit, on a text or
   * binary frame ({@code messageStart}), not a continuation.
   */
  private static boolean compressedStart(int rsv, boolean messageStart) {
    return rsv == WebSocketExtension.RSV1 && messageStart;
  }

  /**
   * Passes a frame to the other leg (written, or waiting there), or drops it when that leg is closing or its sender
   * has sent its close. A sender whose frame the other leg cannot take now stops reading.
   *
   * @return true when the frame was passed on
   */
  private boolean pass(LegEnd from, Object frame) {
    LegEnd to = other(from);
    if (to.closeSent || to.inactive || from.closeReceived) {
      ReferenceCountUtil.release(frame);
      return false;
    }
    if (!to.pass(frame)) {
      from.channel.config().setAutoRead(false);
    }
    return true;
  }

  void onReadComplete(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onReadComplete(leg));
      return;
    }
    LegEnd from = end(leg);
    other(from).flushIfPending();
    if (from.rate != null && !from.inactive) {
      from.rate.endBatch();
    }
    if (dataInBatch) {
      dataInBatch = false;
      lastDataNanos = end(leg).lastReadNanos(ticker); // the batch's one clock read, the heartbeat's
      if (ageDeadlineNanos != 0) {
        checkLimits(lastDataNanos); // a busy session has no idle ticks: its reads check its age
      }
    }
  }

  void onWritabilityChanged(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onWritabilityChanged(leg));
      return;
    }
    LegEnd changed = end(leg);
    LegEnd reader = other(changed);
    if (!changed.inactive && !changed.closeSent && changed.channel.isWritable()) {
      changed.writeWaiting(false);
      changed.flushIfPending();
    }
    updateReading(reader);
  }

  /**
   * Reads {@code reader} while neither cause holds it back: the other leg's buffer (backpressure) and its own peer's
   * rate limit ({@link LegRate}). Called when either changes: the other leg's writability, the end of a pause. On
   * the loop.
   */
  void updateReading(LegEnd reader) {
    LegEnd to = other(reader);
    if (!reader.inactive && (reader != client || started)) {
      reader.channel.config().setAutoRead((to.inactive || to.takesMore()) && !reader.ratePaused());
    }
  }

  /** Relays what {@code from}'s rate limit holds, at once, and reads {@code from} again if it was paused. */
  void releaseHeld(LegEnd from) {
    if (from.rate != null && from.rate.releaseAll()) {
      updateReading(from);
    }
  }

  // ------------------------------------------------------------------------------------------------ limits

  /** An idle tick on a leg (from its {@code HeartbeatHandler}): the session's own limits are checked. */
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
      closes.close(EndCause.MAX_IDLE, new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.IDLE),
          new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.IDLE));
    } else if (ageDeadlineNanos != 0 && now - ageDeadlineNanos >= 0) {
      closes.close(EndCause.MAX_AGE, new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.MAX_AGE),
          new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.MAX_AGE));
    }
  }

  // ------------------------------------------------------------------------------------------------ ends

  /** The leg's heartbeat evicted its silent peer (see {@link CloseHandshakes#evicted}). */
  void onEvicted(Leg leg, int code) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onEvicted(leg, code));
      return;
    }
    closes.evicted(end(leg), code);
  }

  void onInactive(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onInactive(leg));
      return;
    }
    closes.gone(end(leg));
  }

  /** A text message from {@code leg}'s peer is not UTF-8 (the relay dropped the fragment that showed it): 1007. */
  void onInvalidText(Leg leg) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onInvalidText(leg));
      return;
    }
    closes.fail(end(leg), CloseCodes.INVALID_PAYLOAD, CloseCodes.NOT_UTF8);
  }

  /** A message from {@code leg}'s peer passed the route's max-message-size (the relay dropped that frame): 1009. */
  void onMessageTooBig(Leg leg, long maxMessageSize) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onMessageTooBig(leg, maxMessageSize));
      return;
    }
    closes.fail(end(leg), CloseCodes.MESSAGE_TOO_BIG, CloseCodes.MESSAGE_TOO_BIG_REASON + " (" + maxMessageSize
        + " bytes)");
  }

  void onError(Leg leg, Throwable cause) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> onError(leg, cause));
      return;
    }
    LegEnd at = end(leg);
    if (cause instanceof MessageInflater.Failure) {
      closes.fail(at, ((MessageInflater.Failure) cause).code, cause.getMessage());
    } else if (cause instanceof CorruptedWebSocketFrameException) {
      CorruptedWebSocketFrameException e = (CorruptedWebSocketFrameException) cause;
      closes.dropped(at, e.closeStatus().code(), e.getMessage() != null ? e.getMessage()
          : e.closeStatus().reasonText());
    } else {
      log.debug("{}: {} connection failed: {}", this, leg, cause.toString());
      at.channel.close();
    }
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

  /** Closes the session from wsgate's side with a code for each leg. Any thread. */
  void close(EndCause cause, CloseCodes.Close toClient, CloseCodes.Close toUpstream) {
    if (!loop.inEventLoop()) {
      loop.execute(() -> close(cause, toClient, toUpstream));
      return;
    }
    closes.close(cause, toClient, toUpstream);
  }

  /**
   * Both connections are closed, as the lifecycle saw them close: the session takes note of both ends (in case
   * their events have not reached it yet), so that its end is recorded and nothing stays scheduled. On the loop.
   */
  void connectionsClosed() {
    closes.gone(client);
    closes.gone(upstream);
  }

  /** A peer broke the protocol: reported once per session, by {@link CloseHandshakes}. */
  void protocolError(Leg leg, int code, String reason) {
    lifecycle.protocolError(this, leg, code, reason);
  }

  // ------------------------------------------------------------------------------------------------ views

  @Override
  public LegStatus leg(Leg leg) {
    return end(leg).status();
  }

  private LegEnd end(Leg leg) {
    return leg == Leg.CLIENT ? client : upstream;
  }

  private LegEnd other(LegEnd l) {
    return l == client ? upstream : client;
  }

  /** The connection of one leg: for tests that look at what a held session keeps. */
  Channel channel(Leg leg) {
    return end(leg).channel;
  }

  @Override
  public String toString() {
    // Built when logged, not kept: a held session holds no text it does not need.
    return "session " + id() + " [request " + requestId() + ", client " + client.channel.id().asShortText()
        + ", upstream " + upstream.channel.id().asShortText() + "]";
  }
}
