package dev.wsgate.proxy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CodecException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.zip.DataFormatException;

/**
 * Right after wsgate's inflater on a leg it inflates: keeps a message, inflated, within the leg's
 * {@code max-message-size}, frame by frame as the inflater hands them on (the inflater itself stops inflating one
 * frame past the limit, so a deflate bomb costs at most the limit), and turns the inflater's failures into the
 * session's: 1009 for a message too big, 1007 for data that does not inflate. After a failure the inflater leaves
 * the pipeline (its zlib state with it) and what the leg still sends is dropped.
 */
final class InflateLimit extends ChannelInboundHandlerAdapter {

  /** A peer's compressed data that wsgate cannot take; the session fails the leg with {@link #code}. */
  static final class Failure extends RuntimeException {
    final int code;

    Failure(int code, String reason) {
      super(reason, null, false, false);
      this.code = code;
    }
  }

  private final int max;
  private final ChannelHandler inflater;
  private long message;
  private boolean failed;

  InflateLimit(int max, ChannelHandler inflater) {
    this.max = max;
    this.inflater = inflater;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (failed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
      message = ((WebSocketFrame) msg).content().readableBytes();
    } else if (msg instanceof ContinuationWebSocketFrame) {
      message += ((WebSocketFrame) msg).content().readableBytes();
    } else {
      ctx.fireChannelRead(msg);
      return;
    }
    if (message > max) {
      ((WebSocketFrame) msg).release();
      fail(ctx, new Failure(CloseCodes.MESSAGE_TOO_BIG, "message over " + max + " bytes once inflated"));
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (failed || cause instanceof CorruptedWebSocketFrameException) {
      ctx.fireExceptionCaught(cause); // the frame decoder's, not the inflater's
      return;
    }
    if (cause instanceof DecompressionException && !(cause.getCause() instanceof DataFormatException)) {
      // The inflater's buffer reached max-message-size within one frame.
      fail(ctx, new Failure(CloseCodes.MESSAGE_TOO_BIG, "message over " + max + " bytes once inflated"));
    } else if (cause instanceof DecompressionException
        || cause instanceof DecoderException && cause.getCause() instanceof CodecException) {
      // Data that does not inflate, or a compressed frame that inflates to nothing (Netty's DeflateDecoder).
      fail(ctx, new Failure(CloseCodes.INVALID_PAYLOAD, "compressed data that does not inflate"));
    } else {
      ctx.fireExceptionCaught(cause);
    }
  }

  private void fail(ChannelHandlerContext ctx, Failure failure) {
    failed = true;
    if (ctx.pipeline().context(inflater) != null) {
      ctx.pipeline().remove(inflater);
    }
    ctx.fireExceptionCaught(failure);
  }
}
