package dev.wsgate.bench;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One upstream connection of the soak: echoes text, acts on the endings its client asks for in-band
 * ({@link Ending#command()}), floods a slow client with binary frames as fast as wsgate takes them, and answers
 * close frames. Pings are answered by Netty's protocol handler in front of it. Runs on the process's one event loop.
 */
final class UpstreamSession extends ChannelInboundHandlerAdapter {

  /** A silent upstream's connection is reset this long after it went silent, when wsgate has long closed its side. */
  private static final long SILENT_CLEANUP_SECONDS = 20;
  /** A close this upstream started is cut this long after, if wsgate never answers it. */
  private static final long CLOSE_CLEANUP_SECONDS = 15;

  /** A silent client evicted later than this is logged with its request id, to look up in wsgate's log. */
  private static final long LATE_EVICTION_MILLIS = 4000;

  private final ChurnUpstream load;
  private String requestId;
  private boolean live;
  private boolean flooding;
  private boolean closeSent;
  private long clientSilentAtMillis;
  private ScheduledFuture<?> cleanup;

  UpstreamSession(ChurnUpstream load) {
    this.load = load;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete done) {
      requestId = done.requestHeaders().get("X-Request-Id");
      live = true;
      load.sessionUp();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof TextWebSocketFrame t) {
      String text = t.text();
      Ending ending = Ending.ofCommand(text);
      if (ending != null) {
        t.release();
        end(ctx.channel(), ending);
      } else if (text.equals(Ending.FLOOD)) {
        t.release();
        flooding = true;
        load.floodStarted();
        pump(ctx.channel());
      } else if (text.startsWith(Ending.SILENT_NOTE)) {
        t.release();
        clientSilentAtMillis = Long.parseLong(text.substring(Ending.SILENT_NOTE.length()).strip());
      } else {
        load.echoed();
        ctx.writeAndFlush(t);
      }
    } else if (msg instanceof CloseWebSocketFrame close) {
      int code = close.statusCode();
      close.release();
      closed(ctx.channel(), code);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void closed(Channel ch, int code) {
    flooding = false;
    if (clientSilentAtMillis > 0) {
      long after = System.currentTimeMillis() - clientSilentAtMillis;
      load.clientSilentEvicted(after);
      if (after > LATE_EVICTION_MILLIS) {
        System.err.printf(Locale.ROOT, "%s silent client evicted late: its close (%d) came %d ms after it went"
            + " silent; request_id=%s%n", Instant.now(), code, after, requestId);
      }
      clientSilentAtMillis = 0;
    }
    load.closeReceived(code);
    if (closeSent) {
      ch.close();
    } else {
      closeSent = true;
      CloseWebSocketFrame echo = code < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, "");
      ch.writeAndFlush(echo).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void end(Channel ch, Ending ending) {
    load.ended(ending);
    switch (ending) {
      case UPSTREAM_CLOSE -> {
        flooding = false;
        closeSent = true;
        ch.writeAndFlush(new CloseWebSocketFrame(1000, "soak churn"));
        cleanup = ch.eventLoop().schedule(() -> Silence.reset(ch), CLOSE_CLEANUP_SECONDS, TimeUnit.SECONDS);
      }
      case UPSTREAM_RESET -> Silence.reset(ch);
      case UPSTREAM_SILENT -> {
        flooding = false;
        Silence.install(ch);
        cleanup = ch.eventLoop().schedule(() -> Silence.reset(ch), SILENT_CLEANUP_SECONDS, TimeUnit.SECONDS);
      }
      default -> throw new IllegalArgumentException("not an upstream ending: " + ending);
    }
  }

  private void pump(Channel ch) {
    boolean wrote = false;
    while (flooding && ch.isActive() && ch.isWritable()) {
      ch.write(new BinaryWebSocketFrame(load.floodPayload()));
      load.flooded(load.floodFrameBytes());
      wrote = true;
    }
    if (wrote) {
      ch.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (flooding && ctx.channel().isWritable()) {
      pump(ctx.channel());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (live) {
      live = false;
      load.sessionDown();
    }
    if (cleanup != null) {
      cleanup.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    load.error(cause);
    ctx.close();
  }
}
