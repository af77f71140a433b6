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
 *   <li>out: the request target is the client's path and query as sent (Netty's handshaker would write the one of
 *       a {@link java.net.URI}, which cannot hold some characters clients send);</li>
 *   <li>out: Netty's handshaker invents an {@code Origin} (the upstream's own URL) when the request has none; a
 *       client without {@code Origin} gets none upstream either;</li>
 *   <li>in: it takes the {@code Sec-WebSocket-Protocol} out of the upstream's answer before Netty's handshaker sees
 *       it, and keeps it. Netty would refuse an answer without a subprotocol when the client offered some; a
 *       gateway must pass "none" on and let the client decide (RFC 6455, 4.1), so wsgate checks the answer itself:
 *       no subprotocol, or one the client offered;</li>
 *   <li>in: it keeps the {@code Sec-WebSocket-Extensions} of the answer, which Netty does not check:
 *       {@link DeflateNegotiation} checks it against what wsgate offered, and an upstream that answers with what was
 *       not offered is refused (RFC 6455, 4.1) rather than trusted to send frames wsgate cannot read.</li>
 * </ul>
 * Removes itself after the response.
 */
final class UpstreamHandshakeFilter extends ChannelDuplexHandler {

  static final String NAME = "wsgate.upstreamHandshake";

  private final boolean clientSentOrigin;
  private final String requestTarget;
  private volatile String chosen;
  private volatile String extensions;

  /** @param requestTarget the path and query for the request line, as the client sent them */
  UpstreamHandshakeFilter(boolean clientSentOrigin, String requestTarget) {
    this.clientSentOrigin = clientSentOrigin;
    this.requestTarget = requestTarget;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (msg instanceof HttpRequest) {
      HttpRequest request = (HttpRequest) msg;
      request.setUri(requestTarget);
      if (!clientSentOrigin) {
        request.headers().remove(HttpHeaderNames.ORIGIN);
      }
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
      String ext = String.join(", ", response.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS)).strip();
      if (!ext.isEmpty()) {
        extensions = ext;
      }
      ctx.pipeline().remove(this);
    }
    ctx.fireChannelRead(msg);
  }

  /** The subprotocol in the upstream's answer, or null. */
  String chosen() {
    return chosen == null || chosen.isEmpty() ? null : chosen;
  }

  /** The {@code Sec-WebSocket-Extensions} of the upstream's answer, or null. */
  String extensions() {
    return extensions;
  }

  /**
   * Why the upstream's {@code 101} cannot be taken (it chose what was not offered), or null when it can.
   *
   * @param offered the client's subprotocols, comma-separated, or null
   */
  String refusal(String offered) {
    if (!chosenIsOffered(offered)) {
      return "chose subprotocol " + chosen + ", which the client did not offer";
    }
    return null;
  }

  /** True when the chosen subprotocol is none, or one of {@code offered} (comma-separated, or null). */
  private boolean chosenIsOffered(String offered) {
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
