package dev.wsgate.server;

import dev.wsgate.config.ProxyProtocol;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a connection whose PROXY protocol header is missing ({@code server.proxy-protocol: on}) or broken (either
 * mode): Netty's decoder, which Reactor Netty puts first in the pipeline, has already closed it and fails with an
 * {@link HAProxyProtocolException}; this handler, right after it (and after Reactor's reader of the header), counts
 * it, logs one line with the connection's id and TCP peer (the stack trace at DEBUG), and keeps the exception from
 * Reactor Netty's own error log. The connection's permit is released by its lifecycle when it closes. The handler
 * leaves the pipeline with the first bytes after the header (or, in {@code optional}, without one). Only the
 * connection's event loop touches it.
 */
final class ProxyHeaderRefusal extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(ProxyHeaderRefusal.class);

  private final ProxyProtocol mode;
  private final Runnable count;
  private boolean refused;

  /** @param count counts one refused connection */
  ProxyHeaderRefusal(ProxyProtocol mode, Runnable count) {
    this.mode = mode;
    this.count = count;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ctx.pipeline().remove(this); // the header is read (or there was none): nothing more to refuse
    ctx.fireChannelRead(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof HAProxyProtocolException)) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    if (refused) {
      return; // the decoder goes on with the rest of the read it failed in: one refusal is enough
    }
    refused = true;
    count.run();
    log.warn("[{}] {}: no valid PROXY protocol header (server.proxy-protocol: {}); connection closed: {}",
        ctx.channel().id().asShortText(), ClientAddress.peer(ctx.channel().remoteAddress()).display(), mode,
        reason(cause));
    log.debug("[{}] the PROXY protocol failure", ctx.channel().id().asShortText(), cause);
    ctx.close();
  }

  /** The innermost message: Netty wraps the header's own error in another. */
  private static String reason(Throwable cause) {
    String message = cause.getMessage();
    for (Throwable t = cause.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
    }
    return message;
  }
}
