package dev.wsgate.server;

import dev.wsgate.metrics.GatewayMetrics;
import dev.wsgate.proxy.ProxyPipeline;
import dev.wsgate.proxy.SessionLifecycle;
import dev.wsgate.session.ConnectionLimit;
import dev.wsgate.session.SessionRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.SocketAddress;
import java.util.List;

/**
 * The HTTP/2 side of the client listener ({@code server.http2}): turns a connection that spoke the preface into an
 * HTTP/2 server connection, of Netty's codec: {@code Http2FrameCodec} (frames, HPACK, flow control, settings, PING
 * answers, stream states) and {@code Http2MultiplexHandler} (one child {@link Http2StreamChannel} a stream). wsgate
 * advertises {@code SETTINGS_ENABLE_CONNECT_PROTOCOL} (RFC 8441), since it serves extended CONNECT on every stream.
 *
 * <p>Each stream is the client leg of one session, as an HTTP/1.1 connection is: it takes a place of
 * {@code server.max-connections} and has a {@link SessionLifecycle} of its own ({@link Http2StreamBytes} then
 * {@link Http2Handshake} in its pipeline). The connection keeps the place it took at accept while it lasts.
 *
 * <p>Reactor Netty's HTTP/2 server is not used: it answers each stream as an HTTP request converted to HTTP/1.1
 * objects, and has no way to take an extended CONNECT stream's DATA frames as a byte stream.
 */
final class Http2Front {

  /** Concurrent streams a client may open on one connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  static final int MAX_CONCURRENT_STREAMS = 100;
  /** The client's address as the PROXY protocol header gave it, kept on the connection for its streams. */
  private static final AttributeKey<SocketAddress> PROXIED_PEER = AttributeKey.valueOf("wsgate.h2.proxiedPeer");
  private static final AttributeKey<SocketAddress> REACTOR_PROXIED = AttributeKey.valueOf(
      "remoteAddressFromProxyProtocol");

  private final HandshakeHandler handshakes;
  private final ConnectionLimit limit;
  private final SessionRegistry sessions;
  private final GatewayMetrics metrics;
  /** The HTTP/2 connections open, for {@link #drain}. */
  private final ChannelGroup connections = new DefaultChannelGroup("wsgate-h2", GlobalEventExecutor.INSTANCE);

  Http2Front(HandshakeHandler handshakes, ConnectionLimit limit, SessionRegistry sessions, GatewayMetrics metrics) {
    this.handshakes = handshakes;
    this.limit = limit;
    this.sessions = sessions;
    this.metrics = metrics;
  }

  /**
   * The connection at {@code ctx} spoke HTTP/2's preface: everything behind {@code ctx}'s handler (wsgate's early
   * bytes, Reactor Netty's HTTP/1.1 server) leaves, and Netty's HTTP/2 server takes its place.
   */
  void install(ChannelHandlerContext ctx) {
    Channel connection = ctx.channel();
    ChannelPipeline p = ctx.pipeline();
    List<String> names = p.names();
    for (String name : names.subList(names.indexOf(ctx.name()) + 1, names.size())) {
      if (p.context(name) != null) {
        p.remove(name);
      }
    }
    SocketAddress proxied = connection.attr(REACTOR_PROXIED).get();
    if (proxied != null) {
      connection.attr(PROXIED_PEER).set(proxied);
    }
    ProxyPipeline.leaveReactor(connection);
    connections.add(connection);
    Http2Settings settings = Http2Settings.defaultSettings()
        .connectProtocolEnabled(true)
        .maxConcurrentStreams(MAX_CONCURRENT_STREAMS);
    p.addAfter(ctx.name(), ProxyPipeline.H2_CODEC, Http2FrameCodecBuilder.forServer()
        .initialSettings(settings)
        .validateHeaders(true)
        // Closing the connection is graceful: GOAWAY, then the close once its streams are closed, or after this.
        .gracefulShutdownTimeoutMillis(handshakes.snapshot().config().shutdown().drainTimeout().toMillis())
        .build());
    p.addAfter(ProxyPipeline.H2_CODEC, ProxyPipeline.H2_MULTIPLEX, new Http2MultiplexHandler(
        new ChannelInitializer<Http2StreamChannel>() {
          @Override
          protected void initChannel(Http2StreamChannel stream) {
            stream(stream);
          }
        }));
  }

  /**
   * wsgate drains: every HTTP/2 connection gets {@code GOAWAY} ({@code NO_ERROR}, the last stream it took) at once,
   * so that its client opens no more streams there, and closes once its streams are closed (their sessions get 1001
   * with the others), at most {@code shutdown.drain-timeout} later.
   */
  void drain() {
    connections.close();
  }

  /** A new stream: a client leg, with its place and lifecycle. */
  private void stream(Http2StreamChannel stream) {
    HandshakeHandler.Snapshot snapshot = handshakes.snapshot();
    stream.config().setWriteBufferWaterMark(snapshot.connector().waterMark());
    SessionLifecycle.accept(stream, limit, sessions, metrics);
    ChannelPipeline p = stream.pipeline();
    p.addLast(ProxyPipeline.H2_BYTES, new Http2StreamBytes(snapshot.config().server().closeTimeout()));
    p.addLast(ProxyPipeline.H2_HANDSHAKE, new Http2Handshake(handshakes));
  }

  /** The client's address of a stream: the PROXY protocol header's, when the connection had one, else its peer. */
  static SocketAddress peer(Http2StreamChannel stream) {
    SocketAddress proxied = stream.parent().attr(PROXIED_PEER).get();
    return proxied != null ? proxied : stream.parent().remoteAddress();
  }
}
