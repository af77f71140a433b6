package dev.wsgate.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an HTTP/2 client connection, where what its codec reports ends: a client that broke HTTP/2
 * or its limits (rapid reset, CONTINUATION flood, a header list too long...), which the codec answers with
 * {@code GOAWAY} and a close, is one line at INFO without a stack trace; anything else (a connection reset) one line
 * at DEBUG. Without it Netty's pipeline would log each at WARN with its stack trace.
 */
@ChannelHandler.Sharable
final class Http2ConnectionErrors extends ChannelInboundHandlerAdapter {

  static final Http2ConnectionErrors INSTANCE = new Http2ConnectionErrors();
  private static final Logger log = LoggerFactory.getLogger(Http2ConnectionErrors.class);

  private Http2ConnectionErrors() {
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    String id = ctx.channel().id().asShortText();
    if (cause instanceof Http2Exception e) {
      // The codec reports it before it writes its GOAWAY with the error, and closes the connection itself.
      log.info("[{}] {}: HTTP/2 client broke the protocol ({}): {}; connection closed", id,
          ctx.channel().remoteAddress(), e.error(), e.getMessage());
    } else {
      log.debug("[{}] HTTP/2 connection failed: {}", id, cause.toString());
      ctx.close();
    }
  }
}
