package dev.wsgate.proxy;

import dev.wsgate.config.Durations;
import dev.wsgate.config.Leg;
import dev.wsgate.config.Transport;
import dev.wsgate.config.UpstreamConfig;
import dev.wsgate.routing.UpstreamPool;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.ssl.SslContext;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.LoopResources;

/**
 * Opens the upstream leg of a session: TCP (and TLS for {@code wss://}), then the WebSocket handshake, within the
 * upstream connect timeout. The connection runs on the caller's event loop when the caller is on one of wsgate's
 * (Reactor Netty colocates it), so both legs of a session share a thread.
 */
public final class UpstreamConnector {

  private static final Logger log = LoggerFactory.getLogger(UpstreamConnector.class);

  private final HttpClient plain;
  private final HttpClient secure;
  private final Duration timeout;
  private final int maxFrameSize;

  /**
   * @param transport the transport {@code loops} run on, for the socket options it has
   * @param tls       the client TLS for {@code wss://} upstreams, trusting {@code upstream.ca-file} or else the
   *                  JDK's trust store: built by the code that checked the CA file when the configuration was
   *                  loaded
   */
  public UpstreamConnector(LoopResources loops, Transport transport, UpstreamConfig config, SslContext tls,
      int maxFrameSize, int highWaterMark) {
    HttpClient base = LegSockets.upstreamLeg(HttpClient.newConnection(), transport)
        .runOn(loops)
        .disableRetry(true)
        .compress(false)
        .followRedirect(false)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(config.connectTimeout().toMillis(),
            Integer.MAX_VALUE))
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(highWaterMark / 2, highWaterMark));
    this.plain = base;
    this.secure = base.secure(spec -> spec.sslContext(tls));
    this.timeout = config.connectTimeout();
    this.maxFrameSize = maxFrameSize;
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
    HttpClient client = "wss".equalsIgnoreCase(target.uri().getScheme()) ? secure : plain;
    // The subprotocols travel as a plain header and the answer is checked by UpstreamHandshakeFilter, not by Netty.
    WebsocketClientSpec spec = WebsocketClientSpec.builder()
        .maxFramePayloadLength(maxFrameSize)
        .handlePing(true)
        .build();
    Mono<ProxySession> attempt = Mono.create(sink -> {
      Attempt a = new Attempt(sink, instance.uri(), target, subprotocols, lifecycle, plan, instance.claim(),
          new UpstreamHandshakeFilter(headers.contains(HttpHeaderNames.ORIGIN), target.requestTarget()));
      try {
        Disposable subscription = client
            .headers(h -> {
              h.set(headers);
              if (subprotocols != null) {
                h.set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, subprotocols);
              }
            })
            .doOnConnected(c -> ProxyPipeline.addLast(c.channel().pipeline(), UpstreamHandshakeFilter.NAME,
                a.filter))
            .websocket(spec)
            .uri(target.uri())
            .handle((in, out) -> {
              Connection[] connection = new Connection[1];
              in.withConnection(c -> connection[0] = c);
              return a.handshakeDone(connection[0]);
            })
            .subscribe(null, a::failed);
        sink.onCancel(() -> {
          a.cancelled();
          subscription.dispose();
        });
      } catch (RuntimeException e) {
        a.failed(e);
      }
    });
    return attempt.timeout(timeout, Mono.error(() -> new UpstreamFailure(UpstreamFailure.Kind.TIMEOUT,
        HttpResponseStatus.GATEWAY_TIMEOUT, target.uri(), "no WebSocket handshake answer from " + target.uri()
        + " within " + Durations.format(timeout), null)));
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
     * The upstream answered 101 and Netty accepted it; on the upstream's event loop. A handshake cancelled meanwhile
     * (the client left, or the connect timeout passed) still becomes a session, which the lifecycle ends at once:
     * the upstream gets its 1001 like any other.
     */
    Mono<Void> handshakeDone(Connection connection) {
      boolean first = settled.compareAndSet(false, true);
      String refusal = filter.refusal(subprotocols);
      if (refusal != null) {
        connection.dispose();
        claim.release();
        if (first) {
          sink.error(new UpstreamFailure(UpstreamFailure.Kind.INVALID, HttpResponseStatus.BAD_GATEWAY, target.uri(),
              "upstream " + target.uri() + " " + refusal, null));
        }
        return Mono.empty();
      }
      try {
        FrameRelayHandler relay = ProxyPipeline.install(connection.channel(), Leg.UPSTREAM, plan.upstreamSetup());
        ProxySession session = lifecycle.upstreamConnected(plan, instance, filter.chosen(), connection.channel(),
            relay, claim);
        if (first) {
          sink.success(session);
        }
      } catch (RuntimeException e) {
        connection.dispose();
        claim.release();
        if (first) {
          sink.error(e);
        }
        return Mono.empty();
      }
      return connection.onDispose();
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
