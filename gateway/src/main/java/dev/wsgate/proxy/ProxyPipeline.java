package dev.wsgate.proxy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import reactor.netty.NettyPipeline;

/**
 * The names and order of wsgate's handlers in each leg's pipeline, in one place (as Reactor Netty's
 * {@link NettyPipeline}). After the upgrade both legs, client and upstream, hold, from the network inwards:
 *
 * <pre>
 *   [ssl] - ws encoder - ws decoder             (Netty's, placed by the handshake)
 *   wsgate.utf8          validates text frames; 1007 on invalid UTF-8
 *   wsgate.relay         relays frames and closes to the other leg, with backpressure
 *   reactor.right.reactiveBridge                (Reactor Netty's; sees no frames)
 * </pre>
 * Every wsgate handler goes right before Reactor's reactive bridge, in this order. During the upstream handshake
 * only, the upstream leg also holds {@value UpstreamHandshakeFilter#NAME} ({@link UpstreamHandshakeFilter}).
 */
public final class ProxyPipeline {

  /** Netty's {@code Utf8FrameValidator}. */
  public static final String UTF8_VALIDATOR = "wsgate.utf8";
  /** {@link FrameRelayHandler}. */
  public static final String RELAY = "wsgate.relay";

  private ProxyPipeline() {
  }

  /**
   * Puts the WebSocket frame encoder on the network side of the frame decoder. Netty's client handshake adds the
   * encoder after the decoder, so the close frame the decoder writes on a protocol violation (1002, 1009) would
   * reach the network unencoded, and the peer would see the connection drop without it. The encoder is stateless:
   * a fresh one ({@code mask}ing as the leg's role asks) takes the place of the old one.
   */
  static void encoderBeforeDecoder(ChannelPipeline pipeline, boolean mask) {
    String encoder = null;
    String decoder = null;
    for (var entry : pipeline) {
      if (entry.getValue() instanceof WebSocketFrameEncoder && encoder == null) {
        encoder = entry.getKey();
        if (decoder == null) {
          return; // already on the network side
        }
      } else if (entry.getValue() instanceof WebSocketFrameDecoder && decoder == null) {
        decoder = entry.getKey();
      }
    }
    if (decoder == null || encoder == null) {
      return;
    }
    pipeline.remove(encoder);
    pipeline.addBefore(decoder, encoder, new WebSocket13FrameEncoder(mask));
  }

  /** Adds a handler after every wsgate handler already in the pipeline, before Reactor's bridge. */
  static void addLast(ChannelPipeline pipeline, String name, ChannelHandler handler) {
    if (pipeline.get(NettyPipeline.ReactiveBridge) != null) {
      pipeline.addBefore(NettyPipeline.ReactiveBridge, name, handler);
    } else {
      pipeline.addLast(name, handler);
    }
  }
}
