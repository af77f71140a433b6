package dev.wsgate.bench;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One client of the soak, from handshake to close: live, it answers pings (Netty's protocol handler in front of it
 * does), reads what comes (slowly, for a slow reader, which asks its upstream for a flood), and sends what
 * {@link ChurnClients} tells it to; ended, it carries out its {@link Ending} and reports how the session finished.
 * Runs on the process's one event loop.
 */
final class ClientSession extends ChannelInboundHandlerAdapter {

  enum State { OPENING, LIVE, ENDING, DONE }

  private static final Pattern HTTP_STATUS = Pattern.compile("\\b([1-5]\\d\\d)\\b");

  private final ChurnClients load;
  private final boolean slowReader;
  private State state = State.OPENING;
  private Channel ch;
  /** Position in the load's list of live sessions, -1 when not live. */
  int index = -1;
  private Ending ending;
  private long endingAtNanos;
  private boolean closeSent;
  private ReadThrottle throttle;
  private ScheduledFuture<?> cleanup;
  private String failure;
  private long liveAtNanos;

  ClientSession(ChurnClients load, boolean slowReader) {
    this.load = load;
    this.slowReader = slowReader;
  }

  boolean slowReader() {
    return slowReader;
  }

  /** The TCP connect did not succeed (the channel never became active). */
  void connectFailed(Throwable cause) {
    if (state == State.OPENING) {
      state = State.DONE;
      load.openFailed(this, cause.getClass().getSimpleName());
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ch = ctx.channel();
    ctx.fireChannelActive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE && state == State.OPENING) {
      state = State.LIVE;
      liveAtNanos = System.nanoTime();
      load.becameLive(this);
      if (slowReader) {
        ch.writeAndFlush(new TextWebSocketFrame(Ending.FLOOD));
        throttle = ReadThrottle.install(ch, load.slowChunkBytes());
        load.throttled(this, true);
      }
    } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
      failure = "handshake-timeout";
      ctx.close();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof BinaryWebSocketFrame b) {
      load.floodReceived(b.content().readableBytes());
      b.release();
    } else if (msg instanceof TextWebSocketFrame t) {
      load.messageReceived();
      t.release();
    } else if (msg instanceof CloseWebSocketFrame c) {
      int code = c.statusCode();
      c.release();
      closeFrame(code);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void closeFrame(int code) {
    if (state == State.LIVE) {
      state = State.ENDING;
      load.endedUnexpectedly(this, code < 0 ? "close-without-code" : String.valueOf(code), true);
      logUnexpected("close frame " + code);
    } else if (ending == Ending.UPSTREAM_SILENT && !slowReader) {
      load.upstreamSilentEvicted(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - endingAtNanos));
    }
    if (!closeSent) {
      closeSent = true;
      CloseWebSocketFrame echo;
      try {
        echo = code < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, "");
      } catch (IllegalArgumentException notSendable) {
        echo = new CloseWebSocketFrame();
      }
      ch.writeAndFlush(echo);
    }
    if (throttle != null) {
      stopThrottle();
    }
    if (cleanup == null) {
      cleanupAfter(10, false); // wsgate, the server, closes TCP once both close frames have crossed
    }
  }

  /** Ends a live session the load picked; it has already left the load's live list. */
  void end(Ending how) {
    state = State.ENDING;
    ending = how;
    endingAtNanos = System.nanoTime();
    if (throttle != null && how != Ending.CLIENT_SILENT) {
      stopThrottle(); // a reader that is closing takes what is left at once
    }
    switch (how) {
      case CLIENT_CLOSE -> {
        closeSent = true;
        ch.writeAndFlush(new CloseWebSocketFrame(1000, "soak churn"));
        cleanupAfter(15, true);
      }
      case CLIENT_RESET -> Silence.reset(ch);
      case CLIENT_SILENT -> {
        ch.writeAndFlush(new TextWebSocketFrame(Ending.SILENT_NOTE + System.currentTimeMillis()));
        Silence.install(ch);
        if (throttle != null) {
          load.throttled(this, false);
        }
        cleanupAfter(20, false); // wsgate has evicted it long before; this frees the load's socket
      }
      default -> {
        ch.writeAndFlush(new TextWebSocketFrame(how.command()));
        cleanupAfter(30, true);
      }
    }
  }

  /** Sends the occasional message of a live client. */
  void send(String text) {
    if (state == State.LIVE && ch.isWritable()) {
      ch.writeAndFlush(new TextWebSocketFrame(text));
      load.messageSent();
    }
  }

  /** Reads one more chunk, for a slow reader. */
  void throttleTick() {
    if (throttle != null) {
      throttle.tick();
    }
  }

  private void stopThrottle() {
    ReadThrottle.remove(ch);
    throttle = null;
    load.throttled(this, false);
  }

  private void cleanupAfter(long seconds, boolean countIfOpen) {
    if (cleanup != null) {
      cleanup.cancel(false);
    }
    cleanup = ch.eventLoop().schedule(() -> {
      if (ch.isOpen()) {
        if (countIfOpen) {
          load.forcedClose(ending);
        }
        Silence.reset(ch);
      }
    }, seconds, TimeUnit.SECONDS);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (state == State.OPENING && failure == null) {
      failure = describe(cause);
    }
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    switch (state) {
      case OPENING -> load.openFailed(this, failure == null ? "closed-during-handshake" : failure);
      case LIVE -> {
        load.endedUnexpectedly(this, "connection-lost-without-close-frame", false);
        logUnexpected("connection lost without a close frame");
      }
      case ENDING -> load.ended(this);
      case DONE -> { }
    }
    state = State.DONE;
    if (throttle != null) {
      throttle = null;
      load.throttled(this, false);
    }
    if (cleanup != null) {
      cleanup.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  /** A live session ended that nobody asked to end: one line in the process's log, to match with wsgate's. */
  private void logUnexpected(String how) {
    System.err.printf(Locale.ROOT, "%s unexpected end of a live %s session %s -> %s after %.1f s live: %s%n",
        Instant.now(), slowReader ? "slow-reader" : "normal", ch.localAddress(), ch.remoteAddress(),
        (System.nanoTime() - liveAtNanos) / 1e9, how);
  }

  private static String describe(Throwable cause) {
    if (cause instanceof WebSocketClientHandshakeException && cause.getMessage() != null) {
      Matcher m = HTTP_STATUS.matcher(cause.getMessage());
      if (m.find()) {
        return "http-" + m.group(1);
      }
    }
    return cause.getClass().getSimpleName();
  }
}
