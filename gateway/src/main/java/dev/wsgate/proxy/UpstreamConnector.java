package dev.wsgate.proxy;

import dev.wsgate.config.Durations;
import dev.wsgate.config.Leg;
import dev.wsgate.config.Transport;
import dev.wsgate.config.UpstreamConfig;
import dev.wsgate.routing.UpstreamPool;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.netty.http.HttpResources;
import reactor.netty.resources.LoopResources;
import reactor.netty.transport.NameResolverProvider;

/**
 * Opens the upstream leg of a session: TCP (and TLS for {@code wss://}), then the WebSocket handshake, within the
 * upstream connect timeout, with Netty's own client and handshaker. The connection is registered on the client
 * leg's event loop, so both legs of a session share a thread. Once the handshake is done the leg holds wsgate's
 * handlers and nothing else: no HTTP codec, no client configuration, no operations or subscribers of a reactive
 * client, which would stay with the connection for its life (issue 10: what a held session costs).
 */
public final class UpstreamConnector {

  private static final Logger log = LoggerFactory.getLogger(UpstreamConnector.class);

  /** The largest handshake answer taken whole (a refusal's body included): 8 KiB, as Reactor Netty's client. */
  private static final int MAX_ANSWER = 8192;
  /** Names of the handshake's own handlers, gone once it is done. */
  private static final String TLS = "wsgate.upstreamTls";
  private static final String HTTP = "wsgate.upstreamHttp";
  private static final String AGGREGATOR = "wsgate.upstreamAnswer";
  private static final String HANDSHAKE = "wsgate.upstreamHandshakeDone";

  /**
   * Names resolved without blocking an event loop, shared by the process (as Reactor Netty's clients share one);
   * made when the first upstream given by name is connected: upstreams given by address need no resolver (and no
   * DNS channels, nor the loops they run on).
   */
  private static final class Resolver {
    static final AddressResolverGroup<?> GROUP = NameResolverProvider.builder().build()
        .newNameResolverGroup(HttpResources.get(), true);
  }

  /** The upstream's address when its URI gives one (IPv4, or IPv6 in brackets), else null: a name to resolve. */
  static InetSocketAddress literalAddress(String host, int port) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (!NetUtil.isValidIpV4Address(h) && !NetUtil.isValidIpV6Address(h)) {
      return null;
    }
    return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(h), port);
  }

  private final LoopResources loops;
  private final Transport transport;
  private final SslContext tls;
  private final Duration timeout;
  private final int maxFrameSize;
  private final WriteBufferWaterMark waterMark;

  /**
   * @param transport the transport {@code loops} run on, for the socket options it has
   * @param tls       the client TLS for {@code wss://} upstreams, trusting {@code upstream.ca-file} or else the
   *                  JDK's trust store: built by the code that checked the CA file when the configuration was
   *                  loaded
   */
  public UpstreamConnector(LoopResources loops, Transport transport, UpstreamConfig config, SslContext tls,
      int maxFrameSize, int highWaterMark) {
    this.loops = loops;
    this.transport = transport;
    this.tls = tls;
    this.timeout = config.connectTimeout();
    this.maxFrameSize = maxFrameSize;
    this.waterMark = new WriteBufferWaterMark(highWaterMark / 2, highWaterMark);
  }

  /**
   * The write-buffer marks of this configuration's legs ({@code server.write-buffer-high-water-mark}, low at half):
   * one object for the upstream and the client connections of all its sessions.
   */
  public WriteBufferWaterMark waterMark() {
    return waterMark;
  }

  /**
   * Claims a place on {@code instance}, connects and completes the upstream handshake. On success the session is
   * made, owning the upstream leg and the claim (handed to {@code lifecycle} before anything else can happen to
   * them); on failure or cancellation the claim is released here.
   *
   * @param instance     the upstream instance picked
   * @param subprotocols the client's subprotocols, comma-separated, or null
   * @return the session, or an {@link UpstreamFailure}
   */
  public Mono<ProxySession> connect(UpstreamPool.Instance instance, UpstreamRequest.Target target,
      HttpHeaders headers, String subprotocols, SessionLifecycle lifecycle, SessionPlan plan) {
    URI uri = target.uri();
    boolean secure = "wss".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() != -1 ? uri.getPort() : secure ? 443 : 80;
    // Set once the TCP connection is up, for the timeout's message; the one timer of the attempt is Reactor's below
    // (Netty's connect timeout would keep its cancelled task referenced by the channel for the session's life).
    AtomicBoolean tcpUp = new AtomicBoolean();
    Mono<ProxySession> attempt = Mono.create(sink -> {
      Attempt a = new Attempt(sink, instance.uri(), target, subprotocols, lifecycle, plan, instance.claim(),
          new UpstreamHandshakeFilter(headers.contains(HttpHeaderNames.ORIGIN), target.requestTarget()));
      try {
        // The subprotocols travel as a plain header and the answer is checked by UpstreamHandshakeFilter, not by
        // Netty's handshaker, which is given none.
        HttpHeaders sent = new DefaultHttpHeaders().set(headers);
        if (subprotocols != null) {
          sent.set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, subprotocols);
        }
        // permessage-deflate is offered as a plain header too, and the answer checked by DeflateNegotiation; the
        // frame decoder lets RSV1 through only when it is offered.
        String deflate = plan.deflate().upstreamOffer();
        if (deflate != null) {
          sent.set(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, deflate);
        }
        WebSocketClientHandshaker handshaker = new Handshaker(uri, deflate != null, sent, maxFrameSize);
        EventLoop loop = lifecycle.loop();
        InetSocketAddress address = literalAddress(uri.getHost(), port);
        Bootstrap bootstrap = LegSockets.upstreamLeg(new Bootstrap(), transport)
            .group(loop)
            .channel(loops.onChannelClass(SocketChannel.class, loop))
            .resolver(address != null ? NoopAddressResolverGroup.INSTANCE : Resolver.GROUP)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
            .handler(new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ChannelPipeline p = ch.pipeline();
                if (secure) {
                  p.addLast(TLS, tls.newHandler(ch.alloc(), uri.getHost(), port));
                }
                p.addLast(HTTP, new HttpClientCodec());
                p.addLast(AGGREGATOR, new HttpObjectAggregator(MAX_ANSWER));
                p.addLast(UpstreamHandshakeFilter.NAME, a.filter);
                p.addLast(HANDSHAKE, new HandshakeDone(a, handshaker));
              }
            });
        ChannelFuture connected = address != null ? bootstrap.connect(address)
            : bootstrap.connect(uri.getHost(), port);
        Channel channel = connected.channel();
        sink.onCancel(() -> {
          a.cancelled();
          channel.close();
        });
        connected.addListener(f -> {
          if (!f.isSuccess()) {
            a.failed(f.cause());
            return;
          }
          tcpUp.set(true);
          handshaker.handshake(channel).addListener(h -> {
            if (!h.isSuccess()) {
              a.failed(h.cause());
              channel.close();
            }
          });
        });
      } catch (RuntimeException e) {
        a.failed(e);
      }
    });
    return attempt.timeout(timeout, Mono.error(() -> new UpstreamFailure(UpstreamFailure.Kind.TIMEOUT,
        HttpResponseStatus.GATEWAY_TIMEOUT, target.uri(), (tcpUp.get() ? "no WebSocket handshake answer from "
        + target.uri() : "upstream " + target.uri() + " did not accept the connection") + " within "
        + Durations.format(timeout), null)));
  }

  /**
   * Netty's client handshake, with wsgate's frame decoder ({@link WireFrameDecoder}, set as Netty's would be) in the
   * place of Netty's: the session decides, when it is made, whether it relays the leg's data frames verbatim.
   * Reserved bits pass only when an extension is offered; no masked frame from the server passes.
   */
  private static final class Handshaker extends WebSocketClientHandshaker13 {
    private final boolean allowExtensions;

    Handshaker(URI uri, boolean allowExtensions, HttpHeaders headers, int maxFrameSize) {
      super(uri, WebSocketVersion.V13, null, allowExtensions, headers, maxFrameSize, true, false, -1);
      this.allowExtensions = allowExtensions;
    }

    @Override
    protected WebSocketFrameDecoder newWebsocketDecoder() {
      return ProxyPipeline.upstreamDecoder(maxFramePayloadLength(), allowExtensions);
    }
  }

  /**
   * Takes the upstream's answer: Netty's handshaker checks it and turns the pipeline to WebSocket frames, then the
   * session is made, in the same read, before any frame that came with the answer is handled.
   */
  private static final class HandshakeDone extends ChannelInboundHandlerAdapter {
    private final Attempt attempt;
    private final WebSocketClientHandshaker handshaker;

    HandshakeDone(Attempt attempt, WebSocketClientHandshaker handshaker) {
      this.attempt = attempt;
      this.handshaker = handshaker;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof FullHttpResponse response)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      try {
        if (response.decoderResult().isFailure()) {
          Throwable why = response.decoderResult().cause();
          throw new WebSocketClientHandshakeException(why instanceof PrematureChannelClosureException
              ? "an answer cut short: the connection closed before its headers ended"
              : "an answer that is not HTTP (" + why.getMessage() + ")", response);
        }
        handshaker.finishHandshake(ctx.channel(), response);
      } catch (RuntimeException e) {
        attempt.failed(e);
        ctx.close();
        return;
      } finally {
        response.release();
      }
      ctx.pipeline().remove(this);
      attempt.handshakeDone(ctx.channel());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      attempt.failed(new WebSocketClientHandshakeException("Connection prematurely closed BEFORE opening "
          + "handshake is complete."));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      attempt.failed(cause);
      ctx.close();
    }
  }

  /**
   * One connection attempt: exactly one of success, failure and cancellation settles it, and each releases the
   * claim or hands it on.
   */
  private static final class Attempt {
    private final MonoSink<ProxySession> sink;
    private final URI instance;
    private final UpstreamRequest.Target target;
    private final String subprotocols;
    private final SessionLifecycle lifecycle;
    private final SessionPlan plan;
    private final UpstreamPool.Claim claim;
    private final UpstreamHandshakeFilter filter;
    private final AtomicBoolean settled = new AtomicBoolean();

    Attempt(MonoSink<ProxySession> sink, URI instance, UpstreamRequest.Target target, String subprotocols,
        SessionLifecycle lifecycle, SessionPlan plan, UpstreamPool.Claim claim, UpstreamHandshakeFilter filter) {
      this.sink = sink;
      this.instance = instance;
      this.target = target;
      this.subprotocols = subprotocols;
      this.lifecycle = lifecycle;
      this.plan = plan;
      this.claim = claim;
      this.filter = filter;
    }

    /**
     * The upstream answered 101 and Netty's handshaker accepted it; on the session's event loop, in the read that
     * brought the answer. An attempt cancelled meanwhile (the client left, or the connect timeout passed) has its
     * connection closed already: no session is made of it.
     */
    void handshakeDone(Channel channel) {
      if (!settled.compareAndSet(false, true)) {
        channel.close(); // cancelled meanwhile (the client left, or the timeout passed): its close is under way
        return;
      }
      String refusal = filter.refusal(subprotocols);
      DeflateNegotiation.Decision deflate = DeflateNegotiation.Decision.NONE;
      if (refusal == null) {
        deflate = plan.deflate().answered(filter.extensions());
        refusal = deflate.refusal();
      }
      if (refusal != null) {
        channel.close();
        claim.release();
        sink.error(new UpstreamFailure(UpstreamFailure.Kind.INVALID, HttpResponseStatus.BAD_GATEWAY, target.uri(),
            "upstream " + target.uri() + " " + refusal, null));
        return;
      }
      try {
        FrameRelayHandler relay = ProxyPipeline.install(channel, Leg.UPSTREAM, plan.upstreamSetup(), deflate);
        ProxySession session = lifecycle.upstreamConnected(plan, instance, filter.chosen(), channel, relay, claim,
            deflate);
        sink.success(session);
      } catch (RuntimeException e) {
        channel.close();
        claim.release();
        sink.error(e);
      }
    }

    void failed(Throwable error) {
      if (settled.compareAndSet(false, true)) {
        claim.release();
        sink.error(classify(target.uri(), error));
      } else {
        log.debug("upstream {}: {}", target.uri(), error.toString());
      }
    }

    void cancelled() {
      if (settled.compareAndSet(false, true)) {
        claim.release();
      }
    }
  }

  static UpstreamFailure classify(URI target, Throwable error) {
    if (error instanceof UpstreamFailure) {
      return (UpstreamFailure) error;
    }
    if (error instanceof WebSocketClientHandshakeException) {
      WebSocketClientHandshakeException e = (WebSocketClientHandshakeException) error;
      if (e.response() != null) {
        int code = e.response().status().code();
        if (code >= 400 && code <= 599) {
          return new UpstreamFailure(UpstreamFailure.Kind.REJECTED, e.response().status(), target,
              "upstream " + target + " rejected the handshake: " + e.response().status(), error);
        }
        return new UpstreamFailure(UpstreamFailure.Kind.INVALID, HttpResponseStatus.BAD_GATEWAY, target,
            "upstream " + target + " answered the handshake badly (" + e.response().status() + "): "
                + e.getMessage(), error);
      }
      // No answer at all: the connection ended before the handshake's, as with a reset; tried on the next.
      return new UpstreamFailure(UpstreamFailure.Kind.CONNECT, HttpResponseStatus.BAD_GATEWAY, target,
          "upstream " + target + ": " + e.getMessage(), error);
    }
    if (error instanceof ConnectTimeoutException || error instanceof TimeoutException) {
      return new UpstreamFailure(UpstreamFailure.Kind.TIMEOUT, HttpResponseStatus.GATEWAY_TIMEOUT, target,
          "upstream " + target + " did not accept the connection in time", error);
    }
    String why = error.getMessage() != null ? error.getMessage() : error.getClass().getSimpleName();
    return new UpstreamFailure(UpstreamFailure.Kind.CONNECT, HttpResponseStatus.BAD_GATEWAY, target,
        "cannot connect to upstream " + target + ": " + why, error);
  }
}
