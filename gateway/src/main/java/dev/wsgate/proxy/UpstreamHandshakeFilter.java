package dev.wsgate.proxy;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Keeps Netty's client handshake faithful to the client's, on the upstream leg, during the handshake only:
 * <ul>
 *   <li>out: Netty's handshaker invents an {@code Origin} (the upstream's own URL) when the request has none; a
 *       client without {@code Origin} gets none upstream either;</li>
 *   <li>in: it takes the {@code Sec-WebSocket-Protocol} out of the upstream's answer before Netty's handshaker sees
 *       it, and keeps it. Netty would refuse an answer without a subprotocol when the client offered some; a
 *       gateway must pass "none" on and let the client decide (RFC 6455, 4.1), so wsgate checks the answer itself:
 *       no subprotocol, or one the client offered.</li>
 * </ul>
 * Removes itself after the response.
 */
final class UpstreamHandshakeFilter extends ChannelDuplexHandler {

  static final String NAME = "wsgate.upstreamHandshake";

  private final boolean clientSentOrigin;
  private volatile String chosen;

  UpstreamHandshakeFilter(boolean clientSentOrigin) {
    this.clientSentOrigin = clientSentOrigin;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (msg instanceof HttpRequest && !clientSentOrigin) {
      ((HttpRequest) msg).headers().remove(HttpHeaderNames.ORIGIN);
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpResponse) {
      HttpResponse response = (HttpResponse) msg;
      String value = response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
      if (value != null) {
        chosen = value.strip();
        response.headers().remove(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
      }
      ctx.pipeline().remove(this);
    }
    ctx.fireChannelRead(msg);
  }

  /** The subprotocol in the upstream's answer, or null. */
  String chosen() {
    return chosen == null || chosen.isEmpty() ? null : chosen;
  }

  /** True when the chosen subprotocol is none, or one of {@code offered} (comma-separated, or null). */
  boolean chosenIsOffered(String offered) {
    String c = chosen();
    if (c == null) {
      return true;
    }
    if (offered == null) {
      return false;
    }
    for (String p : offered.split(",")) {
      if (p.strip().equals(c)) {
        return true;
      }
    }
    return false;
  }
}
