package dev.wsgate.demo;

import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.InetSocketAddress;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.WebsocketServerSpec;
import reactor.netty.resources.LoopResources;

/**
 * The built-in echo upstream of the demo: a WebSocket server on a free loopback port that sends every data frame
 * back as it came (fragments included), for wsgate's embedded default configuration.
 */
public final class EchoUpstream implements AutoCloseable {

  private final DisposableServer server;

  private EchoUpstream(DisposableServer server) {
    this.server = server;
  }

  public static EchoUpstream start(LoopResources loops) {
    DisposableServer server = HttpServer.create()
        .runOn(loops)
        .host("127.0.0.1")
        .port(0)
        .handle((req, res) -> res.sendWebsocket((in, out) -> out.sendObject(in.receiveFrames()
                .filter(EchoUpstream::isData)
                .map(WebSocketFrame::retain)),
            WebsocketServerSpec.builder().maxFramePayloadLength(1 << 20).build()))
        .bindNow();
    return new EchoUpstream(server);
  }

  private static boolean isData(WebSocketFrame f) {
    return f instanceof TextWebSocketFrame || f instanceof BinaryWebSocketFrame
        || f instanceof ContinuationWebSocketFrame;
  }

  public int port() {
    return ((InetSocketAddress) server.address()).getPort();
  }

  @Override
  public void close() {
    server.disposeNow();
  }
}
