package dev.wsgate.proxy;

import dev.wsgate.heartbeat.HeartbeatEvicted;
import dev.wsgate.session.Session.EndCause;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The close handshakes of a session's two legs, each of its own, and the one place where wsgate writes a close
 * frame ({@link #send}).
 *
 * <p>A close frame from one leg is relayed to the other (codes mapped by {@link CloseCodes}); that leg's answer is
 * relayed back as the answer. A leg that ends without a close frame gets the other leg a close of
 * {@link CloseCodes#peerGone}. Once a close frame has gone both ways on the client leg, wsgate (the server there)
 * closes TCP; on the upstream leg it lets the upstream close first, as RFC 6455 asks, so that TIME_WAIT stays off
 * wsgate's ephemeral ports. A peer that broke the protocol has its TCP closed once its close frame is flushed; a peer
 * its heartbeat evicted is presumed dead, and its TCP is closed at once. {@code close-timeout} after the first close,
 * every connection still open is closed. Confined to the session's event loop.
 */
final class CloseHandshakes {

  private static final Logger log = LoggerFactory.getLogger(CloseHandshakes.class);

  /** What becomes of a leg's connection once its close frame is written. */
  enum Then {
    /** The close handshake goes on: wait for the answer (bounded by the close timer). */
    AWAIT_ANSWER,
    /** The peer broke the protocol: close TCP once the frame is flushed. */
    CLOSE_WHEN_FLUSHED,
    /** The peer is presumed dead: close TCP right away. */
    CLOSE_NOW
  }

  private final ProxySession session;
  private final LegEnd client;
  private final LegEnd upstream;
  private final EventLoop loop;
  private final long closeTimeoutNanos;
  private ScheduledFuture<?> closeTimer;
  private boolean protocolErrorReported;
  private boolean finished;

  CloseHandshakes(ProxySession session, LegEnd client, LegEnd upstream, EventLoop loop, long closeTimeoutNanos) {
    this.session = session;
    this.client = client;
    this.upstream = upstream;
    this.loop = loop;
    this.closeTimeoutNanos = closeTimeoutNanos;
  }

  /** True once both connections are closed. */
  boolean finished() {
    return finished;
  }

  /** A close frame from {@code from}'s peer (its payload read already): relayed, or, with a bad code, a failure. */
  void received(LegEnd from, int code, String reason) {
    if (from.closeReceived) {
      return;
    }
    from.closeReceived = true;
    if (code >= 0 && !CloseCodes.sendable(code)) {
      // Netty drops the connection of a peer whose close code may not be sent (1004-1006, 1015, below 3000 and
      // unassigned); it lets codes from 5000 up through, and wsgate treats them alike: no answer, since the peer
      // has sent its close already, and TCP closed.
      from.channel.close();
      dropped(from, CloseCodes.PROTOCOL_ERROR, "invalid close code " + code);
      return;
    }
    from.receivedCode = code < 0 ? CloseCodes.NO_STATUS : code;
    from.receivedReason = reason;
    session.recordEnd(from == client ? EndCause.CLIENT_CLOSE : EndCause.UPSTREAM_CLOSE, from.receivedCode, reason);
    LegEnd to = other(from);
    send(to, CloseCodes.relay(from.receivedCode, reason, to.leg), Then.AWAIT_ANSWER);
    completeHandshake(from);
    armCloseTimer();
  }

  /** {@code gone}'s connection closed: the other leg is told, unless it was told already. */
  void gone(LegEnd gone) {
    if (gone.inactive) {
      return;
    }
    gone.inactive = true;
    gone.flushed();
    gone.discardWaiting();
    LegEnd other = other(gone);
    if (!gone.closeReceived) {
      gone.receivedCode = CloseCodes.ABNORMAL;
      session.recordEnd(gone == client ? EndCause.CLIENT_LOST : EndCause.UPSTREAM_LOST, CloseCodes.ABNORMAL,
          "connection lost without a close frame");
      // Whoever started closing still gets an answer: its own close echoed.
      send(other, other.closeReceived ? echo(other) : CloseCodes.peerGone(other.leg), Then.AWAIT_ANSWER);
    }
    if (other.inactive) {
      finish();
      return;
    }
    if (other != client || session.started()) {
      other.channel.config().setAutoRead(true); // its answer, or its end, is all that is read now
    }
    completeHandshake(other);
    armCloseTimer();
  }

  /**
   * The client connection closed before its upgrade (it left, or was refused after the upstream connected): the
   * upstream gets 1001.
   */
  void clientGoneBeforeStart() {
    client.inactive = true;
    session.recordEnd(EndCause.CLIENT_LOST, CloseCodes.ABNORMAL, CloseCodes.CLIENT_LEFT_HANDSHAKE);
    send(upstream, new CloseCodes.Close(CloseCodes.GOING_AWAY, CloseCodes.CLIENT_LEFT_HANDSHAKE), Then.AWAIT_ANSWER);
    upstream.channel.config().setAutoRead(true);
    armCloseTimer();
  }

  /**
   * {@code dead}'s heartbeat evicted its silent peer: the other leg hears of it first (1001 for a dead client, 1014
   * for a dead upstream), then the peer, presumed dead, gets its close frame and its connection is closed at once.
   */
  void evicted(LegEnd dead, int code) {
    session.recordEnd(dead == client ? EndCause.CLIENT_HEARTBEAT : EndCause.UPSTREAM_HEARTBEAT, code,
        dead.leg.yamlName() + " heartbeat timeout");
    // The live leg first: closing the dead one ends it, and its end must not speak for the eviction.
    send(other(dead), CloseCodes.heartbeatTimeout(dead.leg), Then.AWAIT_ANSWER);
    send(dead, new CloseCodes.Close(code, HeartbeatEvicted.REASON), Then.CLOSE_NOW);
    armCloseTimer();
  }

  /**
   * A leg failed without a close frame from wsgate: Netty's decoder (or UTF-8 validator) has answered the peer's
   * violation itself and closes the connection, or the peer sent a close wsgate may not answer. Nothing more is
   * written to it; the failure is recorded and the other leg told.
   */
  void dropped(LegEnd at, int code, String reason) {
    at.closeSent = true;
    at.discardWaiting();
    failed(at, code, reason);
  }

  /** Fails a leg that broke the protocol: a close frame with {@code code}, then TCP once it is flushed. */
  void fail(LegEnd at, int code, String reason) {
    send(at, new CloseCodes.Close(code, reason), Then.CLOSE_WHEN_FLUSHED);
    failed(at, code, reason);
  }

  /** Records and reports a protocol failure of {@code at}, and closes the other leg with the matching code. */
  private void failed(LegEnd at, int code, String reason) {
    session.recordEnd(EndCause.ERROR, code, at.leg.yamlName() + ": " + reason);
    if (!protocolErrorReported) {
      protocolErrorReported = true;
      session.protocolError(at.leg, code, reason);
    }
    send(other(at), CloseCodes.peerFailed(at.leg, reason), Then.AWAIT_ANSWER);
    armCloseTimer();
  }

  /** wsgate ends the session (drain, idle, age, an operator): a close frame to each leg that has had none. */
  void close(EndCause cause, CloseCodes.Close toClient, CloseCodes.Close toUpstream) {
    if (finished || session.endCause() != null) {
      return;
    }
    session.recordEnd(cause, toClient.code(), toClient.reason());
    send(client, toClient, Then.AWAIT_ANSWER);
    send(upstream, toUpstream, Then.AWAIT_ANSWER);
    armCloseTimer();
  }

  /**
   * The one method that writes a close frame: to a leg that has had none and is open, after the frames that wait
   * for it (none when its peer is presumed dead); then {@code then}. A client not upgraded yet gets none (it gets
   * an HTTP answer, or nothing if it left).
   */
  void send(LegEnd to, CloseCodes.Close close, Then then) {
    if (to.inactive || to == client && !session.started()) {
      return;
    }
    if (!to.closeSent) {
      session.releaseHeld(other(to)); // frames held for their tokens on the way to `to` go before its close
      session.releaseHeld(to);
      to.closeSent = true;
      if (then == Then.CLOSE_NOW) {
        to.discardWaiting();
      } else {
        to.writeWaiting(true);
      }
      to.flushed();
      to.stopHeartbeat();
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
  private void completeHandshake(LegEnd l) {
    if (l.closeSent && l.closeReceived && !l.inactive && l == client) {
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
    for (LegEnd l : new LegEnd[] {client, upstream}) {
      if (l.inactive) {
        continue;
      }
      send(l, l.closeReceived ? echo(l) : CloseCodes.peerGone(l.leg), Then.AWAIT_ANSWER);
      log.debug("{}: {} did not finish closing within the close timeout; closing its connection", session, l.leg);
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
    for (LegEnd l : new LegEnd[] {client, upstream}) {
      if (l.rate != null) {
        l.rate.discard();
      }
    }
    log.debug("{}: finished, {} {} {}", session, session.closedBy(), session.closeCode(), session.closeReason());
  }

  private static CloseCodes.Close echo(LegEnd l) {
    return CloseCodes.relay(l.receivedCode, l.receivedReason, l.leg);
  }

  private LegEnd other(LegEnd l) {
    return l == client ? upstream : client;
  }
}
