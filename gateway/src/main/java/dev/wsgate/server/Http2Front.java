package dev.wsgate.server;

import dev.wsgate.config.GatewayConfig;
import dev.wsgate.config.HeartbeatSettings;
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
 * {@link Http2Handshake} in its pipeline). The connection's own place goes to its streams ({@link Http2Streams}: n
 * streams hold n places), and its liveness is watched with PING ({@link Http2Liveness}).
 *
 * <p>Reactor Netty's HTTP/2 server is not used: it answers each stream as an HTTP request converted to HTTP/1.1
 * objects, and has no way to take an extended CONNECT stream's DATA frames as a byte stream.
 */
final class Http2Front {

  /**
   * The largest request header list taken ({@code SETTINGS_MAX_HEADER_LIST_SIZE}, HPACK-decoded): 8 KiB, as the
   * HTTP/1.1 side takes (Reactor Netty's default request head). Netty's codec fails the connection whose header block
   * grows past it by a quarter, however many CONTINUATION frames carry it.
   */
  static final int MAX_HEADER_LIST_SIZE = 8192;
  /**
   * RST_STREAM frames a client may send, and wsgate may be made to send, on one connection per
   * {@value #RESET_WINDOW_SECONDS} s before the connection is closed ({@code GOAWAY ENHANCE_YOUR_CALM}): rapid reset
   * (CVE-2023-44487). Netty's defaults for a server, made explicit.
   */
  static final int MAX_RESETS_PER_WINDOW = 200;
  static final int RESET_WINDOW_SECONDS = 30;
  /**
   * Consecutive CONTINUATION frames under 8 KiB, before the header block ends, that close the connection
   * ({@code ENHANCE_YOUR_CALM}): the CONTINUATION flood (2024). Netty's default, made explicit.
   */
  static final int MAX_SMALL_CONTINUATION_FRAMES = 16;
  /** Consecutive empty DATA frames that close the connection (CVE-2019-9518). Netty's default, made explicit. */
  static final int MAX_EMPTY_DATA_FRAMES = 2;
  /**
   * Control frames (SETTINGS and PING ACKs, RST_STREAM) queued for a client that does not read, before its connection
   * is closed: SETTINGS and PING floods (CVE-2019-9512, -9515). Netty's default, made explicit.
   */
  static final int MAX_QUEUED_CONTROL_FRAMES = 10_000;

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
    HandshakeHandler.Snapshot snapshot = handshakes.snapshot();
    GatewayConfig config = snapshot.config();
    Http2Settings settings = Http2Settings.defaultSettings()
        .connectProtocolEnabled(true)
        .maxConcurrentStreams(config.server().http2StreamLimit())
        .maxHeaderListSize(MAX_HEADER_LIST_SIZE);
    // The connection's place of max-connections, taken at accept, goes to its streams (Http2Streams), which are in
    // the pipeline at once, so that the place is released with the connection whatever fails after; the codec and
    // the multiplexer go before them.
    Http2Streams streams = new Http2Streams(limit, SessionLifecycle.of(connection).handOverPlace(),
        config.server().handshakeTimeout());
    p.addAfter(ctx.name(), ProxyPipeline.H2_STREAMS, streams);
    p.addBefore(ProxyPipeline.H2_STREAMS, ProxyPipeline.H2_CODEC, Http2FrameCodecBuilder.forServer()
        .initialSettings(settings)
        .validateHeaders(true)
        // Netty's guards against HTTP/2 abuse, set here rather than left to its defaults: see the README.
        .decoderEnforceMaxRstFramesPerWindow(MAX_RESETS_PER_WINDOW, RESET_WINDOW_SECONDS)
        .encoderEnforceMaxRstFramesPerWindow(MAX_RESETS_PER_WINDOW, RESET_WINDOW_SECONDS)
        .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATION_FRAMES)
        .decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_EMPTY_DATA_FRAMES)
        .encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES)
        // Closing the connection is graceful: GOAWAY, then the close once its streams are closed, or after this.
        .gracefulShutdownTimeoutMillis(config.shutdown().drainTimeout().toMillis())
        .build());
    HeartbeatSettings ping = config.heartbeat().client();
    if (ping.enabled()) {
      p.addBefore(ProxyPipeline.H2_CODEC, ProxyPipeline.H2_LIVENESS, new Http2Liveness(ping, streams::evictAll));
    }
    p.addBefore(ProxyPipeline.H2_STREAMS, ProxyPipeline.H2_MULTIPLEX, new Http2MultiplexHandler(
        new ChannelInitializer<Http2StreamChannel>() {
          @Override
          protected void initChannel(Http2StreamChannel stream) {
            stream(stream);
          }
        }));
    p.addAfter(ProxyPipeline.H2_STREAMS, ProxyPipeline.H2_ERRORS, Http2ConnectionErrors.INSTANCE);
    // Reactor Netty's HTTP/1.1 server reads on demand (auto-read off); an HTTP/2 connection reads always, since each
    // stream's flow control is its backpressure: PING answers, SETTINGS and resets must be read while every stream
    // waits, or the connection would look dead to its liveness.
    connection.config().setAutoRead(true);
  }

  /**
   * wsgate drains: every HTTP/2 connection gets {@code GOAWAY} ({@code NO_ERROR}, the last stream it took) at once,
   * so that its client opens no more streams there, and closes once its streams are closed (their sessions get 1001
   * with the others), at most {@code shutdown.drain-timeout} later.
   */
  void drain() {
    connections.close();
  }

  /** A new stream: a client leg, with its place (its connection's to give) and lifecycle. */
  private void stream(Http2StreamChannel stream) {
    HandshakeHandler.Snapshot snapshot = handshakes.snapshot();
    stream.config().setWriteBufferWaterMark(snapshot.connector().waterMark());
    SessionLifecycle.accept(stream, Http2Streams.of(stream.parent()).opened(stream), sessions, metrics);
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
