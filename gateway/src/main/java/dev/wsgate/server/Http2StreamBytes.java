package dev.wsgate.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of an HTTP/2 stream's channel (Netty's {@link Http2StreamChannel}, one a stream, made by its
 * {@code Http2MultiplexHandler}): it makes the stream look like a TCP connection to the handlers behind it, so that a
 * WebSocket session runs on it with the very pipeline of an HTTP/1.1 one (RFC 8441: the DATA frames carry RFC 6455
 * frames). Inbound, the content of each DATA frame goes on as a {@link ByteBuf}, and the request's HEADERS frame (the
 * first frame of a stream) as it is; later HEADERS (trailers) and empty DATA are dropped. Outbound, a {@code ByteBuf}
 * becomes a DATA frame; frames pass as they are.
 *
 * <p>Closing the channel ends the stream as closing TCP ends a connection: wsgate's side ends (END_STREAM, after
 * what was written), and, when the client has not ended its side, a {@code RST_STREAM} with {@code NO_ERROR} (RFC 9113
 * 8.1: a complete answer, the rest of the request is not needed) instead of Netty's {@code CANCEL}. An END_STREAM
 * the client sends does not close the stream (a TCP half-close would): the session's close handshake and heartbeat
 * end it as they would a client that stopped sending.
 *
 * <p>Flow control stays Netty's: the stream channel gives the client credit for a DATA frame as it is read, so a
 * stream whose reading stops (auto-read off, the session's backpressure) stops the client's sending once the window
 * is used up; and the channel is writable while the client's window and the connection take more.
 */
final class Http2StreamBytes extends ChannelDuplexHandler {

  private final long endGraceNanos;
  private boolean headersSeen;
  private boolean answered;
  /** The write of wsgate's END_STREAM, once written. */
  private ChannelFuture end;
  private boolean closing;

  /**
   * @param endGrace how long a close waits for wsgate's END_STREAM to leave (behind what the client's window holds
   *                 back) before the stream is reset regardless
   */
  Http2StreamBytes(Duration endGrace) {
    this.endGraceNanos = endGrace.toNanos();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2DataFrame data) {
      ByteBuf content = data.content();
      if (content.isReadable()) {
        ctx.fireChannelRead(content.retain());
      }
      data.release();
    } else if (msg instanceof Http2HeadersFrame && !headersSeen) {
      headersSeen = true;
      ctx.fireChannelRead(msg);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (end != null) {
      ReferenceCountUtil.release(msg);
      promise.tryFailure(new IllegalStateException("the stream has ended"));
      return;
    }
    Object frame = msg instanceof ByteBuf buf ? new DefaultHttp2DataFrame(buf) : msg;
    if (frame instanceof Http2HeadersFrame) {
      answered = true;
    }
    ctx.write(frame, promise);
    if (frame instanceof Http2DataFrame data && data.isEndStream()
        || frame instanceof Http2HeadersFrame headers && headers.isEndStream()) {
      end = promise;
    }
  }

  /**
   * Ends wsgate's side (END_STREAM after what was written, when the stream was answered) and waits for that end to
   * leave, at most the grace: a reset, not flow-controlled, would overtake it and the frames before it. Then, when
   * the client has not ended its side, {@code RST_STREAM NO_ERROR}; then Netty's close.
   */
  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (closing) {
      ctx.channel().closeFuture().addListener(f -> promise.trySuccess());
      return;
    }
    closing = true;
    Http2StreamChannel stream = (Http2StreamChannel) ctx.channel();
    if (!stream.parent().isActive() || !stream.isActive()) {
      ctx.close(promise);
      return;
    }
    if (answered && end == null) {
      end = ctx.write(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true));
    }
    ctx.flush();
    if (end == null || end.isDone()) {
      reset(ctx, promise);
      return;
    }
    ScheduledFuture<?> grace = ctx.executor().schedule(() -> ctx.close(promise), endGraceNanos,
        TimeUnit.NANOSECONDS);
    end.addListener(f -> {
      if (grace.cancel(false)) {
        reset(ctx, promise);
      }
    });
  }

  private static void reset(ChannelHandlerContext ctx, ChannelPromise promise) {
    Http2StreamChannel stream = (Http2StreamChannel) ctx.channel();
    if (stream.isActive() && stream.stream().state() == Http2Stream.State.HALF_CLOSED_LOCAL) {
      ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
    }
    ctx.close(promise);
  }
}
