package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateClientExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import java.util.HashMap;
import java.util.Map;

/**
 * What permessage-deflate a leg runs with, once negotiated: frames passed through compressed as they are (both legs
 * agreed alike), or wsgate's own inflater and deflater on the leg.
 *
 * @param passThrough       true: compressed frames go through untouched, and wsgate holds no zlib state
 * @param inflaterNoContext wsgate's inflater starts afresh with each message (the peer takes no context over)
 * @param deflaterNoContext wsgate's deflater starts afresh with each message
 * @param maxMessageSize    the largest message, inflated, taken from the peer
 */
record LegDeflate(boolean passThrough, boolean inflaterNoContext, boolean deflaterNoContext, int maxMessageSize) {

  /** The leg passes compressed frames through. */
  static final LegDeflate PASS_THROUGH = new LegDeflate(true, false, false, 0);

  /** The level of wsgate's deflater: zlib's default. */
  private static final int LEVEL = 6;

  /**
   * wsgate's deflater and inflater for the leg, with the agreed context takeover: Netty's permessage-deflate encoder
   * (made through Netty's handshaker, which owns its class), compressing with the JDK's zlib (window 15), and
   * {@link MessageInflater}, within {@link #maxMessageSize}.
   */
  Codec codec(Leg leg) {
    return new Codec(deflater(leg), new MessageInflater(inflaterNoContext, maxMessageSize));
  }

  private WebSocketExtensionEncoder deflater(Leg leg) {
    Map<String, String> agreed = new HashMap<>(4);
    if (leg == Leg.CLIENT) {
      // wsgate is the server: it sends with the server's parameters, takes in with the client's.
      if (deflaterNoContext) {
        agreed.put("server_no_context_takeover", null);
      }
      if (inflaterNoContext) {
        agreed.put("client_no_context_takeover", null);
      }
      return new PerMessageDeflateServerExtensionHandshaker(LEVEL, false, DeflateParams.JDK_WINDOW, true, true, 0)
          .handshakeExtension(new WebSocketExtensionData(DeflateParams.NAME, agreed)).newExtensionEncoder();
    }
    if (deflaterNoContext) {
      agreed.put("client_no_context_takeover", null);
    }
    if (inflaterNoContext) {
      agreed.put("server_no_context_takeover", null);
    }
    return new PerMessageDeflateClientExtensionHandshaker(LEVEL, false, DeflateParams.JDK_WINDOW, true, false, 0)
        .handshakeExtension(new WebSocketExtensionData(DeflateParams.NAME, agreed)).newExtensionEncoder();
  }

  /** Netty's handlers for one leg. */
  record Codec(WebSocketExtensionEncoder deflater, MessageInflater inflater) {
  }
}
