package dev.wsgate.server;

import dev.wsgate.proxy.CloseCodes;
import dev.wsgate.proxy.DeflateNegotiation;
import dev.wsgate.proxy.ProxyPipeline;
import dev.wsgate.proxy.ProxySession;
import dev.wsgate.proxy.SessionLifecycle;
import dev.wsgate.proxy.UpstreamFailure;
import dev.wsgate.routing.Route;
import dev.wsgate.session.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/2 stream's handshake (RFC 8441): the stream's request, an extended CONNECT ({@code :method CONNECT},
 * {@code :protocol websocket}, {@code :path}, {@code :authority}, {@code sec-websocket-version: 13}), becomes a
 * session as an HTTP/1.1 upgrade request does in {@link HandshakeHandler}: the same checks in the same order, the
 * same routing and upstream headers ({@code :authority} is the {@code Host}), the upstream handshake first (over
 * HTTP/1.1, as always), then {@code 200} with the upstream's subprotocol and the permessage-deflate answer (negotiated
 * for each leg on its own, as over HTTP/1.1), the WebSocket codec on the stream and the session started. Refusals are the statuses and one-line bodies of HTTP/1.1's (no {@code Upgrade} header with 426:
 * HTTP/2 has none); they end the stream, not the connection.
 *
 * <p>Bytes the client sends before its {@code 200} (it should not) are held, at most the write-buffer high-water mark,
 * and go to the session first.
 */
final class Http2Handshake extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(Http2Handshake.class);
  private static final String PROTOCOL = Http2Headers.PseudoHeaderName.PROTOCOL.value().toString();

  private final HandshakeHandler handshakes;
  private boolean requested;
  private String requestId;
  private CompositeByteBuf early;

  Http2Handshake(HandshakeHandler handshakes) {
    this.handshakes = handshakes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2HeadersFrame frame && !requested) {
      requested = true;
      try {
        handle(ctx, frame.headers());
      } catch (RuntimeException e) {
        unexpected(ctx, e);
      }
    } else if (msg instanceof ByteBuf bytes && requested) {
      hold(ctx, bytes);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void hold(ChannelHandlerContext ctx, ByteBuf bytes) {
    if (early == null) {
      early = ctx.alloc().compositeBuffer();
    }
    early.addComponent(true, bytes);
    int mark = handshakes.snapshot().config().server().writeBufferHighWaterMark();
    if (early.readableBytes() > mark) {
      log.debug("request {}: more than {} bytes before the stream's 200; reset", requestId, mark);
      ctx.channel().close();
    }
  }

  private void handle(ChannelHandlerContext ctx, Http2Headers h2) {
    Http2StreamChannel stream = (Http2StreamChannel) ctx.channel();
    HandshakeTimeout.disarm(stream.parent()); // the connection has delivered a request
    HttpHeaders headers = http1Headers(h2);
    requestId = HandshakeHandler.requestId(headers);
    SessionLifecycle lifecycle = SessionLifecycle.of(stream);
    HandshakeHandler.Snapshot s = handshakes.snapshot();
    if (handshakes.readiness().isDraining()) {
      reject(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, Rejection.DRAINING, "wsgate is shutting down",
          Map.of("retry-after", "1"));
      return;
    }
    if (!lifecycle.admitted()) {
      reject(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
          "wsgate is at server.max-connections (" + s.config().server().maxConnections() + ")",
          Map.of("retry-after", "1"));
      return;
    }
    CharSequence path = h2.path();
    if (path == null) {
      reject(ctx, HttpResponseStatus.BAD_REQUEST, "a CONNECT without :path (RFC 8441 needs :protocol and :path)",
          Map.of());
      return;
    }
    String uri = path.toString();
    String badTarget = RequestTarget.refusal(uri);
    if (badTarget != null) {
      reject(ctx, HttpResponseStatus.BAD_REQUEST, badTarget, Map.of());
      return;
    }
    int q = uri.indexOf('?');
    String rawPath = q < 0 ? uri : uri.substring(0, q);
    String rawQuery = q < 0 ? null : uri.substring(q + 1);
    Optional<Route> found = s.router().route(headers.get(HttpHeaderNames.HOST), rawPath);
    if (found.isEmpty()) {
      reject(ctx, HttpResponseStatus.NOT_FOUND, "no route for " + rawPath, Map.of());
      return;
    }
    Route route = found.get();
    CharSequence protocol = h2.get(PROTOCOL);
    if (!HttpMethod.CONNECT.asciiName().contentEquals(h2.method()) || protocol == null
        || !"websocket".equalsIgnoreCase(protocol.toString())) {
      reject(ctx, HttpResponseStatus.UPGRADE_REQUIRED, "route " + route.id()
          + " serves WebSocket only; send an extended CONNECT with :protocol websocket", Map.of());
      return;
    }
    String version = headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
    if (!"13".equals(version)) {
      reject(ctx, HttpResponseStatus.BAD_REQUEST, version == null ? "missing Sec-WebSocket-Version (expected 13)"
          : "unsupported Sec-WebSocket-Version " + RequestTarget.printable(version) + " (expected 13)",
          Map.of("sec-websocket-version", "13"));
      return;
    }
    String origin = headers.get(HttpHeaderNames.ORIGIN);
    if (!s.origins().allows(origin)) {
      reject(ctx, HttpResponseStatus.FORBIDDEN, "origin " + origin + " is not allowed", Map.of());
      return;
    }
    ClientAddress peer = ClientAddress.peer(Http2Front.peer(stream));
    ClientAddress client = HandshakeHandler.clientAddress(s, peer, headers);
    if (!lifecycle.admitAddress(handshakes.addresses(), client.ip())) {
      reject(ctx, HttpResponseStatus.TOO_MANY_REQUESTS, handshakes.perAddressRefusal(client),
          Map.of("retry-after", Rejection.PER_ADDRESS_RETRY_AFTER));
      return;
    }
    handshakes.connect(s, lifecycle, route, requestId, headers, peer, client, rawPath, rawQuery,
        DeflateNegotiation.of(headers, route.config()))
        .subscribe(
            session -> stream.eventLoop().execute(() -> upgrade(ctx, s, lifecycle, session)),
            e -> stream.eventLoop().execute(() -> failed(ctx, route, e)));
  }

  /** The upstream leg is up: {@code 200}, the codec, and the session starts with what the client sent meanwhile. */
  private void upgrade(ChannelHandlerContext ctx, HandshakeHandler.Snapshot s, SessionLifecycle lifecycle,
      ProxySession session) {
    if (!ctx.channel().isActive()) {
      return; // the client left: its lifecycle ends the upstream leg
    }
    try {
      Http2Headers ok = new DefaultHttp2Headers().status(HttpResponseStatus.OK.codeAsText());
      ok.set("x-request-id", requestId);
      if (session.subprotocol() != null) {
        ok.set("sec-websocket-protocol", session.subprotocol());
      }
      String extensions = session.clientExtensions(); // null once the session has started: read it first
      if (extensions != null) {
        ok.set("sec-websocket-extensions", extensions);
      }
      ctx.writeAndFlush(new DefaultHttp2HeadersFrame(ok, false));
      ProxyPipeline.installClientCodec(ctx.pipeline(), ProxyPipeline.H2_BYTES, s.config().server().maxFrameSize());
      if (lifecycle.start() == null) {
        ctx.channel().close();
        return;
      }
      ByteBuf held = early;
      early = null;
      ChannelHandlerContext bytes = ctx.pipeline().context(ProxyPipeline.H2_BYTES);
      ctx.pipeline().remove(this);
      if (held != null) {
        bytes.fireChannelRead(held);
        bytes.fireChannelReadComplete();
      }
      if (handshakes.readiness().isDraining()) {
        session.close(Session.EndCause.DRAIN, CloseCodes.GOING_AWAY, CloseCodes.DRAIN);
      }
    } catch (RuntimeException e) {
      HandshakeHandler.unexpectedAfterUpgrade(requestId, ctx.channel(), lifecycle, session, e);
    }
  }

  private void failed(ChannelHandlerContext ctx, Route route, Throwable e) {
    if (e instanceof UpstreamFailure f) {
      HandshakeHandler.logUpstreamFailure(requestId, route, f);
      reject(ctx, f.status(), Rejection.of(f), f.getMessage(), Map.of());
    } else {
      unexpected(ctx, e);
    }
  }

  private void unexpected(ChannelHandlerContext ctx, Throwable e) {
    log.warn("request {} on an HTTP/2 stream: unexpected failure, answered 500: {}", requestId, String.valueOf(e));
    log.debug("request {}: the unexpected failure", requestId, e);
    reject(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "unexpected failure in wsgate", Map.of());
  }

  /**
   * A refusal: counted, logged at DEBUG, answered with the status and a one-line reason, and the stream ended (the
   * connection and its other streams go on).
   */
  private void reject(ChannelHandlerContext ctx, HttpResponseStatus status, String reason,
      Map<String, String> extra) {
    reject(ctx, status, Rejection.of(status.code()), reason, extra);
  }

  /** The same, counted with the {@code reason} tag {@code tag}. */
  private void reject(ChannelHandlerContext ctx, HttpResponseStatus status, String tag, String reason,
      Map<String, String> extra) {
    handshakes.metrics().handshakeRejected(status.code(), tag);
    log.debug("request {}: {} {}", requestId, status.code(), reason);
    if (!ctx.channel().isActive()) {
      return;
    }
    Http2Headers h = new DefaultHttp2Headers().status(status.codeAsText());
    h.set("content-type", "text/plain; charset=utf-8");
    if (requestId != null) {
      h.set("x-request-id", requestId);
    }
    extra.forEach(h::set);
    ctx.write(new DefaultHttp2HeadersFrame(h, false));
    ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(status.code() + " " + status.reasonPhrase()
        + ": " + reason + "\n", StandardCharsets.UTF_8), true));
    ctx.channel().close();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (early != null) {
      early.release();
      early = null;
    }
  }

  /**
   * The request's headers as HTTP/1.1 would carry them, for the checks and the upstream request: the regular
   * headers, {@code cookie} fields joined with {@code "; "} (RFC 9113 8.2.3), and {@code :authority} as {@code Host}.
   */
  static HttpHeaders http1Headers(Http2Headers h2) {
    HttpHeaders out = new DefaultHttpHeaders();
    List<String> cookies = new ArrayList<>();
    for (Map.Entry<CharSequence, CharSequence> e : h2) {
      CharSequence name = e.getKey();
      if (name.length() > 0 && name.charAt(0) == ':') {
        continue;
      }
      if (HttpHeaderNames.COOKIE.contentEqualsIgnoreCase(name)) {
        cookies.add(e.getValue().toString());
      } else {
        out.add(name, e.getValue());
      }
    }
    if (!cookies.isEmpty()) {
      out.set(HttpHeaderNames.COOKIE, String.join("; ", cookies));
    }
    if (h2.authority() != null) {
      out.set(HttpHeaderNames.HOST, h2.authority());
    }
    return out;
  }
}
