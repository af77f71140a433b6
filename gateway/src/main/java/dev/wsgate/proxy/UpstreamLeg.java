package dev.wsgate.proxy;

import io.netty.channel.Channel;
import reactor.netty.Connection;

/**
 * An upstream connection whose WebSocket handshake has completed, waiting for the client's.
 *
 * @param connection  Reactor Netty's connection
 * @param subprotocol the subprotocol the upstream chose, or null
 * @param relay       its relay handler, holding what the upstream sends until the session starts
 */
public record UpstreamLeg(Connection connection, String subprotocol, FrameRelayHandler relay) {

  public Channel channel() {
    return connection.channel();
  }

  /**
   * The client never got its upgrade: tell the upstream with a close frame ({@code 1001}) and close the connection
   * after it is flushed.
   */
  public void abandon(String reason) {
    Channel ch = channel();
    ch.eventLoop().execute(() -> {
      relay.abandon();
      if (ch.isActive()) {
        ch.writeAndFlush(new io.netty.handler.codec.http.websocketx.CloseWebSocketFrame(CloseCodes.GOING_AWAY,
            CloseCodes.Utf8.truncate(reason, 123))).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
      }
    });
  }
}
