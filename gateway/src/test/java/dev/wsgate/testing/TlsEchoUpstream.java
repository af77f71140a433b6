package dev.wsgate.testing;

import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.WebsocketServerSpec;
import reactor.netty.tcp.SslProvider;

/**
 * A {@code wss://} upstream: Reactor Netty serving TLS with a PEM certificate and key, echoing every data frame as it
 * came. Counts the WebSocket sessions it has started (a refused TLS handshake never gets that far).
 */
public final class TlsEchoUpstream implements AutoCloseable {

  private final DisposableServer server;
  private final String host;
  private final AtomicInteger sessions;

  private TlsEchoUpstream(DisposableServer server, String host, AtomicInteger sessions) {
    this.server = server;
    this.host = host;
    this.sessions = sessions;
  }

  /** Starts on {@code host} (a loopback address), a free port, serving {@code cert} and {@code key}. */
  public static TlsEchoUpstream start(String host, Path cert, Path key) {
    AtomicInteger sessions = new AtomicInteger();
    DisposableServer server = HttpServer.create()
        .host(host)
        .port(0)
        .secure(spec -> spec.sslContext(
            (SslProvider.GenericSslContextSpec<?>) Http11SslContextSpec.forServer(cert.toFile(), key.toFile())))
        .handle((req, res) -> res.sendWebsocket((in, out) -> {
          sessions.incrementAndGet();
          return out.sendObject(in.receiveFrames()
              .filter(TlsEchoUpstream::isData)
              .map(WebSocketFrame::retain));
        }, WebsocketServerSpec.builder().maxFramePayloadLength(1 << 20).build()))
        .bindNow(Duration.ofSeconds(10));
    return new TlsEchoUpstream(server, host, sessions);
  }

  private static boolean isData(WebSocketFrame f) {
    return f instanceof TextWebSocketFrame || f instanceof BinaryWebSocketFrame
        || f instanceof ContinuationWebSocketFrame;
  }

  public int port() {
    return ((InetSocketAddress) server.address()).getPort();
  }

  /** {@code wss://HOST:PORT}. */
  public URI uri() {
    return URI.create("wss://" + host + ":" + port());
  }

  /** WebSocket sessions started so far (TLS and upgrade done). */
  public int sessions() {
    return sessions.get();
  }

  @Override
  public void close() {
    server.disposeNow(Duration.ofSeconds(10));
  }
}
