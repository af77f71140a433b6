package dev.wsgate.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Takes the {@code Sec-WebSocket-Protocol} out of the upstream's handshake answer before Netty's client handshaker
 * sees it, and keeps it. Netty would refuse an answer without a subprotocol when the client offered some; a
 * gateway must instead pass "none" on and let the client decide (RFC 6455, 4.1), so wsgate checks the answer
 * itself: no subprotocol, or one the client offered. Removes itself after the first response.
 */
final class SubprotocolCapture extends ChannelInboundHandlerAdapter {

  static final String NAME = "wsgate.subprotocolCapture";

  private volatile String chosen;
  private volatile boolean seen;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpResponse) {
      HttpResponse response = (HttpResponse) msg;
      String value = response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
      if (value != null) {
        chosen = value.strip();
        response.headers().remove(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
      }
      seen = true;
      ctx.pipeline().remove(this);
    }
    ctx.fireChannelRead(msg);
  }

  /** The subprotocol in the upstream's answer, or null. */
  String chosen() {
    return chosen == null || chosen.isEmpty() ? null : chosen;
  }

  boolean seen() {
    return seen;
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
