package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
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
   * Netty's permessage-deflate encoder and decoder for the leg (made through Netty's handshakers, which own their
   * classes), with the agreed context takeover; wsgate compresses with the JDK's zlib (window 15), and inflates at
   * most {@link #maxMessageSize} bytes of one frame before it fails the frame.
   */
  Codec codec(Leg leg) {
    Map<String, String> agreed = new HashMap<>(4);
    if (leg == Leg.CLIENT) {
      // wsgate is the server: it sends with the server's parameters, takes in with the client's.
      if (deflaterNoContext) {
        agreed.put("server_no_context_takeover", null);
      }
      if (inflaterNoContext) {
        agreed.put("client_no_context_takeover", null);
      }
      var ext = new PerMessageDeflateServerExtensionHandshaker(LEVEL, false, DeflateParams.JDK_WINDOW, true, true,
          maxMessageSize).handshakeExtension(new WebSocketExtensionData(DeflateParams.NAME, agreed));
      return new Codec(ext.newExtensionEncoder(), ext.newExtensionDecoder());
    }
    if (deflaterNoContext) {
      agreed.put("client_no_context_takeover", null);
    }
    if (inflaterNoContext) {
      agreed.put("server_no_context_takeover", null);
    }
    var ext = new PerMessageDeflateClientExtensionHandshaker(LEVEL, false, DeflateParams.JDK_WINDOW, true, false,
        maxMessageSize).handshakeExtension(new WebSocketExtensionData(DeflateParams.NAME, agreed));
    return new Codec(ext.newExtensionEncoder(), ext.newExtensionDecoder());
  }

  /** Netty's handlers for one leg. */
  record Codec(WebSocketExtensionEncoder deflater, WebSocketExtensionDecoder inflater) {
  }
}
